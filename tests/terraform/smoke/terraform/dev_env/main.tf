# The dev root as a module, with local state and a throwaway deletion policy. Values come from
# TF_VAR_* variables set by the person running the smoke suite.
variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "europe-west1"
}
variable "state_bucket" { type = string }
variable "supabase_url" { type = string }
variable "github_repository" { type = string }

module "dev" {
  source              = "../../../../../terraform/envs/dev"
  project_id          = var.project_id
  region              = var.region
  state_bucket        = var.state_bucket
  supabase_url        = var.supabase_url
  github              = { repository = var.github_repository }
  job_image           = "us-docker.pkg.dev/cloudrun/container/job:latest"
  deletion_protection = false
}

output "project_id" { value = module.dev.project_id }
output "job_name" { value = module.dev.job_name }
output "workflow_id" { value = module.dev.workflow_id }
output "wif_provider" { value = module.dev.wif_provider }
