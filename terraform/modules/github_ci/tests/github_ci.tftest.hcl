mock_provider "google" {
  override_during = plan
  mock_resource "google_service_account" {
    defaults = {
      email  = "playclips-deployer@playclips-test.iam.gserviceaccount.com"
      member = "serviceAccount:playclips-deployer@playclips-test.iam.gserviceaccount.com"
      id     = "projects/playclips-test/serviceAccounts/playclips-deployer@playclips-test.iam.gserviceaccount.com"
    }
  }
  mock_resource "google_iam_workload_identity_pool" {
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github"
    }
  }
  mock_resource "google_iam_workload_identity_pool_provider" {
    defaults = {
      name = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
    }
  }
}

variables {
  project_id   = "playclips-test"
  region       = "europe-west1"
  github       = { repository = "example-org/playclips", repository_id = "987654321" }
  buckets      = { video = "playclips-test-videos", training = "playclips-test-training" }
  state_bucket = "playclips-test-tfstate"
  job = {
    name               = "playclips"
    location           = "europe-west1"
    service_account_id = "projects/playclips-test/serviceAccounts/playclips-job@playclips-test.iam.gserviceaccount.com"
  }
}

run "repository_and_cleanup" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository.this.format == "DOCKER" && google_artifact_registry_repository.this.repository_id == "playclips" && google_artifact_registry_repository.this.location == "europe-west1"
    error_message = "A Docker repository named playclips in var.region."
  }
  assert {
    condition     = output.repository_url == "europe-west1-docker.pkg.dev/playclips-test/playclips"
    error_message = "The repository URL is REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  }
  assert {
    condition = toset([
      for p in google_artifact_registry_repository.this.cleanup_policies :
      "${p.id} ${p.action} ${try(p.most_recent_versions[0].keep_count, "")} ${try(p.condition[0].tag_state, "")} ${try(p.condition[0].older_than, "")}"
      ]) == toset([
      "keep-recent KEEP 10  ",
      "delete-old-untagged DELETE  UNTAGGED 1209600s",
    ])
    error_message = "Cleanup keeps the 10 most recent versions and deletes untagged ones after 14 days."
  }
  assert {
    condition     = google_artifact_registry_repository.this.cleanup_policy_dry_run == false
    error_message = "Cleanup really deletes."
  }
}

run "federation_is_limited_to_the_repository" {
  command = plan

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository_id == '987654321'"
    error_message = "Only the one repository's workflows, by numeric id, can exchange tokens."
  }
  assert {
    condition     = google_iam_workload_identity_pool_provider.github.oidc[0].issuer_uri == "https://token.actions.githubusercontent.com"
    error_message = "Tokens come from GitHub Actions."
  }
  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_mapping["google.subject"] == "assertion.sub" && google_iam_workload_identity_pool_provider.github.attribute_mapping["attribute.repository_id"] == "assertion.repository_id"
    error_message = "The subject and repository id are mapped."
  }
  assert {
    condition = (
      google_service_account_iam_member.deployer_federation.role == "roles/iam.workloadIdentityUser" &&
      google_service_account_iam_member.deployer_federation.member == "principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/attribute.repository_id/987654321"
    )
    error_message = "Only the repository's principal set may impersonate the deployer."
  }
  assert {
    condition     = output.wif_provider == "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
    error_message = "wif_provider is the provider's full resource name."
  }
}

run "refs_and_environments_narrow_the_condition" {
  command = plan
  variables {
    github = { repository = "example-org/playclips", repository_id = "987654321", refs = ["refs/heads/main", "refs/tags/v1"], environments = ["prod"] }
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository_id == '987654321' && (assertion.ref in ['refs/heads/main', 'refs/tags/v1']) && assertion.environment in ['prod']"
    error_message = "Refs and environments are ANDed onto the repository condition."
  }
}

# Releases deploy prod from tags: a ref ending in '*' admits every tag it starts.
run "a_trailing_star_admits_release_tags" {
  command = plan
  variables {
    github = { repository = "example-org/playclips", repository_id = "987654321", refs = ["refs/tags/v*"], environments = ["prod"] }
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository_id == '987654321' && assertion.ref.startsWith('refs/tags/v') && assertion.environment in ['prod']"
    error_message = "refs/tags/v* becomes a prefix test on the token's ref."
  }
}

run "exact_refs_and_prefixes_combine_with_or" {
  command = plan
  variables {
    github = { repository = "example-org/playclips", repository_id = "987654321", refs = ["refs/heads/main", "refs/tags/v*"] }
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository_id == '987654321' && (assertion.ref in ['refs/heads/main'] || assertion.ref.startsWith('refs/tags/v'))"
    error_message = "Any listed ref may release, and only those."
  }
}

run "rejects_a_star_inside_a_ref" {
  command = plan
  variables {
    github = { repository = "example-org/playclips", repository_id = "987654321", refs = ["refs/*/main"] }
  }
  expect_failures = [var.github]
}

run "rejects_a_repository_name_as_id" {
  command = plan
  variables {
    github = { repository = "example-org/playclips", repository_id = "example-org/playclips" }
  }
  expect_failures = [var.github]
}

run "least_privilege" {
  command = plan

  assert {
    condition = toset([for b in google_project_iam_member.deployer_read : "${b.project} ${b.role} ${b.member}"]) == toset([
      for role in [
        "roles/iam.securityReviewer", "roles/iam.serviceAccountViewer", "roles/iam.workloadIdentityPoolViewer",
        "roles/run.viewer", "roles/secretmanager.viewer", "roles/serviceusage.serviceUsageViewer", "roles/workflows.viewer",
      ] : "playclips-test ${role} serviceAccount:playclips-deployer@playclips-test.iam.gserviceaccount.com"
    ])
    error_message = "Project-wide, the deployer only reads (what a refresh of the env root needs)."
  }
  assert {
    condition = toset([
      for b in concat(values(google_storage_bucket_iam_member.deployer_bucket_read), [google_storage_bucket_iam_member.deployer_state]) : "${b.bucket} ${b.role}"
      ]) == toset([
      "playclips-test-videos roles/storage.legacyBucketReader",
      "playclips-test-training roles/storage.legacyBucketReader",
      "playclips-test-tfstate roles/storage.objectAdmin",
    ])
    error_message = "Buckets: read the pipeline's bucket configuration; read and write only the state bucket's objects."
  }
  assert {
    condition     = google_artifact_registry_repository_iam_member.deployer_push.role == "roles/artifactregistry.writer"
    error_message = "The deployer pushes to the one repository."
  }
  assert {
    condition = (
      google_cloud_run_v2_job_iam_member.deployer_job.role == "roles/run.developer" &&
      google_cloud_run_v2_job_iam_member.deployer_job.name == "playclips" &&
      google_cloud_run_v2_job_iam_member.deployer_job.location == "europe-west1"
    )
    error_message = "The deployer updates the one job."
  }
  assert {
    condition = (
      google_service_account_iam_member.deployer_acts_as_job.role == "roles/iam.serviceAccountUser" &&
      google_service_account_iam_member.deployer_acts_as_job.service_account_id == var.job.service_account_id
    )
    error_message = "The deployer may act as the job's service account, and no other."
  }
}

run "rejects_a_repository_without_owner" {
  command = plan
  variables {
    github = { repository = "playclips", repository_id = "987654321" }
  }
  expect_failures = [var.github]
}
