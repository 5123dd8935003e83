# The two commands a newcomer needs: `make run` and `make test`. Both build .venv from the lock files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL := postgres://postgres@127.0.0.1:5432/test

.PHONY: run test lint format bench screenshots chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt client/pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e client
	touch $@

run: $(VENV)/.runtime
	$(BIN)/tokenward serve

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Browser tests drive Debian's Chromium; install it where it is missing and apt can (as root).
# Playwright never downloads a browser. Without Chromium the browser tests skip and say so.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
		echo "== Chromium could not be installed: the browser tests will skip =="

# The whole suite on SQLite, then again on PostgreSQL where it answers at 127.0.0.1:5432.
test: lint chromium
	$(BIN)/python -m pytest
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
		echo "== the same suite on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest; \
	else \
		echo "== PostgreSQL run skipped: nothing answers at 127.0.0.1:5432 =="; \
	fi

$(VENV)/.bench: $(VENV)/.dev requirements-bench.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

# tokenward's token check against no authentication, DRF's TokenAuthentication and knox, in one
# process on a throw-away SQLite database; prints the table and writes bench/results.md.
bench: $(VENV)/.bench
	$(BIN)/python -m bench.run

# Re-take the screenshots shown in the README from the browser tests.
screenshots: $(VENV)/.dev chromium
	TOKENWARD_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser

clean:
	rm -rf $(VENV)
