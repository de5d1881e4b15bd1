"""What-if: the smallest realistic change in a customer's behaviour that improves its grade or restores its limit.

A scenario changes the customer's own ledger (simulated payments, simulated invoices paid on time) and the
real feature pipeline and models score it: no feature value is ever edited. The customer's rows are first
cut to what was known at as_of (a scenario replaces the real future) and every sub-ledger is validated
again, so no scenario breaks the ledger contract. Features are per customer, so the unchanged sub-ledger
scores exactly as the customer does in the whole portfolio (`tests/code/test_whatif.py` holds them equal).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import MAX_DAYS_AFTER_REFERENCE
from features.ledger import Ledger
from features.pipeline import LedgerFacts, add_months
from features.sources import ROW, RawTable
from features.validate import validate_ledger
from model.grades import grade_rank
from serving.limits import LimitPolicy
from serving.scoring import ScoringModels, score_features, snapshot

UTILISATION = 0.8  # the share of the credit limit `utilisation_80` brings the balance down to
MONTHS_AHEAD = 3  # how far `on_time_3m` looks ahead, and how far back the buying it repeats


class WhatIfError(ValueError):
    """The customer cannot be simulated (unknown, or nothing of it is open); the message says which, in one line."""


@dataclass(frozen=True)
class Scenario:
    """One change to a customer's ledger: the rows it adds and the date it is scored at."""

    name: str
    text_en: str
    text_zh: str
    as_of: dt.date
    payments: pd.DataFrame  # payment_id, invoice_id, payment_date, amount
    invoices: pd.DataFrame  # contract columns of `invoices`; empty but for on_time_3m


@dataclass(frozen=True)
class WhatIfOutcome:
    """A scenario scored: what the customer would do, and the score it would get."""

    scenario: str
    text_en: str
    text_zh: str
    as_of: dt.date
    payments: int
    cash: float
    pd_12m: float | None
    risk_grade: str | None
    late_payment_prob_90d: float | None
    late_payment_grade: str | None
    recommended_credit_limit: float
    limit_reasons: str
    better_grade: bool
    limit_restored: bool

    @property
    def improves(self) -> bool:
        """Return whether the scenario moves the customer up a grade or restores its limit."""
        return self.better_grade or self.limit_restored


@dataclass(frozen=True)
class WhatIfResult:
    """A customer's score at as_of and the scenarios that apply to it, scored."""

    customer_id: str
    as_of: dt.date
    base: dict  # the customer's score row (SCORE_COLUMNS), re-scored from its own unchanged sub-ledger
    outcomes: list[WhatIfOutcome]  # the scenarios that apply, smallest cash first

    @property
    def best(self) -> WhatIfOutcome | None:
        """Return the outcome needing the least cash that improves the grade or restores the limit, else None."""
        return next((o for o in self.outcomes if o.improves), None)


def customer_ledger(
    ledger: Ledger,
    customer_id: str,
    reference_date: dt.date,
    extra_payments: pd.DataFrame | None = None,
    extra_invoices: pd.DataFrame | None = None,
    known_at: dt.date | None = None,
) -> Ledger:
    """Return the validated ledger of one customer: its customer row, invoices, their payments and disputes, its
    credit events, plus `extra_invoices` and `extra_payments`; raise WhatIfError for an unknown customer. With
    `known_at`, only what was known then is kept: nothing dated after it, a dispute resolved later still open."""
    tables = dict(ledger.tables)
    tables["customers"] = _where(tables["customers"], pc.equal(tables["customers"]["customer_id"], customer_id))
    if not tables["customers"].num_rows:
        raise WhatIfError(f"customer {customer_id} is not in the ledger {ledger.source}")
    for name in ("invoices", "credit_events"):
        tables[name] = _where(tables[name], pc.equal(tables[name]["customer_id"], customer_id))
    if known_at is not None:
        on = pa.scalar(known_at, pa.date32())
        for name, column in _DATED.items():
            tables[name] = _where(tables[name], pc.less_equal(tables[name][column], on))
        resolved = tables["disputes"]["resolved_date"]
        resolved = pc.if_else(pc.fill_null(pc.greater(resolved, on), False), pa.scalar(None, resolved.type), resolved)
        at = tables["disputes"].schema.get_field_index("resolved_date")
        tables["disputes"] = tables["disputes"].set_column(at, "resolved_date", resolved)
    tables["invoices"] = invoices = _appended(tables["invoices"], extra_invoices)
    for name in ("payments", "disputes"):
        tables[name] = _where(tables[name], pc.is_in(tables[name]["invoice_id"], invoices["invoice_id"]))
    tables["payments"] = _appended(tables["payments"], extra_payments)
    source = f"{ledger.source}, customer {customer_id}"
    # Numbered as `frames_to_raw` numbers rows; the tables keep their types, which pandas would lose on a null column.
    raw = {
        name: RawTable(name, f"{source}:{name}", t.append_column(ROW, pa.array(np.arange(1, t.num_rows + 1))))
        for name, t in tables.items()
    }
    return validate_ledger(raw, source=source, reference_date=reference_date, allow_quarantine=False).ledger


# The date at which each row of a table becomes known.
_DATED = {
    "invoices": "invoice_date",
    "payments": "payment_date",
    "credit_events": "event_date",
    "disputes": "opened_date",
}


def _where(table: pa.Table, mask: pa.ChunkedArray) -> pa.Table:
    """Return the rows of `table` where `mask` is true (missing counts as false)."""
    return table.filter(pc.fill_null(mask, False))


def _appended(table: pa.Table, frame: pd.DataFrame | None) -> pa.Table:
    """Return `table` with the rows of `frame` after its own, typed as `table` (columns `frame` lacks empty)."""
    if frame is None or frame.empty:
        return table
    columns = [
        pa.array(frame[f.name].tolist(), f.type) if f.name in frame.columns else pa.nulls(len(frame), f.type)
        for f in table.schema
    ]
    return pa.concat_tables([table, pa.Table.from_arrays(columns, schema=table.schema)])


def plan(ledger: Ledger, customer_id: str, as_of: dt.date, reference_date: dt.date) -> tuple[Ledger, list[Scenario]]:
    """Return the customer's sub-ledger as known at `as_of` and the scenarios that change something in it;
    raise WhatIfError when the customer is unknown, has no invoice by `as_of` or nothing open at `as_of`."""
    base = customer_ledger(ledger, customer_id, reference_date, known_at=as_of)
    if not base["invoices"].num_rows:
        raise WhatIfError(f"customer {customer_id} has no invoice by {as_of}: it has no score")
    with LedgerFacts(base) as facts:
        open_items = facts.open_documents_at([as_of]).sql(_OPEN_ITEMS).to_arrow_table().to_pandas()
    if open_items.empty:
        raise WhatIfError(f"customer {customer_id} has nothing open at {as_of}: there is nothing to pay")
    return base, scenarios(base, open_items, as_of, reference_date)


# The documents open at as_of with their ids and what is open of them (credit notes negative), oldest due first.
_OPEN_ITEMS = """SELECT i.invoice_id, i.document_type, o.due_date, CAST(o.open_amount AS DOUBLE) AS open_amount,
    o.days_past_due FROM open_documents o JOIN invoices i USING (invoice_row) ORDER BY o.due_date, i.invoice_id"""


def what_if(
    ledger: Ledger,
    customer_id: str,
    as_of: dt.date,
    models: ScoringModels,
    policy: LimitPolicy,
    reference_date: dt.date,
) -> WhatIfResult:
    """Return the customer's score at `as_of` and every scenario that applies to it, scored, smallest cash first;
    raise WhatIfError as `plan` does."""
    base_ledger, planned = plan(ledger, customer_id, as_of, reference_date)
    base = _score(base_ledger, as_of, models, policy)
    outcomes = []
    for scenario in planned:
        changed = customer_ledger(base_ledger, customer_id, reference_date, scenario.payments, scenario.invoices)
        outcomes.append(_outcome(scenario, _score(changed, scenario.as_of, models, policy), base))
    outcomes.sort(key=lambda o: o.cash)  # stable: equal cash keeps the order of the scenarios
    return WhatIfResult(customer_id, as_of, base, outcomes)


def _score(ledger: Ledger, as_of: dt.date, models: ScoringModels, policy: LimitPolicy) -> dict:
    """Return the score row (SCORE_COLUMNS) of the one customer of `ledger` at `as_of`."""
    return score_features(snapshot(ledger, as_of, models.label_config), models, policy).iloc[0].to_dict()


def scenarios(ledger: Ledger, open_items: pd.DataFrame, as_of: dt.date, reference_date: dt.date) -> list[Scenario]:
    """Return the scenarios that change something for a customer whose `ledger` holds its rows known at `as_of`
    and `open_items` its documents open then (invoice_id, document_type, due_date, open_amount, days_past_due)."""
    invoices = open_items[(open_items["document_type"] == "invoice") & (open_items["open_amount"] > 0)]
    overdue = invoices[invoices["days_past_due"] >= 1]
    bucket = overdue[overdue["days_past_due"].between(61, 90)]
    en, zh = f"Pay {_the(len(bucket), 'invoice')} 61-90 days overdue", f"支付{len(bucket)}张逾期61-90天的发票"
    out = [_paying("pay_61_90", bucket, as_of, en, zh)]
    en, zh = f"Pay {_the(len(overdue), 'overdue invoice')}", f"支付{len(overdue)}张逾期发票"
    out.append(_paying("pay_overdue", overdue, as_of, en, zh))
    balance, limit = float(open_items["open_amount"].sum()), ledger["customers"]["credit_limit"][0].as_py()
    if limit is not None and limit > 0 and balance > UTILISATION * limit:
        # Oldest due first, each paid in full while what is still open lies above the target.
        paid_before = invoices["open_amount"].cumsum().shift(fill_value=0.0)
        oldest = invoices[(balance - paid_before > UTILISATION * limit).to_numpy()]
        en = f"Pay {_the(len(oldest), 'oldest open invoice')} to bring the balance to 80% of the limit {limit:,.2f}"
        zh = f"支付最早到期的{len(oldest)}张未结发票，使余额降至信用额度{limit:,.2f}的80%以内"
        out.append(_paying("utilisation_80", oldest, as_of, en, zh))
    return [s for s in [*out, _on_time(ledger, invoices, as_of, reference_date)] if s is not None]


def _the(n: int, noun: str) -> str:
    """Return "the invoice" or "the 3 invoices"."""
    return f"the {noun}" if n == 1 else f"the {n} {noun}s"


def _payments(name: str, invoice_ids: list, dates: list, amounts: list) -> pd.DataFrame:
    """Return payments `whatif-<name>-<n>` of `amounts` on `dates` to `invoice_ids`."""
    ids = [f"whatif-{name}-{n}" for n in range(1, len(amounts) + 1)]
    return pd.DataFrame({"payment_id": ids, "invoice_id": invoice_ids, "payment_date": dates, "amount": amounts})


def _paying(name: str, items: pd.DataFrame, as_of: dt.date, text_en: str, text_zh: str) -> Scenario | None:
    """Return the scenario paying what is open of `items` in full on `as_of`, cash in the texts; None without items."""
    if items.empty:
        return None
    amounts = items["open_amount"].round(2).tolist()
    payments = _payments(name, list(items["invoice_id"]), [as_of] * len(amounts), amounts)
    cash = f"{sum(amounts):,.2f}"
    return Scenario(name, f"{text_en} ({cash})", f"{text_zh}（{cash}）", as_of, payments, pd.DataFrame())


def _on_time(ledger: Ledger, invoices: pd.DataFrame, as_of: dt.date, reference_date: dt.date) -> Scenario | None:
    """Return `on_time_3m`: the overdue invoices paid at as_of, the last 3 months' invoices issued again 3 months
    later, and every invoice (the open ones too) paid on its due date up to the later as-of date; None when that
    changes nothing or a date would pass the contract's bound."""
    later, start = add_months(as_of, MONTHS_AHEAD), add_months(as_of, -MONTHS_AHEAD)
    issued = ledger["invoices"].to_pandas()
    # Credit notes are not repeated: the scenario is buying and paying, not returns.
    recent = issued[(issued["invoice_date"] > start) & (issued["document_type"] == "invoice")]
    copies = recent.assign(
        invoice_id=[f"whatif-on_time_3m-invoice-{n}" for n in range(1, len(recent) + 1)],
        invoice_date=[add_months(day, MONTHS_AHEAD) for day in recent["invoice_date"]],
        # The terms stay as they were: the due date moves with the invoice date.
        due_date=[add_months(i, MONTHS_AHEAD) + (d - i) for i, d in zip(recent["invoice_date"], recent["due_date"])],
    )
    overdue = invoices[invoices["days_past_due"] >= 1]
    due = invoices[(invoices["days_past_due"] < 1) & (invoices["due_date"] <= later)]
    paid_copies = copies[copies["due_date"] <= later]
    ids = [*overdue["invoice_id"], *due["invoice_id"], *paid_copies["invoice_id"]]
    dates = [as_of] * len(overdue) + [*due["due_date"], *paid_copies["due_date"]]
    amounts = [*overdue["open_amount"].round(2), *due["open_amount"].round(2), *paid_copies["amount"]]
    if not ids or max([later, *copies["due_date"]]) > reference_date + dt.timedelta(days=MAX_DAYS_AFTER_REFERENCE):
        return None
    total, now = f"{sum(amounts):,.2f}", f"{overdue['open_amount'].sum():,.2f}"
    lead_en = f"Pay {_the(len(overdue), 'overdue invoice')} ({now}) and pay" if len(overdue) else "Pay"
    lead_zh = f"支付{len(overdue)}张逾期发票（{now}），并" if len(overdue) else ""
    en = f"{lead_en} every invoice on its due date for the next {MONTHS_AHEAD} months ({total} in all)"
    zh = f"{lead_zh}在未来{MONTHS_AHEAD}个月内按期支付每张发票（共{total}）"
    return Scenario("on_time_3m", en, zh, later, _payments("on_time_3m", ids, dates, amounts), copies)


def _outcome(scenario: Scenario, row: dict, base: dict) -> WhatIfOutcome:
    """Return the scored scenario, compared with the base score row: the PD grade, else the late-payment grade."""
    key = "risk_grade" if base["risk_grade"] is not None else "late_payment_grade"
    before, after = grade_rank(base[key]), grade_rank(row[key])
    current = base["current_credit_limit"]
    cut = not math.isnan(current) and base["recommended_credit_limit"] < current
    late = row["late_payment_prob_90d"]
    return WhatIfOutcome(
        scenario=scenario.name,
        text_en=scenario.text_en,
        text_zh=scenario.text_zh,
        as_of=row["as_of_date"],  # the date it was scored at
        payments=len(scenario.payments),
        cash=round(float(scenario.payments["amount"].sum()), 2),
        pd_12m=None if math.isnan(row["pd_12m"]) else float(row["pd_12m"]),  # NaN: no such model
        risk_grade=row["risk_grade"],
        late_payment_prob_90d=None if math.isnan(late) else float(late),
        late_payment_grade=row["late_payment_grade"],
        recommended_credit_limit=float(row["recommended_credit_limit"]),
        limit_reasons=row["limit_reasons"],
        better_grade=before is not None and after is not None and after < before,
        limit_restored=cut and row["recommended_credit_limit"] >= current,
    )
