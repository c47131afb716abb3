# The two commands a newcomer needs:
#   make run    install everything, then serve GPS on SQLite with a demo department
#   make test   install everything, then run every check and the tests on SQLite and PostgreSQL

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The test run's PostgreSQL server (each run makes its own database in it and drops it).
GPS_TEST_POSTGRES_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/test
export GPS_TEST_POSTGRES_ADMIN_URL

# Development defaults for `make run` only; set them in the environment to change them.
run: export GPS_BOOTSTRAP_ADMIN_EMAIL ?= admin@example.org
run: export GPS_BOOTSTRAP_ADMIN_PASSWORD ?= gps-demo-password

.PHONY: install run test lint contract test-sqlite test-postgresql bench clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GPS needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/gps demo seed
	$(BIN)/gps serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check app tests migrations benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

contract: install
	$(BIN)/gps openapi export --check

test-sqlite: install
	$(BIN)/pytest -n 2 --db=sqlite

test-postgresql: install
	$(BIN)/pytest -n 2 --db=postgresql

test: lint contract test-sqlite test-postgresql

# Benchmarks against the bare framework; writes benchmarks/RESULTS.md (about 10 minutes).
# Smaller and quicker: make bench BENCH_ARGS='--scale 0.05 --parts hot,hr'
BENCH_ARGS ?=
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "Installing wrk"; apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache
