# One-command habits: `make run`, `make test`, `make check`, `make bench`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export ALSTRACK_DATA_DIR ?= $(CURDIR)/var

.PHONY: run install test test-fast check bench postgres clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "alstrack needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Create the environment, migrate, load the synthetic demo clinic if empty, serve on :8000.
run: install
	$(BIN)/alstrack db upgrade
	$(BIN)/alstrack demo --if-empty
	$(BIN)/alstrack serve

## Every test, on SQLite and on PostgreSQL (started here if it is installed but not running).
test: install postgres
	$(BIN)/python -m pytest -n 2 -q

test-fast: install
	$(BIN)/python -m pytest -n 2 -q -x

## Start the local PostgreSQL cluster if one is installed and not answering.
postgres:
	@bash scripts/ensure-postgres.sh

check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
