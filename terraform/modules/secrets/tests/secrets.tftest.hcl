mock_provider "google" {}

variables {
  project_id = "playclips-test"
}

run "automatic_replication_no_value" {
  command = plan

  assert {
    condition     = google_secret_manager_secret.this.secret_id == "supabase-service-key"
    error_message = "The secret is named supabase-service-key by default."
  }
  assert {
    condition     = length(google_secret_manager_secret.this.replication[0].auto) == 1 && length(google_secret_manager_secret.this.replication[0].user_managed) == 0
    error_message = "Replication is automatic when no locations are given."
  }
  assert {
    condition     = length(google_secret_manager_secret_version.write_only) == 0
    error_message = "Terraform creates no version (and so holds no value) unless asked to."
  }
  assert {
    condition     = length(google_secret_manager_secret_iam_member.accessors) == 0
    error_message = "Nobody is granted access unless listed."
  }
}

run "user_managed_replication_and_accessors" {
  command = plan
  variables {
    replication_locations = ["europe-west1", "europe-west4"]
    accessors             = ["group:playclips-ops@example.com"]
  }

  assert {
    condition     = [for r in google_secret_manager_secret.this.replication[0].user_managed[0].replicas : r.location] == ["europe-west1", "europe-west4"]
    error_message = "User-managed replication keeps the secret in the listed regions."
  }
  assert {
    condition     = length(google_secret_manager_secret.this.replication[0].auto) == 0
    error_message = "Automatic replication is off when locations are given."
  }
  assert {
    condition = (
      google_secret_manager_secret_iam_member.accessors["group:playclips-ops@example.com"].role == "roles/secretmanager.secretAccessor" &&
      google_secret_manager_secret_iam_member.accessors["group:playclips-ops@example.com"].secret_id == "supabase-service-key"
    )
    error_message = "Each accessor gets secretAccessor on this secret only."
  }
}

run "write_only_first_value" {
  command = plan
  variables {
    secret_data_wo         = "not-a-real-key"
    secret_data_wo_version = 1
  }

  assert {
    condition     = google_secret_manager_secret_version.write_only[0].secret_data_wo_version == "1" && google_secret_manager_secret_version.write_only[0].secret_data == null
    error_message = "The value goes through the write-only argument, never secret_data."
  }
}

run "rejects_a_malformed_accessor" {
  command = plan
  variables {
    accessors = ["playclips-ops@example.com"]
  }
  expect_failures = [var.accessors]
}
