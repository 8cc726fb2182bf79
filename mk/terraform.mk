# Terraform: the modules and per-environment roots under terraform/ (issue 4).
#
# `make plan ENV=dev STATE_BUCKET=...` and `make apply ENV=...` run the real thing against
# Google Cloud. Everything else here prepares the offline checks that `make test` runs in
# tests/terraform/: the google provider's schema (rebuilt from a pinned PyPI wheel, since the
# provider binary cannot be downloaded here) and checkov in a virtualenv of its own.

TERRAFORM ?= terraform
STATE_BUCKET ?=
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

# Real runs against Google Cloud: ENV names a root under terraform/envs, STATE_BUCKET the GCS
# bucket that holds its state (see terraform/README.md, "Bootstrap").
define check_cloud_env
	@test -d terraform/envs/$(ENV) && test "$(ENV)" != local || \
		{ echo "ENV must name a root under terraform/envs (dev or prod), not '$(ENV)'"; exit 2; }
	@test -n "$(STATE_BUCKET)" || { echo "STATE_BUCKET=<bucket holding the state> is required"; exit 2; }
endef

plan: ## terraform plan for ENV=dev|prod (needs STATE_BUCKET and gcloud credentials).
	$(check_cloud_env)
	$(TERRAFORM) -chdir=terraform/envs/$(ENV) init -input=false -backend-config=bucket=$(STATE_BUCKET)
	$(TERRAFORM) -chdir=terraform/envs/$(ENV) plan -input=false -out=tfplan

apply: ## terraform apply of the plan `make plan` saved for ENV=dev|prod.
	$(check_cloud_env)
	$(TERRAFORM) -chdir=terraform/envs/$(ENV) apply -input=false tfplan
