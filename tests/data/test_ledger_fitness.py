"""Is this ledger fit to train and score on? Run on any ledger: `pytest tests/data --ledger SRC`.

Validation has already held every row to the contract; these are the properties of the ledger as a
whole that a model needs and that no single row shows.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from features.pipeline import build_features, month_ends

MIN_CUSTOMERS = 100
MIN_MONTHS = 18  # a year of features and the months after it that label them


def span(ledger) -> tuple[dt.date, dt.date]:
    """Return the first and the last invoice date: the months the ledger invoices in."""
    dates = ledger["invoices"].column("invoice_date")
    return pc.min(dates).as_py(), pc.max(dates).as_py()


def test_enough_customers_have_invoices(ledger_under_test):
    ledger, source = ledger_under_test
    customers = len(pc.unique(ledger["invoices"].column("customer_id")))
    assert customers >= MIN_CUSTOMERS, f"{source}: {customers} customers with an invoice, fewer than {MIN_CUSTOMERS}"


def test_history_is_long_enough_to_label(ledger_under_test):
    ledger, source = ledger_under_test
    first, last = span(ledger)
    months = (last.year - first.year) * 12 + last.month - first.month
    assert months >= MIN_MONTHS, f"{source}: {months} months from {first} to {last}, fewer than {MIN_MONTHS}"


def test_most_invoices_are_settled_by_payments(ledger_under_test):
    """A ledger whose payments do not reach its invoices (a broken export) says nothing about lateness."""
    ledger, source = ledger_under_test
    paid = len(pc.unique(ledger["payments"].column("invoice_id")))
    share = paid / ledger["invoices"].num_rows
    assert share > 0.5, f"{source}: only {share:.0%} of the documents have a payment"


def test_every_month_is_recorded(ledger_under_test):
    """A month without invoices inside the span is a hole in the export, and its features would lie."""
    ledger, source = ledger_under_test
    dates = ledger["invoices"].column("invoice_date")
    recorded = set(zip(pc.year(dates).to_pylist(), pc.month(dates).to_pylist()))
    first, last = span(ledger)
    missing = sorted((e.year, e.month) for e in month_ends(first, last) if (e.year, e.month) not in recorded)
    assert not missing, f"{source}: no invoice in {len(missing)} months, the first {missing[0] if missing else None}"


def test_features_from_the_ledger_records_are_filled_for_someone_at_the_last_month_end(ledger_under_test):
    """Customer attributes may be absent from an export (the contract makes most optional); what the
    invoices and payments give must be there for some customer, or the export lost a column's meaning."""
    from features.catalogue import catalogue
    from features.facts import FACT_COLUMNS

    ledger, source = ledger_under_test
    first, last = span(ledger)
    as_of = month_ends(first, last)[-1]
    table = build_features(ledger, [as_of])
    assert table.num_rows > 0
    from_records = [f.name for f in catalogue() if f.source in FACT_COLUMNS and not f.intermediate]
    empty = [name for name in from_records if table.column(name).null_count == table.num_rows]
    assert not empty, f"{source}: features empty for every customer at {as_of}: {empty}"
