# The two commands of the README: `make demo` runs the main job end to end, `make test` runs the tests.
# Both create .venv and install into it first, so they work on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo
STAMP := $(VENV)/.installed
DEMO_REFERENCE := 2027-06-30

.PHONY: demo test lint format install docs clean benchmark chromium screenshots notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# The main job end to end on embedded defaults: ledger -> validation -> features -> two models in
# MLflow (SQLite + ./mlruns inside demo/) -> an explained, limit-advised portfolio -> the portfolio report
# (the November scores first, so that the watchlist compares December with grades recorded a month before).
demo: $(STAMP)
	mkdir -p $(DEMO)
	cd $(DEMO) && ../$(BIN)/tradecredit sample --out ledger --customers 3000 --years 5 --seed 42 --format parquet
	cd $(DEMO) && ../$(BIN)/tradecredit validate --ledger ledger --reference-date $(DEMO_REFERENCE) --quarantine quarantine
	cd $(DEMO) && ../$(BIN)/tradecredit features --ledger ledger --monthly 2022-06-30 2026-12-31 --with-labels \
		--reference-date $(DEMO_REFERENCE) --out features.parquet
	cd $(DEMO) && ../$(BIN)/tradecredit train --features features.parquet --label default_12m
	cd $(DEMO) && ../$(BIN)/tradecredit train --features features.parquet --label late_payment_90d
	cd $(DEMO) && ../$(BIN)/tradecredit score --ledger ledger --as-of 2026-11-30 --reference-date $(DEMO_REFERENCE) \
		--out scores-2026-11-30.parquet
	cd $(DEMO) && ../$(BIN)/tradecredit score --ledger ledger --as-of 2026-12-31 --reference-date $(DEMO_REFERENCE) \
		--out scores.parquet --show 5
	cd $(DEMO) && ../$(BIN)/tradecredit portfolio --ledger ledger --as-of 2026-12-31 --reference-date $(DEMO_REFERENCE) \
		--scores scores.parquet --out portfolio
	# Exit status 4 is a breached threshold, said in the output: the demo goes on.
	cd $(DEMO) && ../$(BIN)/tradecredit monitor --ledger ledger --as-of 2026-12-31 --reference-date $(DEMO_REFERENCE) \
		--out monitoring || test $$? -eq 4
	@echo
	@echo "Explained scores: $(DEMO)/scores.parquet (manifest beside it), every run's scores in $(DEMO)/score-history."
	@echo "Portfolio report: $(DEMO)/portfolio/report.xlsx, each table also as Parquet and CSV (docs/portfolio.md)."
	@echo "Model monitoring: $(DEMO)/monitoring/report.html (docs/monitoring.md)."
	@echo "The pages and the API: add yourself as a user (there is no default user or password), then start the server:"
	@echo "  cd $(DEMO) && ../$(BIN)/tradecredit users add anna --role credit_officer --password-stdin   # type a password (12+), Enter"
	@echo "  cd $(DEMO) && TRADECREDIT_API_KEYS=choose-a-long-secret-key TRADECREDIT_LEDGER=ledger \\"
	@echo "    TRADECREDIT_REFERENCE_DATE=$(DEMO_REFERENCE) ../$(BIN)/tradecredit serve --port 8000"
	@echo "  Portfolio page: http://127.0.0.1:8000/  (sign in as anna with that password; docs/pages.md)"
	@echo "  API: curl -H 'X-API-Key: choose-a-long-secret-key' 'http://127.0.0.1:8000/v1/customers/C000001/score?as_of=2026-12-31'"

# The browser tests drive Debian's chromium (Playwright's own browser download is not available here).
chromium:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

# Lint, formatting and types: what CI runs before the tests. `make format` applies the fixes.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: $(STAMP)
	$(BIN)/python -m features.docs docs

benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.run

# The README's screenshots of every page in both languages, from the demo (run `make demo` first), signed in
# as a user made for the run in a file of its own and removed afterwards.
screenshots: $(STAMP) chromium
	rm -f $(DEMO)/screenshot-users.json
	echo "screenshot-password" | $(BIN)/tradecredit users add screenshots --role credit_officer --password-stdin \
		--file $(DEMO)/screenshot-users.json
	cd $(DEMO) && (TRADECREDIT_API_KEYS=screenshot-key-0123456789 TRADECREDIT_LEDGER=ledger \
		TRADECREDIT_USERS_FILE=screenshot-users.json TRADECREDIT_REFERENCE_DATE=$(DEMO_REFERENCE) \
		../$(BIN)/tradecredit serve --port 8765 > screenshot-server.log 2>&1 & echo $$! > screenshot-server.pid)
	until curl -sf http://127.0.0.1:8765/ready >/dev/null; do sleep 1; done
	$(BIN)/python docs/scripts/screenshots.py http://127.0.0.1:8765 screenshots screenshot-password \
		docs/screenshots 2026-12-31 C001836; status=$$?; kill $$(cat $(DEMO)/screenshot-server.pid); \
		rm -f $(DEMO)/screenshot-users.json $(DEMO)/screenshot-server.pid; exit $$status

# The modellers' notebooks executed in order on the sample portfolio (and the SAP extract where ../shared/data
# has it), rendered with their outputs to docs/notebooks/; their work folder is demo/notebook-work.
notebooks: $(STAMP)
	cd notebooks && TRADECREDIT_NOTEBOOK_WORK=$(abspath $(DEMO))/notebook-work ../$(BIN)/jupyter nbconvert --execute \
		--to html --output-dir ../docs/notebooks 01_explore_ledger.ipynb 02_train_and_compare.ipynb \
		03_explain_scores.ipynb 05_monitor_and_backtest.ipynb

clean:
	rm -rf $(VENV) $(DEMO) mlruns mlflow.db .pytest_cache
