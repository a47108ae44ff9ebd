# The README's two commands are `make invoke` and `make test`; each sets up what it needs.
# Everything runs from .venv (created from the pinned requirements on first use);
# SAM CLI lives in its own .venv-sam because it pins its own boto3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_VERSION := 1.170.0
# The unit and functional tests also run on CPython 3.13, the functions' runtime, in .venv-py313
# (make test-py313; .ci/run runs it after make test). The first candidate that really is 3.13.
PY313_VENV := .venv-py313
PY313_STAMP := $(PY313_VENV)/.installed
PYTHON313 ?= $(shell for p in $$(command -v python3.13) $$HOME/.pyenv/versions/3.13*/bin/python3.13 \
	/usr/local/bin/python3.13 /usr/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && echo "$$p" && break; done)
EVENT ?= events/stripe/invoice.paid.json
# make build SOURCES="stripe zendesk" ships only those source files (default: all); src/Makefile
# reads it from the environment sam build (and sam sync) pass on, and refuses unknown names.
SOURCES ?=
export WEBHOOK_TO_TRACK_SOURCES = $(SOURCES)
SERVE_PORT ?= 3000
SERVE_ARGS ?=
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
CONFIG_ENV ?= default
GUIDED ?=

# Run a pip install showing one line per package it fetches, then one while it unpacks them all
# (all of pip's output if it fails), so a first run that takes a minute says what it is doing.
define pip_lines
( $(1) --progress-bar off 2>&1; echo "pip-exit $$?" ) | awk '/^pip-exit / { code = $$2; next } \
	{ lines[++n] = $$0 } /^Collecting / { print "  " $$2; fflush() } \
	/^Processing / { k = split($$2, path, "/"); split(path[k], wheel, "-"); \
		print "  " wheel[1] "==" wheel[2]; fflush() } \
	/^Installing collected packages/ { print "  installing them..."; fflush() } \
	END { if (code) for (i = 1; i <= n; i++) print lines[i]; exit code }'
endef
PINNED = $$(cat $(1) | grep -c '==')

# A deploy parameter of samconfig.toml's CONFIG_ENV (over its global ones), empty if unset.
SAMCONFIG_KEY = $(PYTHON) -c 'import sys, tomllib; e = tomllib.load(open("samconfig.toml", "rb")).get(sys.argv[1], {}); \
	print({**e.get("global", {}).get("parameters", {}), **e.get("deploy", {}).get("parameters", {})}.get(sys.argv[2], ""))'
samconfig = $(shell $(SAMCONFIG_KEY) $(CONFIG_ENV) $(1))
STACK = $(call samconfig,stack_name)
REGION = $(call samconfig,region)
REGION_OPTION = $(if $(REGION),--region $(REGION))
NEED_STACK = @test -n "$(STACK)" || { echo "samconfig.toml has no stack_name for [$(CONFIG_ENV)]:" \
	"deploy first (make deploy) or name it: make $@ STACK=<stack name>"; exit 2; }

.DEFAULT_GOAL := help
.PHONY: help dev invoke serve test pr format lint typecheck template-lint unit functional pytest faults \
	events bench reliability coldstart build validate deploy logs sync delete clean test-py313 coverage

help:
	@echo "make invoke   run ingest on $(EVENT) (signed now), then the forwarder on what it queued"
	@echo "              (embedded DynamoDB and SQS, dry run)"
	@echo "make serve    a local endpoint on http://127.0.0.1:$(SERVE_PORT)/webhooks/{source} for curl,"
	@echo "              stripe listen and hookdeck listen (dry run; SERVE_ARGS=--send to send)"
	@echo "make test     lint, type-check, template lint and every test"
	@echo "make test-py313  the unit and functional tests on CPython 3.13 with coverage (as CI does)"
	@echo "make reliability  fault scenarios: lost / doubled at the Userpilot stand-in, as a table"
	@echo "make deploy   sam build + sam deploy, non-guided once samconfig.toml has the stack's"
	@echo "              region (the first, guided, deploy saves it); GUIDED=1 asks again;"
	@echo "              CONFIG_ENV=prod uses samconfig.toml's [prod.*] sections (default: default)"
	@echo "make logs     tail both functions' logs (sam logs --tail); make sync: sam sync --watch"
	@echo "make delete   delete the stack (sam delete asks first)"
	@echo "other: dev format lint typecheck template-lint unit functional faults events bench"
	@echo "       coldstart build validate coverage pr clean"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@echo "Creating $(VENV) with $$($(PYTHON) -c 'import platform; print("Python", platform.python_version())')" \
		"and installing $(call PINNED,requirements.txt requirements-dev.txt) pinned packages;" \
		"the first run takes a minute or two (more on a slow network), later runs reuse it."
	$(PYTHON) -m venv $(VENV)
	@$(call pip_lines,$(BIN)/python -m pip --disable-pip-version-check install -r requirements-dev.txt)
	@echo "Installing webhook-to-track itself into $(VENV) (editable)"
	@$(PIP) install --no-deps --no-build-isolation -e .
	@touch $@
	@echo "$(VENV) is ready."

dev: $(STAMP)

invoke: $(STAMP)
	$(BIN)/webhook-to-track invoke --fresh $(EVENT)

serve: $(STAMP)
	$(BIN)/webhook-to-track serve --port $(SERVE_PORT) $(SERVE_ARGS)

test: lint typecheck template-lint pytest faults

pr: format test

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

template-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml -a cfn_lint_serverless.rules

# The unit and functional tests on every core, without coverage: coverage's tracer makes every
# test about 1.7x slower. make test-py313 (run by .ci/run) measures line and branch coverage on
# 3.13, where the functions run; make coverage measures it in .venv.
pytest: $(STAMP)
	$(BIN)/pytest -n auto tests/unit tests/functional

# Line and branch coverage of the unit and functional tests in .venv (make test-py313 measures it
# on 3.13, as CI does).
coverage: $(STAMP)
	$(BIN)/pytest -n auto --cov --cov-report=term tests/unit tests/functional

# The fault suite runs real handlers against scripted failures, several processes at once:
# without coverage (it measures behaviour, and coverage would slow its timing-bound parts).
faults: $(STAMP)
	$(BIN)/pytest -q tests/faults

unit: $(STAMP)
	$(BIN)/pytest tests/unit

functional: $(STAMP)
	$(BIN)/pytest tests/functional

$(PY313_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -n "$(PYTHON313)" || { echo "make test-py313: no CPython 3.13 found (python3.13 on PATH or" \
		"~/.pyenv/versions/3.13*); install one or set PYTHON313=/path/to/python3.13"; exit 1; }
	@echo "Creating $(PY313_VENV) with $$($(PYTHON313) --version) ($(PYTHON313)) and installing" \
		"$(call PINNED,requirements.txt requirements-dev.txt) pinned packages; the first run takes a minute or two."
	$(PYTHON313) -m venv $(PY313_VENV)
	@$(call pip_lines,$(PY313_VENV)/bin/python -m pip --disable-pip-version-check install -r requirements-dev.txt)
	@$(PY313_VENV)/bin/python -m pip --disable-pip-version-check --quiet install --no-deps --no-build-isolation -e .
	@touch $@

test-py313: $(PY313_STAMP)
	$(PY313_VENV)/bin/pytest -n auto --cov --cov-report=term tests/unit tests/functional

events: $(STAMP)
	$(BIN)/webhook-to-track events

bench: $(STAMP)
	$(BIN)/python -m tests.bench.per_delivery

reliability: $(STAMP)
	$(BIN)/python -m tests.faults.report

$(SAM):
	@echo "Creating $(SAM_VENV) for AWS SAM CLI $(SAM_VERSION) (its own virtualenv: it pins its own boto3);" \
		"about 90 packages, a minute or so on the first run."
	$(PYTHON) -m venv $(SAM_VENV)
	@$(call pip_lines,$(SAM_VENV)/bin/python -m pip --disable-pip-version-check install aws-sam-cli==$(SAM_VERSION))
	@echo "$(SAM) is ready."

validate: $(SAM)
	$(SAM) validate --lint

build: $(SAM)
	$(SAM) build

coldstart: build
	$(BIN)/python -m tests.bench.coldstart

# Guided until samconfig.toml holds the stack name and region for CONFIG_ENV (the guided deploy
# offers to save them there), then non-guided from samconfig.toml; GUIDED=1 asks again.
deploy: build
	@stack="$(STACK)"; region="$(REGION)"; \
	if [ -z "$(GUIDED)" ] && [ -n "$$stack" ] && [ -n "$$region" ]; then \
		echo "Deploying stack $$stack to $$region with samconfig.toml's [$(CONFIG_ENV).deploy.parameters]" \
			"(make deploy GUIDED=1 to change them)"; \
		set -x; $(SAM) deploy --config-env $(CONFIG_ENV); \
	else \
		echo "Guided deploy: samconfig.toml has no region for [$(CONFIG_ENV)] yet, or GUIDED is set;" \
			"answer Y to 'Save arguments to configuration file' and later runs deploy without asking"; \
		set -x; $(SAM) deploy --guided --config-env $(CONFIG_ENV); \
	fi

# The deployed stack (samconfig.toml's stack_name for CONFIG_ENV, and its region when set).
logs: $(SAM)
	$(NEED_STACK)
	$(SAM) logs --stack-name $(STACK) $(REGION_OPTION) --name IngestFunction --name ForwarderFunction --tail

# Development stacks only: sam sync updates code and resources without a changeset.
sync: $(SAM)
	$(NEED_STACK)
	$(SAM) sync --watch --stack-name $(STACK) $(REGION_OPTION) \
		$(if $(call samconfig,parameter_overrides),--parameter-overrides '$(call samconfig,parameter_overrides)')

delete: $(SAM)
	$(NEED_STACK)
	$(SAM) delete --stack-name $(STACK) $(REGION_OPTION)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(PY313_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage
