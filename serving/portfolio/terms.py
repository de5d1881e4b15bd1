"""Terms advice per customer, and a payment plan for a customer with an overdue balance.

Terms: the first rule of `TermsSettings.rules` naming the customer's grade (its PD grade, else its
late-payment grade) gives the advice; the scoring core's own "cash in advance" (the limit policy's hold,
`serving.limits`) always stands. "keep or extend" offers `extend_by_days` more only to a customer that
paid on time over the last year (average days late under 1), never beyond `max_terms_days`; "shorten" advises `shorten_to_days`, or
the current terms when they are shorter already.

Payment plan: the overdue balance in `plan_months` equal monthly instalments, unless an instalment would
take more than `capacity_share` of what the customer paid a month over the last year (its observed
capacity); then the plan is stretched until it fits, up to `max_plan_months`, and beyond that it is not
affordable (`affordable` false: the instalment shown is the longest plan's). Instalment k is expected
to be paid when the customer has not defaulted by then, and (1 - LGD) of it otherwise:
    expected_recovery = sum over k of instalment x (s_k + (1 - s_k) x (1 - lgd)),  s_k = (1 - pd_12m)^(k/12)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.limits import CASH_IN_ADVANCE
from serving.portfolio.settings import TermsSettings


def terms_table(customers: pd.DataFrame, settings: TermsSettings) -> pd.DataFrame:
    """Return terms advice per customer: `customer_id`, grade, current and advised terms (days), advice, reason.

    `customers`: `customer_id`, `risk_grade`, `late_payment_grade`, `payment_terms_days`, `terms_advice`
    (the scoring core's), `avg_days_late_365d`.
    """
    frame = customers[["customer_id", "risk_grade", "late_payment_grade", "payment_terms_days"]].copy()
    grade = customers["risk_grade"].where(customers["risk_grade"].notna(), customers["late_payment_grade"])
    which = np.where(customers["risk_grade"].notna(), "grade", "late-payment grade")
    by_grade = {g: rule.advice for rule in reversed(settings.rules) for g in rule.grades}
    advice = grade.map(by_grade)
    advice = advice.where(customers["terms_advice"] != CASH_IN_ADVANCE, CASH_IN_ADVANCE)
    current = pd.to_numeric(customers["payment_terms_days"], errors="coerce").astype(float)
    on_time = customers["avg_days_late_365d"].fillna(np.inf) < 1
    advised = current.copy()
    advised[advice == "cash in advance"] = 0
    shorten = advice == "shorten"
    advised[shorten] = np.fmin(current[shorten], settings.shorten_to_days)
    extend = (advice == "keep or extend") & on_time & (current < settings.max_terms_days)
    advised[extend] = np.fmin(current[extend] + settings.extend_by_days, settings.max_terms_days)
    frame["grade_used"], frame["advice"] = grade, advice
    frame["current_terms_days"], frame["advised_terms_days"] = current, advised
    # A reason depends on a few values only: worded once per distinct combination, not once per customer.
    said = pd.DataFrame({"g": grade, "kind": which, "a": advice, "cur": current, "new": advised, "ok": on_time})
    distinct = said.drop_duplicates()
    words = [_reason(g, k, a, c, n, ok, settings) for g, k, a, c, n, ok in distinct.itertuples(index=False, name=None)]
    lookup = pd.Series(words, index=pd.MultiIndex.from_frame(distinct.astype(str)))
    frame["reason"] = lookup.reindex(pd.MultiIndex.from_frame(said.astype(str))).to_numpy()
    return frame.drop(columns="payment_terms_days")


def _reason(grade, kind, advice, current, advised, punctual, settings: TermsSettings) -> str | None:
    if not isinstance(advice, str):
        return None if pd.isna(grade) else f"no terms rule names {kind} {grade}"
    now = "no terms on record" if pd.isna(current) else f"{current:.0f} days now"
    if advice == "cash in advance":
        return f"{kind} {grade}: cash in advance ({now})"
    if advice == "shorten":
        return f"{kind} {grade}: shorten to {advised:.0f} days ({now})"
    if advice == "keep or extend" and punctual and advised > current:
        return f"{kind} {grade}, paid on time over the last year: may be extended to {advised:.0f} days ({now})"
    if advice == "keep or extend" and not punctual:
        return f"{kind} {grade}: keep ({now}); not extended: not paid on time over the last year"
    if advice == "keep or extend" and not pd.isna(current):
        return f"{kind} {grade}: keep ({now}, the longest terms offered are {settings.max_terms_days} days)"
    return f"{kind} {grade}: keep ({now})"


def payment_plans(customers: pd.DataFrame, settings: TermsSettings) -> pd.DataFrame:
    """Return a plan for each customer with an overdue balance: months, instalment, affordability, recovery.

    `customers`: `customer_id`, `overdue_amount`, `paid_365d`, `pd_12m`, `lgd`, `in_default_at_as_of`. A customer in
    default gets none: its debt is for collections (the worklist hands it over).
    """
    live = ~customers["in_default_at_as_of"].fillna(False).astype(bool)
    chosen = (customers["overdue_amount"] > 0) & live
    frame = customers.loc[chosen, ["customer_id", "overdue_amount", "paid_365d", "pd_12m", "lgd"]]
    frame = frame.reset_index(drop=True)
    overdue = frame["overdue_amount"].to_numpy(float)
    capacity = frame["paid_365d"].to_numpy(float) / 12
    room = settings.capacity_share * capacity
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(room > 0, np.ceil(overdue / room), np.inf)
    months = np.clip(needed, settings.plan_months, settings.max_plan_months).astype(int)
    frame["monthly_capacity"] = capacity
    frame["plan_months"] = months
    frame["instalment"] = overdue / months
    frame["affordable"] = needed <= settings.max_plan_months
    pd_12m, lgd = frame["pd_12m"].to_numpy(float), frame["lgd"].to_numpy(float)
    recovery = np.zeros(len(frame))
    for k in range(1, settings.max_plan_months + 1):
        alive = (1 - pd_12m) ** (k / 12)
        due = months >= k
        recovery += np.where(due, frame["instalment"].to_numpy() * (alive + (1 - alive) * (1 - lgd)), 0.0)
    frame["expected_recovery"] = recovery
    frame["expected_recovery_share"] = recovery / overdue
    return frame.drop(columns=["paid_365d"])
