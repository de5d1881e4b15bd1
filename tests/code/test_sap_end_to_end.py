"""The real SAP FI-AR ledger end to end, as a user runs it: import, validate, features, train the late-payment
model (the only one an extract without credit events supports), score it with `--model none`, serve it, and
GET one customer's score.

The steps shared by the tests run once, in `sap`: nine month ends (2018-07 to 2019-03) are enough for an
out-of-time split (three test months, the rest before the 90-day label window) and keep training short.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from helpers import SHARED_DATA

from tradecredit.cli import main

pytestmark = pytest.mark.realdata

SAP_ZIP = SHARED_DATA / "sap_ar_payments" / "full_dataset.zip"
MONTHS = ("2018-07-31", "2019-03-31")
AS_OF = "2019-04-30"  # the month end after the last document of the extract


@dataclass
class SapRun:
    ledger: Path
    store: str
    features: Path
    scores: Path
    steps: dict[str, Result]
    cli: CliRunner


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def sap(tmp_path_factory) -> SapRun:
    assert SAP_ZIP.is_file(), f"the SAP extract is expected at {SAP_ZIP} (set TRADECREDIT_SHARED_DATA)"
    folder = tmp_path_factory.mktemp("sap")
    ledger, features, scores = folder / "ledger", folder / "features.parquet", folder / "scores.parquet"
    store = f"sqlite:///{folder / 'mlflow.db'}"
    cli = CliRunner(env={"MLFLOW_TRACKING_URI": store})
    previous = signal.getsignal(signal.SIGTERM)  # `score` turns SIGTERM into an interrupt for its clean-up
    steps = {
        "import": run(cli, "import", "sap-ar", "--source", str(SAP_ZIP), "--out", str(ledger)),
        "validate": run(cli, "validate", "--ledger", str(ledger)),
        "features": run(
            cli, "features", "--ledger", str(ledger), "--monthly", *MONTHS, "--with-labels", "--out", str(features)
        ),
        "train": run(cli, "train", "--features", str(features), "--label", "late_payment_90d"),
        "score": run(
            cli,
            "score",
            "--ledger",
            str(ledger),
            "--as-of",
            AS_OF,
            "--model",
            "none",
            "--out",
            str(scores),
            "--show",
            "3",
        ),
    }
    signal.signal(signal.SIGTERM, previous)
    return SapRun(ledger, store, features, scores, steps, cli)


def one_error_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert lines[-1].startswith("Error: ") and not any(line.startswith("Error: ") for line in lines[:-1])
    return lines[-1]


def test_the_extract_imports_validates_and_trains_a_late_payment_model(sap):
    for step in ("import", "validate", "features", "train"):
        assert sap.steps[step].exit_code == 0, (step, sap.steps[step].output)
    assert "ledger " in sap.steps["validate"].output and ": valid" in sap.steps["validate"].output
    assert "tradecredit-late-payment version 1" in sap.steps["train"].output


def test_the_default_model_cannot_be_trained_and_one_line_says_why_and_what_can(sap):
    line = one_error_line(run(sap.cli, "train", "--ledger", str(sap.ledger), "--target", "default_12m"))
    assert "the table credit_events is missing or empty" in line
    assert "the late-payment model can still be trained (--target late_payment_90d)" in line


def test_scoring_without_model_none_says_which_model_the_ledger_can_use(sap, tmp_path):
    previous = signal.getsignal(signal.SIGTERM)
    result = run(sap.cli, "score", "--ledger", str(sap.ledger), "--as-of", AS_OF, "--out", str(tmp_path / "s.parquet"))
    signal.signal(signal.SIGTERM, previous)
    line = one_error_line(result)
    assert "models:/tradecredit-default@champion: not found in the registry" in line
    assert (
        "the late-payment model models:/tradecredit-late-payment@champion loads: score with it alone (--model none)"
        in line
    )


def test_the_batch_scores_every_customer_with_the_late_payment_model_alone(sap):
    result = sap.steps["score"]
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(sap.scores)
    manifest = json.loads(sap.scores.with_name("scores.parquet.manifest.json").read_text())
    assert manifest["models"] == {"default_model": None, "late_payment_model": "tradecredit-late-payment/1"}
    assert manifest["scored"] == len(scores) > 20_000
    assert scores["pd_12m"].isna().all() and scores["risk_grade"].isna().all()  # no credit events: none in default
    assert scores["late_payment_prob_90d"].between(0, 1).all()
    assert set(scores["late_payment_grade"]) <= {str(g) for g in range(1, 11)}
    assert scores["reason_1_text_en"].notna().mean() > 0.5
    assert scores["limit_reasons"].str.startswith("late-payment grade").all()
    assert "customers most likely to pay late (no default model: no PD)" in result.output


def test_the_api_serves_a_customer_with_the_late_payment_model_alone(sap, tmp_path):
    from fastapi.testclient import TestClient

    from serving.api.main import create_app
    from serving.api.settings import ApiSettings

    key = "sap-test-key-0123456789"
    settings = ApiSettings(
        ledger=str(sap.ledger),
        api_keys=key,
        model_uri="none",
        tracking_uri=sap.store,
        audit_log=tmp_path / "audit.jsonl",
        default_as_of=dt.date.fromisoformat(AS_OF),
    )
    batch = pd.read_parquet(sap.scores).set_index("customer_id")
    customer = batch["late_payment_prob_90d"].idxmax()
    with TestClient(create_app(settings, load_in_background=False)) as client:
        assert client.get("/ready").status_code == 200
        response = client.get(f"/v1/customers/{customer}/score", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    score = response.json()["scores"][0]
    assert score["pd_12m"] is None and score["reasons"]
    assert score["late_payment_grade"] == batch.loc[customer, "late_payment_grade"]
    assert score["late_payment_prob_90d"] == pytest.approx(batch.loc[customer, "late_payment_prob_90d"], rel=1e-12)
    assert [r["feature"] for r in score["reasons"]][:1] == [batch.loc[customer, "reason_1_feature"]]


def test_the_portfolio_report_runs_on_the_extract_and_is_plausible(sap, tmp_path):
    out = tmp_path / "portfolio"
    previous = signal.getsignal(signal.SIGTERM)  # `portfolio` turns SIGTERM into an interrupt for its clean-up
    result = run(
        sap.cli,
        "portfolio",
        "--ledger",
        str(sap.ledger),
        "--as-of",
        AS_OF,
        "--scores",
        str(sap.scores),
        "--out",
        str(out),
    )
    signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    aging = pd.read_parquet(out / "aging.parquet")
    total = aging[aging["level"] == "total"].iloc[0]
    assert total["open_receivables"] > 0
    assert aging.loc[aging["level"] == "customer", "open_receivables"].sum() == pytest.approx(total["open_receivables"])
    dso = pd.read_parquet(out / "dso.parquet")
    portfolio_dso = dso.loc[dso["level"] == "total", "dso_countback"]
    assert len(portfolio_dso) == 12 and portfolio_dso.between(1, 120).all()  # days, as a B2B ledger's are
    matrix = pd.read_parquet(out / "provision_matrix.parquet")
    assert matrix["window_month_ends"].iloc[0] >= 12  # two years of history: a year of observed outcomes
    assert matrix["loss_rate"].between(0, 1).all()
    assert matrix["provision_model"].isna().all()  # no default model, no PD: no model-based figure
    worklist = pd.read_parquet(out / "worklist.parquet")
    assert len(worklist) and worklist["cash_at_risk"].notna().all()  # the late-payment model ranks them
    assert "open receivables" in result.output and "watchlist" in result.output
