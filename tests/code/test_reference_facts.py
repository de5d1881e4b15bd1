"""The fast engine's point-in-time facts against their reference queries (`features.facts.reference`).

Every fact relation the fast engine builds (`LedgerFacts.at`) must hold exactly the rows of its plain
reference query, value for value and type for type, on ledgers with several customers, invoices and
credit notes, payments in part, on several days, in full and over, open and resolved disputes,
credit events, and as-of dates on month ends, on any day, at the edges of the windows and before
the first invoice. `LOOK_AHEAD_CASES` are the two ledgers on which the fast engine once disagreed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from decimal import Decimal

import pytest
from helpers import d, make_ledger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.facts.reference import ENTITY_ROWS, REFERENCE_QUERIES, reference_fact
from features.pipeline import LedgerFacts, month_ends

START = dt.date(2023, 1, 1)
CUSTOMERS = "ABCD"  # D is never invoiced: it has credit events only

# Where the fast engine keeps each fact: row facts in relations of their own, keyed facts as columns
# of the one table `windows` (one row per customer and as-of date in the population).
FAST_RELATION = {
    "open_documents": "open_documents",
    "disputes_365d": "disputes_365d",
    "events_365d": "events_365d",
    "issued_365d": "windows",
    "settled_365d": "windows",
    "payments_365d": "windows",
    "balance_365d": "windows",
    "history": "windows",
}
# The population's own columns in `windows`, which no fact declares.
POPULATION_COLUMNS = {"customer_id", "customer_order", "first_invoice_date"}


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


def typed_rows(con, query: str) -> tuple[list[tuple], list[tuple]]:
    """(column names and types as DESCRIBE gives them, rows sorted by every column) of `query`."""
    types = [(c[0], c[1]) for c in con.sql(f"DESCRIBE {query}").fetchall()]
    return types, con.sql(f"SELECT * FROM ({query}) ORDER BY ALL").fetchall()


def fast_query(name: str, columns: list[str]) -> str:
    """The fast engine's relation for fact `name`, its `columns` in order, on the entity rows.

    Rows outside the entity rows are checked apart (`outside_the_population`).
    """
    selected = ", ".join(f"f.{c}" for c in columns)
    return (
        f"WITH {ENTITY_ROWS} SELECT {selected} FROM {FAST_RELATION[name]} f "
        "JOIN entity_rows e ON e.customer_key = f.customer_key AND e.as_of_date = f.as_of_date"
    )


def outside_the_population(con, name: str) -> list[tuple]:
    """The keys of the rows of the fast relation for fact `name` that are not entity rows."""
    return con.sql(
        f"WITH {ENTITY_ROWS} SELECT f.customer_key, f.as_of_date FROM {FAST_RELATION[name]} f "
        "WHERE NOT EXISTS (SELECT 1 FROM entity_rows e WHERE e.customer_key = f.customer_key "
        "AND e.as_of_date = f.as_of_date) ORDER BY ALL"
    ).fetchall()


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return a == b and type(a) is type(b)


def assert_fast_is_reference(con, name: str) -> None:
    reference_types, reference = typed_rows(con, REFERENCE_QUERIES[name])
    columns = [c for c, _ in reference_types]
    fast_types, fast = typed_rows(con, fast_query(name, columns))
    assert fast_types == reference_types, f"{name}: columns or types differ"
    if FAST_RELATION[name] == name:  # a row fact: its relation has no columns the reference lacks
        assert con.sql(f"FROM {name}").columns == columns, f"{name}: columns differ"
    assert len(fast) == len(reference), f"{name}: {len(fast)} rows, the reference has {len(reference)}"
    for fast_row, reference_row in zip(fast, reference):
        differ = [
            f"{c}: fast {f!r}, reference {r!r}"
            for c, f, r in zip(columns, fast_row, reference_row)
            if not same_value(f, r)
        ]
        assert not differ, f"{name} at {reference_row[:2]}: {'; '.join(differ)}"


def month_end(offset: int) -> dt.date:
    at = START + dt.timedelta(days=offset)
    return at.replace(day=calendar.monthrange(at.year, at.month)[1])


@st.composite
def ledgers(draw):
    """Return (make_ledger's invoices, payments, disputes, events; as-of dates) over 2023-2025."""
    invoices, payments, disputes, events = [], [], [], []
    span = draw(st.sampled_from([100, 400, 800]))  # days the invoices are spread over: dense or sparse years
    who = draw(st.sampled_from(["A", "AAB", "ABC"]))  # one customer, or a main one, or three alike
    for n in range(draw(st.sampled_from([1, 2, 4, 8, 14, 20]))):
        issued, terms = draw(st.integers(0, span)), draw(st.sampled_from([0, 14, 30, 60]))
        cents = draw(st.integers(1, 100_000))
        kind = draw(st.sampled_from(["invoice", "invoice", "invoice", "credit_note"]))
        invoice_id = f"I{n}"
        customer = draw(st.sampled_from(who))
        invoices.append((invoice_id, customer, day(issued), day(issued + terms), cents / 100, kind))
        # In one to three parts (percentages of what is left), paying the amount in full, within a cent, short or over.
        parts = draw(st.sampled_from([[], [100], [100], [40, 100], [30, 50, 100]]))
        left = cents - draw(st.sampled_from([-500, -1, 0, 0, 0, 1, 2, 300]))
        for share in parts:
            paid = max(1, left * share // 100)
            left -= paid
            # days after due: early, on time, either side of the thresholds (the percentile ranks invoices
            # 8 or more days late one by one; more than 30 days late are counted), a few days, very late
            late = draw(
                st.one_of(
                    st.sampled_from([-1, 0, 1, 6, 7, 8, 30, 31]),  # either side of thresholds
                    st.integers(-terms, 12),
                    st.sampled_from([45, 120, 400]),
                )
            )
            payments.append((invoice_id, day(issued + max(0, terms + late)), paid / 100))
        if draw(st.integers(0, 2)) == 0:
            opened = issued + draw(st.integers(-30, 90))  # before the invoice too: the contract admits it
            resolved = draw(st.one_of(st.none(), st.integers(0, 120)))
            disputes.append((invoice_id, day(opened), None if resolved is None else day(opened + resolved)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["default", "collections_handover", "limit_change"]))
        events.append((draw(st.sampled_from(CUSTOMERS)), day(draw(st.integers(0, 800))), kind))
    # As-of dates: the edges of the windows of some of the ledger's records (a record dated on as_of,
    # the day before, 90 or 365 days before it; of a kind drawn first, so that the few events and
    # disputes are edges as often as the many payments), and month ends and other days.
    dated = [
        [d(i[2]) for i in invoices],
        [d(p[1]) for p in payments],
        [d(e[1]) for e in events],
        [d(x) for _, opened, resolved in disputes for x in (opened, resolved) if x],
    ]
    as_of_dates = []
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.sampled_from(draw(st.sampled_from([dates for dates in dated if dates]))))
        as_of_dates += [at + dt.timedelta(days=later) for later in (0, 1, 90, 365)]
    for _ in range(draw(st.integers(0 if as_of_dates else 1, 3))):
        offset = draw(st.integers(-60, span + 300))
        as_of_dates.append(month_end(offset) if draw(st.booleans()) else START + dt.timedelta(days=offset))
    return invoices, payments, disputes, events, as_of_dates


def facts_at(invoices, payments=(), disputes=(), events=(), as_of_dates=()):
    """Return the connection holding the fast facts of the ledger at `as_of_dates`, and the LedgerFacts to close."""
    customers = sorted({i[1] for i in invoices} | {e[0] for e in events})
    ledger = make_ledger(
        invoices, payments, disputes=disputes, events=events, customers=[(c, None, None) for c in customers]
    )
    facts = LedgerFacts(ledger)
    return facts.at(as_of_dates), facts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_fast_facts_are_their_reference_queries(drawn):
    *ledger, as_of_dates = drawn
    con, facts = facts_at(*ledger, as_of_dates=as_of_dates)
    try:
        for name in REFERENCE_QUERIES:
            assert_fast_is_reference(con, name)
            assert not outside_the_population(con, name), f"{name}: rows outside the population"
    finally:
        facts.close()


def edge_ledger():
    """Return (invoices, payments, disputes, events, as-of dates) with a record on every edge of every window.

    Customer A's invoices are settled from a day early to 31 days late (on either side of every
    threshold), one on its second payment day; one is paid short, and disputed until day 60. B has a
    settled credit note and a part-paid invoice under open dispute. The as-of dates are every
    record's date, the day after it, and 90 and 365 days after it.
    """
    lateness = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 31]
    invoices = [(f"I{k}", "A", day(7 * k), day(7 * k + 30), 100.0 + k, "invoice") for k in range(len(lateness))]
    invoices += [("SHORT", "A", day(3), day(33), 50.0, "invoice"), ("NOTE", "B", day(10), day(10), 20.0, "credit_note")]
    invoices += [("OPEN", "B", day(40), day(70), 70.0, "invoice")]
    payments = [(f"I{k}", day(7 * k + 30 + late), 100.0 + k) for k, late in enumerate(lateness) if k != 3]
    payments += [("I3", day(40), 50.0), ("I3", day(7 * 3 + 30 + 2), 53.0), ("SHORT", day(20), 49.98)]
    payments += [("NOTE", day(15), 20.0), ("OPEN", day(45), 30.0)]
    disputes = [("I1", day(8), day(30)), ("SHORT", day(8), day(60)), ("OPEN", day(50), None)]
    events = [("A", day(12), "limit_change"), ("B", day(60), "collections_handover")]
    dated = [i[2] for i in invoices] + [p[1] for p in payments] + [x[1] for x in disputes] + [day(60)]
    dated += [e[1] for e in events]
    as_of_dates = sorted({d(t) + dt.timedelta(days=later) for t in dated for later in (0, 1, 90, 365)})
    return invoices, payments, disputes, events, as_of_dates


def test_fast_facts_at_the_edges_of_the_windows():
    *ledger, as_of_dates = edge_ledger()
    con, facts = facts_at(*ledger, as_of_dates=as_of_dates)
    try:
        for name in REFERENCE_QUERIES:
            assert_fast_is_reference(con, name)
    finally:
        facts.close()


def test_windows_holds_the_keyed_facts_and_the_population_only():
    con, facts = facts_at([("I1", "A", "2024-01-10", "2024-02-09", 10.0)], as_of_dates=[d("2024-03-31")])
    try:
        declared = {
            c
            for name, where in FAST_RELATION.items()
            if where == "windows"
            for c in con.sql(REFERENCE_QUERIES[name]).columns
        }
        assert set(con.sql("SELECT * FROM windows").columns) == declared | POPULATION_COLUMNS
    finally:
        facts.close()


def test_the_peak_balance_is_its_reference_on_the_sample_portfolio(sample_ledger):
    """The year's peak balance of every customer of the sample, at a panel of month ends whose years
    overlap and at days between them, as the reference computes it afresh from each day's open documents."""
    dates = [*month_ends(d("2024-07-01"), d("2025-06-30")), d("2023-03-15"), d("2024-02-29"), d("2026-12-31")]
    with LedgerFacts(sample_ledger) as facts:
        con = facts.at(dates)
        assert_fast_is_reference(con, "balance_365d")
        assert not outside_the_population(con, "balance_365d")


# The by-hand example: customer A's invoice I1 of 1,000.00 (issued 2024-01-10, due 2024-02-09), paid
# 400.00 on 2024-02-05 and 600.00 on 2024-02-20, so settled 11 days late on its second payment day;
# invoice I2 of 500.00 (issued 2024-03-01, due 2024-03-31) unpaid and disputed since 2024-03-15.
# What each fact holds for A at 2024-03-31 (at 2023-12-31, before its first invoice, A has no row):
BY_HAND = {
    "issued_365d": {
        "invoice_count_365d": 2,
        "invoice_amount_365d": Decimal("1500.00"),
        "max_invoice_amount_365d": Decimal("1000.00"),
        "active_months_365d": 2,  # issued 81 and 30 days before as_of: 30-day periods 2 and 1
        "terms_days_365d": 60,
    },
    "settled_365d": {
        "settled_count_365d": 1,
        "days_late_365d": 11,
        "late_amount_365d": Decimal("11000.00"),  # 11 days times 1,000.00
        "instalment_count_365d": 1,  # settled on its second payment day
        "p90_days_late_365d": 11.0,
    },
    "payments_365d": {"payment_count_365d": 2, "payment_amount_90d": Decimal("1000.00")},
    "open_documents": {"open_amount": Decimal("500.00"), "days_past_due": 0, "age_days": 30, "is_disputed": True},
    "disputes_365d": {"amount": Decimal("500.00"), "days_ago": 16},
    "history": {"last_payment_date": d("2024-02-20"), "max_days_late_ever": 11, "settled_count_ever": 1},
    "balance_365d": {"peak_open_amount_365d": Decimal("1000.00")},  # I1 open in full from 01-10 to 02-04
}


def test_facts_by_hand():
    con, facts = facts_at(
        [("I1", "A", "2024-01-10", "2024-02-09", 1000.00), ("I2", "A", "2024-03-01", "2024-03-31", 500.00)],
        [("I1", "2024-02-05", 400.00), ("I1", "2024-02-20", 600.00)],
        disputes=[("I2", "2024-03-15", None)],
        as_of_dates=[d("2023-12-31"), d("2024-03-31")],
    )
    try:
        for name, expected in BY_HAND.items():
            reference = reference_fact(con, name)
            fast = con.sql(fast_query(name, reference.column_names)).to_arrow_table()
            for rows in (reference.to_pylist(), fast.to_pylist()):
                assert [r["as_of_date"] for r in rows] == [d("2024-03-31")], name
                assert {c: rows[0][c] for c in expected} == expected, name
    finally:
        facts.close()


# Where the fast engine and the reference disagree, on the smallest ledgers that show it. In both the
# fast engine keeps a record at an as-of date before the customer or document it is about is issued.
LOOK_AHEAD_CASES = {
    # A dispute opened before its invoice's date (validation admits it): the fast engine showed the
    # invoice, and its amount, at as-of dates before it was issued (disputed_amount_365d 20 at
    # 2024-02-29), a look-ahead; only documents issued by as_of may be read.
    "dispute before its invoice": (
        "disputes_365d",
        {
            "invoices": [("I0", "A", "2024-01-01", "2024-01-31", 10.0), ("I1", "A", "2024-03-01", "2024-03-31", 20.0)],
            "disputes": [("I1", "2024-02-15", None)],
            "as_of_dates": [d("2024-02-29")],
        },
    ),
    # A credit event before the customer's first invoice: the fast engine kept it at as-of dates at
    # which the customer was not in the population yet (no feature read it there).
    "event before the first invoice": (
        "events_365d",
        {
            "invoices": [("I0", "A", "2024-06-01", "2024-06-30", 10.0)],
            "events": [("A", "2024-03-01", "limit_change")],
            "as_of_dates": [d("2024-03-31")],
        },
    ),
}


@pytest.mark.parametrize("case", LOOK_AHEAD_CASES)
def test_the_reference_reads_nothing_before_what_it_is_about(case):
    name, ledger = LOOK_AHEAD_CASES[case]
    con, facts = facts_at(**ledger)
    try:
        assert reference_fact(con, name).num_rows == 0
    finally:
        facts.close()


@pytest.mark.parametrize("case", LOOK_AHEAD_CASES)
def test_the_fast_engine_reads_nothing_before_what_it_is_about(case):
    name, ledger = LOOK_AHEAD_CASES[case]
    con, facts = facts_at(**ledger)
    try:
        assert_fast_is_reference(con, name)
        assert not outside_the_population(con, name), f"{name}: rows outside the population"
    finally:
        facts.close()
