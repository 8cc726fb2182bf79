# Every output of modules/playclips, under its own name (make trigger and the release read them).

output "artifact_registry_repository_url" {
  description = "Where releases push the image: REGION-docker.pkg.dev/PROJECT/playclips."
  value       = module.playclips.artifact_registry_repository_url
}

output "deployer_service_account" {
  description = "Email of the service account releases impersonate."
  value       = module.playclips.deployer_service_account
}

output "job_name" {
  description = "Cloud Run job name."
  value       = module.playclips.job_name
}

output "job_service_account" {
  description = "Email of the job's service account."
  value       = module.playclips.job_service_account
}

output "project_id" {
  description = "Project of this environment."
  value       = module.playclips.project_id
}

output "region" {
  description = "Region of the job and workflow."
  value       = module.playclips.region
}

output "training_bucket" {
  description = "Training (output) bucket name."
  value       = module.playclips.training_bucket
}

output "video_bucket" {
  description = "Video (source) bucket name."
  value       = module.playclips.video_bucket
}

output "wif_provider" {
  description = "Workload Identity provider for google-github-actions/auth: projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."
  value       = module.playclips.wif_provider
}

output "workflow_id" {
  description = "Workflow resource id: projects/PROJECT/locations/REGION/workflows/NAME."
  value       = module.playclips.workflow_id
}

output "workflow_name" {
  description = "Workflow name."
  value       = module.playclips.workflow_name
}

output "supabase_url" {
  description = "Supabase project URL the job reads plays from (not secret; the key is in Secret Manager)."
  value       = module.playclips.supabase_url
}

output "wif_github" {
  description = "var.github as JSON ({\"environments\", \"refs\", \"repository\", \"repository_id\"}): who may release through Workload Identity Federation."
  value       = module.playclips.wif_github
}
