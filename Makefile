# wattelt_eval: two commands do all the set-up on a fresh machine.
#   make report   install, then build the demo council report into reports/
#   make test     install (incl. headless Chromium), then run the full test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

AXE := tests/axe/node_modules/axe-core/axe.min.js

.PHONY: install report test test-fast lab lint templates bench system-deps clean notebooks

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,lab]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

# Debian packages the report and its browser test need (Chromium prints the PDF).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
	  || ! command -v npm >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium poppler-utils fonts-dejavu-core nodejs npm >/dev/null; \
	fi

report: install system-deps
	$(BIN)/wattelt-eval report --demo --out reports/

# axe-core (accessibility checks of the report in the browser tests), pinned in tests/axe.
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	npm ci --prefix tests/axe --no-audit --no-fund --ignore-scripts

test: install system-deps $(AXE)
	$(BIN)/ruff check wattelt_eval tests benchmarks
	$(BIN)/ruff format --check wattelt_eval tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadscope --nbval --nbval-sanitize-with notebooks/nbval_sanitize.cfg tests notebooks

test-fast: install
	$(BIN)/python -m pytest -x -q -m "not slow and not browser" tests

lab: install
	$(BIN)/jupyter lab notebooks/

# Re-execute the researchers' notebooks in place (outputs are committed and checked by nbval).
notebooks: install
	BIN=$(abspath $(BIN)) notebooks/rebuild.sh

templates: install
	$(BIN)/wattelt-eval template --out data_templates/

bench: install
	$(BIN)/python benchmarks/bench_outcomes.py

clean:
	rm -rf $(VENV) .pytest_cache reports/*.html reports/*.pdf tests/axe/node_modules
