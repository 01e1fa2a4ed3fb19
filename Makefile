# `make demo` and `make test` each set up .venv when needed, then run; `make lab` also installs
# JupyterLab and opens the labs.
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
PIP       := $(PY) -m pip --disable-pip-version-check
QUIET_PIP  = 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
# What the first set-up costs (pip's own output stays quiet; these lines say what happens).
SETUP_TIME := about 3-5 minutes (torch is most of it)
LAB_STAMP  := $(VENV)/.lab-installed

.PHONY: setup demo test lint bench lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@echo "[setup] installing backprop-lab and its dependencies into $(VENV)/:" \
		"$(SETUP_TIME) the first time; later runs skip this step"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] 1/2 upgrading pip"
	@$(PIP) install --quiet --upgrade pip $(QUIET_PIP)
	@echo "[setup] 2/2 installing the project (editable) with the pins in constraints.txt ..."
	@start=$$(date +%s); $(PIP) install --quiet -c constraints.txt -e '.[dev,ames]' $(QUIET_PIP) \
		&& echo "[setup] done in $$(( $$(date +%s) - start )) s"
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

# JupyterLab for the labs (the `lab` extra; not needed by demo or test), then open them.
lab: $(LAB_STAMP)
	@echo "[lab] opening JupyterLab on notebooks/ (stop it with Ctrl-C)"
	cd notebooks && ../$(VENV)/bin/jupyter lab

$(LAB_STAMP): $(STAMP)
	@echo "[lab] installing JupyterLab into $(VENV)/ (about a minute the first time)"
	@$(PIP) install --quiet -c constraints.txt -e '.[dev,ames,lab]' $(QUIET_PIP)
	@touch $(LAB_STAMP)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache
