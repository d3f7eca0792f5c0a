# The two commands of the README: `make demo` and `make test`. Both install into .venv first:
# `make demo` (and `make install`, for a server) only what hokoku needs to run; `make test`
# also the development tools (pytest, ruff, mypy). Each half has its own stamp, redone when
# pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install install-dev demo test lint typecheck pytest catalogs cli-reference clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

demo: install
	$(BIN)/hokoku demo

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

test: lint typecheck pytest

# The message catalogs: edit handlers/locale/<lang>/LC_MESSAGES/hokoku.po, then compile the
# .mo files (committed, so a clone runs without this step).
catalogs: install-dev
	$(BIN)/pybabel compile -d handlers/locale -D hokoku

# docs/cli.md from the commands' own help (English, fixed width): run it after changing a
# command or its help; tests/test_docs.py fails while the file is out of date.
cli-reference: install
	$(BIN)/python -m bot.cli.reference

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
