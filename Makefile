# One entry point for people and CI. `make test` and `make demo` set up everything they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test test-services test-browser demo examples lint bench clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## axe-core (npm) for the browser tests' accessibility checks, installed into the venv's
## folder so a clean clone gets it from `make test`; the tests read it from AXE_JS.
AXE_DIR := $(VENV)/axe
AXE_JS := $(AXE_DIR)/node_modules/axe-core/axe.min.js
$(AXE_JS): | $(STAMP)
	mkdir -p $(AXE_DIR)
	npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@4
	test -f $(AXE_JS)

## test: the whole test suite (the README's test command)
test: $(STAMP) $(AXE_JS)
	$(PY) -m pytest -q -p no:cacheprovider -n auto

## test-services: the suite again on the PostgreSQL and Redis servers (CI's second pass)
REDIS_SERVER_URL ?= redis://127.0.0.1:6379
test-services: $(STAMP)
	TRIAGE_TEST_DATABASES=postgresql TRIAGE_TEST_REDIS_URL=$(REDIS_SERVER_URL) \
		$(PY) -m pytest -q -p no:cacheprovider -n auto -m "not browser"

## test-browser: the end-to-end test in Debian's chromium, on its own
test-browser: $(STAMP) $(AXE_JS)
	$(PY) -m pytest -q -p no:cacheprovider -m browser tests/e2e

## demo: the whole desk on the embedded default with demo data (Ctrl-C stops it)
demo: $(STAMP)
	$(VENV)/bin/triage up --demo

## examples: what the SLA core answers for the worked examples of CONTRACTS.md
examples: $(STAMP)
	$(VENV)/bin/triage sla deadline --contract nettsoft-mbn --received 2026-03-28T10:00
	$(VENV)/bin/triage sla deadline --contract pindena --received 2026-03-31T10:00
	$(VENV)/bin/triage sla deadline --contract nettsoft-vps-access --severity critical --received 2026-03-29T03:00
	$(VENV)/bin/triage sla uptime --contract nettsoft-vps-access --month 2026-03 --users 40 --outage 2026-03-10T09:00/2026-03-10T13:00@12
	$(VENV)/bin/triage sla penalty --contract nettsoft-mbn --quarter 2026Q1 --users 40 --breaches 2 --first-breach 2026-02-03

## translations: extract the desk's strings again, update the .po files, compile the .mo files.
## The .mo files are committed (a fresh clone needs no build step); tests/web/test_i18n.py
## fails when a .mo lags its .po or a string has no English.
BABEL := $(VENV)/bin/pybabel
translations: $(STAMP)
	$(BABEL) extract -F web/translations/babel.cfg -k _l -o web/translations/messages.pot \
		--sort-output --no-location --omit-header .
	$(BABEL) update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching
	$(BABEL) compile -d web/translations --statistics

## lint: ruff (lint + format check) and mypy (strict on the pure packages)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sla triage config

## bench: speed figures (not tests; printed, not asserted)
bench: $(STAMP)
	$(PY) bench/sla_bench.py
	$(PY) bench/escalation_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
