resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = var.deployer_name
  display_name = "playclips release deployer"
  description  = "Impersonated by GitHub Actions runs of ${var.github.repository}: pushes images, updates the ${var.job.name} job."
}

# Only workflow runs of the one repository, by its numeric id (further narrowed by the
# provider's condition), may impersonate the deployer; no keys exist.
resource "google_service_account_iam_member" "deployer_federation" {
  service_account_id = google_service_account.deployer.id
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository_id/${var.github.repository_id}"
}
