"""Each named feature on tiny literal ledgers with values computed by hand, boundaries included."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from helpers import d, make_ledger

from features.catalogue import catalogue
from features.labels import LabelConfig, build_labels, labels_from_facts
from features.memory import release_cached_blocks
from features.pipeline import LedgerFacts, build_features, features_from_facts, month_ends

AS_OF = d("2024-06-30")


def row(ledger, as_of=AS_OF, customer="A"):
    frame = build_features(ledger, [as_of]).to_pandas()
    found = frame[(frame.customer_id == customer)]
    assert len(found) == 1, f"expected one row for {customer} at {as_of}, got {len(found)}"
    return found.iloc[0]


def test_open_amount_counts_part_payments_and_credit_notes_and_ignores_later_settlement():
    ledger = make_ledger(
        [
            ("I1", "A", "2024-05-01", "2024-05-31", 1000),  # 400 paid by as_of, rest after: open 600, 30 dpd
            ("I2", "A", "2024-06-15", "2024-07-15", 500),  # not yet due
            ("N1", "A", "2024-06-20", "2024-06-20", 100, "credit_note"),  # open credit note, 10 dpd
            ("I3", "A", "2024-01-02", "2024-02-01", 300),  # paid in full before as_of
        ],
        [("I1", "2024-06-10", 400), ("I1", "2024-07-05", 600), ("I3", "2024-03-01", 300)],
    )
    r = row(ledger)
    assert r.open_amount == 1000  # 600 + 500 - 100
    assert r.overdue_amount == 500  # 600 (due 05-31) - 100 (credit note due 06-20)
    assert r.aging_current_amount == 500
    assert r.aging_1_30_amount == 500  # I1 at exactly 30 dpd sits in 1-30, with the credit note
    assert r.aging_31_60_amount == 0
    assert (
        r.aging_current_amount
        + r.aging_1_30_amount
        + r.aging_31_60_amount
        + r.aging_61_90_amount
        + r.aging_91_180_amount
        + r.aging_over_180_amount
        == r.open_amount
    )
    assert r.max_days_past_due_open == 30
    assert r.part_paid_open_invoice_count == 1
    assert r.open_credit_note_amount == 100
    assert r.open_invoice_count == 2


@pytest.mark.parametrize(
    ("due", "bucket", "dpd"),
    [
        ("2024-06-30", "aging_current_amount", 0),  # due on the as-of day: not yet past due
        ("2024-06-29", "aging_1_30_amount", 1),
        ("2024-05-31", "aging_1_30_amount", 30),
        ("2024-05-30", "aging_31_60_amount", 31),
        ("2024-05-01", "aging_31_60_amount", 60),
        ("2024-04-01", "aging_61_90_amount", 90),
        ("2024-03-31", "aging_91_180_amount", 91),
        ("2024-01-02", "aging_91_180_amount", 180),
        ("2024-01-01", "aging_over_180_amount", 181),
    ],
)
def test_aging_bucket_boundaries(due, bucket, dpd):
    ledger = make_ledger([("I1", "A", "2023-12-01", due, 250)])
    r = row(ledger)
    assert r[bucket] == 250
    assert r.max_days_past_due_open == max(dpd, 0)
    assert r.overdue_amount == (250 if dpd > 0 else 0)


def test_settled_on_the_as_of_day_is_not_open_and_an_invoice_dated_that_day_is():
    ledger = make_ledger(
        [("I1", "A", "2024-05-01", "2024-05-31", 100), ("I2", "A", "2024-06-30", "2024-07-30", 70)],
        [("I1", "2024-06-30", 100)],
    )
    r = row(ledger)
    assert r.open_amount == 70
    assert r.invoice_count_90d == 2
    assert r.days_since_last_payment == 0
    assert r.avg_days_late_365d == 30


def test_windows_are_half_open_at_the_far_end():
    # (as_of - 90, as_of]: 2024-04-01 is exactly 90 days before and falls outside; 2024-04-02 inside.
    ledger = make_ledger(
        [
            ("I1", "A", "2024-04-01", "2024-05-01", 10),
            ("I2", "A", "2024-04-02", "2024-05-02", 20),
            ("I3", "A", "2023-07-01", "2023-07-31", 40),  # exactly 365 days before: outside the year
            ("I4", "A", "2023-07-02", "2023-08-01", 80),
        ]
    )
    r = row(ledger)
    assert r.invoice_count_90d == 1 and r.invoice_amount_90d == 20
    assert r.invoice_count_365d == 3 and r.invoice_amount_365d == 110
    assert r.dso_90d == pytest.approx(150 / 20 * 90)


def test_days_late_and_share_over_30_days_late():
    ledger = make_ledger(
        [
            ("I1", "A", "2024-01-01", "2024-01-31", 100),  # paid 30 days late: late, not over 30
            ("I2", "A", "2024-02-01", "2024-03-02", 300),  # paid 31 days late
            ("I3", "A", "2024-03-01", "2024-03-31", 100),  # paid 10 days early
            ("I4", "A", "2024-04-01", "2024-05-01", 100),  # paid in two instalments, 5 days late
        ],
        [
            ("I1", "2024-03-01", 100),
            ("I2", "2024-04-02", 300),
            ("I3", "2024-03-21", 100),
            ("I4", "2024-05-01", 50),
            ("I4", "2024-05-06", 50),
        ],
    )
    r = row(ledger)
    assert r.avg_days_late_365d == pytest.approx((30 + 31 + 0 + 5) / 4)
    assert r.share_paid_over_30d_late_365d == pytest.approx(1 / 4)
    assert r.share_paid_late_365d == pytest.approx(3 / 4)
    assert r.share_paid_early_365d == pytest.approx(1 / 4)
    assert r.max_days_late_365d == 31
    assert r.amount_weighted_days_late_365d == pytest.approx((30 * 100 + 31 * 300 + 0 + 5 * 100) / 600)
    assert r.share_settled_in_instalments_365d == pytest.approx(1 / 4)
    assert r.settled_invoice_count_365d == 4
    assert r.days_since_last_payment == (AS_OF - d("2024-05-06")).days
    assert r.max_days_late_ever == 31


def test_empty_when_nothing_to_measure():
    ledger = make_ledger([("I1", "A", "2023-01-01", "2023-01-31", 100)], customers=[("A", None, None)])
    r = row(ledger)
    assert math.isnan(r.avg_days_late_365d)  # nothing settled in the year
    assert math.isnan(r.share_paid_over_30d_late_365d)
    assert math.isnan(r.credit_limit_utilisation)  # no limit
    assert math.isnan(r.dso_90d)  # nothing invoiced in 90 days
    assert math.isnan(r.days_since_last_payment)  # never paid
    assert r.open_amount == 100


def test_credit_limit_utilisation_and_tenure():
    ledger = make_ledger(
        [("I1", "A", "2024-06-01", "2024-07-01", 2500)],
        customers=[("A", 10000, "2020-06-30")],
    )
    r = row(ledger)
    assert r.credit_limit_utilisation == pytest.approx(0.25)
    assert r.credit_limit_headroom == 7500
    assert r.over_credit_limit == 0
    assert r.customer_tenure_days == (AS_OF - d("2020-06-30")).days


def test_disputes_open_at_as_of():
    ledger = make_ledger(
        [("I1", "A", "2024-05-01", "2024-05-31", 100), ("I2", "A", "2024-05-02", "2024-06-01", 200)],
        disputes=[("I1", "2024-06-01", None), ("I2", "2024-06-02", "2024-06-20")],
    )
    r = row(ledger)
    assert r.disputed_open_amount == 100  # I2's dispute was resolved by as_of
    assert r.dispute_count_365d == 2 and r.dispute_count_90d == 2
    assert r.disputed_amount_365d == 300


def test_share_of_the_years_invoices_disputed_by_as_of():
    ledger = make_ledger(
        [
            ("I0", "A", "2023-05-01", "2023-05-31", 50),  # issued before the year
            ("I1", "A", "2024-01-10", "2024-02-09", 100),
            ("I2", "A", "2024-03-01", "2024-03-31", 100),
            ("I3", "A", "2024-05-01", "2024-05-31", 100),
            ("I4", "A", "2024-06-01", "2024-07-01", 100),
            ("C1", "A", "2024-04-01", "2024-04-01", 20, "credit_note"),
        ],
        disputes=[
            ("I0", "2023-09-01", None),
            ("I1", "2024-02-01", "2024-02-20"),
            ("I1", "2024-03-01", None),
            ("I3", "2024-07-05", None),  # opened after as_of
        ],
    )
    table = build_features(ledger, [AS_OF]).to_pandas()
    # I1, disputed twice, once resolved, counts once among the year's four invoices (credit notes aside).
    assert table.loc[0, "share_invoices_disputed_365d"] == pytest.approx(1 / 4)
    assert "disputed_invoice_count_365d" not in table.columns  # intermediate: read, not shown
    assert math.isnan(row(make_ledger([("I9", "A", "2022-01-01", "2022-01-31", 10)])).share_invoices_disputed_365d)


# The year to AS_OF is (2023-07-01, 2024-06-30]; the balance carried into it is the one at the end of 2023-07-01.
PEAK_LEDGER = {
    "invoices": [
        # A: 5,800 open in June 2023, before the year; 800 carried into it; 1,500 at the end of 2024-02-15
        ("I0", "A", "2023-03-01", "2023-03-31", 5000),  # paid before the year
        ("I1", "A", "2023-06-01", "2023-07-01", 800),  # open when the year starts, paid inside it
        ("I2", "A", "2024-02-01", "2024-03-02", 1000),  # 400 paid inside the year, 600 after as_of
        ("I3", "A", "2024-02-15", "2024-03-16", 700),
        ("N1", "A", "2024-02-15", "2024-02-15", 200, "credit_note"),  # same day: the day ends at 1,500
        ("I9", "A", "2024-07-10", "2024-08-09", 10000),  # after as_of
        # B: nothing happens in the year, 200 open throughout
        ("J1", "B", "2023-01-15", "2023-02-14", 300),
        # C: a credit note larger than what is open, all year
        ("K1", "C", "2023-01-01", "2023-01-31", 100),
        ("K2", "C", "2023-05-01", "2023-05-01", 50, "credit_note"),
        # D: its first document, a credit note, inside the year: 0 before it
        ("L1", "D", "2024-05-01", "2024-05-01", 100, "credit_note"),
    ],
    "payments": [
        ("I0", "2023-06-15", 5000),
        ("I1", "2023-08-10", 800),
        ("I2", "2024-03-01", 400),
        ("I2", "2024-07-05", 600),  # after as_of
        ("I3", "2024-04-01", 700),
        ("J1", "2023-03-01", 100),
        ("K1", "2023-01-20", 100),
    ],
}


def test_peak_open_amount_over_the_year_by_hand():
    table = build_features(make_ledger(**PEAK_LEDGER), [AS_OF]).to_pandas().set_index("customer_id")
    assert table.peak_open_amount_365d.to_dict() == {"A": 1500, "B": 200, "C": -50, "D": 0}
    assert table.open_amount.to_dict() == {"A": 400, "B": 200, "C": -50, "D": -100}
    # the year before 2023-07-01 held 5,800; nothing dated after as_of counts
    earlier = row(make_ledger(**PEAK_LEDGER), as_of=d("2023-06-30"))
    assert earlier.peak_open_amount_365d == 5800


def test_peak_open_amount_is_the_highest_open_amount_of_the_years_days():
    ledger = make_ledger(**PEAK_LEDGER)
    days = [d("2023-07-01") + dt.timedelta(days=n) for n in range(366)]
    daily = build_features(ledger, days).to_pandas()
    peaks = daily.groupby("customer_id").open_amount.max()
    at_as_of = build_features(ledger, [AS_OF]).to_pandas().set_index("customer_id").peak_open_amount_365d
    # D enters the population inside the year: before that its balance is 0, as the peak says
    assert at_as_of.to_dict() == {**peaks.to_dict(), "D": max(peaks["D"], 0)}


def test_trend_compares_last_90_days_with_the_275_before():
    ledger = make_ledger(
        [("I1", "A", "2023-10-01", "2023-10-31", 100), ("I2", "A", "2024-04-15", "2024-05-15", 100)],
        [("I1", "2023-11-05", 100), ("I2", "2024-06-24", 100)],
    )
    r = row(ledger)
    assert r.avg_days_late_90d == 40 and r.avg_days_late_prior_275d == 5
    assert r.days_late_trend_90d == 35


def test_population_is_customers_invoiced_by_as_of_and_rows_carry_the_date():
    ledger = make_ledger(
        [("I1", "A", "2024-01-01", "2024-01-31", 10), ("I2", "B", "2024-07-01", "2024-07-31", 10)],
    )
    frame = build_features(ledger, [d("2024-06-30"), d("2024-07-31")]).to_pandas()
    assert list(zip(frame.customer_id, frame.as_of_date.astype(str))) == [
        ("A", "2024-06-30"),
        ("A", "2024-07-31"),
        ("B", "2024-07-31"),
    ]


def test_catalogue_is_complete_and_named_features_are_present():
    names = [f.name for f in catalogue()]
    assert len(names) >= 50
    # the named features of the brief, which the pandas reference implements too
    from benchmarks.pandas_reference import FEATURES as required

    assert set(required) <= set(names)
    for f in catalogue():
        assert f.description and f.unit and f.window


def test_month_ends():
    assert month_ends(d("2023-11-15"), d("2024-02-29")) == [
        d("2023-11-30"),
        d("2023-12-31"),
        d("2024-01-31"),
        d("2024-02-29"),
    ]


def test_the_same_ledger_gives_the_same_features_to_the_bit(sample_ledger):
    dates = [d("2024-06-30"), d("2025-12-31")]
    first, second = build_features(sample_ledger, dates), build_features(sample_ledger, dates)
    assert first.equals(second)


def test_ledger_facts_built_once_serve_later_dates_as_a_fresh_build_does(sample_ledger):
    """The scorer keeps a ledger's own facts across as-of dates; each date must read as if built alone."""
    facts = LedgerFacts(sample_ledger)
    try:
        for dates in ([d("2025-12-31")], [d("2024-06-30"), d("2026-03-31")], [d("2025-12-31")]):
            con = facts.at(dates)
            labels = labels_from_facts(con, LabelConfig())
            assert features_from_facts(con, sample_ledger).equals(build_features(sample_ledger, dates))
            assert labels.equals(build_labels(sample_ledger, dates, LabelConfig()))
    finally:
        facts.close()


def test_window_features_follow_their_rows_when_windows_is_not_in_feature_order(sample_ledger):
    """The window part is read off `windows` and put beside the joined part by row; out of order, it is taken along."""
    dates = [d("2024-06-30"), d("2025-12-31")]
    facts = LedgerFacts(sample_ledger)
    try:
        con = facts.at(dates)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE windows AS SELECT * FROM windows ORDER BY hash(customer_key, as_of_date)"
        )
        assert features_from_facts(con, sample_ledger).equals(build_features(sample_ledger, dates))
    finally:
        facts.close()


def test_releasing_cached_memory_neither_spills_nor_changes_the_memory_limit(sample_ledger):
    facts = LedgerFacts(sample_ledger)
    try:
        limit = facts.con.sql("SELECT current_setting('memory_limit')").fetchall()
        con = facts.at([d("2025-12-31")])
        release_cached_blocks(con)
        assert con.sql("SELECT current_setting('memory_limit')").fetchall() == limit
        assert con.sql("SELECT count(*) FROM duckdb_temporary_files()").fetchall() == [(0,)]
        assert con.sql("SELECT count(*) FROM documents").fetchall() == [(sample_ledger["invoices"].num_rows,)]
    finally:
        facts.close()


def test_ledger_facts_of_another_ledger_are_refused(sample_ledger):
    from serving.scoring import snapshot

    facts = LedgerFacts(make_ledger(invoices=[("I1", "C1", "2024-01-01", "2024-01-31", 100.0)]))
    try:
        with pytest.raises(ValueError, match="another ledger"):
            snapshot(sample_ledger, d("2025-12-31"), LabelConfig(), facts=facts)
    finally:
        facts.close()


def test_features_command_tells_each_step_on_stderr_and_writes_the_table(sample_ledger_dir, tmp_path):
    import pyarrow.parquet as pq
    from click.testing import CliRunner
    from helpers import REFERENCE

    from tradecredit.cli import main

    out = tmp_path / "features.parquet"
    result = CliRunner().invoke(
        main,
        [
            "features",
            "--ledger",
            str(sample_ledger_dir),
            "--as-of",
            "2024-06-30",
            "--reference-date",
            str(REFERENCE),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    steps = result.stderr.splitlines()
    expected = [
        f"reading ledger {sample_ledger_dir}",
        *(f"validating {t}: " for t in ("customers", "invoices", "payments", "disputes", "credit_events")),
        "settling ",
        "building point-in-time facts for 1 as-of date",
        "aggregating features",
    ]
    first_lines = [next((i for i, s in enumerate(steps) if s.startswith(e)), None) for e in expected]
    assert None not in first_lines and first_lines == sorted(first_lines), steps
    rows = pq.read_metadata(out).num_rows
    assert result.stdout.strip().startswith(f"{rows:,} rows (1 as-of date, ")


def test_ledger_facts_that_fail_to_build_close_their_connection(monkeypatch):
    import duckdb

    from features import pipeline

    ledger = make_ledger(invoices=[("I1", "A", "2024-01-01", "2024-01-31", 100.0)])
    connect, opened = duckdb.connect, []
    monkeypatch.setattr(
        pipeline.duckdb, "connect", lambda *args, **kwargs: opened.append(connect(*args, **kwargs)) or opened[-1]
    )
    monkeypatch.setattr(pipeline, "PAYMENT_EVENTS", "SELECT * FROM no_such_table")
    with pytest.raises(duckdb.CatalogException):
        LedgerFacts(ledger)
    assert len(opened) == 1
    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("SELECT 1")


def test_duckdb_draws_no_progress_bar_into_a_commands_output(sample_ledger):
    """DuckDB's own bar goes to standard output, where a command's report or a pipe is; steps are told on stderr."""
    with LedgerFacts(sample_ledger) as facts:
        assert facts.con.sql("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
