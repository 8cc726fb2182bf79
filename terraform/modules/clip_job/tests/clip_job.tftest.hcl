mock_provider "google" {
  override_during = plan
  mock_resource "google_service_account" {
    defaults = {
      email  = "playclips-job@playclips-test.iam.gserviceaccount.com"
      member = "serviceAccount:playclips-job@playclips-test.iam.gserviceaccount.com"
      id     = "projects/playclips-test/serviceAccounts/playclips-job@playclips-test.iam.gserviceaccount.com"
    }
  }
}

variables {
  project_id      = "playclips-test"
  region          = "europe-west1"
  buckets         = { video = "playclips-test-videos", training = "playclips-test-training" }
  supabase_secret = { id = "projects/playclips-test/secrets/supabase-service-key" }
  container = {
    image = "europe-west1-docker.pkg.dev/playclips-test/playclips/playclips@sha256:0123"
    env = {
      PLAYCLIPS_VIDEOS = "gs://playclips-test-videos"
      PLAYCLIPS_OUT    = "gs://playclips-test-training"
    }
  }
}

run "job_defaults" {
  command = plan

  assert {
    condition     = google_cloud_run_v2_job.this.name == "playclips" && google_cloud_run_v2_job.this.location == "europe-west1"
    error_message = "The job is named playclips and lives in var.region."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.deletion_protection == true
    error_message = "Deletion protection is on by default."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].containers[0].resources[0].limits == tomap({ cpu = "2", memory = "4Gi" })
    error_message = "Default resources are 2 vCPU and 4Gi."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].timeout == "3600s" && google_cloud_run_v2_job.this.template[0].template[0].max_retries == 3
    error_message = "Default task timeout is 3600s with 3 retries."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].parallelism == 0
    error_message = "Parallelism defaults to 0 (Cloud Run decides)."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].execution_environment == "EXECUTION_ENVIRONMENT_GEN2"
    error_message = "The job runs in the second-generation execution environment."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].service_account == "playclips-job@playclips-test.iam.gserviceaccount.com"
    error_message = "The job runs as its own service account."
  }
  assert {
    condition = (
      google_cloud_run_v2_job.this.template[0].template[0].containers[0].name == "playclips" &&
      google_cloud_run_v2_job.this.template[0].template[0].containers[0].image == var.container.image &&
      google_cloud_run_v2_job.this.template[0].template[0].containers[0].args == tolist(["run"])
    )
    error_message = "The container is named playclips (the workflow's overrides use the name), runs the given image with args [run]."
  }
  assert {
    condition     = length(google_cloud_run_v2_job.this.template[0].template[0].volumes) == 0 && length(google_cloud_run_v2_job.this.template[0].template[0].containers[0].volume_mounts) == 0
    error_message = "No scratch disk unless asked for."
  }
}

run "env_and_secret_reference" {
  command = plan

  assert {
    condition = {
      for e in google_cloud_run_v2_job.this.template[0].template[0].containers[0].env : e.name => e.value if e.value != null
      } == {
      PLAYCLIPS_VIDEOS = "gs://playclips-test-videos"
      PLAYCLIPS_OUT    = "gs://playclips-test-training"
    }
    error_message = "Plain env vars are exactly var.container.env."
  }
  assert {
    condition = one([
      for e in google_cloud_run_v2_job.this.template[0].template[0].containers[0].env : e.value_source[0].secret_key_ref[0]
      if e.name == "SUPABASE_SERVICE_KEY"
    ]) == { secret = "projects/playclips-test/secrets/supabase-service-key", version = "latest" }
    error_message = "SUPABASE_SERVICE_KEY comes from the secret's latest version."
  }
  assert {
    condition = one([
      for e in google_cloud_run_v2_job.this.template[0].template[0].containers[0].env : e.value if e.name == "SUPABASE_SERVICE_KEY"
    ]) == null
    error_message = "SUPABASE_SERVICE_KEY never has a plain value."
  }
}

run "least_privilege" {
  command = plan

  assert {
    condition = [
      for b in [
        google_storage_bucket_iam_member.video_reader,
        google_storage_bucket_iam_member.training_reader,
        google_storage_bucket_iam_member.training_writer,
      ] : "${b.bucket} ${b.role} ${b.member}"
      ] == [
      "playclips-test-videos roles/storage.objectViewer serviceAccount:playclips-job@playclips-test.iam.gserviceaccount.com",
      "playclips-test-training roles/storage.objectViewer serviceAccount:playclips-job@playclips-test.iam.gserviceaccount.com",
      "playclips-test-training roles/storage.objectUser serviceAccount:playclips-job@playclips-test.iam.gserviceaccount.com",
    ]
    error_message = "The job reads the video bucket, reads the training bucket and writes (create, replace) in it, nothing more."
  }
  assert {
    condition     = length(google_storage_bucket_iam_member.video_reader.condition) == 0 && length(google_storage_bucket_iam_member.training_reader.condition) == 0
    error_message = "Reading is unconditional: storage.objects.list is checked on the bucket, where no object-name condition can match."
  }
  assert {
    condition = google_storage_bucket_iam_member.training_writer.condition[0].expression == join(" || ", [
      "resource.name.startsWith(\"projects/_/buckets/playclips-test-training/objects/clips/\")",
      "resource.name.startsWith(\"projects/_/buckets/playclips-test-training/objects/manifests/\")",
      "resource.name.startsWith(\"projects/_/buckets/playclips-test-training/objects/reports/\")",
      "resource.name.startsWith(\"projects/_/buckets/playclips-test-training/objects/datasets/\")",
    ])
    error_message = "objectUser (create and delete, so the job can replace) holds only below clips/, manifests/, reports/ and datasets/ of the training bucket; runs/ and the rest stay read-only."
  }
  assert {
    condition     = google_storage_bucket_iam_member.training_writer.condition[0].title != ""
    error_message = "An IAM condition needs a title."
  }
  assert {
    condition     = !anytrue([for p in local.writable_prefixes : !endswith(p, "/") || startswith(p, "/")])
    error_message = "Each writable prefix ends with '/' (so clips/ does not match clips-x/) and is relative to the bucket root."
  }
  assert {
    condition = (
      google_secret_manager_secret_iam_member.supabase_accessor.secret_id == "projects/playclips-test/secrets/supabase-service-key" &&
      google_secret_manager_secret_iam_member.supabase_accessor.role == "roles/secretmanager.secretAccessor" &&
      google_secret_manager_secret_iam_member.supabase_accessor.member == "serviceAccount:playclips-job@playclips-test.iam.gserviceaccount.com"
    )
    error_message = "The job accesses the one Supabase secret."
  }
}

run "scratch_disk_when_asked" {
  command = plan
  variables {
    scratch_disk = { size_limit = "10Gi" }
    resources    = { cpu = 4, memory = "16Gi" }
    execution    = { task_timeout = "86400s", max_retries = 0, parallelism = 5 }
  }

  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].volumes[0].empty_dir[0].medium == "DISK" && google_cloud_run_v2_job.this.template[0].template[0].volumes[0].empty_dir[0].size_limit == "10Gi"
    error_message = "The scratch volume is a 10Gi empty_dir on DISK."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].containers[0].volume_mounts[0].mount_path == "/scratch" && google_cloud_run_v2_job.this.template[0].template[0].containers[0].volume_mounts[0].name == google_cloud_run_v2_job.this.template[0].template[0].volumes[0].name
    error_message = "The scratch volume is mounted at /scratch."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.launch_stage == "BETA"
    error_message = "A disk-backed empty_dir asks for the BETA launch stage."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].containers[0].resources[0].limits == tomap({ cpu = "4", memory = "16Gi" })
    error_message = "Resources follow var.resources."
  }
  assert {
    condition     = google_cloud_run_v2_job.this.template[0].template[0].timeout == "86400s" && google_cloud_run_v2_job.this.template[0].template[0].max_retries == 0 && google_cloud_run_v2_job.this.template[0].parallelism == 5
    error_message = "Timeout, retries and parallelism follow var.execution."
  }
}

run "rejects_memory_outside_the_cpu_table" {
  command = plan
  variables {
    resources = { cpu = 1, memory = "8Gi" }
  }
  expect_failures = [var.resources]
}

run "rejects_too_little_memory_for_4_cpu" {
  command = plan
  variables {
    resources = { cpu = 4, memory = "1Gi" }
  }
  expect_failures = [var.resources]
}

run "rejects_an_odd_cpu_count" {
  command = plan
  variables {
    resources = { cpu = 3, memory = "4Gi" }
  }
  expect_failures = [var.resources]
}

run "rejects_too_many_retries" {
  command = plan
  variables {
    execution = { max_retries = 11 }
  }
  expect_failures = [var.execution]
}

run "rejects_a_timeout_over_168_hours" {
  command = plan
  variables {
    execution = { task_timeout = "604801s" }
  }
  expect_failures = [var.execution]
}

run "rejects_the_secret_as_a_plain_variable" {
  command = plan
  variables {
    container = { image = "x", env = { SUPABASE_SERVICE_KEY = "oops" } }
  }
  expect_failures = [var.container]
}
