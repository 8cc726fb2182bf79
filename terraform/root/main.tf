# One environment: everything is in modules/playclips; this root only hands it the env's
# committed settings (settings.auto.tfvars beside the backend) and the per-run inputs.
module "playclips" {
  source                       = "../../modules/playclips"
  deletion_protection          = var.deletion_protection
  env                          = var.env
  github                       = var.github
  job                          = var.job
  job_image                    = var.job_image
  labels                       = var.labels
  location                     = var.location
  project_id                   = var.project_id
  region                       = var.region
  state_bucket                 = var.state_bucket
  supabase_service_key         = var.supabase_service_key
  supabase_service_key_version = var.supabase_service_key_version
  supabase_url                 = var.supabase_url
  workflow_call_log_level      = var.workflow_call_log_level
}
