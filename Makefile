# Portail Famille — `make run` brings everything up with demo data; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck pytest infra browser bench clean

$(BIN)/.installed: pyproject.toml
	./deploy/infra.sh python_venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

infra:
	./deploy/infra.sh postgres rabbitmq

browser:
	./deploy/infra.sh chromium

run: $(BIN)/.installed infra
	$(BIN)/python -m deploy.run

test: $(BIN)/.installed infra browser lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks: every case of bench/cases (or CASES="planning booking"), results in bench/results/.
bench: $(BIN)/.installed infra
	$(BIN)/python -m bench $(CASES)

clean:
	rm -rf $(VENV) var/maildir *.egg-info
