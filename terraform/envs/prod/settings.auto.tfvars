# The prod environment's settings, committed: every apply of this root uses them, an
# administrator's `make apply` and a release alike (a *.auto.tfvars file is read after any
# local terraform.tfvars, so a laptop cannot quietly override it). Nothing secret goes here.
# Replace the example values with your own before `make bootstrap ENV=prod PROJECT=...`,
# and commit them. prod and dev must be different projects.
env          = "prod"
project_id   = "my-playclips-prod"
region       = "europe-west1"
state_bucket = "my-playclips-prod-tfstate"
supabase_url = "https://abcdefghijklmnop.supabase.co"

# Who may release to prod: the release workflow runs on tags v* in the GitHub environment prod.
# repository_id: gh api repos/OWNER/NAME --jq .id
github = {
  repository    = "my-org/playclips"
  repository_id = "123456789"
  refs          = ["refs/tags/v*"]
  environments  = ["prod"]
}

deletion_protection = true

# Optional, at the module defaults (modules/playclips/README.md):
# job = {
#   cpu          = 2
#   memory       = "4Gi"
#   task_timeout = "3600s"
#   max_retries  = 3
#   scratch_disk = { size_limit = "10Gi" } # none by default: copy mode needs no disk
# }
# workflow_call_log_level = "LOG_ERRORS_ONLY"
