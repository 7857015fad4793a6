# One-command habits: `make run`, `make test`, `make check`, `make bench`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export ALSTRACK_DATA_DIR ?= $(CURDIR)/var

.PHONY: run install system-libs tools test test-fast check bench postgres clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "alstrack needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: system-libs $(STAMP)

## WeasyPrint (PDF labels and reports) needs Debian's Pango, HarfBuzz-Subset and a font.
## Installed here only when missing, so that nothing is fetched when a PDF is rendered.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
system-libs:
	@libs="$$(PATH="$$PATH:/sbin:/usr/sbin" ldconfig -p)"; \
	if ! echo "$$libs" | grep -q 'libpangoft2-1.0.so.0' \
	   || ! echo "$$libs" | grep -q 'libharfbuzz-subset.so.0' \
	   || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		echo "Installing $(SYSTEM_LIBS) for PDF rendering"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_LIBS); \
	fi

## Create the environment, migrate, load the synthetic demo clinic if empty, serve on :8000.
## Products need an ISBT 128 facility number: the demo uses ST-001's example G1234 unless set.
run: install
	$(BIN)/alstrack db upgrade
	ALSTRACK_FACILITY_ID=$${ALSTRACK_FACILITY_ID:-G1234} $(BIN)/alstrack demo --if-empty
	ALSTRACK_FACILITY_ID=$${ALSTRACK_FACILITY_ID:-G1234} $(BIN)/alstrack serve

## Debian's packages that tests and benchmarks drive: Chromium (the web pages' browser tests,
## with Playwright) and wrk (the HTTP load generator of bench_timeline). Installed here when
## missing, so that nothing is downloaded while the tests or benchmarks run.
TOOLS := chromium wrk
tools:
	@missing=""; for tool in $(TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## Every test, on SQLite and on PostgreSQL (started here if it is installed but not running).
test: install tools postgres
	$(BIN)/python -m pytest -n 2 -q --durations=15

test-fast: install tools
	$(BIN)/python -m pytest -n 2 -q -x

## Start the local PostgreSQL cluster if one is installed and not answering.
postgres:
	@bash scripts/ensure-postgres.sh

check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install tools
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
