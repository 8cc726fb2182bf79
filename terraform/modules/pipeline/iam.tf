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
