output "deployer_service_account" {
  description = "Email of the service account releases impersonate."
  value       = google_service_account.deployer.email
}

output "github" {
  description = "var.github with its optional lists filled in: who may deploy."
  value       = var.github
}

output "repository_url" {
  description = "Docker repository URL: REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  value       = "${google_artifact_registry_repository.this.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}

output "wif_provider" {
  description = "Full provider name for google-github-actions/auth: projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."
  value       = google_iam_workload_identity_pool_provider.github.name
}
