# Handoff — the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run try demo detect-examples test lint typecheck unit quality bench bench-webhook clean

# LOCAL DEMO VALUES ONLY for the secret NAMES that examples/workspace.yaml gives (never use
# them for a real webhook): `make run` serves with them and `make try` signs with them.
DEMO_SECRETS := ACME_ZENDESK_WEBHOOK_SECRET=local-demo-zendesk-secret \
	ACME_INTERCOM_CLIENT_SECRET=local-demo-intercom-secret \
	ACME_SLACK_SIGNING_SECRET=local-demo-slack-signing-secret \
	ACME_HANDOFF_API_TOKEN=local-demo-api-token
DEMO_ENV := env $(DEMO_SECRETS) HANDOFF_WORKSPACES=examples/workspace.yaml
PLATFORM ?= zendesk

$(STAMP): pyproject.toml
	@echo "Installing Handoff and its dependencies into .venv (about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install Handoff with its dev extras

run: install  ## migrate, then serve the example workspace (SQLite, embedded worker) on 127.0.0.1:8000
	$(BIN)/handoff check-config --config examples/workspace.yaml
	@echo "handoff db upgrade   (with the local demo secrets of examples/workspace.yaml)"
	@$(DEMO_ENV) $(BIN)/handoff db upgrade
	@echo "Try it from another terminal: make demo, or make try (PLATFORM=zendesk|intercom|slack), then .venv/bin/handoff events"
	@echo "handoff serve   (with the local demo secrets of examples/workspace.yaml; migrated just above)"
	@$(DEMO_ENV) HANDOFF_MIGRATE_ON_START=false $(BIN)/handoff serve

try: install  ## POST one signed example event (PLATFORM=zendesk|intercom|slack) to `make run`
	@echo "handoff webhook-example --platform $(PLATFORM) | sh   (signed with the local demo secret)"
	@$(DEMO_ENV) $(BIN)/handoff webhook-example --platform $(PLATFORM) | sh

demo: install  ## POST a signed escalating conversation per platform to `make run`; print what happened
	@echo "handoff demo   (with the local demo secrets of examples/workspace.yaml)"
	@$(DEMO_ENV) $(BIN)/handoff demo

detect-examples: install  ## decide the example cases with the example workspace (a table)
	$(BIN)/handoff detect --config examples/workspace.yaml --input examples/cases.jsonl --format table

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

test: lint typecheck unit  ## ruff, mypy, pytest

bench: install  ## detection cost per message (not part of make test)
	$(BIN)/python bench/detect_per_message.py

bench-webhook: install  ## webhook ack path vs a bare Flask endpoint under gunicorn, with wrk
	$(BIN)/python bench/webhook_ack.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info

quality: install  ## regenerate docs/quality.md from `handoff eval` on every labelled set
	$(BIN)/python tools/quality_report.py
