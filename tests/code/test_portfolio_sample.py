"""The portfolio report on the sample ledger with the trained champions: figures that reconcile, and a
watchlist that compares with the grades the score history recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from serving.score_history import recorded_dates, scores_at

CLI = str(Path(sys.executable).with_name("tradecredit"))
DATES = ["--reference-date", "2027-06-01"]


def cli(uri, *args):
    result = subprocess.run(
        [CLI, *args, *DATES],
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def reports(registry, sample_ledger_dir, tmp_path_factory):
    """Return (folder, stdout of the first report, stdout of the second): June scored with a July score
    run between them, then July compared with the June grades the history recorded."""
    uri, folder = registry[0], tmp_path_factory.mktemp("portfolio")
    ledger = ["--ledger", str(sample_ledger_dir)]
    first = cli(uri, "portfolio", *ledger, "--as-of", "2026-06-30", "--out", str(folder / "june"))
    cli(
        uri,
        "score",
        *ledger,
        "--as-of",
        "2026-07-31",
        "--out",
        str(folder / "july.parquet"),
        "--max-skipped-share",
        "1",
    )
    second = cli(
        uri, "portfolio", *ledger, "--as-of", "2026-07-31", "--compare-to", "2026-06-30", "--out", str(folder / "july")
    )
    return folder, first.stdout, second.stdout


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet")}


def test_scores_of_both_runs_are_recorded_and_read_back(reports):
    folder, first, second = reports
    history = folder / "score-history"
    assert [d.isoformat() for d in recorded_dates(history)] == ["2026-06-30", "2026-07-31"]
    assert "no scores recorded at 2026-05-31: its grades were scored afresh" in first
    assert f"grades at 2026-06-30 as recorded in the score history {history}" in second
    june = scores_at(history, pd.Timestamp("2026-06-30").date())
    assert june is not None and june["risk_grade"].notna().all()


def test_figures_reconcile(reports):
    folder, _, _ = reports
    t = tables(folder / "july")
    aging = t["aging"]
    customers, total = aging[aging["level"] == "customer"], aging[aging["level"] == "total"].iloc[0]
    assert customers["open_receivables"].sum() == pytest.approx(total["open_receivables"])
    by_grade = aging[aging["level"] == "risk_grade"]
    assert by_grade["open_receivables"].sum() == pytest.approx(total["open_receivables"])
    matrix = t["provision_matrix"]
    assert matrix["provision_matrix"].iloc[:-1].sum() == pytest.approx(matrix["provision_matrix"].iloc[-1])
    assert matrix["open_amount"].iloc[-1] == pytest.approx(total["open_receivables"] - total["unapplied_credit"])
    assert ((matrix["loss_rate"].iloc[:-1] >= 0) & (matrix["loss_rate"].iloc[:-1] <= 1)).all()
    work = t["worklist"]
    assert (work["days_overdue"] >= 1).all()
    assert work.loc[work["queue"] == "collections", "open_amount"].sum() + work.loc[
        work["queue"] == "disputes", "open_amount"
    ].sum() == pytest.approx(total["overdue_amount"])
    assert work["reason_1_text_en"].notna().all()
    watch = t["watchlist"]
    assert len(watch) and (watch["rule_count"] >= 1).all() and watch["rule_details"].str.len().gt(0).all()
    manifest = json.loads((folder / "july" / "manifest.json").read_text())
    assert manifest["models"]["default_model"].endswith("/1")


def test_grade_migrations_compare_with_the_recorded_grades(reports):
    folder, _, _ = reports
    watch = tables(folder / "july")["watchlist"]
    june = scores_at(folder / "score-history", pd.Timestamp("2026-06-30").date()).set_index("customer_id")
    down = watch[watch["rule_grade_down"]]
    for row in down.itertuples():
        before = june.loc[row.customer_id, "risk_grade"]
        assert f"grade {before} -> {row.risk_grade}" in row.rule_details
