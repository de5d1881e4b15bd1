"""The aging of open receivables: per customer and in total by bucket of days past due, and its trend.

An open invoice is in the bucket of its days past due at the date (as-of date minus due date): 0 or
fewer is current (not yet due, the due date itself included), then each bucket up to and including its
upper bound (1-30, 31-60, ...). Open credit notes are no bucket's: they are `unapplied_credit`, which
`open_receivables` nets. Shares are of the open invoices (the buckets add up to 1).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from serving.portfolio.open_items import OPEN_SUMMARY, OpenItems
from serving.portfolio.settings import PortfolioSettings, bucket_column

GROUP_LEVELS = ("risk_grade", "late_payment_grade", "country", "industry")
CUSTOMER_COLUMNS = ["customer_id", "name", "country", "industry", "risk_grade", "late_payment_grade", "credit_limit"]


def amount_columns(settings: PortfolioSettings) -> list[str]:
    return [f"amount_{bucket_column(b)}" for b in settings.buckets]


def share_columns(settings: PortfolioSettings) -> list[str]:
    return [f"share_{bucket_column(b)}" for b in settings.buckets]


def _bucket_sums(settings: PortfolioSettings) -> str:
    sums = [
        f"CAST(coalesce(sum(open_amount) FILTER (WHERE NOT is_credit_note AND bucket = {i}), 0) AS DOUBLE) AS {name}"
        for i, name in enumerate(amount_columns(settings))
    ]
    sums.append("CAST(coalesce(sum(open_amount) FILTER (WHERE is_credit_note), 0) AS DOUBLE) AS unapplied_credit")
    return ", ".join(sums)


def group_order(key: str) -> tuple[int, float | str]:
    """Sort key of a group: grades as numbers ("2" before "10", "D" after them), other keys as text."""
    if key.isdigit():
        return (0, float(key))
    return (1, 0.0) if key == "D" else (2, key)


def with_totals(frame: pd.DataFrame, settings: PortfolioSettings) -> pd.DataFrame:
    """Return `frame` (bucket amounts and unapplied credit) with open receivables, overdue amount and shares."""
    amounts = amount_columns(settings)
    gross = frame[amounts].sum(axis=1)
    frame["open_receivables"] = gross + frame["unapplied_credit"]
    frame["overdue_amount"] = frame[amounts[1:]].sum(axis=1)
    safe = gross.where(gross != 0)
    for amount, share in zip(amounts, share_columns(settings)):
        frame[share] = frame[amount] / safe
    frame["overdue_share"] = frame["overdue_amount"] / safe
    return frame


def customer_aging(items: OpenItems, as_of: dt.date, customers: pd.DataFrame) -> pd.DataFrame:
    """Return one row per customer with anything open at `as_of`: bucket amounts, totals and shares.

    `customers` is the report's customer frame (id, name, country, industry, grades) by `customer_key`.
    """
    frame = items.con.execute(
        f"SELECT customer_key, {_bucket_sums(items.settings)} FROM {OPEN_SUMMARY} WHERE as_of_date = ? "
        "GROUP BY customer_key",
        [as_of],
    ).df()
    described = customers[["customer_key", *CUSTOMER_COLUMNS]]
    frame = described.merge(frame, on="customer_key", how="inner").drop(columns="customer_key")
    return with_totals(frame, items.settings).sort_values("customer_id", ignore_index=True)


def aging_table(per_customer: pd.DataFrame, settings: PortfolioSettings, as_of: dt.date) -> pd.DataFrame:
    """Return the aging report: a `level` (customer, a grouping, total) and `key` per row, then the figures.

    Totals are given by every grouping the customers have a value for (risk grade, late-payment grade,
    country, industry), missing values as "(none)".
    """
    summed = [*amount_columns(settings), "unapplied_credit"]
    rows = [
        per_customer.assign(level="customer", key=per_customer["customer_id"], customers=1),
    ]
    for level in GROUP_LEVELS:
        if level in per_customer and per_customer[level].notna().any():
            keys = per_customer[level].fillna("(none)").astype(str)
            grouped = per_customer[summed].groupby(keys).sum()
            grouped["customers"] = keys.value_counts()
            grouped = grouped.loc[sorted(grouped.index, key=group_order)]
            rows.append(grouped.rename_axis("key").reset_index().assign(level=level))
    total = per_customer[summed].sum().to_frame().T.assign(level="total", key="all", customers=len(per_customer))
    rows.append(total)
    table = pd.concat(rows, ignore_index=True)
    table = with_totals(table, settings)
    table.insert(0, "as_of_date", as_of)
    first = ["as_of_date", "level", "key", "customers"]
    return table[first + [c for c in table.columns if c not in first]]


def aging_trend(items: OpenItems, month_ends: list[dt.date]) -> pd.DataFrame:
    """Return the portfolio's aging at each of `month_ends`: bucket amounts, totals and shares."""
    frame = items.con.execute(
        f"SELECT as_of_date AS month_end, {_bucket_sums(items.settings)} FROM {OPEN_SUMMARY} "
        "WHERE list_contains(?, as_of_date) GROUP BY as_of_date",
        [month_ends],
    ).df()
    frame["month_end"] = pd.to_datetime(frame["month_end"]).dt.date
    frame = pd.DataFrame({"month_end": month_ends}).merge(frame, on="month_end", how="left").fillna(0.0)
    return with_totals(frame, items.settings)
