# Releases from GitHub Actions: the image repository, keyless federation for the repository's
# workflows, and the deployer identity they impersonate. README.md has the matrix.
locals {
  # A ref ending in '*' admits every ref that starts with the rest (refs/tags/v* admits the
  # release tags); any other ref must match exactly.
  exact_refs   = [for ref in var.github.refs : ref if !endswith(ref, "*")]
  ref_prefixes = [for ref in var.github.refs : trimsuffix(ref, "*") if endswith(ref, "*")]
  ref_condition = join(" || ", concat(
    length(local.exact_refs) == 0 ? [] : ["assertion.ref in [${join(", ", [for ref in local.exact_refs : "'${ref}'"])}]"],
    [for prefix in local.ref_prefixes : "assertion.ref.startsWith('${prefix}')"],
  ))
  # The repository by its numeric id, not its name: a name can be renamed or deleted and then
  # taken by someone else; the id never moves to another repository.
  attribute_condition = join(" && ", compact([
    "assertion.repository_id == '${var.github.repository_id}'",
    length(var.github.refs) == 0 ? "" : (length(var.github.refs) == 1 ? local.ref_condition : "(${local.ref_condition})"),
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
  # checkov:skip=CKV_GCP_125: the condition pins assertion.repository_id (Google's recommended form; refs/environments optional); this check only parses assertion.sub equality.
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = var.workload_identity.provider_id
  display_name                       = "GitHub OIDC"
  # Without a condition any GitHub repository could mint tokens in this pool.
  attribute_condition = local.attribute_condition
  attribute_mapping = {
    "google.subject"             = "assertion.sub"
    "attribute.repository"       = "assertion.repository"
    "attribute.repository_id"    = "assertion.repository_id"
    "attribute.repository_owner" = "assertion.repository_owner"
    "attribute.ref"              = "assertion.ref"
  }
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}
