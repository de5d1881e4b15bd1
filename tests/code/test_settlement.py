"""The embedded settlement (`features.settlement`) against its SQL definition (`facts.DOCUMENTS`), and by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
from helpers import d, make_ledger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.facts.documents import DOCUMENTS, MULTI_DAY_PAYMENTS
from features.settlement import settle_documents

START = dt.date(2024, 1, 1)
ORDER = {"documents": "invoice_row", "multi_day_payments": "invoice_row, payment_date"}


def connect(ledger):
    """Return a DuckDB connection with the ledger's tables registered, keys included."""
    con = duckdb.connect()
    for name in ledger.tables:
        con.register(name, ledger.with_keys(name))
    return con


def both_ways(ledger):
    """Return {table: (rows from SQL, rows from settle_documents)} for the settlement's two tables."""
    con = connect(ledger)
    con.execute(DOCUMENTS)
    con.execute(MULTI_DAY_PAYMENTS)
    sql = {
        name: (con.sql(f"DESCRIBE {name}").fetchall(), con.sql(f"FROM {name} ORDER BY {key}").fetchall())
        for name, key in ORDER.items()
    }
    con.execute("DROP TABLE documents; DROP TABLE multi_day_payments")
    settle_documents(con, ledger.with_keys("invoices"), ledger.with_keys("payments"))
    embedded = {
        name: (con.sql(f"DESCRIBE {name}").fetchall(), con.sql(f"FROM {name} ORDER BY {key}").fetchall())
        for name, key in ORDER.items()
    }
    return {name: (sql[name], embedded[name]) for name in ORDER}


def documents(ledger):
    """Return the settled documents by invoice id, as dicts."""
    con = connect(ledger)
    settle_documents(con, ledger.with_keys("invoices"), ledger.with_keys("payments"))
    frame = con.sql("SELECT i.invoice_id, d.* FROM documents d JOIN invoices i USING (invoice_row)").to_arrow_table()
    return {r["invoice_id"]: r for r in frame.to_pylist()}


@st.composite
def ledgers(draw):
    """Return (invoices, payments) for make_ledger: amounts to the cent, payments that fall short, cover
    the amount within a cent, overpay, share a day, or come on several days."""
    invoices, payments = [], []
    for n in range(draw(st.integers(1, 12))):
        issued = draw(st.integers(0, 300))
        cents = draw(st.integers(1, 100_000))
        kind = draw(st.sampled_from(["invoice", "invoice", "credit_note"]))
        invoices.append(
            (
                f"I{n}",
                draw(st.sampled_from("AB")),
                START + dt.timedelta(days=issued),
                START + dt.timedelta(days=issued + 30),
                cents / 100,
                kind,
            )
        )
        parts = draw(st.lists(st.integers(1, 60), max_size=4))
        left = cents - draw(st.sampled_from([-5, -1, 0, 0, 1, 2]))  # over, exact, within a cent, short
        for k, share in enumerate(parts):
            paid = max(1, left * share // 100) if k < len(parts) - 1 else max(1, left)
            left -= paid
            later = draw(st.sampled_from([0, 0, 1, 7, 45]))
            payments.append((f"I{n}", (START + dt.timedelta(days=issued + later)).isoformat(), paid / 100))
    return invoices, payments


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_embedded_settlement_is_the_sql_definition_to_the_bit(drawn):
    invoices, payments = drawn
    ledger = make_ledger(
        [(i, c, a.isoformat(), b.isoformat(), amount, kind) for i, c, a, b, amount, kind in invoices], payments
    )
    for name, (sql, embedded) in both_ways(ledger).items():
        assert embedded[0] == sql[0], f"{name}: columns or types differ"
        assert embedded[1] == sql[1], f"{name}: rows differ"


def test_settlement_by_hand():
    ledger = make_ledger(
        [
            ("ONE", "A", "2024-01-01", "2024-01-31", 100.00),  # two payments on one day: one payment day
            ("CENT", "A", "2024-01-01", "2024-01-31", 100.00),  # short by one cent: settled (tolerance)
            ("SHORT", "A", "2024-01-01", "2024-01-31", 100.00),  # short by two cents: open
            ("STEPS", "A", "2024-01-01", "2024-01-31", 100.00),  # covered on its second payment day, paid on after
            ("NONE", "A", "2024-01-01", "2024-01-31", 50.00),  # nothing paid
        ],
        [
            ("ONE", "2024-02-05", 60.00),
            ("ONE", "2024-02-05", 40.00),
            ("CENT", "2024-02-01", 99.99),
            ("SHORT", "2024-02-01", 50.00),
            ("SHORT", "2024-02-09", 49.98),
            ("STEPS", "2024-02-01", 30.00),
            ("STEPS", "2024-02-03", 70.00),
            ("STEPS", "2024-03-01", 5.00),
        ],
    )
    docs = documents(ledger)
    assert (docs["ONE"]["settled_date"], docs["ONE"]["payment_days_to_settle"], docs["ONE"]["payment_count"]) == (
        d("2024-02-05"),
        1,
        2,
    )
    assert docs["CENT"]["settled_date"] == d("2024-02-01")
    assert docs["SHORT"]["settled_date"] is None and docs["SHORT"]["paid"] == Decimal("99.98")
    assert docs["STEPS"]["settled_date"] == d("2024-02-03") and docs["STEPS"]["payment_days_to_settle"] == 2
    assert docs["STEPS"]["paid"] == Decimal("105.00") and docs["STEPS"]["last_payment_date"] == d("2024-03-01")
    assert (
        docs["NONE"]["settled_date"] is None and docs["NONE"]["paid"] is None and docs["NONE"]["payment_count"] is None
    )
