# `make demo` and `make test` each set up .venv when needed, then run.
# A second run does not reinstall: the stamp file is newer than pyproject.toml/constraints.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,ames]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/backprop-lab demo --out $(OUT)

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check .

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
