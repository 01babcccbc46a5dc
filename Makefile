# Portail Famille — `make run` brings everything up with demo data; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The lock files (pip-compile --generate-hashes): dev = runtime + the dev extra (make run/test,
# CI); runtime = what the image installs. `make lock` regenerates both from pyproject.toml.
LOCK_DEV := requirements/dev.txt
LOCK_RUNTIME := requirements/runtime.txt
PIP_TOOLS := pip-tools==7.6.2
LOCK_VENV := var/lock-venv
COMPILE = $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-header \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test lint typecheck pytest infra browser documents bench clean lock test-deploy

# Every dependency comes from the lock, each file checked against its hash; the project itself
# is put on the path by a .pth file (no build step, nothing fetched outside the lock).
$(BIN)/.installed: $(LOCK_DEV)
	./deploy/infra.sh python_venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes --no-deps -r $(LOCK_DEV)
	$(BIN)/python -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "portail-famille.pth").write_text("$(CURDIR)\n")'
	touch $@

# Regenerate the lock files after editing the dependencies in pyproject.toml. Pins already in
# the lock are kept when still allowed; `make lock UPGRADE=1` moves everything to the newest.
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install -q --disable-pip-version-check $(PIP_TOOLS); }
	$(COMPILE) $(if $(UPGRADE),--upgrade) --extra dev -o $(LOCK_DEV) pyproject.toml
	$(COMPILE) -c $(LOCK_DEV) -o $(LOCK_RUNTIME) pyproject.toml

infra:
	./deploy/infra.sh postgres rabbitmq

browser:
	./deploy/infra.sh chromium

documents:
	./deploy/infra.sh documents

run: $(BIN)/.installed infra documents
	$(BIN)/python -m deploy.run

test: $(BIN)/.installed infra browser documents lint typecheck pytest
	@if [ -n "$(SKIP_DEPLOY_TEST)" ]; then echo "test-deploy skipped (SKIP_DEPLOY_TEST is set)"; \
		else $(MAKE) --no-print-directory test-deploy; fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

# The image and the compose deployment built and driven for real, in a Docker daemon of its
# own (tests/deploy/run.py); as root. SKIP_DEPLOY_TEST=1 make test leaves it out.
test-deploy: $(BIN)/.installed
	$(BIN)/python -m tests.deploy.run

# Benchmarks: every case of bench/cases (or CASES="planning booking"), results in bench/results/.
bench: $(BIN)/.installed infra documents
	$(BIN)/python -m bench $(CASES)

clean:
	rm -rf $(VENV) var/maildir *.egg-info
