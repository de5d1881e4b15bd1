"""The standing property: adding or changing anything dated after as_of changes no feature."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from helpers import make_ledger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.pipeline import build_features

START = dt.date(2024, 1, 1)
AS_OF = dt.date(2024, 9, 30)


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


@st.composite
def ledgers(draw):
    """Return (invoices, payments, disputes, events) as make_ledger wants them, spread over 2024-2025."""
    invoices, payments, disputes, events = [], [], [], []
    for n in range(draw(st.integers(1, 14))):
        customer = draw(st.sampled_from("ABC"))
        issued = draw(st.integers(0, 540))
        terms = draw(st.sampled_from([0, 30, 60, 90]))
        amount = draw(st.integers(1, 1000))
        kind = draw(st.sampled_from(["invoice", "invoice", "invoice", "credit_note"]))
        invoice_id = f"I{n}"
        invoices.append((invoice_id, customer, day(issued), day(issued + terms), amount, kind))
        for part in draw(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 100)), max_size=3)):
            payments.append((invoice_id, day(issued + part[0]), round(amount * part[1] / 100, 2)))
        if draw(st.booleans()):
            opened = issued + draw(st.integers(0, 60))
            resolved = draw(st.one_of(st.none(), st.integers(0, 90)))
            disputes.append((invoice_id, day(opened), None if resolved is None else day(opened + resolved)))
    for _ in range(draw(st.integers(0, 3))):
        events.append(
            (
                draw(st.sampled_from("ABC")),
                day(draw(st.integers(0, 540))),
                draw(st.sampled_from(["default", "collections_handover", "limit_change", "insurer_limit_change"])),
            )
        )
    return invoices, payments, disputes, events


def after_as_of(text: str) -> bool:
    return dt.date.fromisoformat(text) > AS_OF


def future_changes(draw, invoices, payments, disputes, events):
    """Return the ledger with records dated after AS_OF added, moved or changed (and nothing else)."""
    shift = draw(st.integers(1, 120))
    later = lambda text: (dt.date.fromisoformat(text) + dt.timedelta(days=shift)).isoformat()  # noqa: E731
    new_invoices = [
        (i, c, later(issued), later(due), amount * 2, kind)
        if after_as_of(issued)
        else (i, c, issued, due, amount, kind)
        for i, c, issued, due, amount, kind in invoices
    ]
    new_payments = [
        (i, later(paid), amount / 2) if after_as_of(paid) else (i, paid, amount) for i, paid, amount in payments
    ]
    first_day = (AS_OF + dt.timedelta(days=1)).isoformat()
    for i, _customer, issued, _due, amount, _kind in invoices:
        if not after_as_of(issued):
            # a payment the day after as_of: it may settle the invoice, but only after as_of
            new_payments.append((i, first_day, amount))
    new_invoices.append(("FUTURE", "C", first_day, later(first_day), 999, "invoice"))
    new_invoices.append(("FUTURE2", "D", first_day, first_day, 5, "invoice"))
    new_disputes = [(i, o, r) for i, o, r in disputes if not after_as_of(o)] + [
        (i, first_day, None) for i, *_ in invoices if not after_as_of(_[1])
    ]
    new_disputes = [(i, o, (first_day if r is not None and after_as_of(r) else r)) for i, o, r in new_disputes]
    new_events = [e for e in events if not after_as_of(e[1])] + [(c, first_day, "insolvency") for c in "ABC"]
    return new_invoices, new_payments, new_disputes, new_events


def features_at_as_of(invoices, payments, disputes, events):
    customers = sorted({i[1] for i in invoices} | set("ABCD"))
    ledger = make_ledger(
        invoices, payments, disputes=disputes, events=events, customers=[(c, 500.0, "2023-06-01") for c in customers]
    )
    return build_features(ledger, [AS_OF]).to_pandas()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), base=ledgers())
def test_records_dated_after_as_of_change_no_feature(data, base):
    before = features_at_as_of(*base)
    after = features_at_as_of(*future_changes(data.draw, *base))
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9)
