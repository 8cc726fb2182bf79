variable "accessors" {
  description = "IAM members (\"serviceAccount:...\", \"group:...\") granted roles/secretmanager.secretAccessor on this secret only. The clip job binds its own identity in its module."
  type        = list(string)
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for member in var.accessors : can(regex("^(serviceAccount|user|group|principal|principalSet):.+", member))])
    error_message = "Each accessor must be an IAM member such as serviceAccount:NAME@PROJECT.iam.gserviceaccount.com."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the secret (and so every version of the key) on destroy or replace."
  type        = bool
  default     = true
  nullable    = false
}

variable "labels" {
  description = "Labels on the secret."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "project_id" {
  description = "Project that owns the secret."
  type        = string
  nullable    = false
}

variable "replication_locations" {
  description = "Regions to keep the secret in (user-managed replication). Empty: automatic replication, Google picks."
  type        = list(string)
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for location in var.replication_locations : can(regex("^[a-z]+-[a-z]+[0-9]+$", location))])
    error_message = "Replication locations are regions such as europe-west1."
  }
}

variable "secret_data_wo" {
  description = "Optional first value, written through the write-only secret_data_wo argument (Terraform >= 1.11): it reaches Secret Manager and never the plan or state. Leave null to add versions out of band (README)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "secret_data_wo_version" {
  description = "Set (1, then 2, ...) to create a version from secret_data_wo; bump it to write a new value. Null: Terraform creates no version."
  type        = number
  default     = null
}

variable "secret_id" {
  description = "Secret name."
  type        = string
  default     = "supabase-service-key"
  nullable    = false
  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.secret_id))
    error_message = "secret_id may use letters, digits, '-' and '_' (up to 255)."
  }
}
