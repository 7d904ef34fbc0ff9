# Handoff — the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck unit quality bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install Handoff with its dev extras

run: install  ## decide the example cases with the example workspace
	$(BIN)/handoff check-config --config examples/workspace.yaml
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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info

quality: install  ## regenerate docs/quality.md from `handoff eval` on every labelled set
	$(BIN)/python tools/quality_report.py
