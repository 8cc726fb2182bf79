mock_provider "google" {}

variables {
  project_id = "playclips-test"
}

run "enables_the_pipeline_apis_and_never_disables_them" {
  command = plan

  assert {
    condition = toset(keys(google_project_service.this)) == toset([
      "artifactregistry.googleapis.com", "cloudresourcemanager.googleapis.com", "iam.googleapis.com",
      "iamcredentials.googleapis.com", "logging.googleapis.com", "run.googleapis.com",
      "secretmanager.googleapis.com", "storage.googleapis.com", "sts.googleapis.com",
      "workflowexecutions.googleapis.com", "workflows.googleapis.com",
    ])
    error_message = "The pipeline's APIs are enabled."
  }
  assert {
    condition     = alltrue([for s in google_project_service.this : s.disable_on_destroy == false && s.project == "playclips-test"])
    error_message = "Destroying playclips never disables an API."
  }
}

run "rejects_a_service_that_is_not_an_api" {
  command = plan
  variables {
    services = ["run"]
  }
  expect_failures = [var.services]
}
