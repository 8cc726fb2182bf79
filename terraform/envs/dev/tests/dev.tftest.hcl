# The dev root wired end to end, planned against the mock provider: what the job, the workflow
# and the outputs receive from each other.
mock_provider "google" {
  override_during = plan
  mock_resource "google_iam_workload_identity_pool_provider" {
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
    }
  }
  mock_resource "google_workflows_workflow" {
    defaults = {
      id = "projects/playclips-dev-test/locations/europe-west1/workflows/playclips"
    }
  }
}

variables {
  project_id   = "playclips-dev-test"
  region       = "europe-west1"
  state_bucket = "playclips-dev-test-tfstate"
  supabase_url = "https://example.supabase.co"
  github       = { repository = "example-org/playclips" }
  job_image    = "us-docker.pkg.dev/cloudrun/container/job:latest"
}

run "wiring" {
  command = plan

  assert {
    condition = local.job_env == {
      PLAYCLIPS_VIDEOS     = "gs://playclips-dev-test-playclips-videos"
      PLAYCLIPS_OUT        = "gs://playclips-dev-test-playclips-training"
      PLAYCLIPS_PLAYS      = "supabase"
      SUPABASE_URL         = "https://example.supabase.co"
      PLAYCLIPS_LOG_FORMAT = "json"
    }
    error_message = "The job gets the buckets, the plays source, the Supabase URL and JSON logs as plain env."
  }
  assert {
    condition     = output.video_bucket == "playclips-dev-test-playclips-videos" && output.training_bucket == "playclips-dev-test-playclips-training"
    error_message = "Bucket outputs are the bucket names."
  }
  assert {
    condition     = output.artifact_registry_repository_url == "europe-west1-docker.pkg.dev/playclips-dev-test/playclips"
    error_message = "The repository URL is REGION-docker.pkg.dev/PROJECT/playclips."
  }
  assert {
    condition     = output.job_name == "playclips" && output.workflow_name == "playclips" && output.project_id == "playclips-dev-test" && output.region == "europe-west1"
    error_message = "Names, project and region outputs."
  }
  assert {
    condition     = output.workflow_id == "projects/playclips-dev-test/locations/europe-west1/workflows/playclips"
    error_message = "workflow_id is the workflow's full resource id."
  }
  assert {
    condition     = output.supabase_url == "https://example.supabase.co"
    error_message = "supabase_url is var.supabase_url (the release reads it back as TF_VAR_supabase_url)."
  }
  assert {
    condition     = jsondecode(output.wif_github) == { environments = [], refs = [], repository = "example-org/playclips" }
    error_message = "wif_github is var.github as JSON, optional lists included (the release reads it back as TF_VAR_github)."
  }
  assert {
    condition     = output.wif_provider == "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
    error_message = "wif_provider is the provider's full resource name."
  }
}
