"""`tradecredit portfolio` as a credit team runs it: files, workbook, manifest, history, and bad input refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from portfolio_ledgers import AGING_AS_OF, AGING_LEDGER, scores, write_ledger

from serving.portfolio.files import TABLE_ORDER

CLI = str(Path(sys.executable).with_name("tradecredit"))


def run(*args, env=None):
    return subprocess.run(
        [CLI, "portfolio", *args, "--reference-date", "2027-06-01"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def literal(tmp_path):
    """Return (ledger folder, scores file) of the aging ledger at its as-of date."""
    folder = write_ledger(tmp_path / "ledger", **AGING_LEDGER)
    path = tmp_path / "scores.parquet"
    scores(AGING_AS_OF, [("A", 0.05, "6", 0.4), ("B", 0.01, "3", 0.2)]).to_parquet(path)
    return folder, path


def test_writes_every_table_the_workbook_and_a_manifest(literal, tmp_path):
    folder, scores_file = literal
    out = tmp_path / "report"
    result = run("--ledger", folder, "--as-of", AGING_AS_OF, "--scores", str(scores_file), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "open receivables      3,950" in result.stdout
    assert "worklist              6 overdue invoices to chase, 0 in dispute" in result.stdout
    for name in TABLE_ORDER:
        parquet, csv = pd.read_parquet(out / f"{name}.parquet"), pd.read_csv(out / f"{name}.csv")
        assert len(parquet) == len(csv)
    with zipfile.ZipFile(out / "report.xlsx") as workbook:
        sheets = workbook.read("xl/workbook.xml").decode()
    assert all(f'name="{name}"' in sheets for name in ("summary", *TABLE_ORDER))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["totals"]["open_receivables"] == 3950
    assert manifest["tables"]["worklist"]["rows"] == 6
    assert manifest["compare_to"] == "2024-05-31"  # the previous month-end
    again = tmp_path / "again"
    assert (
        run("--ledger", folder, "--as-of", AGING_AS_OF, "--scores", str(scores_file), "--out", str(again)).returncode
        == 0
    )
    # the same ledger, scores and settings: the same files, the workbook included
    assert json.loads((again / "manifest.json").read_text())["sha256"] == manifest["sha256"]


@pytest.mark.parametrize(
    ("config", "extra", "message"),
    [
        ("", ["--compare-to", "2024-07-31"], "--compare-to 2024-07-31 is not before --as-of 2024-06-30"),
        (
            '[[provision.scenarios]]\nname = "downturn"\nweight = 1.0\nmultiplier = {"1-29" = 2.0}\n',
            [],
            "scenario 'downturn' names the bucket '1-29', which the aging buckets do not have",
        ),
        ('[watchlist]\nrules = ["pd_over", "late_again"]\n', [], "watchlist.rules: unknown rule 'late_again'"),
        ("[expected_loss]\nlgd = 1.5\n", [], "expected_loss.lgd: 1.5 is outside [0, 1]: an LGD must lie in [0, 1]"),
        (
            '[provision]\nscenarios = [{name = "base", weight = 0.5}]\n',
            [],
            "provision.scenarios: scenario weights add up to 0.5, not 1",
        ),
        (
            '[worklist]\nladder = [{from_days_overdue = 1, action = "send flowers"}]\n',
            [],
            "unknown action 'send flowers'",
        ),
        (
            "[expected_loss.lgd_by_segment]\nretail = -0.2\n",
            [],
            "the LGD of segment 'retail' is -0.2: an LGD must lie in [0, 1]",
        ),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(literal, tmp_path, config, extra, message):
    folder, scores_file = literal
    args = ["--ledger", folder, "--as-of", AGING_AS_OF, "--scores", str(scores_file), "--out", str(tmp_path / "out")]
    if config:
        (tmp_path / "portfolio.toml").write_text(config)
        args += ["--config", str(tmp_path / "portfolio.toml")]
    refused(run(*args, *extra), message)
    assert not (tmp_path / "out").exists()


def refused(result, message: str) -> None:
    """Assert the command failed with `message` as its one error line (the progress lines before it aside)."""
    assert result.returncode == 1, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert result.stderr.strip().splitlines()[-1] == errors[0]
    assert "Traceback" not in result.stderr


def test_a_date_with_nothing_open_is_refused(tmp_path):
    folder = write_ledger(
        tmp_path / "paid",
        customers=[("Z", 1000.0, 30, None, "retail")],
        invoices=[("Z1", "Z", "2024-01-01", "2024-01-31", 100)],
        payments=[("Z1", "2024-01-20", 100)],
    )
    path = tmp_path / "scores.parquet"
    scores("2024-03-31", [("Z", 0.01, "2", 0.1)]).to_parquet(path)
    result = run("--ledger", folder, "--as-of", "2024-03-31", "--scores", str(path), "--out", str(tmp_path / "out"))
    refused(result, "nothing is open at 2024-03-31: no receivables to report on")
    assert not (tmp_path / "out").exists()


def test_scores_of_another_date_are_refused(literal, tmp_path):
    folder, _ = literal
    path = tmp_path / "other.parquet"
    scores("2024-05-31", [("A", 0.05, "6", 0.4)]).to_parquet(path)
    result = run("--ledger", folder, "--as-of", AGING_AS_OF, "--scores", str(path), "--out", str(tmp_path / "out"))
    refused(result, "row 1, column as_of_date: 2024-05-31 is not the report's as-of date 2024-06-30")
