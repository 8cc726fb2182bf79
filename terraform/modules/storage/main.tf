locals {
  buckets = {
    training = { name = var.names.training, versioning = var.versioning.training }
    video    = { name = var.names.video, versioning = var.versioning.video }
  }
}

# Object-level access is granted by the modules whose identities need it (clip_job, pipeline,
# github_ci), each on exactly the bucket it uses; nothing here grants access to anyone.
resource "google_storage_bucket" "this" {
  # checkov:skip=CKV_GCP_62: access logs are served by Cloud Audit Logs (data access), not a second log bucket.
  # checkov:skip=CKV_GCP_78: versioning is a per-bucket choice (var.versioning); clips are create-only and videos are written once.
  for_each                    = local.buckets
  project                     = var.project_id
  name                        = each.value.name
  location                    = var.location
  storage_class               = "STANDARD"
  labels                      = merge(var.labels, { bucket = each.key })
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = each.value.versioning
  }

  # This action only touches XML API multipart uploads: what S3-compatible clients and other
  # XML API tools use to upload large videos, whose parts are billed until the upload is
  # completed or aborted. The job's own writes use the JSON API (single-request or resumable
  # uploads): an unfinished resumable session creates no object and expires after a week, and
  # ranged reads leave nothing behind, so neither needs this rule.
  lifecycle_rule {
    condition {
      age = var.lifecycle_days.incomplete_uploads
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = each.key == "training" ? [var.lifecycle_days.reports] : []
    content {
      condition {
        age            = lifecycle_rule.value
        matches_prefix = ["reports/"]
      }
      action {
        type = "Delete"
      }
    }
  }
}
