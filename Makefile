# Two commands for a fresh machine:
#   make demo   set up, create/upgrade the SQLite database, load demo data, serve the app
#   make test   set up (incl. PostgreSQL and Chromium), lint, type-check, test on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_AS_OF ?= 2025-09-30
export COOPZONE_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test venv system-deps lint typecheck test-sqlite test-postgres i18n bench clean

$(BIN)/coopzone: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(BIN)/coopzone

demo: venv
	$(BIN)/coopzone db upgrade
	$(BIN)/coopzone demo load
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop); the demo zone is as of $(DEMO_AS_OF)"
	COOPZONE_AS_OF=$(DEMO_AS_OF) $(BIN)/coopzone serve --host $(HOST) --port $(PORT)

system-deps:
	bash scripts/install-system-deps.sh

lint: venv
	$(BIN)/ruff check src tests bench tools

typecheck: venv
	$(BIN)/mypy

test-sqlite: venv
	$(BIN)/pytest -p no:cacheprovider

test-postgres: venv
	bash scripts/with-postgres.sh $(BIN)/pytest -p no:cacheprovider

test: system-deps venv lint typecheck test-sqlite test-postgres

i18n: venv
	$(BIN)/pybabel extract -F babel.cfg -o src/coopzone/web/locale/messages.pot --no-location --sort-output src
	for l in zh_CN en; do [ -f src/coopzone/web/locale/$$l/LC_MESSAGES/messages.po ] || \
	  $(BIN)/pybabel init -i src/coopzone/web/locale/messages.pot -d src/coopzone/web/locale -l $$l; \
	  $(BIN)/pybabel update -i src/coopzone/web/locale/messages.pot \
	  -d src/coopzone/web/locale -l $$l --no-fuzzy-matching --ignore-obsolete; done

bench: venv
	$(BIN)/python bench/water_eval.py --small

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
