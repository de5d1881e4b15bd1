"""A plain pandas implementation of 18 catalogue features: the yardstick the DuckDB pipeline is timed against.

It is written the way one would write it in pandas without thinking about DuckDB: settlement dates
from cumulative payments once, then for every as-of date filter the documents and payments known by
then, group by customer, and merge the aggregates onto the population. It must give the same values
as `features.pipeline.build_features` for these features (the features benchmark checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.contract import SETTLEMENT_TOLERANCE
from features.ledger import Ledger

FEATURES = (
    "open_amount",
    "overdue_amount",
    "aging_current_amount",
    "aging_1_30_amount",
    "aging_31_60_amount",
    "aging_61_90_amount",
    "aging_91_180_amount",
    "aging_over_180_amount",
    "max_days_past_due_open",
    "invoice_count_90d",
    "invoice_amount_90d",
    "invoice_amount_365d",
    "avg_days_late_365d",
    "share_paid_over_30d_late_365d",
    "credit_limit_utilisation",
    "dso_90d",
    "days_since_last_payment",
    "customer_tenure_days",
)
KEYS = ("customer_id", "as_of_date")

# Open amount by days past due: (feature, lowest days past due, highest), both ends included.
AGING = (
    ("aging_current_amount", -np.inf, 0),
    ("aging_1_30_amount", 1, 30),
    ("aging_31_60_amount", 31, 60),
    ("aging_61_90_amount", 61, 90),
    ("aging_91_180_amount", 91, 180),
    ("aging_over_180_amount", 181, np.inf),
)
# Sums and counts are 0 for a customer with nothing to sum; averages and dates stay missing.
ZERO_WHEN_NONE = (
    "open_amount",
    "overdue_amount",
    *(name for name, _, _ in AGING),
    "max_days_past_due_open",
    "invoice_count_90d",
    "invoice_amount_90d",
    "invoice_amount_365d",
)


def ledger_frames(ledger: Ledger) -> dict[str, pd.DataFrame]:
    """Return the tables the reference needs as DataFrames, dates as datetime64."""
    return {name: ledger.tables[name].to_pandas(date_as_object=False) for name in ("customers", "invoices", "payments")}


def pandas_features(frames: dict[str, pd.DataFrame], as_of_dates: Sequence[dt.date]) -> pd.DataFrame:
    """Return customer_id, as_of_date and FEATURES, one row per customer with a document by as_of,
    sorted by as_of_date then customer_id."""
    documents = _documents(frames["invoices"], frames["payments"])
    payments = frames["payments"].merge(
        documents[["invoice_id", "customer_id", "is_credit_note"]], on="invoice_id", how="left"
    )
    customers = frames["customers"][["customer_id", "onboarding_date", "credit_limit"]]
    first_document = documents.groupby("customer_id", as_index=False)["invoice_date"].min()
    first_document = first_document.rename(columns={"invoice_date": "first_invoice_date"})
    customers = first_document.merge(customers, on="customer_id", how="left")
    parts = [_features_at(documents, payments, customers, pd.Timestamp(as_of)) for as_of in sorted(set(as_of_dates))]
    return pd.concat(parts, ignore_index=True)


def _documents(invoices: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """Invoices and credit notes with their settlement date: the first payment date on which the
    cumulative payments cover the amount (NaT when they never do)."""
    daily = payments.groupby(["invoice_id", "payment_date"], as_index=False)["amount"].sum()
    daily = daily.sort_values(["invoice_id", "payment_date"])
    daily["paid"] = daily.groupby("invoice_id")["amount"].cumsum()
    daily = daily.merge(invoices[["invoice_id", "amount"]], on="invoice_id", suffixes=("", "_due"))
    covered = daily[daily["paid"] >= daily["amount_due"] - SETTLEMENT_TOLERANCE]
    settled = covered.groupby("invoice_id")["payment_date"].min().rename("settled_date")
    documents = invoices[["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "document_type"]]
    documents = documents.merge(settled, left_on="invoice_id", right_index=True, how="left")
    documents["is_credit_note"] = documents["document_type"] == "credit_note"
    return documents.drop(columns="document_type")


def _features_at(
    documents: pd.DataFrame, payments: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    population = customers[customers["first_invoice_date"] <= as_of].copy()
    population["as_of_date"] = as_of

    # Exposure: documents issued by as_of and not settled by then, less what was paid on them by then.
    known_payments = payments[payments["payment_date"] <= as_of]
    open_docs = documents[
        (documents["invoice_date"] <= as_of) & (documents["settled_date"].isna() | (documents["settled_date"] > as_of))
    ]
    paid = known_payments.groupby("invoice_id")["amount"].sum().rename("paid")
    open_docs = open_docs.merge(paid, left_on="invoice_id", right_index=True, how="left")
    sign = np.where(open_docs["is_credit_note"], -1.0, 1.0)
    open_docs["open_amount"] = sign * (open_docs["amount"] - open_docs["paid"].fillna(0.0))
    open_docs["days_past_due"] = (as_of - open_docs["due_date"]).dt.days
    dpd = open_docs["days_past_due"]
    open_docs["overdue_amount"] = open_docs["open_amount"].where(dpd > 0)
    for name, low, high in AGING:
        open_docs[name] = open_docs["open_amount"].where((dpd >= low) & (dpd <= high))
    open_docs["invoice_days_past_due"] = dpd.where(~open_docs["is_credit_note"])
    exposure = open_docs.groupby("customer_id").agg(
        open_amount=("open_amount", "sum"),
        overdue_amount=("overdue_amount", "sum"),
        **{name: (name, "sum") for name, _, _ in AGING},
        max_days_past_due_open=("invoice_days_past_due", "max"),
    )
    exposure["max_days_past_due_open"] = exposure["max_days_past_due_open"].clip(lower=0)

    # Volume: invoices dated in the last 90 and 365 days.
    issued = documents[
        (documents["invoice_date"] <= as_of)
        & (documents["invoice_date"] > as_of - pd.Timedelta(days=365))
        & ~documents["is_credit_note"]
    ]
    recent = issued["invoice_date"] > as_of - pd.Timedelta(days=90)
    volume = (
        issued.assign(recent_amount=issued["amount"].where(recent), recent=recent)
        .groupby("customer_id")
        .agg(
            invoice_count_90d=("recent", "sum"),
            invoice_amount_90d=("recent_amount", "sum"),
            invoice_amount_365d=("amount", "sum"),
        )
    )

    # Timeliness: invoices settled in the last 365 days, days late clipped at 0.
    settled = documents[
        (documents["settled_date"] <= as_of)
        & (documents["settled_date"] > as_of - pd.Timedelta(days=365))
        & ~documents["is_credit_note"]
    ]
    days_late = (settled["settled_date"] - settled["due_date"]).dt.days.clip(lower=0)
    timeliness = (
        pd.DataFrame({"customer_id": settled["customer_id"], "days_late": days_late, "over_30": (days_late > 30) * 1.0})
        .groupby("customer_id")
        .agg(avg_days_late_365d=("days_late", "mean"), share_paid_over_30d_late_365d=("over_30", "mean"))
    )

    last_payment = (
        known_payments[~known_payments["is_credit_note"].astype(bool)].groupby("customer_id")["payment_date"].max()
    )

    table = population.merge(exposure, left_on="customer_id", right_index=True, how="left")
    table = table.merge(volume, left_on="customer_id", right_index=True, how="left")
    table = table.merge(timeliness, left_on="customer_id", right_index=True, how="left")
    table[list(ZERO_WHEN_NONE)] = table[list(ZERO_WHEN_NONE)].fillna(0)
    table["credit_limit_utilisation"] = table["open_amount"] / table["credit_limit"].replace(0, np.nan)
    table["dso_90d"] = table["open_amount"] / table["invoice_amount_90d"].replace(0, np.nan) * 90
    table["days_since_last_payment"] = (as_of - table["customer_id"].map(last_payment)).dt.days
    start = table[["onboarding_date", "first_invoice_date"]].min(axis=1)
    table["customer_tenure_days"] = (as_of - start).dt.days.clip(lower=0)
    return table.sort_values("customer_id")[[*KEYS, *FEATURES]].reset_index(drop=True)


def compare(duckdb_table: pd.DataFrame, pandas_table: pd.DataFrame, rtol: float = 1e-9) -> int:
    """Assert both tables hold the same rows and the same FEATURES values (relative tolerance `rtol`,
    missing equals missing); return the number of values compared."""
    left = _keyed(duckdb_table)
    right = _keyed(pandas_table)
    if not left[list(KEYS)].equals(right[list(KEYS)]):
        raise AssertionError(f"different rows: DuckDB has {len(left):,} (customer, as-of) rows, pandas {len(right):,}")
    problems = []
    for name in FEATURES:
        a = left[name].to_numpy(dtype=float, na_value=np.nan)
        b = right[name].to_numpy(dtype=float, na_value=np.nan)
        same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=rtol, atol=0.0)
        if not same.all():
            where = np.flatnonzero(~same)
            i = where[0]
            problems.append(
                f"{name}: {where.size:,} values differ, e.g. customer {left['customer_id'].iloc[i]} "
                f"as of {left['as_of_date'].iloc[i]}: DuckDB {a[i]!r}, pandas {b[i]!r}"
            )
    if problems:
        raise AssertionError("pandas reference disagrees with DuckDB:\n" + "\n".join(problems))
    return len(left) * len(FEATURES)


def _keyed(table: pd.DataFrame) -> pd.DataFrame:
    out = table[[*KEYS, *FEATURES]].copy()
    out["customer_id"] = out["customer_id"].astype(str)
    out["as_of_date"] = pd.to_datetime(out["as_of_date"]).dt.strftime("%Y-%m-%d")
    return out.sort_values(list(KEYS)[::-1], kind="stable").reset_index(drop=True)
