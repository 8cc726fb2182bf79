output "id" {
  description = "Workflow resource id: projects/PROJECT/locations/REGION/workflows/NAME."
  value       = google_workflows_workflow.this.id
}

output "name" {
  description = "Workflow name."
  value       = google_workflows_workflow.this.name
}

output "service_account" {
  description = "The workflow's service account: email and IAM member."
  value = {
    email  = google_service_account.workflow.email
    member = google_service_account.workflow.member
  }
}
