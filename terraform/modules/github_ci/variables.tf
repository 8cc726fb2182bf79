variable "buckets" {
  description = "The pipeline's buckets (video, training): the deployer reads their configuration when a release refreshes the state."
  type = object({
    training = string
    video    = string
  })
  nullable = false
}

variable "deployer_name" {
  description = "Service account id of the release deployer."
  type        = string
  default     = "playclips-deployer"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.deployer_name))
    error_message = "deployer_name needs 6-30 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "github" {
  description = "Who may deploy: the GitHub repository (owner/name, for names and descriptions) and its numeric id (what federation checks: `gh api repos/OWNER/NAME --jq .id`), and optionally the only refs (refs/heads/main; a trailing '*' matches any rest, as in refs/tags/v*) and deployment environments allowed. Each list that is set must match."
  type = object({
    environments  = optional(list(string), [])
    refs          = optional(list(string), [])
    repository    = string
    repository_id = string
  })
  nullable = false
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github.repository))
    error_message = "github.repository must be OWNER/NAME, as GitHub writes it."
  }
  validation {
    condition     = can(regex("^[1-9][0-9]*$", var.github.repository_id))
    error_message = "github.repository_id is the repository's numeric id, as a string: gh api repos/OWNER/NAME --jq .id"
  }
  validation {
    condition     = alltrue([for ref in var.github.refs : startswith(ref, "refs/") && !strcontains(trimsuffix(ref, "*"), "*")])
    error_message = "github.refs are full refs such as refs/heads/main or refs/tags/v1.0.0, with '*' only at the end (refs/tags/v*)."
  }
  validation {
    condition     = alltrue([for value in concat(var.github.refs, var.github.environments) : !strcontains(value, "'")])
    error_message = "Refs and environment names cannot contain a single quote."
  }
}

variable "job" {
  description = "The Cloud Run job a release updates, and the id of the service account it runs as (projects/P/serviceAccounts/EMAIL)."
  type = object({
    location           = string
    name               = string
    service_account_id = string
  })
  nullable = false
}

variable "project_id" {
  description = "Project that owns the repository, the identity pool and the deployer."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the Artifact Registry repository (images pull fastest from the job's region)."
  type        = string
  nullable    = false
}

variable "repository" {
  description = "The Docker repository: its id, how many recent image versions cleanup always keeps, and after how many days untagged versions are deleted."
  type = object({
    id                    = optional(string, "playclips")
    keep_recent           = optional(number, 10)
    untagged_max_age_days = optional(number, 14)
  })
  default  = {}
  nullable = false
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository.id))
    error_message = "repository.id needs lowercase letters, digits or '-', starting with a letter."
  }
  validation {
    condition     = var.repository.keep_recent >= 1 && var.repository.untagged_max_age_days >= 1
    error_message = "Keep at least one recent version, and keep untagged versions at least one day."
  }
}

variable "state_bucket" {
  description = "The GCS bucket holding this environment's Terraform state (created out of band, README)."
  type        = string
  nullable    = false
}

variable "workload_identity" {
  description = "Ids of the Workload Identity pool and of its GitHub OIDC provider."
  type = object({
    pool_id     = optional(string, "github")
    provider_id = optional(string, "github-actions")
  })
  default  = {}
  nullable = false
  validation {
    condition = alltrue([
      for id in [var.workload_identity.pool_id, var.workload_identity.provider_id] :
      can(regex("^[a-z0-9-]{4,32}$", id)) && !startswith(id, "gcp-")
    ])
    error_message = "Pool and provider ids need 4-32 lowercase letters, digits or '-', and cannot start with 'gcp-'."
  }
}
