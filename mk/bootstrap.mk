# make bootstrap ENV=dev|prod PROJECT=PROJECT_ID [AUTO_APPROVE=1] [KEY_FROM_STDIN=1]
#
# From an empty Google Cloud project to a deployed environment, once per environment:
# scripts/bootstrap.py checks Application Default Credentials, enables the APIs Terraform needs,
# creates the state bucket, runs `terraform init` (commit the .terraform.lock.hcl it writes),
# applies the Supabase key's secret, adds its first version from a hidden prompt (never in
# state or shell history), then applies everything. It reads the env's committed settings
# (terraform/envs/ENV/settings.auto.tfvars), whose project_id must be PROJECT. Safe to rerun.
# Standard library only: it runs with the system python3 and needs no virtualenv.

PROJECT ?=
AUTO_APPROVE ?=
KEY_FROM_STDIN ?=

.PHONY: bootstrap
bootstrap: ## Set up ENV=dev|prod in an empty project PROJECT=...: state bucket, APIs, secret, apply.
	@test -n "$(PROJECT)" || { echo 'PROJECT=<Google Cloud project id> is required' >&2; exit 2; }
	$(PYTHON) scripts/bootstrap.py $(ENV) $(PROJECT) $(if $(AUTO_APPROVE),--auto-approve) $(if $(KEY_FROM_STDIN),--key-from-stdin)
