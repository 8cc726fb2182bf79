variable "deletion_protection" {
  description = "Protect the job, workflow and secret from deletion."
  type        = bool
  default     = true
  nullable    = false
}

variable "github" {
  description = "Who may release: the GitHub repository (OWNER/NAME) and optionally the refs and deployment environments allowed."
  type = object({
    environments = optional(list(string), [])
    refs         = optional(list(string), [])
    repository   = string
  })
  nullable = false
}

variable "job" {
  description = "Clip job sizing: vCPUs, memory, task timeout, retries, parallelism, optional scratch disk."
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
  description = "The job image, by digest: REGION-docker.pkg.dev/PROJECT/REPO/playclips@sha256:... (the release passes it). First apply: us-docker.pkg.dev/cloudrun/container/job:latest."
  type        = string
  nullable    = false
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
  description = "The Google Cloud project of this environment."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the job, workflow and image repository."
  type        = string
  nullable    = false
}

variable "state_bucket" {
  description = "The bucket holding this root's state (same as -backend-config=bucket=...); the deployer gets object access to it."
  type        = string
  nullable    = false
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
