# The workflow's identity holds exactly these bindings (see README).
locals {
  workflow_member = google_service_account.workflow.member
}

# run.jobs.run + run.jobs.runWithOverrides (+ run.executions.cancel), on this job only: the
# narrowest predefined role that lets an execution override args, env and task count.
resource "google_cloud_run_v2_job_iam_member" "executor" {
  project  = var.project_id
  location = var.job.location
  name     = var.job.name
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = local.workflow_member
}

# The connector waits for the execution it started and returns it: run.jobs.get and
# run.executions.get/list on this job only (executions are children of the job).
resource "google_cloud_run_v2_job_iam_member" "viewer" {
  project  = var.project_id
  location = var.job.location
  name     = var.job.name
  role     = "roles/run.viewer"
  member   = local.workflow_member
}

# jobs.run answers with a long-running operation that the connector polls. Operations live at
# projects/P/locations/L/operations/ID, outside the job, so a job-level grant cannot cover
# run.operations.get; this role holds that one permission and nothing else.
resource "google_project_iam_custom_role" "operation_reader" {
  project     = var.project_id
  role_id     = "${replace(var.name, "-", "_")}_run_operation_reader"
  title       = "playclips: read Cloud Run operations (${var.name})"
  description = "Lets the ${var.name} workflow poll the operation that running its job returns."
  permissions = ["run.operations.get"]
}

resource "google_project_iam_member" "operation_reader" {
  project = var.project_id
  role    = google_project_iam_custom_role.operation_reader.name
  member  = local.workflow_member
}

resource "google_project_iam_member" "log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = local.workflow_member
}

# The training bucket, two prefixes only (conditions on bucket bindings need uniform
# bucket-level access, which modules/storage enforces; object names in conditions are
# projects/_/buckets/BUCKET/objects/NAME).
#
# runs/: the workflow writes runs/{run_id}/games.json, the games list every task reads (a
# Cloud Run env value is too small for 10,000 ids). objectUser rather than objectCreator: a
# retried insert that had already landed, or a rerun with the same run_id, replaces the
# object, and replacing needs storage.objects.delete.
resource "google_storage_bucket_iam_member" "games_writer" {
  bucket = var.training_bucket
  role   = "roles/storage.objectUser"
  member = local.workflow_member

  condition {
    title       = "playclips workflow games lists"
    description = "Objects below runs/ of the training bucket."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${var.training_bucket}/objects/runs/\")"
  }
}

# datasets/: the workflow reads datasets/{run_id}/summary.json back and returns it
# (storage.objects.get, checked on the object, so a prefix condition covers it).
resource "google_storage_bucket_iam_member" "summary_reader" {
  bucket = var.training_bucket
  role   = "roles/storage.objectViewer"
  member = local.workflow_member

  condition {
    title       = "playclips workflow dataset summaries"
    description = "Objects below datasets/ of the training bucket."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${var.training_bucket}/objects/datasets/\")"
  }
}
