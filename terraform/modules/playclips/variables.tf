variable "deletion_protection" {
  description = "Protect the job, workflow and secret from deletion."
  type        = bool
  default     = true
  nullable    = false
}

variable "env" {
  description = "Environment name (dev, prod): the `env` label on everything."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.env))
    error_message = "env needs 1-20 lowercase letters, digits or '-', starting with a letter, such as dev or prod."
  }
}

variable "github" {
  description = "Who may release: {repository, repository_id, refs, environments}, handed unchanged to modules/github_ci, whose `github` input types, defaults and validates it."
  # Typed once, where it is used: a copy of github_ci's object type here would have to follow
  # every change to it.
  type     = any
  nullable = false
}

variable "job" {
  description = "Clip job sizing: vCPUs, memory, task timeout, retries, parallelism, optional scratch disk (none by default: copy mode needs none, and every GiB counts against the region's ephemeral-disk quota)."
  type = object({
    cpu          = optional(number, 2)
    max_retries  = optional(number, 3)
    memory       = optional(string, "4Gi")
    parallelism  = optional(number, 0)
    scratch_disk = optional(object({ size_limit = string, mount_path = optional(string, "/scratch") }))
    task_timeout = optional(string, "3600s")
  })
  default  = {}
  nullable = false
}

variable "job_image" {
  description = "The image to deploy, by digest (REGION-docker.pkg.dev/PROJECT/REPO/playclips@sha256:...): only releases and the first apply set it. Null keeps the image the job runs now, read from the live job."
  type        = string
  default     = null
  validation {
    condition     = var.job_image == null || can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^ ]+$", var.job_image))
    error_message = "job_image must be an image reference such as REGION-docker.pkg.dev/PROJECT/REPO/playclips@sha256:..., or null to keep the running image."
  }
}

variable "labels" {
  description = "Labels on everything that takes labels."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "location" {
  description = "Bucket location; null keeps the buckets in var.region (same-region reads are free)."
  type        = string
  default     = null
}

variable "project_id" {
  description = "The Google Cloud project of this environment (one project per environment: bucket, job and account names would collide)."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the job, workflow and image repository."
  type        = string
  nullable    = false
}

variable "state_bucket" {
  description = "The bucket holding this environment's state (same as -backend-config=bucket=...); the deployer gets object access to it."
  type        = string
  nullable    = false
}

variable "supabase_service_key" {
  description = "Optional: the Supabase service key, written as a secret version through the write-only secret_data_wo (never in plan or state). Needs supabase_service_key_version, and then the key at every plan (the provider requires the value while the version is in the configuration). The default path adds the version out of band instead (make bootstrap)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "supabase_service_key_version" {
  description = "With supabase_service_key: 1 for the first value, bumped to write a new one. Null: Terraform writes no version."
  type        = number
  default     = null
  validation {
    condition     = var.supabase_service_key_version == null || try(var.supabase_service_key_version >= 1 && floor(var.supabase_service_key_version) == var.supabase_service_key_version, false)
    error_message = "supabase_service_key_version is a whole number from 1 (or null: no version written by Terraform)."
  }
}

variable "supabase_url" {
  description = "Supabase project URL, such as https://PROJECT.supabase.co."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^https://", var.supabase_url))
    error_message = "supabase_url must be an https:// URL."
  }
}

variable "workflow_call_log_level" {
  description = "Workflow call logging: LOG_ALL_CALLS, LOG_ERRORS_ONLY or LOG_NONE."
  type        = string
  default     = "LOG_ERRORS_ONLY"
  nullable    = false
}
