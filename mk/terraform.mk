# Terraform: the modules and per-environment roots under terraform/.
#
# `make plan ENV=dev` and `make apply ENV=dev` run the real thing against Google Cloud, as an
# administrator, with the env's committed settings (terraform/envs/ENV/settings.auto.tfvars).
# Everything else here prepares the offline checks that `make test` runs in tests/terraform/:
# the google provider's schema (rebuilt from a pinned PyPI wheel, since the provider binary
# cannot be downloaded here) and checkov in a virtualenv of its own.

TERRAFORM ?= terraform
# STATE_BUCKET and IMAGE count only when given on the command line, never from a variable left
# in the shell's environment: the state bucket is the env's committed `state_bucket` setting,
# and only a rollback names an image (otherwise the running one is kept).
TF_STATE_BUCKET_ARG := $(if $(filter command line,$(origin STATE_BUCKET)),$(STATE_BUCKET),$(shell sed -n 's/^state_bucket *= *"\([^"]*\)".*/\1/p' terraform/envs/$(ENV)/settings.auto.tfvars 2>/dev/null))
TF_IMAGE_ARG := $(if $(filter command line,$(origin IMAGE)),$(IMAGE))
TF_CACHE := .cache/terraform

# cdktn-provider-google 21.1.0 is CDK Terrain's binding of hashicorp/google 8.7.0 (its README
# and every registry link in its jsii assembly say 8.7.0): the schema the tests serve.
CDKTN_GOOGLE_VERSION := 21.1.0
CDKTN_GOOGLE_SHA256 := 157dead5025d5db5abe48e40cc49f0b6a4d8088fd0498eb17ad5a36bca811b2a
GOOGLE_PROVIDER_VERSION := 8.7.0
CDKTN_GOOGLE_WHEEL := $(TF_CACHE)/cdktn_provider_google-$(CDKTN_GOOGLE_VERSION)-py3-none-any.whl
GOOGLE_SCHEMA := $(TF_CACHE)/google-$(GOOGLE_PROVIDER_VERSION).schema.json
SCHEMA_EXTRACTOR := tests/terraform/stand_in_google_provider/extract_schema.py

# checkov pins its own python-hcl2 fork, which would replace `hcl2` in .venv: own venv.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

TEST_PREREQS += terraform-prereqs

.PHONY: terraform-prereqs terraform-schema checkov terraform-test terraform-fmt plan apply

terraform-prereqs: terraform-schema checkov ## Build what the Terraform tests need (schema, checkov).

terraform-schema: $(GOOGLE_SCHEMA) ## Rebuild the google provider schema the stand-in serves.

# Downloaded aside and moved into place only once its hash matches the pin.
$(CDKTN_GOOGLE_WHEEL):
	@rm -rf $(TF_CACHE)/download && mkdir -p $(TF_CACHE)/download
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: \
		--dest $(TF_CACHE)/download cdktn-provider-google==$(CDKTN_GOOGLE_VERSION)
	cd $(TF_CACHE)/download && echo "$(CDKTN_GOOGLE_SHA256)  $(notdir $@)" | sha256sum --check --quiet
	mv $(TF_CACHE)/download/$(notdir $@) $@ && rmdir $(TF_CACHE)/download

$(GOOGLE_SCHEMA): $(CDKTN_GOOGLE_WHEEL) $(SCHEMA_EXTRACTOR) | $(VENV_STAMP)
	$(BIN)/python $(SCHEMA_EXTRACTOR) $(CDKTN_GOOGLE_WHEEL) $@

checkov: $(CHECKOV_STAMP) ## Install checkov into its own virtualenv.

$(CHECKOV_STAMP):
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	@rm -f $(CHECKOV_VENV)/.installed-* && touch $@

terraform-test: $(VENV_STAMP) terraform-prereqs ## Run only the Terraform checks.
	$(BIN)/python -m pytest tests/terraform $(PYTEST_ARGS)

terraform-fmt: ## Format every .tf and .tftest.hcl file.
	$(TERRAFORM) fmt -recursive terraform

# Real runs against Google Cloud: ENV names a root under terraform/envs. The saved plan goes
# into the root's .terraform/ (ignored by git), so `make plan` leaves nothing untracked. An
# ordinary apply keeps the job's running image; IMAGE=...@sha256:... deploys another (a rollback)
# and is the only way an administrator changes it (docs/design.md, "Deploy contract").
define check_cloud_env
	@test -f terraform/envs/$(ENV)/settings.auto.tfvars && test "$(ENV)" != local || \
		{ echo "ENV must name a root under terraform/envs (dev or prod), not '$(ENV)'" >&2; exit 2; }
	@test -n "$(TF_STATE_BUCKET_ARG)" || { echo "terraform/envs/$(ENV)/settings.auto.tfvars sets no state_bucket (or pass STATE_BUCKET=...)" >&2; exit 2; }
endef

TF_PLAN_FILE = .terraform/tfplan

plan: ## terraform plan for ENV=dev|prod with its committed settings [IMAGE=... to deploy an image].
	$(check_cloud_env)
	$(TERRAFORM) -chdir=terraform/envs/$(ENV) init -input=false -backend-config=bucket=$(TF_STATE_BUCKET_ARG)
	$(TERRAFORM) -chdir=terraform/envs/$(ENV) plan -input=false -out=$(TF_PLAN_FILE) $(if $(TF_IMAGE_ARG),-var=job_image=$(TF_IMAGE_ARG))

apply: ## terraform apply of the plan `make plan` saved for ENV=dev|prod.
	$(check_cloud_env)
	$(TERRAFORM) -chdir=terraform/envs/$(ENV) apply -input=false $(TF_PLAN_FILE)
	@rm -f terraform/envs/$(ENV)/$(TF_PLAN_FILE)
