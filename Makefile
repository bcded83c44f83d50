# Everything a fresh machine needs: `make serve` runs the mock; `make test-fast` runs the quick
# tests while editing, `make test` everything before committing (CI runs `make test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=

.PHONY: serve test test-fast lint bench lock clean bytecode

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# What pip does for an installed package, done for this editable one: the mock starts without
# compiling itself, even where PYTHONDONTWRITEBYTECODE is set (a third of its start).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q mock_server contract_tests

serve: bytecode
	$(BIN)/creatify-mock serve --host $(HOST) --port $(PORT) $(ARGS)

# Everything: ruff, mypy, the fixtures check, every test on Hypothesis's "ci" profile (100 examples,
# derandomized). One test runs a Node client: Node.js is installed here when missing. The
# dashboard's browser test needs Debian's chromium and chromium-driver (.ci/run installs them):
# without them it is skipped, and this says so first.
test: bytecode
	command -v node >/dev/null || apt-get install -y nodejs || (apt-get update && apt-get install -y nodejs)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || echo "make test: \
	chromium or chromedriver is missing, so the dashboard's browser test is skipped \
	(apt-get install chromium chromium-driver, as .ci/run does)"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check mock_server contract_tests tests examples benchmarks
	$(BIN)/mypy --strict mock_server contract_tests
	$(BIN)/mypy tests examples benchmarks
	$(BIN)/creatify-mock fixtures check fixtures
	$(BIN)/python -m pytest --hypothesis-profile=ci $(ARGS)

# While editing: the tests that stay in this process (no subprocess, no real server; the
# `slow` ones are left out) on Hypothesis's "dev" profile (10 examples). Under a minute.
test-fast: bytecode
	$(BIN)/python -m pytest -m "not slow" --hypothesis-profile=dev $(ARGS)

# Figures beside their baselines (bare Flask, Prism when npm can install it); needs wrk.
bench: bytecode
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python benchmarks/bench.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check mock_server contract_tests tests examples benchmarks
	$(BIN)/mypy --strict mock_server contract_tests
	$(BIN)/mypy tests examples benchmarks

# Re-pin requirements.txt, with hashes, from pyproject.toml: the dependencies, the testing
# extra and the dev group. uv runs from a scratch venv only; pins already in requirements.txt
# stay unless pyproject.toml rules them out (LOCK_ARGS=--upgrade for the newest of all).
UV_VERSION := 0.13.9
LOCK_ARGS ?=
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	.lock-venv/bin/uv pip compile pyproject.toml --extra testing --group pyproject.toml:dev \
		--universal --generate-hashes $(LOCK_ARGS) -o requirements.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
	find mock_server contract_tests -name __pycache__ -type d -prune -exec rm -rf {} +
