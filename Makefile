# halqa: two commands set everything up on a fresh machine.
#   make demo   set up, then run the main job on the embedded demo neighbourhood
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint bench clean

$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh tests/web/axe/package-lock.json
	bash scripts/install-system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	cd tests/web/axe && npm ci --ignore-scripts --no-audit --no-fund --silent  # axe-core for the accessibility tests
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/halqa demo

test: $(STAMP)
	$(PY) -m ruff check src tests benchmarks fuzz
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks fuzz

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
