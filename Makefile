# `make dev` runs Steadygraph on the bundled example project; `make test` runs
# the test suite. Both create the virtualenv and install what they need first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install dev test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

dev: install
	$(BIN)/steadygraph dev --config examples/langgraph.json $(ARGS)

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) .steadygraph .mypy_cache build *.egg-info
