# Two commands for a fresh machine (README, "Quick start"):
#   make demo   installs szagents (runtime dependencies only) into .venv, then runs the offline demo
#   make test   adds the test dependencies, then runs the test suite (CI's .ci/run calls exactly this)
#   make test-quick   the suite without its slow and serial tests, for the edit loop
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Where szagents caches compiled kernels and generated datasets (szagents/paths.py: cache_dir).
CACHE := $(or $(SZAGENTS_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/szagents)

# The suite runs in two passes (README, "Tests"): the tests that may share the machine, in parallel (pytest-xdist,
# two workers per core); then those marked `serial` (they time something or need a quiet machine), one at a time.
# Two per core because most tests spend much of their time waiting (sandboxed children starting, daemons, the
# scripted models' latency): on an idle 2-core machine the parallel pass took 517 s with 4 workers against
# 615-690 s with 2 (2026-12-06). --dist loadgroup: the tests of a module marked with one xdist_group (a costly module
# fixture: a browser, a report, a study's real runs) run on one worker, so the fixture is made once (pytest < 9.2:
# tests/test_xdist_groups.py); --no-loadscope-reorder: units start in collection order, which tests/conftest.py
# arranges (the groups that make the shared runs first, beside long groups that need none).
CORES ?= $(shell nproc 2>/dev/null || echo 1)
JOBS ?= $(shell echo $$(( 2 * $(CORES) )))
PYTEST := $(BIN)/python -m pytest
NOT_HERE := not gpu and not cerebras
# The files that hold the `serial` tests: the serial pass collects only these, not the whole suite again (that
# collection took about 9 s of the pass); tests/conftest.py stops a run in which a serial test lives elsewhere.
SERIAL := tests/backends/test_adversarial_redteam.py tests/backends/test_adversarial_trust.py \
	tests/strategies/test_concurrency.py
# The tests start hundreds of Python processes: let them write and reuse bytecode (and pytest its rewritten test
# modules) even where the environment turns that off.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-quick bench clean clean-cache sandbox

# Untrusted kernels, compiles and the shell run in a bubblewrap sandbox (README, "The sandbox").
# As root with apt-get, it is installed here; otherwise say how (or opt out: SZAGENTS_ISOLATION=rlimits-only).
sandbox:
	@command -v bwrap >/dev/null || [ -n "$${SZAGENTS_BWRAP:-}" ] || [ "$${SZAGENTS_ISOLATION:-}" = rlimits-only ] || \
	 { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && echo "== installing bubblewrap (the sandbox)" && \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } || \
	 { echo "szagents needs bubblewrap to sandbox untrusted code: install it (Debian/Ubuntu: sudo apt-get install bubblewrap)," \
	        "or accept the weaker mode with SZAGENTS_ISOLATION=rlimits-only"; exit 2; }

# szagents and what it needs at run time: enough for the demo and the CLI.
$(BIN)/.base: pyproject.toml
	@echo "== creating $(VENV) and installing szagents into it (first time only, about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --progress-bar on -e .
	touch $@

# Plus the test dependencies (pytest, hypothesis, selenium, h5py, the Google client, inspect-ai).
$(BIN)/.installed: $(BIN)/.base
	@echo "== installing the test dependencies into $(VENV)"
	$(PIP) install --progress-bar on -e '.[dev]'
	touch $@

demo: $(BIN)/.base sandbox
	$(BIN)/szagents demo

test: $(BIN)/.installed sandbox
	$(PYTEST) -n $(JOBS) --dist loadgroup --no-loadscope-reorder -m '$(NOT_HERE) and not serial'
	$(PYTEST) -m '$(NOT_HERE) and serial' $(SERIAL)

# The edit loop: everything not marked slow or serial, one worker per core (these tests compute more than they wait:
# about 1,230 tests in 53 s on an idle 2-core machine, 67 s with two workers per core, 2026-12-06; `slow` marks every
# test measured at 1 s or more, or that needs the shared real runs). CI runs `make test`.
test-quick: $(BIN)/.installed sandbox
	$(PYTEST) -n $(CORES) --dist loadgroup -m '$(NOT_HERE) and not serial and not slow'

bench: $(BIN)/.base
	$(BIN)/python bench/cpu_references.py

# The virtual environment, test caches and szagents' cache of compiled kernels and datasets.
# Run folders (runs/) and reports are yours: clean leaves them.
clean: clean-cache
	rm -rf $(VENV) .pytest_cache .hypothesis

# Only the cache (shared by every checkout of this user): $(CACHE)/builds and /datasets.
clean-cache:
	rm -rf "$(CACHE)/builds" "$(CACHE)/datasets"
