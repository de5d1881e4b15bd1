# The two commands of the README: `make demo` runs the main job end to end, `make test` runs the tests.
# Both create .venv and install into it first, so they work on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo
STAMP := $(VENV)/.installed

.PHONY: demo test install docs clean benchmark

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tradecredit sample --out $(DEMO)/ledger --customers 2000 --years 3 --seed 42
	$(BIN)/tradecredit validate --ledger $(DEMO)/ledger --reference-date 2025-01-01 --quarantine $(DEMO)/quarantine

test: $(STAMP)
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/python -m features.contract > docs/ledger-contract.md

benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(DEMO) mlruns mlflow.db .pytest_cache
