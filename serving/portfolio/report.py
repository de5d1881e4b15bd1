"""The portfolio report: every figure of `serving.portfolio` from one ledger, its scores and its settings.

`build_report` reads the ledger's open items at the dates the figures need (`OpenItems`), joins the
scores (the champion models' at the as-of date, and those recorded at the compare-to date), and returns
the tables and the totals the command prints. It writes nothing:
`serving.portfolio.files` does, all or nothing. The CLI, the pages and the notebooks all call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.pipeline import LedgerFacts
from serving.portfolio import aging, dso, expected_loss, provisions, terms, watchlist, worklist
from serving.portfolio.behaviour import behaviour_at, events_between
from serving.portfolio.open_items import OPEN_ITEMS, OpenItems, last_month_ends
from serving.portfolio.settings import PortfolioSettings

REASON_TEXTS = ["reason_1_text_en", "reason_2_text_en", "reason_3_text_en"]


class PortfolioError(ValueError):
    """The report cannot be made from what it was given; the message names the value and the rule."""


@dataclass
class PortfolioReport:
    as_of: dt.date
    compare_to: dt.date
    tables: dict[str, pd.DataFrame]
    totals: dict[str, float | int | None]
    notes: list[str] = field(default_factory=list)


def trend_dates(as_of: dt.date, settings: PortfolioSettings) -> list[dt.date]:
    """Return the trend's dates: the last month-ends, the as-of date last when it is not one of them."""
    trend = last_month_ends(as_of, settings.trend_months)
    if trend[-1] != as_of:
        trend = [*trend[1:], as_of] if len(trend) >= settings.trend_months else [*trend, as_of]
    return trend


def check_compare_to(as_of: dt.date, compare_to: dt.date) -> None:
    """Raise PortfolioError when `compare_to` is not before `as_of`."""
    if compare_to >= as_of:
        raise PortfolioError(f"--compare-to {compare_to} is not before --as-of {as_of}: it must be an earlier date")


def build_report(
    facts: LedgerFacts,
    as_of: dt.date,
    compare_to: dt.date,
    scores: pd.DataFrame,
    settings: PortfolioSettings,
    compare_scores: pd.DataFrame | None = None,
    notes: list[str] | None = None,
) -> PortfolioReport:
    """Return the portfolio report at `as_of` from `facts` (the ledger's, kept open) and `scores` (SCORE_COLUMNS)."""
    check_compare_to(as_of, compare_to)
    notes = list(notes or [])
    trend = trend_dates(as_of, settings)
    items = OpenItems(facts, as_of, trend, settings)
    (open_now,) = items.con.execute(f"SELECT count(*) FROM {OPEN_ITEMS}").fetchall()
    if not open_now[0]:
        raise PortfolioError(f"{facts.ledger.source}: nothing is open at {as_of}: no receivables to report on")
    customers = _customers(items, scores)
    per_customer = aging.customer_aging(items, as_of, customers)
    tables = {
        "aging": aging.aging_table(per_customer, settings, as_of),
        "aging_trend": aging.aging_trend(items, trend),
        "dso": dso.dso_table(items, trend, customers),
    }
    # Index lookups, not Series.isin: on Arrow-backed strings isin loops in Python over the values.
    scored = customers[pd.Index(scores["customer_id"]).get_indexer(customers["customer_id"]) >= 0]
    balances = per_customer.set_index("customer_id")["open_receivables"]
    losses = expected_loss.expected_loss_table(scored, balances, settings.expected_loss)
    tables["expected_loss"] = losses
    invoices = _open_invoices(items, losses)
    matrix, matrix_notes = provisions.provision_matrix(items, as_of, invoices)
    tables["provision_matrix"] = matrix
    notes += matrix_notes
    behaviour = _behaviour(items, [as_of, compare_to])
    now = _current(scored, per_customer, losses, behaviour.get(as_of))
    then = _then(compare_scores, behaviour.get(compare_to))
    events = events_between(
        facts, compare_to, as_of, settings.watchlist.insurer_event_types + settings.watchlist.default_event_types
    )
    events["customer_id"] = items.ids("customers", events["customer_key"].to_numpy())
    tables["watchlist"] = watchlist.watchlist_table(now, then, events, settings.watchlist, as_of, compare_to)
    tables["worklist"] = worklist.worklist_table(invoices, scored, settings.worklist)
    tables["terms"] = terms.terms_table(now, settings.terms)
    tables["payment_plans"] = terms.payment_plans(now, settings.terms)
    totals = _totals(tables)
    totals["dso_target_days"] = settings.dso_target_days
    return PortfolioReport(as_of, compare_to, tables, totals, notes)


def _customers(items: OpenItems, scores: pd.DataFrame) -> pd.DataFrame:
    """Return the ledger's customers with their scores at the as-of date (empty score columns when unscored)."""
    frame = items.con.sql(items.customers_sql()).df()
    keep = [
        "customer_id",
        "pd_12m",
        "risk_grade",
        "late_payment_prob_90d",
        "late_payment_grade",
        "in_default_at_as_of",
        "terms_advice",
        *REASON_TEXTS,
    ]
    return frame.merge(scores[keep], on="customer_id", how="left")


def _open_invoices(items: OpenItems, losses: pd.DataFrame) -> pd.DataFrame:
    """Return the invoices open at the as-of date (in the ledger's order), each with its aging bucket's name and
    its share (by open amount) of its customer's model-based loss."""
    found = items.con.sql(
        f"""SELECT invoice_row, customer_key, invoice_date, due_date, days_past_due, bucket, is_disputed,
                   CAST(open_amount AS DOUBLE) AS open_amount
            FROM {OPEN_ITEMS} WHERE NOT is_credit_note"""
    ).to_arrow_table()
    invoices = found.to_pandas(date_as_object=True)
    invoices.insert(0, "invoice_id", items.ids("invoices", found.column("invoice_row").to_numpy()))
    invoices.insert(1, "customer_id", items.ids("customers", found.column("customer_key").to_numpy()))
    invoices["aging_bucket"] = np.asarray(items.settings.buckets, dtype=object)[invoices["bucket"].to_numpy()]
    per_customer = losses[losses["level"] == "customer"].set_index("key")["model_provision"]
    gross = invoices.groupby("customer_key")["open_amount"].transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(gross > 0, invoices["open_amount"].to_numpy() / gross, 0.0)
    model = per_customer.reindex(pd.Index(invoices["customer_id"])).to_numpy(float)
    invoices["provision_model"] = model * share
    return invoices.drop(columns=["invoice_row", "customer_key"])


def _behaviour(items: OpenItems, dates: list[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """Return per date what each customer did up to it (`behaviour_at`), by customer id."""
    frame = behaviour_at(items.facts, dates)
    frame["customer_id"] = items.ids("customers", frame["customer_key"].to_numpy())
    return {day: part.drop(columns=["day", "customer_key"]) for day, part in frame.groupby("day")}


def _current(scored, per_customer, losses, behaviour) -> pd.DataFrame:
    """Return the scored customers at the as-of date with what the watchlist, terms and plans read."""
    frame = scored.drop(columns=["customer_key"])
    columns = ["customer_id", "exposure", "open_balance", "lgd"]
    frame = frame.merge(
        losses.loc[losses["level"] == "customer", ["key", *columns[1:]]], left_on="customer_id", right_on="key"
    )
    frame = frame.drop(columns="key").merge(
        per_customer[["customer_id", "overdue_amount"]], on="customer_id", how="left"
    )
    frame["overdue_amount"] = frame["overdue_amount"].fillna(0.0)
    empty = pd.DataFrame(columns=["customer_id", "avg_days_late_365d", "open_disputes", "paid_365d"])
    frame = frame.merge(behaviour if behaviour is not None else empty, on="customer_id", how="left")
    frame["open_disputes"] = frame["open_disputes"].fillna(0).astype(int)
    frame["paid_365d"] = frame["paid_365d"].astype(float).fillna(0.0)
    frame["avg_days_late_365d"] = frame["avg_days_late_365d"].astype(float)
    return frame


def _then(compare_scores: pd.DataFrame | None, behaviour: pd.DataFrame | None) -> pd.DataFrame:
    """Return per customer at the compare-to date what the watchlist compares with: grades and behaviour."""
    then = behaviour if behaviour is not None else pd.DataFrame(columns=["customer_id"])
    then = then.drop(columns=["paid_365d"], errors="ignore")
    if compare_scores is not None:
        grades = compare_scores[["customer_id", "risk_grade", "late_payment_grade"]]
        then = grades.merge(then, on="customer_id", how="outer")
    return then


def _totals(tables: dict[str, pd.DataFrame]) -> dict[str, float | int | None]:
    """Return the figures `make demo` prints: open receivables, overdue share, DSO, provisions, list sizes."""
    aging_total = tables["aging"].query("level == 'total'").iloc[0]
    dso_total = tables["dso"].query("level == 'total'").sort_values("month_end").iloc[-1]
    matrix_total = tables["provision_matrix"].iloc[-1]
    queue = tables["worklist"]["queue"]

    def number(value) -> float | None:
        return None if pd.isna(value) else float(value)

    return {
        "open_receivables": number(aging_total["open_receivables"]),
        "overdue_share": number(aging_total["overdue_share"]),
        "dso_countback": number(dso_total["dso_countback"]),
        "dso_3m": number(dso_total["dso_3m"]),
        "provision_matrix": number(matrix_total["provision_matrix"]),
        "provision_model": number(matrix_total["provision_model"]),
        "expected_loss": number(tables["expected_loss"].query("level == 'total'")["expected_loss"].iloc[0]),
        "watchlist_customers": len(tables["watchlist"]),
        "worklist_invoices": int((queue == "collections").sum()),
        "disputed_invoices": int((queue == "disputes").sum()),
    }
