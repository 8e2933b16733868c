# `make dev` runs Steadygraph on the bundled example project; `make test` runs
# the test suite. Both create the virtualenv and install what they need first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser-deps dev test test-fuzz lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

dev: install
	$(BIN)/steadygraph dev --config examples/langgraph.json $(ARGS)

# Test files run on 3 processes (the end-to-end tests mostly wait on real
# processes); the tests marked serial (the 100-run chaos test and the bounded
# fuzz run, both timing-sensitive under load) run alone afterwards.
test: lint browser-deps
	$(BIN)/python -m pytest -n 3 --dist loadfile -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS)

# The fuzz run alone.
test-fuzz: install
	$(BIN)/python -m pytest -m serial tests/e2e/test_fuzz.py $(PYTEST_ARGS)

# tests/browser drives Debian's headless chromium (no browser download works
# here) and loads the JS SDK pinned by tests/browser/package-lock.json.
browser-deps: tests/browser/node_modules/.installed-stamp
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

tests/browser/node_modules/.installed-stamp: tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
	touch $@

# mypy -p (not a folder path): the linked steadygraph.api/.workflows/.activities
# are checked as the subpackages they are installed as.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy -p steadygraph
	$(BIN)/python -m mypy bench

bench: install
	$(BIN)/python bench/bench_runs.py --start $(ARGS)

clean:
	rm -rf $(VENV) .steadygraph .mypy_cache build *.egg-info tests/browser/node_modules
