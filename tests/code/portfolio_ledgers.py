"""Small literal ledgers and hand-made scores for the portfolio figures' tests, every value chosen to be
worked through by hand (the tests say how)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import REFERENCE, activity_frames, d, invoice_frame

from features.validate import frames_to_raw, validate_ledger
from serving.score_row import SCORE_COLUMNS


def ledger(customers, invoices, payments=(), disputes=(), events=()):
    """Return the validated ledger of `frames`."""
    tables = frames(customers, invoices, payments, disputes, events)
    return validate_ledger(
        frames_to_raw(tables), source="literal", reference_date=REFERENCE, allow_quarantine=False
    ).ledger


def write_ledger(folder, **tables) -> str:
    """Write the tables of `frames(**tables)` as CSV files into `folder`; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames(**tables).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return str(folder)


def frames(customers, invoices, payments=(), disputes=(), events=()):
    """Return the tables of a ledger as DataFrames.

    customers: (customer_id, credit_limit, payment_terms_days, insured_limit, industry)
    invoices: (invoice_id, customer_id, invoice_date, due_date, amount[, document_type])
    payments: (invoice_id, payment_date, amount); disputes: (invoice_id, opened, resolved or None);
    events: (customer_id, event_date, event_type)
    """
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": [c[0] for c in customers],
                "name": [f"{c[0]} Ltd" for c in customers],
                "country": ["DE"] * len(customers),
                "industry": [c[4] for c in customers],
                "credit_limit": pd.array([c[1] for c in customers], dtype="Float64"),
                "payment_terms_days": pd.array([c[2] for c in customers], dtype="Int64"),
                "insured_limit": pd.array([c[3] for c in customers], dtype="Float64"),
            }
        ),
        "invoices": invoice_frame(invoices),
        **activity_frames(payments, disputes, events),
    }


def scores(as_of: str, rows) -> pd.DataFrame:
    """Return a scores table (SCORE_COLUMNS): rows of (customer_id, pd_12m, risk_grade, late_payment_prob_90d)."""
    n = len(rows)
    frame = pd.DataFrame({c: [None] * n for c in SCORE_COLUMNS})
    frame["customer_id"] = [r[0] for r in rows]
    frame["as_of_date"] = d(as_of)
    frame["pd_12m"] = [r[1] for r in rows]
    frame["risk_grade"] = [r[2] for r in rows]
    frame["late_payment_prob_90d"] = [r[3] for r in rows]
    frame["late_payment_grade"] = [r[2] for r in rows]
    frame["in_default_at_as_of"] = [r[2] == "D" for r in rows]
    for i in range(1, 4):
        frame[f"reason_{i}_text_en"] = [f"reason {i} of {r[0]}" for r in rows]
    frame["recommended_credit_limit"] = np.zeros(n)
    frame["limit_change"] = np.zeros(n)
    frame["limit_reasons"] = [""] * n
    return frame


# Aging: customer A's invoices sit exactly on the bucket boundaries at 2024-06-30.
AGING_AS_OF = "2024-06-30"
AGING_LEDGER = {
    "customers": [("A", 10_000.0, 30, 3_000.0, "retail"), ("B", None, 30, None, "construction")],
    "invoices": [
        ("A1", "A", "2024-06-01", "2024-06-30", 1000),  # due today: 0 days past due, current
        ("A2", "A", "2024-05-01", "2024-05-31", 500),  # 30 days: 1-30
        ("A3", "A", "2024-04-30", "2024-05-30", 200),  # 31 days: 31-60
        ("A4", "A", "2024-04-01", "2024-05-01", 300),  # 60 days: 31-60
        ("A5", "A", "2024-03-01", "2024-04-01", 400),  # 90 days: 61-90
        ("A6", "A", "2024-03-01", "2024-03-31", 100),  # 91 days: 91-180
        ("AN", "A", "2024-06-10", "2024-06-10", 50, "credit_note"),  # unapplied credit
        ("B1", "B", "2024-05-16", "2024-06-15", 2000),  # 15 days, 500 paid by as_of
    ],
    "payments": [("B1", "2024-06-20", 500), ("B1", "2024-07-05", 1500)],  # the second is after the as-of date
}
