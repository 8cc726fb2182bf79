# The pipeline: a Workflows workflow (source passed in) that runs the clip job with
# per-execution overrides, its identity (serviceaccount.tf) and that identity's bindings
# (iam.tf). README.md has the inputs, outputs and least-privilege matrix.
resource "google_workflows_workflow" "this" {
  project             = var.project_id
  name                = var.name
  region              = var.region
  description         = "Cuts per-play clips: one ${var.job.name} execution, one task per game."
  service_account     = google_service_account.workflow.id
  source_contents     = var.source_contents
  call_log_level      = var.call_log_level
  labels              = var.labels
  deletion_protection = var.deletion_protection

  # The workflow reads these two names with sys.get_env; keep the keys as they are.
  user_env_vars = {
    PLAYCLIPS_JOB_NAME        = var.job.name
    PLAYCLIPS_TRAINING_BUCKET = var.training_bucket
  }

  # A workflow that cannot run its job yet fails its first execution; grant first.
  depends_on = [
    google_cloud_run_v2_job_iam_member.executor,
    google_cloud_run_v2_job_iam_member.viewer,
    google_project_iam_member.operation_reader,
    google_project_iam_member.log_writer,
    google_storage_bucket_iam_member.games_writer,
    google_storage_bucket_iam_member.summary_reader,
  ]
}
