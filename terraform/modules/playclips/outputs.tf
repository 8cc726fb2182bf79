# The env roots pass these through under the same names; `make trigger` and the release
# workflow read them: keep them as they are.
output "artifact_registry_repository_url" {
  description = "Where releases push the image: REGION-docker.pkg.dev/PROJECT/playclips."
  value       = module.github_ci.repository_url
}

output "deployer_service_account" {
  description = "Email of the service account releases impersonate."
  value       = module.github_ci.deployer_service_account
}

output "job_name" {
  description = "Cloud Run job name."
  value       = module.clip_job.name
}

output "job_service_account" {
  description = "Email of the job's service account."
  value       = module.clip_job.service_account.email
}

output "project_id" {
  description = "Project of this environment."
  value       = var.project_id
}

output "region" {
  description = "Region of the job and workflow."
  value       = var.region
}

output "training_bucket" {
  description = "Training (output) bucket name."
  value       = module.storage.names.training
}

output "video_bucket" {
  description = "Video (source) bucket name."
  value       = module.storage.names.video
}

output "wif_provider" {
  description = "Workload Identity provider for google-github-actions/auth: projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."
  value       = module.github_ci.wif_provider
}

output "workflow_id" {
  description = "Workflow resource id: projects/PROJECT/locations/REGION/workflows/NAME."
  value       = module.pipeline.id
}

output "workflow_name" {
  description = "Workflow name."
  value       = module.pipeline.name
}

# Settings, shown back for people and tooling (scripts/github_env_vars.py copies every output).
output "supabase_url" {
  description = "Supabase project URL the job reads plays from (not secret; the key is in Secret Manager)."
  value       = var.supabase_url
}

output "wif_github" {
  description = "var.github as JSON ({\"environments\", \"refs\", \"repository\", \"repository_id\"}): who may release through Workload Identity Federation."
  value       = jsonencode(module.github_ci.github)
}
