# stepstream: `make dev` runs the local stack, `make test` installs what is needed and runs
# every check. Both work on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8288
# Test processes (pytest-xdist); the suite is sized for the 2-core machines CI runs on.
PYTEST_WORKERS ?= 2

.PHONY: dev test lint typecheck pytest bench chaos system-deps node-deps checkov-deps clean help

help:
	@echo "make dev    - run the whole stack locally on http://127.0.0.1:$(PORT) (STATE=dir: keep state)"
	@echo "make test   - install everything and run ruff, mypy --strict and pytest"
	@echo "make bench  - run the benchmarks; results go to bench/results/"
	@echo "make chaos  - the fault tests at full size (1,000 runs; 500 in SIGKILLed processes)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "stepstream needs Python 3.11 or later")'
	@echo "==> first run: creating $(VENV) and installing stepstream with its dependencies (a few minutes; later runs skip this)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@echo "==> installed into $(VENV)"
	@touch $@

# STATE=PATH keeps the local AWS state (runs, events, waits, history) in PATH across restarts.
dev: $(STAMP)
	$(BIN)/stepstream dev --port $(PORT)$(if $(STATE), --state-dir $(STATE))

# checkov pins boto3 and packaging versions that clash with aws-sam-cli's, so it gets a venv of
# its own (tests/template/test_checkov.py finds it there).
CHECKOV_STAMP := .venv-checkov/.installed
$(CHECKOV_STAMP):
	@echo "==> first run: installing checkov into .venv-checkov (its pins clash with the main venv)"
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet checkov
	@touch $@

checkov-deps: $(CHECKOV_STAMP)

system-deps:
	@bash scripts/system-deps.sh

node-deps:
	@bash scripts/node-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check layers functions tests bench scripts
	$(BIN)/ruff format --check layers functions tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-deps node-deps checkov-deps
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS)

test: lint typecheck pytest

bench: $(STAMP) node-deps
	$(BIN)/python -m bench

# The fault tests at full size: 1,000 runs of the chaos workflow (300 in memory, 200 on moto,
# 500 in executor processes that are SIGKILLed) and the 500-run flow test on moto too. make test
# runs the same tests smaller; these sizes take longer than a test run should (27 min on a 2-core
# machine shared with other work; each test has its own time limit, 15 to 30 min). They print
# their progress as they go.
chaos: $(STAMP)
	CHAOS_FULL=1 $(BIN)/pytest -q -p no:cacheprovider -s \
		tests/engine/test_faults.py tests/chaos tests/flow/test_concurrency_faults.py

clean:
	rm -rf $(VENV) .venv-checkov .aws-sam node_modules .mypy_cache .ruff_cache
