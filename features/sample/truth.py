"""What the hidden truth says: the snapshots an oracle is scored on, its ROC AUC, and the observed rates.

They read a portfolio as `generate_portfolio` returns it, or as it is read back from disk, where
the `_latent_risk` table has lost the ledger's bounds that `generate_portfolio` records in its `attrs`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.contract import DEFAULT_EVENT_TYPES
from features.sample.portfolio import TRUTH_TABLE


def _days(values: pd.Series) -> np.ndarray:
    """Dates of any representation (datetime64, date objects, text) as datetime64[D], NaT when missing."""
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def _default_dates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    events = tables["credit_events"]
    defaults = events[events["event_type"].isin(DEFAULT_EVENT_TYPES)]
    return defaults.groupby("customer_id")["event_date"].min()


def _ledger_bounds(tables: dict[str, pd.DataFrame], end: dt.date | None) -> tuple[np.datetime64, np.datetime64]:
    """Return the ledger's first day and the first day after it, as datetime64[D].

    `generate_portfolio` records both in the truth table's `attrs`; without them (a truth table read
    back from disk) the ledger is taken to span the truth table's whole months.
    """
    truth = tables[TRUTH_TABLE]
    months = _days(truth["month"]).astype("datetime64[M]")
    start = truth.attrs.get("ledger_start", months.min() if months.size else None)
    if end is None:
        end = truth.attrs.get("ledger_end", months.max() + 1 if months.size else None)
    if start is None or end is None:
        raise ValueError("the latent-risk table is empty: the ledger span is unknown")
    return np.datetime64(start, "D"), np.datetime64(end, "D")


def oracle_snapshots(tables: dict[str, pd.DataFrame], end: dt.date | None = None) -> pd.DataFrame:
    """Return the monthly snapshots an oracle is scored on: customer_id, month, pd_12m_true, defaults_12m.

    A snapshot is a customer at a month start when the customer has had a document before it and
    has not defaulted before it, for months whose 12-month window ends inside the ledger. `end`
    is the first day after the ledger; by default the month after the last `_latent_risk` month.
    """
    _, end_day = _ledger_bounds(tables, end)
    truth = tables[TRUTH_TABLE]
    month = _days(truth["month"])
    window_end = (month.astype("datetime64[M]") + 12).astype("datetime64[D]")
    inside = window_end <= end_day
    snap = truth.loc[inside, ["customer_id", "month", "pd_12m_true"]].reset_index(drop=True)
    month, window_end = month[inside], window_end[inside]
    first_doc = tables["invoices"].groupby("customer_id")["invoice_date"].min()
    defaults = _default_dates(tables)
    first = _days(first_doc.reindex(snap["customer_id"]))
    default = _days(defaults.reindex(snap["customer_id"]))
    has_default = ~np.isnat(default)
    active = ~np.isnat(first) & (first < month) & (~has_default | (default >= month))
    snap["defaults_12m"] = has_default & (default >= month) & (default < window_end)
    return snap[active].reset_index(drop=True)


def oracle_auc(tables: dict[str, pd.DataFrame]) -> float:
    """Return the ROC AUC of `pd_12m_true` for "defaults within the next 12 months" on monthly snapshots.

    The snapshots are `oracle_snapshots`'. NaN when they hold no default or nothing but defaults
    (a ledger too small or too short to tell).
    """
    from sklearn.metrics import roc_auc_score

    snap = oracle_snapshots(tables)
    if snap["defaults_12m"].nunique() < 2:
        return float("nan")
    return float(roc_auc_score(snap["defaults_12m"], snap["pd_12m_true"]))


def portfolio_rates(tables: dict[str, pd.DataFrame], end: dt.date | None = None) -> dict[str, float]:
    """Return the observed rates the documentation promises.

    - annual_default_rate: customers defaulting / customer-years on the books inside the ledger;
    - paid_late_share / late_over_30_share: among invoices due at least 90 days before the ledger end,
      those settled after the due date (or more than 30 days after), or never settled in the ledger;
    - partial_paid_share: settled invoices paid in more than one payment;
    - credit_note_share: credit notes among documents; dispute_share: disputes per invoice;
    - oracle snapshot facts: mean_pd_12m_true and default_12m_share.
    """
    start_day, end_day = _ledger_bounds(tables, end)
    customers, invoices, payments = tables["customers"], tables["invoices"], tables["payments"]
    defaults = _default_dates(tables)
    onboard = _days(customers["onboarding_date"])
    stop = _days(defaults.reindex(customers["customer_id"]))
    stop = np.where(np.isnat(stop), end_day, stop)
    years = np.clip((stop - np.maximum(onboard, start_day)).astype(np.int64), 0, None).sum() / 365.25

    is_invoice = invoices["document_type"].to_numpy() == "invoice"
    inv = invoices.loc[is_invoice, ["invoice_id", "due_date", "amount"]]
    paid = payments.groupby("invoice_id").agg(
        paid=("amount", "sum"), last=("payment_date", "max"), n=("amount", "size")
    )
    inv = inv.join(paid, on="invoice_id")
    settled = (inv["paid"].fillna(0) >= inv["amount"] - 0.01).to_numpy()
    last = _days(inv["last"])
    due = _days(inv["due_date"])
    mature = due <= end_day - np.timedelta64(90, "D")
    late_days = np.where(settled, (last - due).astype(np.int64) if len(last) else 0, 10**6)
    snap = oracle_snapshots(tables, end)
    return {
        "annual_default_rate": len(defaults) / years if years else float("nan"),
        "paid_late_share": float((late_days[mature] > 0).mean()),
        "late_over_30_share": float((late_days[mature] > 30).mean()),
        "partial_paid_share": float((inv["n"].to_numpy()[settled] > 1).mean()),
        "credit_note_share": float((~is_invoice).mean()),
        "dispute_share": len(tables["disputes"]) / max(int(is_invoice.sum()), 1),
        "invoices_per_customer_year": int(is_invoice.sum()) / years if years else float("nan"),
        "mean_pd_12m_true": float(snap["pd_12m_true"].mean()),
        "default_12m_share": float(snap["defaults_12m"].mean()),
    }
