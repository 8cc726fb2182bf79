mock_provider "google" {
  override_during = plan
  mock_resource "google_service_account" {
    defaults = {
      email  = "playclips-workflow@playclips-test.iam.gserviceaccount.com"
      member = "serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com"
      id     = "projects/playclips-test/serviceAccounts/playclips-workflow@playclips-test.iam.gserviceaccount.com"
    }
  }
  mock_resource "google_project_iam_custom_role" {
    defaults = {
      name = "projects/playclips-test/roles/playclips_run_operation_reader"
    }
  }
}

variables {
  project_id      = "playclips-test"
  region          = "europe-west1"
  job             = { name = "playclips", location = "europe-west1" }
  training_bucket = "playclips-test-training"
  source_contents = "main:\n  steps:\n    - done:\n        return: 1\n"
}

run "workflow" {
  command = plan

  assert {
    condition     = google_workflows_workflow.this.name == "playclips" && google_workflows_workflow.this.region == "europe-west1"
    error_message = "The workflow is named playclips in var.region."
  }
  assert {
    condition     = google_workflows_workflow.this.source_contents == var.source_contents
    error_message = "The workflow source is passed in unchanged."
  }
  assert {
    condition     = google_workflows_workflow.this.service_account == "projects/playclips-test/serviceAccounts/playclips-workflow@playclips-test.iam.gserviceaccount.com"
    error_message = "The workflow runs as its own service account."
  }
  assert {
    condition = google_workflows_workflow.this.user_env_vars == tomap({
      PLAYCLIPS_JOB_NAME        = "playclips"
      PLAYCLIPS_TRAINING_BUCKET = "playclips-test-training"
    })
    error_message = "The workflow reads PLAYCLIPS_JOB_NAME and PLAYCLIPS_TRAINING_BUCKET, and nothing else, from its env."
  }
  assert {
    condition     = google_workflows_workflow.this.call_log_level == "LOG_ERRORS_ONLY" && google_workflows_workflow.this.deletion_protection
    error_message = "Defaults: errors-only call logging, deletion protection on."
  }
}

run "least_privilege" {
  command = plan

  assert {
    condition = [
      for b in [google_cloud_run_v2_job_iam_member.executor, google_cloud_run_v2_job_iam_member.viewer] :
      "${b.location}/${b.name} ${b.role} ${b.member}"
      ] == [
      "europe-west1/playclips roles/run.jobsExecutorWithOverrides serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com",
      "europe-west1/playclips roles/run.viewer serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com",
    ]
    error_message = "On the job only: run with overrides, and read the job and its executions."
  }
  assert {
    condition = [
      for b in [google_project_iam_member.operation_reader, google_project_iam_member.log_writer] : "${b.project} ${b.role} ${b.member}"
      ] == [
      "playclips-test projects/playclips-test/roles/playclips_run_operation_reader serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com",
      "playclips-test roles/logging.logWriter serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com",
    ]
    error_message = "On the project: poll Cloud Run operations and write logs, nothing else."
  }
  assert {
    condition = [
      for b in [google_storage_bucket_iam_member.games_writer, google_storage_bucket_iam_member.summary_reader] :
      "${b.bucket} ${b.role} ${b.member} ${b.condition[0].expression}"
      ] == [
      "playclips-test-training roles/storage.objectUser serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com resource.name.startsWith(\"projects/_/buckets/playclips-test-training/objects/runs/\")",
      "playclips-test-training roles/storage.objectViewer serviceAccount:playclips-workflow@playclips-test.iam.gserviceaccount.com resource.name.startsWith(\"projects/_/buckets/playclips-test-training/objects/datasets/\")",
    ]
    error_message = "On the training bucket: write (and replace) below runs/, read below datasets/, nothing else."
  }
  assert {
    condition     = alltrue([for b in [google_storage_bucket_iam_member.games_writer, google_storage_bucket_iam_member.summary_reader] : b.condition[0].title != ""])
    error_message = "Each IAM condition has a title."
  }
  assert {
    condition     = google_project_iam_custom_role.operation_reader.permissions == toset(["run.operations.get"])
    error_message = "The custom role holds run.operations.get and nothing else."
  }
}

run "call_log_level_is_settable" {
  command = plan
  variables {
    call_log_level = "LOG_ALL_CALLS"
  }
  assert {
    condition     = google_workflows_workflow.this.call_log_level == "LOG_ALL_CALLS"
    error_message = "call_log_level follows the variable."
  }
}

run "rejects_an_unknown_call_log_level" {
  command = plan
  variables {
    call_log_level = "LOG_EVERYTHING"
  }
  expect_failures = [var.call_log_level]
}
