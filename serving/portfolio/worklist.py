"""The collections worklist: overdue open invoices, whom to chase first and how.

Each overdue invoice (days past due 1 or more at the as-of date) gets
- `cash_at_risk` = open amount x the customer's late-payment probability (empty without that model),
- `expected_loss` = its share, by open amount, of the customer's model-based loss on its open balance,
- a `suggested_action` from the dunning ladder: the last step whose `from_days_overdue` the invoice has
  reached; a customer of `call_from_grade` or worse is called rather than reminded, and a customer in
  default is handed over to collections.
Disputed invoices are a queue of their own (`queue` = "disputes", action "resolve the dispute"): a dispute
is a disagreement about the invoice, not an inability to pay, and dunning it sours the relationship.
Invoices are ranked within their queue by cash at risk, then expected loss, then open amount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.portfolio.settings import WorklistSettings
from serving.portfolio.watchlist import grade_number

RESOLVE_DISPUTE = "resolve the dispute"


def dunning_action(days_overdue: np.ndarray, grades: pd.Series, in_default: np.ndarray, settings: WorklistSettings):
    """Return the ladder's action for each invoice by its days overdue, its customer's grade and default status."""
    starts = np.array([s.from_days_overdue for s in settings.ladder])
    actions = np.array([s.action for s in settings.ladder], dtype=object)
    step = np.searchsorted(starts, days_overdue, side="right") - 1
    chosen = np.where(step >= 0, actions[np.clip(step, 0, None)], np.array(None, dtype=object))
    risky = (grade_number(grades) >= settings.call_from_grade).fillna(False).to_numpy()
    chosen = np.where(risky & (chosen == "reminder") & ("call" in actions), "call", chosen)
    return np.where(in_default, "hand over to collections", chosen)


def worklist_table(invoices: pd.DataFrame, customers: pd.DataFrame, settings: WorklistSettings) -> pd.DataFrame:
    """Return the worklist from the as-of date's open invoices and the scored customers.

    `invoices`: `invoice_id`, `customer_id`, `invoice_date`, `due_date`, `days_past_due`, `aging_bucket`,
    `open_amount`, `is_disputed`, `provision_model` (the invoice's share of its customer's model-based loss).
    `customers`: `customer_id`, `name`, `risk_grade`, `late_payment_grade`, `pd_12m`,
    `late_payment_prob_90d`, `in_default_at_as_of`, `reason_1_text_en` .. `reason_3_text_en`.
    """
    overdue = invoices[invoices["days_past_due"] >= 1]
    frame = overdue.merge(customers, on="customer_id", how="left")
    frame = frame.rename(columns={"days_past_due": "days_overdue", "provision_model": "expected_loss"})
    frame["cash_at_risk"] = frame["open_amount"] * frame["late_payment_prob_90d"]
    grades = frame["risk_grade"].where(frame["risk_grade"].notna(), frame["late_payment_grade"])
    in_default = frame["in_default_at_as_of"].fillna(False).to_numpy(bool)
    frame["suggested_action"] = dunning_action(frame["days_overdue"].to_numpy(), grades, in_default, settings)
    disputed = frame["is_disputed"].to_numpy(bool)
    frame["queue"] = np.where(disputed, "disputes", "collections")
    frame.loc[disputed, "suggested_action"] = RESOLVE_DISPUTE
    frame = frame.sort_values(
        ["queue", "cash_at_risk", "expected_loss", "open_amount", "invoice_id"],
        ascending=[True, False, False, False, True],
        na_position="last",
        ignore_index=True,
    )
    frame["rank"] = frame.groupby("queue").cumcount() + 1
    columns = [
        "queue",
        "rank",
        "invoice_id",
        "customer_id",
        "name",
        "invoice_date",
        "due_date",
        "days_overdue",
        "aging_bucket",
        "open_amount",
        "late_payment_prob_90d",
        "cash_at_risk",
        "pd_12m",
        "expected_loss",
        "risk_grade",
        "late_payment_grade",
        "is_disputed",
        "suggested_action",
        "reason_1_text_en",
        "reason_2_text_en",
        "reason_3_text_en",
    ]
    return frame[columns]
