# District News Archive: two commands on a fresh machine.
#   make demo   install, serve the bundled sample portal, crawl it, search it
#   make test   install and run the whole test suite (what CI runs)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-data

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	DNA_BIN=$(BIN) bash scripts/demo.sh $(DEMO)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) $(DEMO) *.egg-info .pytest_cache .ruff_cache
