resource "google_service_account" "job" {
  project      = var.project_id
  account_id   = "${var.name}-job"
  display_name = "playclips clip job (${var.name})"
  description  = "Runs the ${var.name} Cloud Run job: reads videos, writes clips, manifests, reports and datasets, reads one secret."
}
