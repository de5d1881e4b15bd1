"""What each customer did up to a date, for the watchlist, the terms advice and the payment plans.

Read from the settled documents in `LedgerFacts`' connection, each figure from records dated on or
before its date only:
- `avg_days_late_365d`: mean of max(0, settlement - due date) over invoices settled in (date - 365, date]
  (the feature of that name);
- `open_disputes`: disputes opened by the date and not resolved by then;
- `paid_365d`: cash received on invoices in (date - 365, date] (`payment_events`: payments on credit notes aside);
- events of given types dated in (since, until].
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.pipeline import LedgerFacts


def behaviour_at(facts: LedgerFacts, dates: list[dt.date]) -> pd.DataFrame:
    """Return per customer_key and date (`day`): avg_days_late_365d, open_disputes and paid_365d (rows with any).

    A handful of dates: each is one filtered aggregate over the settled documents, the disputes and the
    payment days, never a join of the ledger with the dates.
    """
    parts = []
    for day in sorted(set(dates)):
        on = f"DATE '{day.isoformat()}'"
        parts.append(
            f"""SELECT customer_key, {on} AS day, max(avg_days_late_365d) AS avg_days_late_365d,
                       CAST(coalesce(max(open_disputes), 0) AS BIGINT) AS open_disputes,
                       CAST(coalesce(max(paid_365d), 0) AS DOUBLE) AS paid_365d
                FROM (
                    SELECT customer_key, avg(greatest(0, date_diff('day', due_date, settled_date))) AS avg_days_late_365d,
                           NULL AS open_disputes, NULL AS paid_365d
                    FROM documents
                    WHERE NOT is_credit_note AND settled_date <= {on} AND settled_date > {on} - INTERVAL 365 DAY
                    GROUP BY customer_key
                    UNION ALL
                    SELECT i.customer_row, NULL, count(*), NULL
                    FROM disputes x JOIN invoices i ON i.invoice_row = x.invoice_row
                    WHERE x.opened_date <= {on} AND (x.resolved_date IS NULL OR x.resolved_date > {on})
                    GROUP BY i.customer_row
                    UNION ALL
                    SELECT customer_key, NULL, NULL, sum(amount)
                    FROM payment_events
                    WHERE payment_date <= {on} AND payment_date > {on} - INTERVAL 365 DAY
                    GROUP BY customer_key
                ) GROUP BY customer_key"""
        )
    frame = facts.con.sql(" UNION ALL ".join(parts)).df()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def events_between(facts: LedgerFacts, since: dt.date, until: dt.date, types: tuple[str, ...]) -> pd.DataFrame:
    """Return the credit events of `types` dated in (since, until]: customer_key, event_date, event_type."""
    frame = facts.con.execute(
        """SELECT customer_row AS customer_key, event_date, event_type FROM credit_events
           WHERE event_date > ? AND event_date <= ? AND list_contains(?, event_type)
           ORDER BY customer_row, event_date, event_type""",
        [since, until, list(types)],
    ).df()
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    return frame
