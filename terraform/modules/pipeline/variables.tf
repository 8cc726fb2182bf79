variable "call_log_level" {
  description = "Which calls the workflow logs: LOG_ALL_CALLS, LOG_ERRORS_ONLY or LOG_NONE."
  type        = string
  default     = "LOG_ERRORS_ONLY"
  nullable    = false
  validation {
    condition     = contains(["LOG_ALL_CALLS", "LOG_ERRORS_ONLY", "LOG_NONE"], var.call_log_level)
    error_message = "call_log_level must be LOG_ALL_CALLS, LOG_ERRORS_ONLY or LOG_NONE."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the workflow on destroy or replace."
  type        = bool
  default     = true
  nullable    = false
}

variable "job" {
  description = "The Cloud Run job the workflow runs: name and region (the workflow may run it with overrides, and only it)."
  type = object({
    location = string
    name     = string
  })
  nullable = false
}

variable "labels" {
  description = "Labels on the workflow."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "name" {
  description = "Workflow name; its service account is named after it."
  type        = string
  default     = "playclips"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name))
    error_message = "The workflow name needs 2-20 lowercase letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "project_id" {
  description = "Project that owns the workflow."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the workflow."
  type        = string
  nullable    = false
}

variable "source_contents" {
  description = "The workflow definition (YAML). Envs pass file(\".../workflows/clip_pipeline.workflows.yaml\")."
  type        = string
  nullable    = false
  validation {
    condition     = trimspace(var.source_contents) != "" && length(var.source_contents) <= 131072
    error_message = "source_contents must be a non-empty workflow definition of at most 128 KB."
  }
}

variable "training_bucket" {
  description = "Name of the training bucket, handed to the workflow as PLAYCLIPS_TRAINING_BUCKET; the workflow writes runs/ and reads datasets/ there."
  type        = string
  nullable    = false
}
