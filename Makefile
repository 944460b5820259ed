# cadre-sim: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python >= 3.12: $(PYTHON) if given, python3.13/python3.12 on PATH,
# then pyenv-installed versions.
FIND_PYTHON = for c in $(PYTHON) python3.12 python3.13 python3; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; \
	if command -v pyenv >/dev/null 2>&1; then \
	  for v in $$(pyenv versions --bare 2>/dev/null | grep -E "^3\.(1[2-9])" | sort -V); do \
	    p=$$(PYENV_VERSION=$$v pyenv which python3 2>/dev/null) || continue; \
	    $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	  done; \
	fi; exit 1

.PHONY: demo test lint format bench screenshots clean help

help:
	@echo "make demo   - set up .venv, run the shipped scenarios as a small batch, write a comparison report"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make lint   - ruff check and format check"
	@echo "make bench  - run the benchmarks in benchmarks/"

$(STAMP): pyproject.toml
	@py=$$($(FIND_PYTHON)) || { echo "error: cadre-sim needs Python >= 3.12 (Mesa 3.5 does). Install it, e.g. 'pyenv install 3.12' or your system's python3.12 package, or pass PYTHON=/path/to/python3.12"; exit 2; }; \
	echo "using $$py ($$($$py --version))"; \
	[ -x $(PY) ] || $$py -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@$(PY) -m sim.viz.assets || echo "warning: could not cache the browser view's front-end files (npm); 'cadre-sim viz' needs them offline"
	@touch $(STAMP)

demo: $(STAMP)
	rm -rf results/demo
	$(VENV)/bin/cadre-sim batch scenarios/*.toml --replicates 16 --steps 120 --population 2000 --seed 2026 --out results/demo
	$(VENV)/bin/cadre-sim compare results/demo --baseline baseline --window 24 --metric flat_share active_share innovations
	@echo "report: results/demo/comparison.md, figures in results/demo/figures/"

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks experiments
	$(VENV)/bin/ruff format --check sim tests benchmarks experiments

format: $(STAMP)
	$(VENV)/bin/ruff format sim tests benchmarks experiments
	$(VENV)/bin/ruff check --fix sim tests benchmarks experiments

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_viz.py

screenshots: $(STAMP)
	$(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
