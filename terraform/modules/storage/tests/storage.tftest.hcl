mock_provider "google" {}

variables {
  project_id = "playclips-test"
  location   = "europe-west1"
  names      = { video = "playclips-test-videos", training = "playclips-test-training" }
  labels     = { app = "playclips" }
}

run "buckets_are_private_and_uniform" {
  command = plan

  assert {
    condition     = alltrue([for b in google_storage_bucket.this : b.uniform_bucket_level_access && b.public_access_prevention == "enforced"])
    error_message = "Both buckets need uniform bucket-level access and enforced public access prevention."
  }
  assert {
    condition     = google_storage_bucket.this["video"].name == "playclips-test-videos" && google_storage_bucket.this["training"].name == "playclips-test-training"
    error_message = "Bucket names must come from var.names."
  }
  assert {
    condition     = alltrue([for b in google_storage_bucket.this : b.location == "europe-west1" && b.force_destroy == false])
    error_message = "Buckets live in var.location and are never force-destroyed."
  }
  assert {
    condition     = google_storage_bucket.this["training"].labels == tomap({ app = "playclips", bucket = "training" })
    error_message = "Labels are var.labels plus the bucket's role."
  }
  assert {
    condition     = alltrue([for b in google_storage_bucket.this : b.versioning[0].enabled == false])
    error_message = "Versioning is off unless asked for."
  }
}

run "lifecycle_aborts_uploads_and_expires_reports" {
  command = plan

  assert {
    condition = alltrue([
      for b in google_storage_bucket.this :
      length([for r in b.lifecycle_rule : r if one(r.action).type == "AbortIncompleteMultipartUpload" && one(r.condition).age == 7]) == 1
    ])
    error_message = "Each bucket aborts incomplete multipart uploads after 7 days."
  }
  assert {
    condition = length([
      for r in google_storage_bucket.this["training"].lifecycle_rule : r
      if one(r.action).type == "Delete" && one(r.condition).matches_prefix == tolist(["reports/"]) && one(r.condition).age == 90
    ]) == 1
    error_message = "The training bucket deletes reports/ objects after 90 days."
  }
  assert {
    condition     = length(google_storage_bucket.this["video"].lifecycle_rule) == 1
    error_message = "The video bucket has no Delete rule: source videos are never expired."
  }
}

run "versioning_and_ages_are_settable" {
  command = plan
  variables {
    versioning     = { video = true }
    lifecycle_days = { reports = 30, incomplete_uploads = 2 }
  }

  assert {
    condition     = google_storage_bucket.this["video"].versioning[0].enabled && !google_storage_bucket.this["training"].versioning[0].enabled
    error_message = "Versioning follows var.versioning per bucket."
  }
  assert {
    condition     = contains([for r in google_storage_bucket.this["training"].lifecycle_rule : one(r.condition).age], 30)
    error_message = "The reports age follows var.lifecycle_days.reports."
  }
}

run "rejects_a_bad_bucket_name" {
  command = plan
  variables {
    names = { video = "Playclips_Videos", training = "playclips-test-training" }
  }
  expect_failures = [var.names]
}

run "rejects_the_same_bucket_twice" {
  command = plan
  variables {
    names = { video = "playclips-same", training = "playclips-same" }
  }
  expect_failures = [var.names]
}
