# The whole environment wired end to end, planned against the mock provider: what the job, the
# workflow and the outputs receive from each other, and the deploy contract for the image.
mock_provider "google" {
  override_during = plan
  mock_resource "google_iam_workload_identity_pool_provider" {
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
    }
  }
  mock_resource "google_workflows_workflow" {
    defaults = {
      id = "projects/playclips-test/locations/europe-west1/workflows/playclips"
    }
  }
}

# The job as it runs now, for the runs that read it back (no job_image given).
override_data {
  target = data.google_cloud_run_v2_job.running
  values = {
    template = [{ template = [{ containers = [{ image = "europe-west1-docker.pkg.dev/playclips-test/playclips/playclips@sha256:1111111111111111111111111111111111111111111111111111111111111111" }] }] }]
  }
}

variables {
  env          = "test"
  project_id   = "playclips-test"
  region       = "europe-west1"
  state_bucket = "playclips-test-tfstate"
  supabase_url = "https://example.supabase.co"
  github       = { repository = "example-org/playclips", repository_id = "987654321" }
}

run "wiring" {
  command = plan
  variables {
    job_image = "us-docker.pkg.dev/cloudrun/container/job:latest"
  }

  assert {
    condition = local.job_env == {
      PLAYCLIPS_VIDEOS     = "gs://playclips-test-playclips-videos"
      PLAYCLIPS_OUT        = "gs://playclips-test-playclips-training"
      PLAYCLIPS_PLAYS      = "supabase"
      SUPABASE_URL         = "https://example.supabase.co"
      PLAYCLIPS_LOG_FORMAT = "json"
    }
    error_message = "The job gets the buckets, the plays source, the Supabase URL and JSON logs as plain env."
  }
  assert {
    condition     = local.labels == { app = "playclips", env = "test" }
    error_message = "Everything is labelled with the app and the env."
  }
  assert {
    condition     = output.video_bucket == "playclips-test-playclips-videos" && output.training_bucket == "playclips-test-playclips-training"
    error_message = "Bucket outputs are the bucket names."
  }
  assert {
    condition     = output.artifact_registry_repository_url == "europe-west1-docker.pkg.dev/playclips-test/playclips"
    error_message = "The repository URL is REGION-docker.pkg.dev/PROJECT/playclips."
  }
  assert {
    condition     = output.job_name == "playclips" && output.workflow_name == "playclips" && output.project_id == "playclips-test" && output.region == "europe-west1"
    error_message = "Names, project and region outputs."
  }
  assert {
    condition     = output.workflow_id == "projects/playclips-test/locations/europe-west1/workflows/playclips"
    error_message = "workflow_id is the workflow's full resource id."
  }
  assert {
    condition     = output.supabase_url == "https://example.supabase.co"
    error_message = "supabase_url is var.supabase_url."
  }
  assert {
    condition     = jsondecode(output.wif_github) == { environments = [], refs = [], repository = "example-org/playclips", repository_id = "987654321" }
    error_message = "wif_github is var.github as JSON, optional lists included."
  }
  assert {
    condition     = output.wif_provider == "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
    error_message = "wif_provider is the provider's full resource name."
  }
  assert {
    condition     = var.job.scratch_disk == null
    error_message = "No scratch disk unless asked for: copy mode needs none, and disk counts against the region's quota."
  }
}

# Deploy contract: a release names the image; nothing reads the live job.
run "a_release_deploys_the_image_it_names" {
  command = plan
  variables {
    job_image = "europe-west1-docker.pkg.dev/playclips-test/playclips/playclips@sha256:2222222222222222222222222222222222222222222222222222222222222222"
  }

  assert {
    condition     = local.job_image == var.job_image
    error_message = "The job runs the image the release passed."
  }
  assert {
    condition     = length(data.google_cloud_run_v2_job.running) == 0
    error_message = "A release does not read the running job."
  }
}

# Deploy contract: any other apply keeps the image the job runs now.
run "an_admin_apply_keeps_the_running_image" {
  command = plan

  assert {
    condition     = length(data.google_cloud_run_v2_job.running) == 1 && data.google_cloud_run_v2_job.running[0].name == "playclips" && data.google_cloud_run_v2_job.running[0].location == "europe-west1"
    error_message = "Without job_image the composition reads the live job, by name and region."
  }
  assert {
    condition     = local.job_image == "europe-west1-docker.pkg.dev/playclips-test/playclips/playclips@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    error_message = "Without job_image the job keeps the image it runs."
  }
}

run "the_key_can_be_written_through_the_write_only_argument" {
  command = plan
  variables {
    job_image                    = "us-docker.pkg.dev/cloudrun/container/job:latest"
    supabase_service_key         = "not-a-real-key"
    supabase_service_key_version = 1
  }

  assert {
    condition     = output.job_name == "playclips"
    error_message = "The key travels through the env root to the secrets module without reaching any output."
  }
}

run "rejects_an_image_that_is_no_reference" {
  command = plan
  variables {
    job_image = "playclips latest"
  }
  expect_failures = [var.job_image]
}

run "rejects_a_fractional_key_version" {
  command = plan
  variables {
    job_image                    = "us-docker.pkg.dev/cloudrun/container/job:latest"
    supabase_service_key_version = 1.5
  }
  expect_failures = [var.supabase_service_key_version]
}
