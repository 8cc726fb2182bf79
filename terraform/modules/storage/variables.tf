variable "labels" {
  description = "Labels set on both buckets (a `bucket` label naming its role is added)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "lifecycle_days" {
  description = "Days after which unfinished multipart uploads are aborted, and after which objects under reports/ in the training bucket are deleted."
  type = object({
    incomplete_uploads = optional(number, 7)
    reports            = optional(number, 90)
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.lifecycle_days.incomplete_uploads >= 1 && var.lifecycle_days.reports >= 1
    error_message = "Lifecycle ages are whole days and must be at least 1."
  }
}

variable "location" {
  description = "Location of both buckets: a region (same as the job, so reads cost nothing) or a multi-region."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[a-zA-Z0-9-]+$", var.location))
    error_message = "Location must be a Cloud Storage location such as europe-west1 or EU."
  }
}

variable "names" {
  description = "Globally unique bucket names: `video` holds the source game videos, `training` receives clips, manifests and reports."
  type = object({
    training = string
    video    = string
  })
  nullable = false
  validation {
    condition = alltrue([
      for name in [var.names.training, var.names.video] :
      can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", name)) && !startswith(name, "goog")
    ])
    error_message = "Bucket names need 3-63 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit, and cannot start with 'goog'."
  }
  validation {
    condition     = var.names.training != var.names.video
    error_message = "The video and training buckets must be different buckets."
  }
}

variable "project_id" {
  description = "Project that owns the buckets."
  type        = string
  nullable    = false
}

variable "versioning" {
  description = "Keep noncurrent object versions, per bucket. Off by default: videos are uploaded once and clips are create-only."
  type = object({
    training = optional(bool, false)
    video    = optional(bool, false)
  })
  default  = {}
  nullable = false
}
