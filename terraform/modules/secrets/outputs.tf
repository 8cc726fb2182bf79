output "id" {
  description = "Secret resource id: projects/PROJECT/secrets/NAME (what the job's secret_key_ref takes)."
  value       = google_secret_manager_secret.this.id
  # Whoever reads the secret through this id (the job's secret_key_ref) waits for the version
  # Terraform writes, when it writes one: Cloud Run refuses a secret that has no version.
  depends_on = [google_secret_manager_secret_version.write_only]
}

output "secret_id" {
  description = "Secret name."
  value       = google_secret_manager_secret.this.secret_id
}
