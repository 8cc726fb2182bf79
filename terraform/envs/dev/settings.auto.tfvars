# The dev environment's settings, committed: every apply of this root uses them, an
# administrator's `make apply` and a release alike (a *.auto.tfvars file is read after any
# local terraform.tfvars, so a laptop cannot quietly override it). Nothing secret goes here.
# Replace the example values with your own before `make bootstrap ENV=dev PROJECT=...`,
# and commit them. dev and prod must be different projects.
env          = "dev"
project_id   = "my-playclips-dev"
region       = "europe-west1"
state_bucket = "my-playclips-dev-tfstate"
supabase_url = "https://abcdefghijklmnop.supabase.co"

# Who may release to dev: the release workflow runs on pushes to main in the GitHub environment dev.
# repository_id: gh api repos/OWNER/NAME --jq .id
github = {
  repository    = "my-org/playclips"
  repository_id = "123456789"
  refs          = ["refs/heads/main"]
  environments  = ["dev"]
}

deletion_protection = false

# Optional, at the module defaults (modules/playclips/README.md):
# job = {
#   cpu          = 2
#   memory       = "4Gi"
#   task_timeout = "3600s"
#   max_retries  = 3
#   scratch_disk = { size_limit = "10Gi" } # none by default: copy mode needs no disk
# }
# workflow_call_log_level = "LOG_ERRORS_ONLY"
