# The composition every env root calls, with local state and a throwaway deletion policy.
# Values come from TF_VAR_* variables set by the person running the smoke suite; the Supabase
# key comes from TF_VAR_supabase_service_key (write-only: never in this state).
variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "europe-west1"
}
variable "state_bucket" { type = string }
variable "supabase_url" { type = string }
variable "github_repository" { type = string }
variable "github_repository_id" { type = string }
variable "supabase_service_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

provider "google" {
  project = var.project_id
  region  = var.region
}

module "dev" {
  source                       = "../../../../../terraform/modules/playclips"
  env                          = "smoke"
  project_id                   = var.project_id
  region                       = var.region
  state_bucket                 = var.state_bucket
  supabase_url                 = var.supabase_url
  supabase_service_key         = var.supabase_service_key
  supabase_service_key_version = 1
  github                       = { repository = var.github_repository, repository_id = var.github_repository_id }
  job_image                    = "us-docker.pkg.dev/cloudrun/container/job:latest"
  deletion_protection          = false
}

output "project_id" { value = module.dev.project_id }
output "job_name" { value = module.dev.job_name }
output "workflow_id" { value = module.dev.workflow_id }
output "wif_provider" { value = module.dev.wif_provider }
