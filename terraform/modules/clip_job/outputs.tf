output "id" {
  description = "Job resource id: projects/PROJECT/locations/REGION/jobs/NAME."
  value       = google_cloud_run_v2_job.this.id
}

output "location" {
  description = "Job region."
  value       = google_cloud_run_v2_job.this.location
}

output "name" {
  description = "Job name (the workflow reads it as PLAYCLIPS_JOB_NAME)."
  value       = google_cloud_run_v2_job.this.name
}

output "service_account" {
  description = "The job's service account: email, id (for service-account-level IAM) and IAM member."
  value = {
    email  = google_service_account.job.email
    id     = google_service_account.job.id
    member = google_service_account.job.member
  }
}
