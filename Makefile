# Two commands for a fresh machine (README, "Quick start"):
#   make demo   installs szagents (runtime dependencies only) into .venv, then runs the offline demo
#   make test   adds the test dependencies, then runs the test suite (CI's .ci/run calls exactly this)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Where szagents caches compiled kernels and generated datasets (szagents/paths.py: cache_dir).
CACHE := $(or $(SZAGENTS_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/szagents)

.PHONY: demo test bench clean clean-cache

# szagents and what it needs at run time: enough for the demo and the CLI.
$(BIN)/.base: pyproject.toml
	@echo "== creating $(VENV) and installing szagents into it (first time only, about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --progress-bar on -e .
	touch $@

# Plus the test dependencies (pytest, hypothesis, selenium, h5py, the Google client).
$(BIN)/.installed: $(BIN)/.base
	@echo "== installing the test dependencies into $(VENV)"
	$(PIP) install --progress-bar on -e '.[dev]'
	touch $@

demo: $(BIN)/.base
	$(BIN)/szagents demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest

bench: $(BIN)/.base
	$(BIN)/python bench/cpu_references.py

# The virtual environment, test caches and szagents' cache of compiled kernels and datasets.
# Run folders (runs/) and reports are yours: clean leaves them.
clean: clean-cache
	rm -rf $(VENV) .pytest_cache .hypothesis

# Only the cache (shared by every checkout of this user): $(CACHE)/builds and /datasets.
clean-cache:
	rm -rf "$(CACHE)/builds" "$(CACHE)/datasets"
