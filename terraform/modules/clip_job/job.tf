resource "google_cloud_run_v2_job" "this" {
  project             = var.project_id
  name                = var.name
  location            = var.region
  labels              = var.labels
  deletion_protection = var.deletion_protection
  # Google's own example for an empty_dir on DISK sets BETA; the provider (8.7) accepts DISK
  # either way, so the preview stage is asked for only when a disk is.
  launch_stage = var.scratch_disk == null ? null : "BETA"

  template {
    parallelism = var.execution.parallelism
    template {
      service_account       = google_service_account.job.email
      timeout               = var.execution.task_timeout
      max_retries           = var.execution.max_retries
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

      containers {
        # The workflow's containerOverrides address the container by this name.
        name  = "playclips"
        image = var.container.image
        args  = var.container.args

        resources {
          limits = {
            cpu    = tostring(var.resources.cpu)
            memory = var.resources.memory
          }
        }

        dynamic "env" {
          for_each = var.container.env
          content {
            name  = env.key
            value = env.value
          }
        }

        env {
          name = "SUPABASE_SERVICE_KEY"
          value_source {
            secret_key_ref {
              secret  = var.supabase_secret.id
              version = var.supabase_secret.version
            }
          }
        }

        dynamic "volume_mounts" {
          for_each = var.scratch_disk == null ? [] : [var.scratch_disk]
          content {
            name       = local.scratch_volume
            mount_path = volume_mounts.value.mount_path
          }
        }
      }

      dynamic "volumes" {
        for_each = var.scratch_disk == null ? [] : [var.scratch_disk]
        content {
          name = local.scratch_volume
          empty_dir {
            medium     = "DISK"
            size_limit = volumes.value.size_limit
          }
        }
      }
    }
  }

  # Cloud Run checks secret access when the job is created or updated: the binding first.
  depends_on = [google_secret_manager_secret_iam_member.supabase_accessor]
}
