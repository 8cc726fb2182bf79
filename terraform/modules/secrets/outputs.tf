output "id" {
  description = "Secret resource id: projects/PROJECT/secrets/NAME (what the job's secret_key_ref takes)."
  value       = google_secret_manager_secret.this.id
}

output "secret_id" {
  description = "Secret name."
  value       = google_secret_manager_secret.this.secret_id
}
