"""Build tiny literal ledgers in tests: lists of tuples in, a validated Ledger out."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.validate import frames_to_raw, validate_ledger

REFERENCE = dt.date(2026, 1, 1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def make_ledger(
    invoices,
    payments=(),
    *,
    customers=None,
    disputes=(),
    events=(),
):
    """Return a validated Ledger.

    invoices: (invoice_id, customer_id, invoice_date, due_date, amount[, document_type])
    payments: (invoice_id, payment_date, amount); ids are numbered in order
    customers: (customer_id, credit_limit, onboarding_date); default: every customer invoiced, no limit
    disputes: (invoice_id, opened_date, resolved_date or None)
    events: (customer_id, event_date, event_type)
    """
    invoice_rows = [tuple(row) + ("invoice",) * (6 - len(row)) for row in invoices]
    if customers is None:
        customers = [(c, None, None) for c in sorted({row[1] for row in invoice_rows})]
    frames = {
        "customers": pd.DataFrame(
            {
                "customer_id": [c[0] for c in customers],
                "credit_limit": pd.array([c[1] for c in customers], dtype="Float64"),
                "onboarding_date": [d(c[2]) if c[2] else None for c in customers],
            }
        ),
        "invoices": pd.DataFrame(
            {
                "invoice_id": [r[0] for r in invoice_rows],
                "customer_id": [r[1] for r in invoice_rows],
                "invoice_date": [d(r[2]) for r in invoice_rows],
                "due_date": [d(r[3]) for r in invoice_rows],
                "amount": [float(r[4]) for r in invoice_rows],
                "document_type": [r[5] for r in invoice_rows],
            }
        ),
        "payments": pd.DataFrame(
            {
                "payment_id": [f"P{i}" for i in range(len(payments))],
                "invoice_id": [p[0] for p in payments],
                "payment_date": [d(p[1]) for p in payments],
                "amount": [float(p[2]) for p in payments],
            }
        ).astype({"invoice_id": object, "payment_id": object}),
        "disputes": pd.DataFrame(
            {
                "invoice_id": [x[0] for x in disputes],
                "opened_date": [d(x[1]) for x in disputes],
                "resolved_date": [d(x[2]) if x[2] else None for x in disputes],
            }
        ).astype({"invoice_id": object}),
        "credit_events": pd.DataFrame(
            {
                "customer_id": [e[0] for e in events],
                "event_date": [d(e[1]) for e in events],
                "event_type": [e[2] for e in events],
            }
        ).astype({"customer_id": object, "event_type": object}),
    }
    return validate_ledger(
        frames_to_raw(frames), source="test", reference_date=REFERENCE, allow_quarantine=False
    ).ledger
