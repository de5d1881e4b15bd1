"""The IFRS 9 simplified approach (IFRS 9 5.5.15, B5.5.35): a provision matrix from the ledger's own history.

Loss-rate method (the default). For each month-end t of the lookback window (the last
`lookback_months` month-ends whose outcome, `outcome_days` later, is on or before the as-of date), every
invoice amount open at t is put in its aging bucket at t; the part of it still unpaid `outcome_days`
after t is lost. A bucket's historical loss rate is lost over open, each summed over the window.

Roll-rate (flow-rate) method. The roll rate of a bucket is the share of the amount in it at the
window's month-ends still unpaid on the day it reaches the next bucket (due date + the bucket's upper
bound + 1 day, when that day is on or before the as-of date); the last bucket's rate is its loss rate
as above. A bucket's loss rate is the product of its roll rate, those of the later buckets, and the
last bucket's loss rate.

Either way a forward-looking overlay multiplies the rates: the probability-weighted multiplier of the
scenarios (capped so that no rate exceeds 1), and the provision of a bucket is its adjusted rate times
the invoices open in it at the as-of date. Beside it, `provision_model`: each customer's model-based
loss on its open balance (`serving.portfolio.expected_loss`), shared among its open invoices by amount.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from serving.portfolio.open_items import OPEN_SUMMARY, OpenItems, last_month_ends
from serving.portfolio.settings import PortfolioSettings, ProvisionSettings


def window(as_of: dt.date, settings: ProvisionSettings) -> list[dt.date]:
    """Return the month-ends whose outcome `outcome_days` later is observed by `as_of`, the last `lookback_months`."""
    latest = as_of - dt.timedelta(days=settings.outcome_days)
    return last_month_ends(latest, settings.lookback_months)


def _unpaid_on(day: str) -> str:
    """Return SQL of what is still unpaid of the document `d` at the end of the day `day` (a column or expression):
    nothing once settled, all of it before its first payment, else its amount less what was paid by then
    (`p.paid`, the payments of documents paid on several days, up to that day)."""
    return f"""CASE WHEN d.settled_date IS NOT NULL AND d.settled_date <= {day} THEN 0
                WHEN d.first_payment_date IS NULL OR d.first_payment_date > {day} THEN d.amount
                WHEN d.first_payment_date = d.last_payment_date THEN d.amount - d.paid
                ELSE d.amount - coalesce(p.paid, 0) END"""


def _open_then_unpaid(con, start: str, late: str, days: str) -> pd.DataFrame:
    """Return per bucket the open amount of the rows `start` (invoice_row, bucket, open_amount, day) and what of
    it was still unpaid on each row's `day`, in one pass over the rows.

    Only a document settled after `late` (a condition on the documents `d`) can be unpaid on a row's day, so
    only those are joined to the rows; `days` is SQL of the list of days a row of such a document `d` may
    have, at which what was paid on a document paid on several days is added up beforehand.
    """
    return con.execute(
        f"""WITH candidates AS (
                SELECT invoice_row, due_date, amount, paid, first_payment_date, last_payment_date, settled_date
                FROM documents d WHERE NOT is_credit_note AND (settled_date IS NULL OR {late})
            ), paid_by_day AS (
                SELECT g.invoice_row, g.day, sum(m.amount) AS paid
                FROM (SELECT invoice_row, unnest({days}) AS day FROM candidates d
                      WHERE first_payment_date < last_payment_date) g
                JOIN multi_day_payments m ON m.invoice_row = g.invoice_row AND m.payment_date <= g.day
                GROUP BY ALL
            )
            SELECT s.bucket, CAST(sum(s.open_amount) AS DOUBLE) AS window_open_amount,
                   CAST(coalesce(sum(CASE WHEN d.invoice_row IS NULL THEN 0 ELSE {_unpaid_on("s.day")} END), 0)
                        AS DOUBLE) AS window_lost_amount
            FROM ({start}) s
            LEFT JOIN candidates d ON d.invoice_row = s.invoice_row
            LEFT JOIN paid_by_day p ON p.invoice_row = s.invoice_row AND p.day = s.day
            GROUP BY s.bucket"""
    ).df()


def loss_rates(items: OpenItems, month_ends: list[dt.date]) -> pd.DataFrame:
    """Return per bucket the amount open at the window's month-ends, the part lost, and lost / open."""
    con = items.open_documents_at(month_ends)
    days = items.settings.provision.outcome_days
    start = (
        f"SELECT invoice_row, bucket, open_amount, CAST(as_of_date + INTERVAL {days} DAY AS DATE) AS day "
        f"FROM {items.bucketed} WHERE NOT is_credit_note"
    )
    outcomes = ", ".join(f"DATE '{(t + dt.timedelta(days=days)).isoformat()}'" for t in month_ends)
    # unpaid a year after a date it was open at: settled over a year after it was issued, or never
    late = f"settled_date > invoice_date + INTERVAL {days} DAY"
    return _by_bucket(_open_then_unpaid(con, start, late, f"[{outcomes}]"), items.settings)


def roll_rates(items: OpenItems, month_ends: list[dt.date], as_of: dt.date) -> pd.DataFrame:
    """Return per bucket but the last the amount in it at the window's month-ends, the part still unpaid on the
    day it reaches the next bucket, and their ratio (rows whose next-bucket day is after `as_of` left out)."""
    bounds = items.settings.aging_buckets
    edges = "CASE " + " ".join(f"WHEN bucket = {i} THEN {b + 1}" for i, b in enumerate(bounds)) + " END"
    con = items.open_documents_at(month_ends)
    start = f"""SELECT * FROM (
                    SELECT invoice_row, bucket, open_amount, CAST(due_date + INTERVAL ({edges}) DAY AS DATE) AS day
                    FROM {items.bucketed} WHERE NOT is_credit_note AND bucket < {len(bounds)}
                ) WHERE day <= DATE '{as_of.isoformat()}'"""
    # unpaid the day it reaches the next bucket: settled after its due date, or never
    days = "[" + ", ".join(f"CAST(d.due_date + INTERVAL {b + 1} DAY AS DATE)" for b in bounds) + "]"
    return _by_bucket(_open_then_unpaid(con, start, "settled_date > due_date", days), items.settings)


def _by_bucket(frame: pd.DataFrame, settings: PortfolioSettings) -> pd.DataFrame:
    """Return one row per bucket (0 where nothing was open) with `historical_rate` = lost / open."""
    out = pd.DataFrame({"bucket": np.arange(len(settings.buckets))}).merge(frame, on="bucket", how="left")
    amounts = ["window_open_amount", "window_lost_amount"]
    out[amounts] = out[amounts].astype(float).fillna(0.0)
    opened, lost = out["window_open_amount"].to_numpy(), out["window_lost_amount"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["historical_rate"] = np.where(opened > 0, lost / opened, np.nan)
    return out


def _filled(rates: np.ndarray, settings: PortfolioSettings, notes: list[str]) -> np.ndarray:
    """Return `rates` with each bucket nothing was open in during the window given the rate of the bucket before it
    (the current bucket 0), said in `notes`: an older debt is no safer than a younger one."""
    filled = rates.copy()
    for b in range(len(filled)):
        if np.isnan(filled[b]):
            filled[b] = filled[b - 1] if b else 0.0
            before = f"that of {settings.buckets[b - 1]}" if b else "0"
            notes.append(f"nothing was open in bucket {settings.buckets[b]} during the window: its rate is {before}")
    return filled


def overlay(settings: PortfolioSettings) -> np.ndarray:
    """Return per bucket the probability-weighted multiplier of the forward-looking scenarios."""
    weighted = np.zeros(len(settings.buckets))
    for scenario in settings.provision.scenarios:
        multiplier = scenario.multiplier
        if isinstance(multiplier, dict):
            values = np.array([multiplier.get(b, 1.0) for b in settings.buckets])
        else:
            values = np.full(len(settings.buckets), multiplier)
        weighted += scenario.weight * values
    return weighted


def provision_matrix(
    items: OpenItems,
    as_of: dt.date,
    model_by_invoice: pd.DataFrame,
) -> tuple[pd.DataFrame, list[str]]:
    """Return the provision matrix (a row per bucket, then the total) and notes on what it could not use.

    `model_by_invoice` holds the as-of date's open invoices' `bucket` and `provision_model` (empty
    without a default model).
    """
    settings, notes = items.settings, []
    first_day = pc.min(items.facts.ledger["invoices"].column("invoice_date")).as_py() or as_of
    month_ends = [t for t in window(as_of, settings.provision) if t >= first_day]
    if not month_ends:
        notes.append(
            f"no month-end of the ledger has its {settings.provision.outcome_days}-day outcome observed by {as_of}: "
            "the matrix has no loss rates"
        )
    table = _historical_rates(items, as_of, month_ends, notes)
    table["overlay_multiplier"] = overlay(settings)
    table["loss_rate"] = np.minimum(table["historical_rate"] * table["overlay_multiplier"], 1.0)
    table = _provisions(items, as_of, table, model_by_invoice)
    table["method"] = settings.provision.method
    table["window_first_month_end"] = month_ends[0] if month_ends else None
    table["window_last_month_end"] = month_ends[-1] if month_ends else None
    table["window_month_ends"] = len(month_ends)
    table = pd.concat([table, _total_row(table, settings, len(month_ends))], ignore_index=True)
    explained = difference_explained(table)
    if explained:
        notes.append(explained)
    return table, notes


def _historical_rates(items: OpenItems, as_of: dt.date, month_ends: list[dt.date], notes: list[str]) -> pd.DataFrame:
    """Return per bucket the window's open and lost amounts and the historical rate of the settings' method."""
    settings = items.settings
    if not month_ends:
        nothing = pd.DataFrame({"bucket": pd.Series(dtype=int), "window_open_amount": 0.0, "window_lost_amount": 0.0})
        table = _by_bucket(nothing, settings)
    else:
        table = loss_rates(items, month_ends)
    table.insert(1, "aging_bucket", [settings.buckets[b] for b in table["bucket"]])
    if not month_ends:
        return table
    historical = _filled(table["historical_rate"].to_numpy(float), settings, notes)
    if settings.provision.method == "roll_rate":
        rolls = roll_rates(items, month_ends, as_of)["historical_rate"].to_numpy(float)
        chain = np.append(rolls[:-1], historical[-1])
        unobserved = [settings.buckets[b] for b in np.flatnonzero(np.isnan(chain[:-1]))]
        if unobserved:
            notes.append(
                f"no amount of bucket(s) {', '.join(unobserved)} reached the next bucket in the window: "
                "taken to roll in full"
            )
        chain[:-1] = np.where(np.isnan(chain[:-1]), 1.0, chain[:-1])
        table["roll_rate"] = chain
        historical = np.cumprod(chain[::-1])[::-1]
    table["historical_rate"] = historical
    return table


def _provisions(items: OpenItems, as_of: dt.date, table: pd.DataFrame, model_by_invoice: pd.DataFrame) -> pd.DataFrame:
    """Return `table` with the invoices open at `as_of` per bucket, the matrix's provision and the model's beside it."""
    open_now = items.con.execute(
        f"SELECT bucket, CAST(sum(open_amount) AS DOUBLE) AS open_amount FROM {OPEN_SUMMARY} "
        "WHERE NOT is_credit_note AND as_of_date = ? GROUP BY bucket",
        [as_of],
    ).df()
    table = table.merge(open_now, on="bucket", how="left")
    table["open_amount"] = table["open_amount"].fillna(0.0)
    table["provision_matrix"] = table["loss_rate"] * table["open_amount"]
    model = model_by_invoice.groupby("bucket")["provision_model"].sum(min_count=1)
    # Without a default model there is no PD: the model's figure is empty, not 0.
    has_model = model_by_invoice["provision_model"].notna().any()
    table["provision_model"] = table["bucket"].map(model).fillna(0.0) if has_model else np.nan
    table["difference"] = table["provision_matrix"] - table["provision_model"]
    opened = table["open_amount"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["model_rate"] = np.where(opened > 0, table["provision_model"].to_numpy(float) / opened, np.nan)
    return table


def _total_row(table: pd.DataFrame, settings: PortfolioSettings, month_ends: int) -> pd.DataFrame:
    """Return the matrix's total row: amounts and provisions added up, the loss rate they imply."""
    total = {
        "bucket": len(settings.buckets),
        "aging_bucket": "total",
        "window_open_amount": table["window_open_amount"].sum(),
        "window_lost_amount": table["window_lost_amount"].sum(),
        "open_amount": table["open_amount"].sum(),
        "provision_matrix": table["provision_matrix"].sum(min_count=1),
        "provision_model": table["provision_model"].sum(min_count=1),
        "method": settings.provision.method,
        "window_month_ends": month_ends,
    }
    total["difference"] = total["provision_matrix"] - total["provision_model"]
    total["loss_rate"] = total["provision_matrix"] / total["open_amount"] if total["open_amount"] else np.nan
    return pd.DataFrame([total])


def difference_explained(table: pd.DataFrame) -> str | None:
    """Return one sentence on why the matrix and the model differ, naming the bucket with the largest gap."""
    total, buckets = table.iloc[-1], table.iloc[:-1]
    if pd.isna(total["provision_matrix"]) or pd.isna(total["provision_model"]):
        return None
    gap = buckets["difference"].abs()
    if not gap.notna().any():
        return None
    worst = buckets.loc[gap.idxmax()]
    return (
        f"provision by matrix {total['provision_matrix']:,.0f}, by model {total['provision_model']:,.0f}: the matrix "
        "applies each bucket's historical loss rate to every invoice in it, the model each customer's PD x LGD "
        "net of insured cover; the largest gap is in bucket "
        f"{worst['aging_bucket']} (loss rate {worst['loss_rate']:.1%} against the model's {worst['model_rate']:.1%})"
    )
