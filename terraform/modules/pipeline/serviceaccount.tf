resource "google_service_account" "workflow" {
  project      = var.project_id
  account_id   = "${var.name}-workflow"
  display_name = "playclips workflow (${var.name})"
  description  = "Runs the ${var.job.name} job with per-execution overrides, writes each run's games list, reads its dataset summary."
}
