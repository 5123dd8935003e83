# The two commands a newcomer needs: `make run` and `make test`. Both build .venv from the lock files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL := postgres://postgres@127.0.0.1:5432/test

.PHONY: run test lint format bench screenshots chromium clean
SEMGREP_VENV := $(VENV)/semgrep

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

# semgrep lives in its own virtualenv: its pinned dependencies clash with the test lock's.
$(SEMGREP_VENV)/.installed: requirements-semgrep.txt
	$(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-semgrep.txt
	touch $@

# ruff; bandit over src/ and client/src ([tool.bandit] in pyproject.toml); the repo's semgrep
# rules (.semgrep/) proven by their annotated cases, then run offline over the same code.
SEMGREP := $(SEMGREP_VENV)/bin/semgrep scan --metrics=off --disable-version-check --quiet
lint: $(VENV)/.dev $(SEMGREP_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml --quiet -r src client/src
	cd .semgrep && ../$(SEMGREP) --test .
	$(SEMGREP) --config .semgrep/ --error src client/src

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

# Every tokenward credential against no authentication, DRF (Token, Basic), knox,
# django-oauth-toolkit and simplejwt, in one process: on a throw-away SQLite database, then on
# a throw-away PostgreSQL database where 127.0.0.1:5432 answers. Prints the table, PASS/FAIL
# per target, and writes docs/benchmarks.md and docs/benchmarks.png. SCALE=1 adds the check
# with 1,000 against 1,000,000 stored tokens on PostgreSQL: about two minutes more.
bench: $(VENV)/.bench
	$(BIN)/python -m bench.run $(if $(SCALE),--scale)

# HTTP load: wrk against `tokenward serve --workers 2` with no credential, a personal token,
# Basic and a JWT, on SQLite, then on a throw-away PostgreSQL database where 127.0.0.1:5432
# answers; 3 rounds, about 3.5 minutes per database. Installs Debian's wrk where it is missing
# and apt can (as root), else skips and says so. Prints the table, writes docs/benchmarks-http.md.
.PHONY: bench-http
bench-http: $(VENV)/.dev
	@command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 || \
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1; } || true
	@if command -v wrk >/dev/null 2>&1; then $(BIN)/python -m bench.http.run; \
	else echo "== wrk is missing and apt could not install it: bench-http skipped =="; fi

# Re-take the screenshots shown in the README from the browser tests.
screenshots: $(VENV)/.dev chromium
	TOKENWARD_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser

clean:
	rm -rf $(VENV)
