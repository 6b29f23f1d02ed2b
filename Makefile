# halqa: two commands set everything up on a fresh machine.
#   make demo   set up, then run the main job on the embedded demo neighbourhood
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint bench clean member-app

APP     := src/halqa/web/static/m/app.js
APP_SRC := $(wildcard member-app/src/*) member-app/build.mjs member-app/package-lock.json

$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh tests/web/axe/package-lock.json
	bash scripts/install-system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	cd tests/web/axe && npm ci --ignore-scripts --no-audit --no-fund --silent  # axe-core for the accessibility tests
	touch $(STAMP)

# The member app (JS): pinned by package-lock.json, bundled by esbuild into the package's static folder.
member-app/node_modules/.package-lock.json: member-app/package-lock.json
	cd member-app && npm ci --no-audit --no-fund

$(APP): member-app/node_modules/.package-lock.json $(APP_SRC)
	cd member-app && npm run build

member-app: member-app/node_modules/.package-lock.json $(APP)

setup: $(STAMP) member-app/node_modules/.package-lock.json $(APP)

demo: setup
	$(VENV)/bin/halqa demo

# Checks before tests: style (ruff), types (mypy, [tool.mypy]), layers (import-linter, [tool.importlinter]).
test: setup
	$(PY) -m ruff check src tests benchmarks fuzz
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks fuzz
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# Benchmark-only dependencies (the bench extra: DuckDB), pinned by constraints.txt like everything else.
$(VENV)/.bench: $(STAMP) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e '.[bench]'
	touch $@

bench: $(STAMP) $(VENV)/.bench
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) member-app/node_modules build *.egg-info src/*.egg-info .pytest_cache
