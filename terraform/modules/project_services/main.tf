resource "google_project_service" "this" {
  for_each = toset(var.services)
  project  = var.project_id
  service  = each.value
  # Other things in the project may use these APIs too: destroying playclips leaves them on.
  disable_on_destroy = false
}
