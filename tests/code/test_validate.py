"""Every contract rule, on tiny ledgers written in the test."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from helpers import REFERENCE, tiny_frames

from features.validate import (
    LedgerError,
    LedgerRowsError,
    frames_to_raw,
    validate_ledger,
)


def as_text(frames):
    """Return the frames as a CSV would give them: every value text, missing values None."""
    return {
        name: frame.astype(object).map(lambda v: None if v is None or v != v else str(v))
        for name, frame in frames.items()
    }


def run(frames, quarantine=True):
    return validate_ledger(frames_to_raw(frames), source="test", reference_date=REFERENCE, allow_quarantine=quarantine)


def reasons(result, table):
    return result.quarantine[table].to_pandas()["reason"].tolist()


def test_valid_ledger_is_accepted_whole_and_typed():
    result = run(tiny_frames(), quarantine=False)
    assert result.report.rows_in == result.report.rows_accepted
    assert not result.report.has_row_problems
    invoices = result.ledger["invoices"]
    assert str(invoices.schema.field("invoice_date").type) == "date32[day]"
    assert str(invoices.schema.field("amount").type) == "double"
    # customer columns outside the contract are kept, typed
    customers = result.ledger.frame("customers")
    assert customers["insured_limit"].tolist()[0] == 8000.0
    assert result.ledger.customer_extra_columns == ["external_rating", "insured_limit"]


def test_missing_required_table_and_column_are_table_problems():
    frames = tiny_frames()
    del frames["payments"]
    frames["invoices"] = frames["invoices"].drop(columns=["due_date"])
    with pytest.raises(LedgerError) as err:
        run(frames)
    lines = str(err.value).splitlines()
    assert "test: payments: required table is missing" in lines
    assert "<memory>:invoices: invoices.due_date: required column is missing" in lines


def test_optional_tables_may_be_absent():
    frames = tiny_frames()
    del frames["disputes"], frames["credit_events"]
    result = run(frames, quarantine=False)
    assert result.ledger["disputes"].num_rows == 0
    assert result.ledger["credit_events"].column_names == ["customer_id", "event_date", "event_type"]


def test_several_currencies_without_rate_table_is_a_table_problem():
    frames = tiny_frames()
    frames["invoices"].loc[1, "currency"] = "USD"
    with pytest.raises(LedgerError, match=r"invoices.currency: several currencies \(EUR, USD\) and no rate table"):
        run(frames)


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("invoices", "invoice_date", "2024-13-01", "invoice_date: not a valid date (expected YYYY-MM-DD)"),
        ("invoices", "amount", "ten", "amount: not a number"),
        ("invoices", "amount", "0", "amount: must be greater than 0"),
        ("invoices", "amount", "-5", "amount: must be greater than 0"),
        ("invoices", "invoice_id", "", "invoice_id: required value is missing"),
        ("invoices", "customer_id", None, "customer_id: required value is missing"),
        ("invoices", "customer_id", "C9", "customer_id: unknown customer_id: not among the accepted customers"),
        ("invoices", "due_date", "2023-12-31", "due_date: before invoice_date"),
        ("invoices", "document_type", "debit_memo", "document_type: must be 'invoice' or 'credit_note'"),
        (
            "invoices",
            "invoice_date",
            "2091-01-01",
            f"invoice_date: date out of range (before 1900-01-01 or after {REFERENCE + dt.timedelta(days=731)})",
        ),
        ("customers", "country", "Germany", "country: must be an ISO 3166 alpha-2 code (two capital letters)"),
        ("customers", "credit_limit", "-1", "credit_limit: must be 0 or more"),
        ("customers", "payment_terms_days", "30.5", "payment_terms_days: not a whole number"),
        ("payments", "payment_date", "2023-12-01", "payment_date: before the invoice's invoice_date"),
        ("payments", "invoice_id", "I404", "invoice_id: unknown invoice_id: not among the accepted invoices"),
        ("disputes", "invoice_id", "I404", "invoice_id: unknown invoice_id: not among the accepted invoices"),
        ("disputes", "resolved_date", "2024-01-01", "resolved_date: before opened_date"),
        ("credit_events", "customer_id", "C9", "customer_id: unknown customer_id: not among the accepted customers"),
        ("credit_events", "event_date", "01/04/2024", "event_date: not a valid date (expected YYYY-MM-DD)"),
    ],
)
def test_row_rule_quarantines_the_row_with_its_reason(table, column, value, rule):
    frames = as_text(tiny_frames())
    frames[table].loc[0, column] = value
    result = run(frames)
    assert rule in reasons(result, table)[0]
    assert result.quarantine[table].to_pandas()["source_row"].tolist()[0] == 1
    report = result.report
    for name in report.rows_in:
        assert report.rows_in[name] == report.rows_accepted[name] + report.rows_quarantined[name]


def test_row_problems_without_quarantine_name_file_row_column_value_and_count():
    frames = as_text(tiny_frames())
    frames["invoices"].loc[2, "amount"] = "-3"
    with pytest.raises(LedgerRowsError) as err:
        run(frames, quarantine=False)
    text = str(err.value)
    assert "<memory>:invoices, row 3, column amount, value '-3': must be greater than 0" in text
    assert "invoices.amount: must be greater than 0: 1 rows" in text
    # the payment on the refused invoice follows it into quarantine rather than dangling
    assert "payments.invoice_id: unknown invoice_id: not among the accepted invoices: 1 rows" in text


def test_duplicate_ids_keep_the_first_row():
    frames = tiny_frames()
    frames["payments"] = pd.concat([frames["payments"], frames["payments"].iloc[[1]]], ignore_index=True)
    result = run(frames)
    assert result.ledger["payments"].num_rows == 3
    quarantined = result.quarantine["payments"].to_pandas()
    assert quarantined["source_row"].tolist() == [4]
    assert quarantined["reason"].tolist() == ["payment_id: duplicate value (the first row with it is kept)"]


def test_a_row_breaking_several_rules_lists_them_all():
    frames = as_text(tiny_frames())
    frames["invoices"].loc[0, "amount"] = "0"
    frames["invoices"].loc[0, "due_date"] = "2023-01-01"
    result = run(frames)
    assert reasons(result, "invoices")[0] == "amount: must be greater than 0; due_date: before invoice_date"


def test_event_and_document_types_are_normalised():
    frames = tiny_frames()
    frames["credit_events"].loc[0, "event_type"] = " Insolvency "
    frames["invoices"].loc[0, "document_type"] = None
    result = run(frames, quarantine=False)
    assert result.ledger.frame("credit_events")["event_type"].tolist() == ["insolvency"]
    assert result.ledger.frame("invoices")["document_type"].tolist()[0] == "invoice"


def test_refused_payment_takes_its_invoice_and_siblings_along():
    # I1 has two payments; one is refused, so I1's settlement is unknown and must not look unpaid for ever.
    frames = as_text(tiny_frames())
    frames["payments"].loc[0, "amount"] = "-400"
    result = run(frames)
    assert reasons(result, "payments") == [
        "amount: must be greater than 0; invoice_id: its invoice is quarantined because a payment on it was refused",
        "invoice_id: its invoice is quarantined because a payment on it was refused",
    ]
    assert reasons(result, "invoices") == [
        "invoice_id: a payment on it was quarantined, so whether and when it was settled is unknown"
    ]
    assert result.ledger.frame("invoices")["invoice_id"].tolist() == ["I2", "I3", "N1"]
    assert result.ledger.frame("payments")["payment_id"].tolist() == ["P3"]
    report = result.report
    for name in report.rows_in:
        assert report.rows_in[name] == report.rows_accepted[name] + report.rows_quarantined[name]


def test_every_duckdb_connection_is_closed_on_success_and_on_error(monkeypatch):
    """A connection left open keeps its temporary tables and the registered Arrow tables alive."""
    opened = []
    connect = duckdb.connect

    def recording_connect(*args, **kwargs):
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    def assert_all_closed():
        assert opened
        for con in opened:
            with pytest.raises(duckdb.ConnectionException, match="already closed"):
                con.execute("SELECT 1")
        opened.clear()

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    run(tiny_frames(), quarantine=False)
    assert_all_closed()
    bad_row = as_text(tiny_frames())
    bad_row["invoices"].loc[0, "amount"] = "-3"
    with pytest.raises(LedgerRowsError):
        run(bad_row, quarantine=False)
    assert_all_closed()
    two_currencies = tiny_frames()
    two_currencies["invoices"].loc[1, "currency"] = "USD"
    with pytest.raises(LedgerError):
        run(two_currencies)
    assert_all_closed()


def _resolved(ledger, table, key, parent, parent_id):
    """Return the parent id each record's integer key points at (None where it has no parent)."""
    ids = dict(zip(ledger.keys[parent].column(key).to_pylist(), ledger[parent].column(parent_id).to_pylist()))
    return [ids.get(k) for k in ledger.keys[table].column(key).to_pylist()]


@pytest.mark.parametrize("refuse_a_payment", [False, True])
def test_integer_keys_point_at_the_same_records_as_the_ids(refuse_a_payment):
    # The feature engine joins on these keys instead of the text ids: they must agree with the ids,
    # also after a refused payment has taken its invoice out of the ledger.
    frames = as_text(tiny_frames())
    if refuse_a_payment:
        frames["payments"].loc[0, "amount"] = "-400"
    ledger = run(frames).ledger
    assert ledger.keys["invoices"].num_rows == ledger["invoices"].num_rows
    assert len(set(ledger.keys["invoices"].column("invoice_row").to_pylist())) == ledger["invoices"].num_rows
    for table, key, parent, column in [
        ("invoices", "customer_row", "customers", "customer_id"),
        ("payments", "invoice_row", "invoices", "invoice_id"),
        ("disputes", "invoice_row", "invoices", "invoice_id"),
        ("credit_events", "customer_row", "customers", "customer_id"),
    ]:
        assert ledger[table].num_rows > 0
        assert _resolved(ledger, table, key, parent, column) == ledger[table].column(column).to_pylist(), table
    keyed = ledger.with_keys("payments")
    assert keyed.column_names == [*ledger["payments"].column_names, "invoice_row"]


def test_ledger_digest_is_the_hash_of_the_tables_ipc_streams_and_follows_their_values(sample_ledger):
    """Batch manifests and training runs record it: hashed as it is streamed, it must stay what it was."""
    import dataclasses
    import hashlib

    import pyarrow as pa
    import pyarrow.compute as pc

    from features.contract import TABLES

    sha = hashlib.sha256()
    for spec in TABLES:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, sample_ledger[spec.name].schema) as writer:
            writer.write_table(sample_ledger[spec.name])
        sha.update(spec.name.encode() + sink.getvalue().to_pybytes())
    assert sample_ledger.digest() == sha.hexdigest()[:16]

    invoices = sample_ledger["invoices"]
    amounts = invoices.column("amount").combine_chunks()
    one_cent_more = pc.if_else(pa.array([i == 5 for i in range(len(invoices))]), pc.add(amounts, 0.01), amounts)
    changed = invoices.set_column(invoices.schema.get_field_index("amount"), "amount", one_cent_more)
    assert (
        dataclasses.replace(sample_ledger, tables={**sample_ledger.tables, "invoices": changed}).digest()
        != sample_ledger.digest()
    )
