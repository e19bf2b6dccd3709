# District News Archive: two commands on a fresh machine.
#   make demo   install, serve the bundled sample portal, crawl it, search it
#   make test   install and run the whole test suite (what CI runs)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-data
# pywb pins redis==2.10.6, which clashes with ours: it gets a virtualenv of its own,
# used only by tests/test_replay.py (skipped, saying why, when pywb is missing).
PYWB_VENV ?= .venv-pywb
# The wacz package's validator (`wacz validate`), used by tests/test_wacz.py on
# every package the tests write; its pins are not ours, so it too lives apart.
WACZ_VENV ?= .venv-wacz
# ReplayWeb.page's built files, for tests/test_wacz_browser.py (with Chromium).
REPLAYWEBPAGE ?= .replaywebpage

.PHONY: install bytecode pywb wacz-validator browser demo test lint bench bench-scale clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,scale]'
	touch $@

# Our own modules compiled ahead: where PYTHONDONTWRITEBYTECODE is set, every
# dna command would otherwise compile them again (a quarter of a second each).
bytecode: install
	$(BIN)/python -m compileall -q archive crawler extract places search dna tests sampleportal

pywb: $(PYWB_VENV)/bin/wayback

$(PYWB_VENV)/bin/wayback:
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install --quiet pywb

wacz-validator: $(WACZ_VENV)/bin/wacz

$(WACZ_VENV)/bin/wacz:
	$(PYTHON) -m venv $(WACZ_VENV)
	$(WACZ_VENV)/bin/pip install --quiet wacz

# Chromium and chromium-driver (apt, as root) and ReplayWeb.page (npm); never fails.
browser:
	bash scripts/install-browser.sh $(REPLAYWEBPAGE)

demo: install bytecode
	DNA_BIN=$(BIN) bash scripts/demo.sh $(DEMO)

# PostgreSQL (installed and started on 127.0.0.1 if need be, stopped again
# after) and redis-server: see scripts/with-test-services.sh.
# Test files are dealt to one worker per core (at most 4); each file's
# fixtures stay in one worker.  PYTEST_WORKERS= runs them in one process.
PYTEST_WORKERS ?= --numprocesses=auto --maxprocesses=4 --dist=loadfile
test: install bytecode
	-$(MAKE) pywb
	-$(MAKE) wacz-validator
	-$(MAKE) browser
	$(BIN)/ruff check .
	bash scripts/with-test-services.sh $(BIN)/python -m pytest $(PYTEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.crawl
	$(BIN)/python -m bench.warcwrite
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.recrawl
	$(BIN)/python -m bench.wacz

# One crawl worker against two sharing a Redis frontier (needs PostgreSQL and Redis).
bench-scale: install
	bash scripts/with-test-services.sh $(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) $(PYWB_VENV) $(WACZ_VENV) $(REPLAYWEBPAGE) $(DEMO) *.egg-info .pytest_cache .ruff_cache
