# Releases from GitHub Actions: the image repository, keyless federation for the repository's
# workflows, and the deployer identity they impersonate. README.md has the matrix.
locals {
  attribute_condition = join(" && ", compact([
    "assertion.repository == '${var.github.repository}'",
    length(var.github.refs) == 0 ? "" : "assertion.ref in [${join(", ", [for ref in var.github.refs : "'${ref}'"])}]",
    length(var.github.environments) == 0 ? "" : "assertion.environment in [${join(", ", [for env in var.github.environments : "'${env}'"])}]",
  ]))
}

resource "google_artifact_registry_repository" "this" {
  # checkov:skip=CKV_GCP_84: images hold no secrets; Google-managed encryption, no KMS key to run and pay for.
  project       = var.project_id
  location      = var.region
  repository_id = var.repository.id
  format        = "DOCKER"
  description   = "playclips job images, pushed by releases and pulled by digest."

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.repository.keep_recent
    }
  }
  cleanup_policies {
    id     = "delete-old-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "${var.repository.untagged_max_age_days * 86400}s"
    }
  }
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = var.workload_identity.pool_id
  display_name              = "GitHub Actions"
  description               = "Federates GitHub Actions runs of ${var.github.repository}."
}

resource "google_iam_workload_identity_pool_provider" "github" {
  # checkov:skip=CKV_GCP_125: the condition pins assertion.repository (Google's documented form; refs/environments optional); this check only parses assertion.sub equality.
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = var.workload_identity.provider_id
  display_name                       = "GitHub OIDC"
  # Without a condition any GitHub repository could mint tokens in this pool.
  attribute_condition = local.attribute_condition
  attribute_mapping = {
    "google.subject"             = "assertion.sub"
    "attribute.repository"       = "assertion.repository"
    "attribute.repository_owner" = "assertion.repository_owner"
    "attribute.ref"              = "assertion.ref"
  }
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}
