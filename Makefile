# playclips — every entry point a user or CI needs. `make help` lists them.
# Two commands set up a fresh machine: `make demo` and `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed-$(shell cat job/requirements.lock job/pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
ENV ?= local
GAMES ?=
OUT ?= out
# `make help` wraps descriptions to fit this many columns.
HELP_WIDTH ?= 80

# Targets that `make test` needs besides the virtualenv; mk/*.mk files append to it.
TEST_PREREQS :=

.PHONY: help venv demo test lint fmt
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' -v width=$(HELP_WIDTH) \
	  '{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > w) w = length($$1) } \
	   END { room = width - w - 4; pad = sprintf("%" (w + 4) "s", ""); \
	     for (i = 1; i <= NR; i++) { n = split(text[i], word, " "); line = ""; first = 1; \
	       for (j = 1; j <= n; j++) { \
	         if (line != "" && length(line) + 1 + length(word[j]) > room) { \
	           printf "  %-" w "s  %s\n", (first ? name[i] : ""), line; first = 0; line = word[j] } \
	         else line = (line == "" ? word[j] : line " " word[j]) } \
	       printf "  %-" w "s  %s\n", (first ? name[i] : ""), line } }'

venv: $(VENV_STAMP) ## Create .venv with the pinned dependencies and playclips installed.

$(VENV_STAMP): job/requirements.lock job/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r job/requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e job
	@rm -f $(VENV)/.installed-* && touch $@

include $(wildcard mk/*.mk)

demo: $(VENV_STAMP) ## Make a sample game and clip it locally into ./demo-out.
	$(BIN)/playclips demo --out demo-out

test: $(VENV_STAMP) $(TEST_PREREQS) ## Run the whole suite (lint included).
	$(BIN)/ruff check --config job/pyproject.toml job tests scripts $(wildcard bench)
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

lint: $(VENV_STAMP) ## ruff check and format check.
	$(BIN)/ruff check --config job/pyproject.toml job tests scripts $(wildcard bench)
	$(BIN)/ruff format --config job/pyproject.toml --check job tests scripts $(wildcard bench)

fmt: $(VENV_STAMP) ## Format the Python code.
	$(BIN)/ruff format --config job/pyproject.toml job tests scripts $(wildcard bench)
	$(BIN)/ruff check --config job/pyproject.toml --fix job tests scripts $(wildcard bench)
