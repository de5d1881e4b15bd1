"""Monitoring: PSI, the Jeffreys and binomial tests and migration against hand and scipy figures, and
`tradecredit monitor` flagging a drift injected into the sample ledger while staying quiet without it."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import REFERENCE
from scipy import stats

from model.spec import FeatureSpec
from training.evaluate import bin_shares, psi_from_shares
from training.monitor.backtest import (
    backtest_table,
    binomial_p,
    herfindahl,
    jeffreys_p,
    migration_matrix,
    migration_summary,
)
from training.monitor.stability import band, feature_reference

AS_OF = "2026-12-31"


def test_psi_is_the_sum_of_share_differences_times_their_log_ratio():
    # Reference: half below 1.5, half above, none missing; now three in four below.
    shares = bin_shares(np.array([1.0, 1.0, 1.0, 2.0]), np.array([1.5]))
    assert shares.tolist() == [0.75, 0.25, 0.0]
    by_hand = (0.75 - 0.5) * math.log(0.75 / 0.5) + (0.25 - 0.5) * math.log(0.25 / 0.5)
    assert psi_from_shares([0.5, 0.5, 0.0], shares) == pytest.approx(by_hand)
    assert [band(v) for v in (0.05, 0.1, 0.25, 0.26, float("nan"))] == ["stable", "watch", "watch", "act", "unknown"]


def test_a_reference_bins_days_by_whole_weeks_and_categories_one_each():
    spec = FeatureSpec(("days_since_last_payment", "industry"), {"industry": ("retail", "steel", "food")}, {})
    matrix = np.column_stack([np.arange(100, dtype=float), np.tile([0.0, 1.0, 2.0, np.nan], 25)])
    reference = feature_reference(matrix, spec, {"days_since_last_payment": "days"})
    assert all(edge % 7 == 0 for edge in reference["days_since_last_payment"]["edges"])
    assert reference["industry"]["edges"] == [0.5, 1.5]
    assert reference["industry"]["shares"] == [0.25, 0.25, 0.25, 0.25]  # the last: missing (an unseen category)


def test_the_jeffreys_and_binomial_p_values_are_scipys():
    defaults, n, pd_ = np.array([0, 3, 12]), np.array([200, 150, 100]), np.array([0.01, 0.01, 0.05])
    assert jeffreys_p(defaults, n, pd_) == pytest.approx(stats.beta.cdf(pd_, defaults + 0.5, n - defaults + 0.5))
    expected = [
        stats.binomtest(int(d), int(k), float(p), alternative="greater").pvalue for d, k, p in zip(defaults, n, pd_)
    ]
    assert binomial_p(defaults, n, pd_) == pytest.approx(expected)
    # 12 defaults of 100 at a PD of 5 %: the grade's PD is too low, and both tests say so.
    assert jeffreys_p(12, 100, 0.05) < 0.01 and binomial_p(12, 100, 0.05) < 0.01


def test_the_backtest_counts_defaults_per_date_and_grade():
    frame = pd.DataFrame(
        {
            "as_of_date": ["2025-12-31"] * 5,
            "grade": ["1", "1", "2", "2", "2"],
            "pd": [0.01, 0.03, 0.1, 0.1, 0.4],
            "outcome": [0, 0, 1, 0, 1],
        }
    )
    table = backtest_table(frame).set_index("grade")
    assert table.loc["2", ["n", "defaults"]].tolist() == [3, 2]
    assert table.loc["2", "mean_pd"] == pytest.approx(0.2) and table.loc["1", "observed_rate"] == 0
    assert table.loc["all", "defaults"] == 2 and table.loc["all", "mean_pd"] == pytest.approx(0.128)
    assert table.loc["2", "jeffreys_p"] == pytest.approx(stats.beta.cdf(0.2, 2.5, 1.5))


def test_migration_counts_customers_graded_at_both_dates():
    before = pd.Series({"A": "1", "B": "1", "C": "2", "D": "5", "E": "3"})
    after = pd.Series({"A": "1", "B": "2", "C": "2", "D": "1", "F": "4"})  # E and F are graded once only
    matrix = migration_matrix(before, after)
    assert matrix.loc["1", "1"] == 1 and matrix.loc["1", "2"] == 1 and matrix.loc["5", "1"] == 1
    assert int(matrix.to_numpy().sum()) == 4
    summary = migration_summary(matrix)
    assert summary["stayed"] == 0.5 and summary["one_notch"] == 0.25 and summary["over_two_notches"] == 0.25
    assert summary["downgraded"] == 0.25 and summary["upgraded"] == 0.25
    assert herfindahl(pd.Series(["1", "2", "3", "4"])) == 0.25 and herfindahl(pd.Series(["7"] * 3)) == 1.0


def _monitor(ledger: Path, out: Path, uri: str, *config: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("tradecredit")), "monitor", "--ledger", str(ledger)]
    command += ["--as-of", AS_OF, "--reference-date", REFERENCE.isoformat(), "--tracking-uri", uri, "--out", str(out)]
    return subprocess.run([*command, *config], capture_output=True, text=True)


def _slowed(ledger: Path, folder: Path, days: int, since: str) -> Path:
    """Return a copy of `ledger` in which a third of the customers pay `days` later every invoice from `since`."""
    shutil.copytree(ledger, folder)
    invoices = pd.read_parquet(folder / "invoices.parquet", columns=["invoice_id", "customer_id", "invoice_date"])
    payments = pd.read_parquet(folder / "payments.parquet")
    third = set(sorted(invoices["customer_id"].unique())[::3])
    late = invoices["customer_id"].isin(third) & (pd.to_datetime(invoices["invoice_date"]) >= since)
    moved = payments["invoice_id"].isin(set(invoices.loc[late, "invoice_id"]))
    payments.loc[moved, "payment_date"] = (
        pd.to_datetime(payments.loc[moved, "payment_date"]) + pd.Timedelta(days=days)
    ).dt.date
    payments.to_parquet(folder / "payments.parquet", index=False)
    return folder


def test_monitor_stays_quiet_on_the_ledger_and_flags_slowed_payments(registry, sample_ledger_dir, tmp_path):
    uri = registry[0]
    # Stability and discrimination only: the small sample's model fails the Jeffreys test in its safest
    # grade (5 defaults of 842 at a PD of 0.07 %), a finding of its own, checked below.
    stability_only = tmp_path / "stability.toml"
    stability_only.write_text("calibration_breaches = false\n")
    quiet = _monitor(sample_ledger_dir, tmp_path / "quiet", uri, "--config", str(stability_only))
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    files = sorted(p.name for p in (tmp_path / "quiet").iterdir())
    assert files == ["auc.csv", "backtest.csv", "migration.csv", "psi.csv", "report.html", "summary.json"]
    backtest = pd.read_csv(tmp_path / "quiet" / "backtest.csv")
    assert list(backtest.columns) == [
        "as_of_date", "grade", "n", "defaults", "mean_pd", "observed_rate", "jeffreys_p", "binomial_p",
    ]  # fmt: skip
    assert backtest["as_of_date"].nunique() == 12 and backtest["as_of_date"].max() <= "2025-12-31"  # matured only
    summary = json.loads((tmp_path / "quiet" / "summary.json").read_text())
    assert summary["breaches"] == [] and summary["score_psi"] < 0.1 and summary["max_feature_csi"] < 0.1
    assert any(found.startswith("1 at ") for found in summary["grades_failing_jeffreys"])

    judged = _monitor(sample_ledger_dir, tmp_path / "judged", uri)  # the default thresholds, calibration too
    assert judged.returncode == 4
    breaches = [line for line in judged.stdout.splitlines() if "breach:" in line]
    assert breaches and all(line.strip().startswith("breach: grade 1 at 2025-12-31") for line in breaches)

    # Slowed by 20 days, the largest CSI on this 1,500-customer sample is 0.236 (watch); by 30 it is a breach.
    drifted = _slowed(sample_ledger_dir, tmp_path / "drifted-ledger", days=30, since="2026-01-01")
    loud = _monitor(drifted, tmp_path / "loud", uri, "--config", str(stability_only))
    assert loud.returncode == 4, loud.stdout + loud.stderr
    psi = pd.read_csv(tmp_path / "loud" / "psi.csv").set_index("feature")
    acted = set(psi.index[psi["band"] == "act"])
    assert acted and all("days_late" in name or "paid" in name for name in acted), acted
    assert "breach: CSI of" in loud.stdout

    card = subprocess.run(
        [
            str(Path(sys.executable).with_name("tradecredit")),
            "model-card",
            "--tracking-uri",
            uri,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert card.returncode == 0, card.stderr
    text = (tmp_path / "model_card.md").read_text()
    for heading in ("## Purpose", "## Data and split", "## Test-set performance", "## Calibration by risk grade"):
        assert heading in text
    assert "| `avg_days_late_365d` | days | higher is riskier | yes |" in text
    assert "| `country` | category | no direction (not constrained) | no |" in text  # never a reason
    newest = text.split("## Latest monitoring", 1)[1]
    assert "drifted-ledger" in newest and "breaches: CSI of" in newest
    assert "<table>" in (tmp_path / "model_card.html").read_text()


def test_the_auc_estimated_from_calibrated_pds_holds_the_realised_one():
    from sklearn.metrics import roc_auc_score

    from training.monitor.estimate import estimated_auc, expected_defaults

    assert estimated_auc(np.array([0.0, 0.0, 1.0, 1.0])) == (1.0, 1.0, 1.0)  # outcomes certain: ranked perfectly
    assert estimated_auc(np.full(500, 0.1))[0] == pytest.approx(0.5)  # one PD for all: no ranking
    rng = np.random.default_rng(7)
    pd_ = rng.beta(0.5, 12, size=5000)  # calibrated by construction: each outcome drawn with its PD
    realised = roc_auc_score(rng.random(5000) < pd_, pd_)
    _, low, high = estimated_auc(pd_)
    assert low < realised < high and high - low < 0.1
    expected, low, high = expected_defaults(np.array([0.5, 0.5, 0.5, 0.5]))
    assert expected == 2.0 and (low, high) == pytest.approx((2 - 1.96, 2 + 1.96))
