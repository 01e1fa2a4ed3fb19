# `make demo` and `make test` each set up .venv when needed, then run.
# A second run does not reinstall: the stamp file is newer than pyproject.toml/constraints.txt.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out

# This machine's pip config lists local package folders; pip warns once per package that a
# folder lacks it. The warnings are harmless; filter them so real errors stay visible.
PIP_NOISE := is ignored: it is neither a file nor a directory

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,ames]' 2>&1 \
		| { grep -v "$(PIP_NOISE)" || true; }
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/backprop-lab demo --out $(OUT)

test: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache
