# Pass-through: types only. modules/playclips documents, defaults and validates every one; a
# null reaching one of its non-nullable variables takes the module's default. The two objects
# are checked for misspelt keys here, which the conversion to the module's types would drop.

variable "deletion_protection" {
  description = "Protect the job, workflow and secret from deletion (module default: true)."
  type        = bool
  default     = null
}

variable "env" {
  description = "Environment name: dev or prod."
  type        = string
}

variable "github" {
  description = "Who may release: {repository, repository_id, refs, environments}."
  type        = any
  # Converting to the module's object type would drop a misspelt key silently (and with it,
  # say, the environment restriction): refuse it here.
  validation {
    condition     = alltrue([for key in keys(var.github) : contains(["environments", "refs", "repository", "repository_id"], key)])
    error_message = "github takes only repository, repository_id, refs and environments: check the spelling in settings.auto.tfvars."
  }
}

variable "job" {
  description = "Clip job sizing: {cpu, memory, task_timeout, max_retries, parallelism, scratch_disk}."
  type        = any
  default     = null
  validation {
    condition     = var.job == null || alltrue([for key in try(keys(var.job), ["not a map"]) : contains(["cpu", "max_retries", "memory", "parallelism", "scratch_disk", "task_timeout"], key)])
    error_message = "job takes only cpu, memory, task_timeout, max_retries, parallelism and scratch_disk: check the spelling in settings.auto.tfvars."
  }
}

variable "job_image" {
  description = "Set by a release (and the first apply) only: the image to deploy. Null keeps the running image."
  type        = string
  default     = null
}

variable "labels" {
  description = "Extra labels on everything that takes labels."
  type        = map(string)
  default     = null
}

variable "location" {
  description = "Bucket location (module default: the region)."
  type        = string
  default     = null
}

variable "project_id" {
  description = "This environment's project."
  type        = string
}

variable "region" {
  description = "Region of the job, workflow and image repository."
  type        = string
}

variable "state_bucket" {
  description = "The bucket holding this root's state."
  type        = string
}

variable "supabase_service_key" {
  description = "Optional write-only path for the Supabase key (TF_VAR_supabase_service_key); see modules/playclips."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "supabase_service_key_version" {
  description = "With supabase_service_key: 1, then bumped per new value."
  type        = number
  default     = null
}

variable "supabase_url" {
  description = "Supabase project URL."
  type        = string
}

variable "workflow_call_log_level" {
  description = "LOG_ALL_CALLS, LOG_ERRORS_ONLY or LOG_NONE (module default: LOG_ERRORS_ONLY)."
  type        = string
  default     = null
}
