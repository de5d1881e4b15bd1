"""The one date rule: a ledger answers for the dates from its first invoice to a year after its last transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from helpers import REFERENCE, d, make_ledger

from features.as_of import MAX_DAYS_AFTER_LEDGER, AsOfOutOfRange, ledger_span
from tradecredit.cli import main

LEDGER = make_ledger(
    [("I1", "A", "2024-01-10", "2024-04-30", 100), ("I2", "A", "2024-02-01", "2024-06-30", 50)],
    [("I1", "2024-03-15", 100)],
)


def test_the_last_transaction_is_a_payment_or_an_invoice_never_a_due_date():
    span = ledger_span(LEDGER)
    assert (span.first_invoice, span.last_transaction) == (d("2024-01-10"), d("2024-03-15"))


def test_dates_outside_the_span_are_refused_with_the_bound_they_break():
    span = ledger_span(LEDGER)
    span.check([d("2024-01-10"), d("2024-03-15") + dt.timedelta(days=MAX_DAYS_AFTER_LEDGER)])
    with pytest.raises(
        AsOfOutOfRange, match=r"as_of 2025-03-17 is more than 366 days after the ledger's last transaction 2024-03-15"
    ):
        span.check([d("2025-03-17")])
    with pytest.raises(
        AsOfOutOfRange, match=r"as_of 2023-12-31 \(and 1 more\) is before the ledger's first invoice 2024-01-10"
    ):
        span.check([d("2023-11-30"), d("2023-12-31"), d("2024-01-31")])


def test_features_refuses_a_monthly_range_beyond_the_ledger_in_one_line(sample_ledger_dir, tmp_path):
    out = tmp_path / "f.parquet"
    args = ["features", "--ledger", str(sample_ledger_dir), "--monthly", "2026-06-30", "2030-12-31"]
    result = CliRunner().invoke(main, [*args, "--reference-date", str(REFERENCE), "--out", str(out)])
    assert result.exit_code == 1
    assert "more than 366 days after the ledger's last transaction" in result.output
    assert "(and " in result.output and "Traceback" not in result.output
    assert not out.exists()
