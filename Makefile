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
EVENT ?= events/stripe/invoice.paid.json
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.DEFAULT_GOAL := help
.PHONY: help dev invoke test pr format lint typecheck template-lint unit functional pytest faults \
	events bench reliability coldstart build validate deploy clean

help:
	@echo "make invoke   run ingest on $(EVENT) (signed now), then the forwarder on what it queued"
	@echo "              (embedded DynamoDB and SQS, dry run)"
	@echo "make test     lint, type-check, template lint and every test"
	@echo "make reliability  fault scenarios: lost / doubled at the Userpilot stand-in, as a table"
	@echo "other: dev format lint typecheck template-lint unit functional faults events bench"
	@echo "       coldstart build validate deploy pr clean"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements-dev.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

dev: $(STAMP)

invoke: $(STAMP)
	$(BIN)/webhook-to-track invoke --fresh $(EVENT)

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

pytest: $(STAMP)
	$(BIN)/pytest -n auto --cov --cov-report=term tests/unit tests/functional

# The fault suite runs real handlers against scripted failures, several processes at once:
# without coverage (it measures behaviour, and coverage would slow its timing-bound parts).
faults: $(STAMP)
	$(BIN)/pytest -q tests/faults

unit: $(STAMP)
	$(BIN)/pytest tests/unit

functional: $(STAMP)
	$(BIN)/pytest tests/functional

events: $(STAMP)
	$(BIN)/webhook-to-track events

bench: $(STAMP)
	$(BIN)/python -m tests.bench.per_delivery

reliability: $(STAMP)
	$(BIN)/python -m tests.faults.report

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip --disable-pip-version-check --quiet install aws-sam-cli==$(SAM_VERSION)

validate: $(SAM)
	$(SAM) validate --lint

build: $(SAM)
	$(SAM) build

coldstart: build
	$(BIN)/python -m tests.bench.coldstart

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage
