# The Supabase service key's secret. Its value never passes through Terraform state: add it
# out of band (README, "Adding the value") or through the write-only argument below.
resource "google_secret_manager_secret" "this" {
  project             = var.project_id
  secret_id           = var.secret_id
  labels              = var.labels
  deletion_protection = var.deletion_protection

  replication {
    dynamic "auto" {
      for_each = length(var.replication_locations) == 0 ? [1] : []
      content {}
    }
    dynamic "user_managed" {
      for_each = length(var.replication_locations) == 0 ? [] : [var.replication_locations]
      content {
        dynamic "replicas" {
          for_each = user_managed.value
          content {
            location = replicas.value
          }
        }
      }
    }
  }
}

resource "google_secret_manager_secret_version" "write_only" {
  count                  = var.secret_data_wo_version == null ? 0 : 1
  secret                 = google_secret_manager_secret.this.id
  secret_data_wo         = var.secret_data_wo
  secret_data_wo_version = var.secret_data_wo_version
}
