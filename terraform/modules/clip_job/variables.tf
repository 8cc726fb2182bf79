variable "buckets" {
  description = "Bucket names the job uses: it reads `video`, reads `training` and writes below its output prefixes there."
  type = object({
    training = string
    video    = string
  })
  nullable = false
}

variable "container" {
  description = "The job's container: image (REGION-docker.pkg.dev/PROJECT/REPO/playclips@sha256:... in a release), default args, plain environment variables."
  type = object({
    args  = optional(list(string), ["run"])
    env   = optional(map(string), {})
    image = string
  })
  nullable = false
  validation {
    condition     = trimspace(var.container.image) != ""
    error_message = "The container image cannot be empty."
  }
  validation {
    condition     = !contains(keys(var.container.env), "SUPABASE_SERVICE_KEY")
    error_message = "SUPABASE_SERVICE_KEY comes from Secret Manager (var.supabase_secret), never as a plain variable."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the job on destroy or replace."
  type        = bool
  default     = true
  nullable    = false
}

variable "execution" {
  description = "Per-task limits: timeout (seconds, as \"3600s\"), retries (0-10) and how many tasks run at once (0 lets Cloud Run choose)."
  type = object({
    max_retries  = optional(number, 3)
    parallelism  = optional(number, 0)
    task_timeout = optional(string, "3600s")
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.execution.max_retries >= 0 && var.execution.max_retries <= 10 && floor(var.execution.max_retries) == var.execution.max_retries
    error_message = "max_retries must be a whole number from 0 to 10."
  }
  validation {
    condition     = var.execution.parallelism >= 0 && floor(var.execution.parallelism) == var.execution.parallelism
    error_message = "parallelism must be a whole number, 0 or more (0 lets Cloud Run run as many tasks at once as it can)."
  }
  validation {
    # Cloud Run jobs allow task timeouts up to 168 hours.
    condition     = can(regex("^[1-9][0-9]*s$", var.execution.task_timeout)) && try(tonumber(trimsuffix(var.execution.task_timeout, "s")) <= 604800, false)
    error_message = "task_timeout must be seconds with an 's' suffix, such as \"3600s\", and at most 168 hours (\"604800s\")."
  }
}

variable "labels" {
  description = "Labels on the job."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "name" {
  description = "Job name; the service account is named after it."
  type        = string
  default     = "playclips"
  nullable    = false
  validation {
    # The service account id (name + "-job") must stay within 30 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,24}[a-z0-9]$", var.name))
    error_message = "The job name needs 2-26 lowercase letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "project_id" {
  description = "Project that owns the job and its service account."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the job (keep it with the buckets: same-region reads are free)."
  type        = string
  nullable    = false
}

variable "resources" {
  description = "vCPUs and memory per task. Cloud Run allows: 1 vCPU 512Mi-4Gi, 2 vCPU 512Mi-8Gi, 4 vCPU 2Gi-16Gi, 6 vCPU 4Gi-24Gi, 8 vCPU 4Gi-32Gi."
  type = object({
    cpu    = optional(number, 2)
    memory = optional(string, "4Gi")
  })
  default  = {}
  nullable = false
  validation {
    condition     = contains([1, 2, 4, 6, 8], var.resources.cpu)
    error_message = "cpu must be 1, 2, 4, 6 or 8 vCPUs."
  }
  validation {
    condition     = can(regex("^[1-9][0-9]*(Mi|Gi)$", var.resources.memory))
    error_message = "memory must be a whole number of Mi or Gi, such as \"512Mi\" or \"4Gi\"."
  }
  validation {
    # From https://cloud.google.com/run/docs/configuring/jobs/memory-limits and .../cpu: the
    # minimum and maximum memory (MiB) for each vCPU count. An unknown cpu or a malformed
    # memory is reported by the checks above, so try() lets this one pass on them.
    condition = try(
      tonumber(regex("^[0-9]+", var.resources.memory)) * (endswith(var.resources.memory, "Gi") ? 1024 : 1) >= { 1 = 512, 2 = 512, 4 = 2048, 6 = 4096, 8 = 4096 }[var.resources.cpu] &&
      tonumber(regex("^[0-9]+", var.resources.memory)) * (endswith(var.resources.memory, "Gi") ? 1024 : 1) <= { 1 = 4096, 2 = 8192, 4 = 16384, 6 = 24576, 8 = 32768 }[var.resources.cpu],
      true
    )
    error_message = "memory does not fit the vCPU count: 1 vCPU takes 512Mi-4Gi, 2 vCPU 512Mi-8Gi, 4 vCPU 2Gi-16Gi, 6 vCPU 4Gi-24Gi, 8 vCPU 4Gi-32Gi."
  }
}

variable "scratch_disk" {
  description = "Optional ephemeral disk mounted in the container (encode mode, unusual sources). Null: none, copy mode needs none."
  type = object({
    mount_path = optional(string, "/scratch")
    size_limit = string
  })
  default = null
  validation {
    condition     = var.scratch_disk == null || can(regex("^[1-9][0-9]*(Mi|Gi)$", var.scratch_disk.size_limit))
    error_message = "scratch_disk.size_limit must be a whole number of Mi or Gi, such as \"10Gi\"."
  }
  validation {
    condition     = var.scratch_disk == null || startswith(try(var.scratch_disk.mount_path, "/"), "/")
    error_message = "scratch_disk.mount_path must be an absolute path."
  }
}

variable "supabase_secret" {
  description = "The Secret Manager secret the job reads as SUPABASE_SERVICE_KEY: its id (projects/P/secrets/NAME) and the version to read."
  type = object({
    id      = string
    version = optional(string, "latest")
  })
  nullable = false
  validation {
    condition     = can(regex("^projects/[^/]+/secrets/[^/]+$", var.supabase_secret.id))
    error_message = "supabase_secret.id must be a secret resource id: projects/PROJECT/secrets/NAME."
  }
}
