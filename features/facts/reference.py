"""Reference queries: the plain, portable definition of every point-in-time fact.

The fast engine (the rest of `features.facts`) computes the facts cleverly: buckets between window
ends, running sums over as-of dates, a ranked tail for the 90th percentile. The queries here compute
the same relations the obvious way, for a reader and for other engines (Spark runs them too), and
`tests/code/test_reference_facts.py` holds the fast relations to them, row for row and type for type.
They are not meant to be fast: every record is joined to every as-of date whose window holds it.
The balance's reference, the open balance on every day of the year, is beside its fast plan, in
`features.facts.balances`.

Each query is staged as a point-in-time join (in the manner of Feast's template):

1. `entity_rows`: the population, each customer at each as-of date on or before which it had a
   document (an invoice or a credit note);
2. the records in the as-of window: dated on or before as_of_date and, for a windowed fact, after
   as_of_date - 365 days (the last 90 days are flagged `in_90d`);
3. their aggregate per (customer_key, as_of_date), for a keyed fact;
4. the final SELECT onto the entity rows. A keyed fact is LEFT JOINed onto them, so a customer with
   nothing in a window has NULL there, not 0, while sums over a window with a record in it start
   from 0 (an invoice count of 0 when the year held only credit notes, a 90-day count of 0 when
   the year's records are all older). Whole-history counts are 0 before anything happened, never
   NULL. A row fact has no aggregate: its records are inner-joined onto the entity rows.

Every window total is added up from the records themselves (the prior 275 days too, not as the
year less its last 90 days), so that the fast engine's shortcuts are checked, not repeated.

Inputs: the ledger tables as registered on the connection (`invoices`, `payments`, `disputes`,
`credit_events`, with the integer keys of `Ledger.with_keys`), the table `as_of_dates`, and
`documents`: the invoices and credit notes with their amount as DECIMAL(18, 2), `is_credit_note`,
and their settlement (`settled_date`: the first payment day on which the payments cover the amount,
within `SETTLEMENT_TOLERANCE`; `payment_days_to_settle`), from `features.settlement`. The settlement
is a fact of the ledger, not of an as-of date ("settled by as_of" is `settled_date <= as_of_date`),
and is tested against its own SQL. Amounts are summed as DECIMALs and days as integers: exact.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from features.facts.balances import reference_balance_365d
from features.facts.documents import AMOUNT

# 1. The entity rows: each customer at each as-of date on or before which it had a document.
ENTITY_ROWS = """entity_rows AS (
    -- 1. the entity rows: each customer at each as-of date on or before which it had a document
    SELECT DISTINCT i.customer_row AS customer_key, g.as_of_date
    FROM invoices i JOIN as_of_dates g ON i.invoice_date <= g.as_of_date
)"""


def _in_year(column: str) -> str:
    """The condition that `column` lies in the year to as_of: (as_of_date - 365 days, as_of_date]."""
    return f"{column} <= g.as_of_date AND {column} > g.as_of_date - INTERVAL 365 DAY"


_LIST = ",\n           "


def _keyed(records: str, aggregates: dict[str, str]) -> str:
    """A keyed fact: the `records` of step 2 (SQL), their `aggregates` (column -> expression over
    them, step 3) per customer and as-of date, left-joined onto the entity rows."""
    return f"""WITH {ENTITY_ROWS},
records AS (
    -- 2. the records in the as-of window
    {records.strip()}
),
aggregated AS (
    -- 3. their aggregates per customer and as-of date
    SELECT customer_key, as_of_date,
           {_LIST.join(f"{expression} AS {name}" for name, expression in aggregates.items())}
    FROM records
    GROUP BY customer_key, as_of_date
)
-- 4. onto the entity rows: NULL where nothing was in the window
SELECT e.customer_key, e.as_of_date, {", ".join(f"a.{name}" for name in aggregates)}
FROM entity_rows e
LEFT JOIN aggregated a ON a.customer_key = e.customer_key AND a.as_of_date = e.as_of_date"""


def _sum(expression: str, where: str | None = None, type: str = "BIGINT") -> str:
    """The sum of `expression` over the records (where `where` holds): 0 when there is none."""
    summed = expression if where is None else f"CASE WHEN {where} THEN {expression} END"
    return f"CAST(coalesce(sum({summed}), 0) AS {type})"


def _count(where: str | None = None) -> str:
    """The number of records (where `where` holds)."""
    return "count(*)" if where is None else f"count(CASE WHEN {where} THEN 1 END)"


# Documents open at as_of: issued on or before it and not settled by then, with what was paid on
# them by then (0 before the first payment). A credit note's open amount counts against the customer's
# balance (negative). Disputed: a dispute on it opened by as_of and not resolved by then.
OPEN_DOCUMENTS = f"""WITH {ENTITY_ROWS},
open_at AS (
    -- 2. the documents issued by as_of and not settled by then, ...
    SELECT g.as_of_date, d.customer_key, d.invoice_row, d.is_credit_note, d.amount, d.invoice_date, d.due_date
    FROM documents d JOIN as_of_dates g
      ON d.invoice_date <= g.as_of_date AND (d.settled_date IS NULL OR d.settled_date > g.as_of_date)
),
paid_by_as_of AS (
    -- ... what was paid on them by as_of ...
    SELECT o.invoice_row, o.as_of_date, sum(CAST(p.amount AS {AMOUNT})) AS paid_amount
    FROM open_at o JOIN payments p ON p.invoice_row = o.invoice_row AND p.payment_date <= o.as_of_date
    GROUP BY o.invoice_row, o.as_of_date
),
disputed_at AS (
    -- ... and the documents under a dispute opened by as_of and not resolved by then
    SELECT DISTINCT x.invoice_row, g.as_of_date
    FROM disputes x JOIN as_of_dates g
      ON x.opened_date <= g.as_of_date AND (x.resolved_date IS NULL OR x.resolved_date > g.as_of_date)
)
-- 3. (a row fact: no aggregate) 4. onto the entity rows
SELECT e.customer_key, e.as_of_date, o.invoice_row, o.is_credit_note, o.amount, o.due_date,
       CAST(coalesce(p.paid_amount, 0) AS {AMOUNT}) AS paid_amount,
       CAST(CASE WHEN o.is_credit_note THEN -1 ELSE 1 END * (o.amount - coalesce(p.paid_amount, 0)) AS {AMOUNT})
         AS open_amount,
       CAST(date_diff('day', o.due_date, e.as_of_date) AS INTEGER) AS days_past_due,
       CAST(date_diff('day', o.invoice_date, e.as_of_date) AS INTEGER) AS age_days,
       x.invoice_row IS NOT NULL AS is_disputed
FROM entity_rows e
JOIN open_at o ON o.customer_key = e.customer_key AND o.as_of_date = e.as_of_date
LEFT JOIN paid_by_as_of p ON p.invoice_row = o.invoice_row AND p.as_of_date = o.as_of_date
LEFT JOIN disputed_at x ON x.invoice_row = o.invoice_row AND x.as_of_date = o.as_of_date"""

# Disputes opened in the year to as_of, one row each, with the disputed document (which, like every
# record a fact reads, must itself be dated on or before as_of: issued by then).
DISPUTES_365D = f"""WITH {ENTITY_ROWS},
opened_in_year AS (
    -- 2. the disputes opened in the year to as_of
    SELECT g.as_of_date, x.invoice_row, x.opened_date
    FROM disputes x JOIN as_of_dates g ON {_in_year("x.opened_date")}
)
-- 3. (a row fact: no aggregate) 4. onto the entity rows, with the disputed document if issued by as_of
SELECT e.customer_key, e.as_of_date, d.invoice_row, d.invoice_date, d.is_credit_note, d.amount,
       date_diff('day', x.opened_date, e.as_of_date) AS days_ago
FROM entity_rows e
JOIN documents d ON d.customer_key = e.customer_key AND d.invoice_date <= e.as_of_date
JOIN opened_in_year x ON x.invoice_row = d.invoice_row AND x.as_of_date = e.as_of_date"""

# Credit events dated in the year to as_of, one row each.
EVENTS_365D = f"""WITH {ENTITY_ROWS},
events_in_year AS (
    -- 2. the credit events dated in the year to as_of
    SELECT g.as_of_date, c.customer_row AS customer_key, c.event_type, c.event_date
    FROM credit_events c JOIN as_of_dates g ON {_in_year("c.event_date")}
)
-- 3. (a row fact: no aggregate) 4. onto the entity rows
SELECT e.customer_key, e.as_of_date, x.event_type, date_diff('day', x.event_date, e.as_of_date) AS days_ago
FROM entity_rows e
JOIN events_in_year x ON x.customer_key = e.customer_key AND x.as_of_date = e.as_of_date"""

# Documents issued in the year to as_of. Counts, amounts, terms and months are of invoices; credit
# notes have their own amount. Active months: the 30-day periods back from as_of (days 0-29 ago,
# 30-59, ...; the year has 13) in which an invoice was issued.
_INVOICE = "NOT is_credit_note"
ISSUED_365D = _keyed(
    f"""SELECT g.as_of_date, d.customer_key, d.is_credit_note, d.amount, d.invoice_date, d.due_date,
           date_diff('day', d.invoice_date, g.as_of_date) AS days_ago,
           d.invoice_date > g.as_of_date - INTERVAL 90 DAY AS in_90d
    FROM documents d JOIN as_of_dates g ON {_in_year("d.invoice_date")}""",
    {
        "invoice_count_365d": _count(_INVOICE),
        "invoice_count_90d": _count(f"{_INVOICE} AND in_90d"),
        "invoice_amount_365d": _sum("amount", _INVOICE, AMOUNT),
        "invoice_amount_90d": _sum("amount", f"{_INVOICE} AND in_90d", AMOUNT),
        "invoice_amount_prior_275d": _sum("amount", f"{_INVOICE} AND NOT in_90d", AMOUNT),
        "credit_note_amount_365d": _sum("amount", "is_credit_note", AMOUNT),
        "max_invoice_amount_365d": f"max(CASE WHEN {_INVOICE} THEN amount END)",
        "active_months_365d": f"CAST(count(DISTINCT CASE WHEN {_INVOICE} THEN floor(days_ago / 30) END) AS TINYINT)",
        "terms_days_365d": _sum("date_diff('day', invoice_date, due_date)", _INVOICE),
    },
)

# Invoices (not credit notes) settled in the year to as_of. Days after due is negative for an invoice
# settled early; days late is never: max(0, days after due). The 90th percentile interpolates
# linearly between the values around position 0.9 * (n - 1), as percentile_cont does.
SETTLED_365D = _keyed(
    f"""SELECT g.as_of_date, d.customer_key, d.amount, d.payment_days_to_settle,
           d.settled_date > g.as_of_date - INTERVAL 90 DAY AS in_90d,
           date_diff('day', d.due_date, d.settled_date) AS days_after_due,
           greatest(0, date_diff('day', d.due_date, d.settled_date)) AS days_late,
           date_diff('day', d.invoice_date, d.settled_date) AS days_to_pay
    FROM documents d JOIN as_of_dates g ON {_in_year("d.settled_date")}
    WHERE NOT d.is_credit_note""",
    {
        "settled_count_365d": _count(),
        "settled_count_90d": _count("in_90d"),
        "settled_count_prior_275d": _count("NOT in_90d"),
        "days_late_365d": _sum("days_late"),
        "days_late_90d": _sum("days_late", "in_90d"),
        "days_late_prior_275d": _sum("days_late", "NOT in_90d"),
        "over_30d_late_count_365d": _count("days_late > 30"),
        "over_30d_late_count_90d": _count("days_late > 30 AND in_90d"),
        "late_count_365d": _count("days_late > 0"),
        "early_count_365d": _count("days_after_due < 0"),
        "late_amount_365d": _sum("days_late * amount", type="DECIMAL(38, 2)"),
        "settled_amount_365d": _sum("amount", type=AMOUNT),
        "days_after_due_365d": _sum("days_after_due"),
        "days_after_due_squared_365d": _sum("days_after_due * days_after_due"),
        "days_to_pay_365d": _sum("days_to_pay"),
        "instalment_count_365d": _count("payment_days_to_settle > 1"),
        # invoices more than 1, 2, ... 7 days late (what the fast engine ranks the percentile by)
        "over_1d_late_count_365d": _count("days_late > 1"),
        "over_2d_late_count_365d": _count("days_late > 2"),
        "over_3d_late_count_365d": _count("days_late > 3"),
        "over_4d_late_count_365d": _count("days_late > 4"),
        "over_5d_late_count_365d": _count("days_late > 5"),
        "over_6d_late_count_365d": _count("days_late > 6"),
        "over_7d_late_count_365d": _count("days_late > 7"),
        "max_days_late_365d": "CAST(max(days_late) AS BIGINT)",
        "p90_days_late_365d": "CAST(percentile_cont(0.9) WITHIN GROUP (ORDER BY days_late) AS DOUBLE)",
    },
)

# Payments made in the year to as_of on invoices (not on credit notes), one count per payment.
PAYMENTS_365D = _keyed(
    f"""SELECT g.as_of_date, d.customer_key, CAST(p.amount AS {AMOUNT}) AS amount,
           p.payment_date > g.as_of_date - INTERVAL 90 DAY AS in_90d
    FROM payments p
    JOIN documents d ON d.invoice_row = p.invoice_row
    JOIN as_of_dates g ON {_in_year("p.payment_date")}
    WHERE NOT d.is_credit_note""",
    {
        "payment_count_365d": _count(),
        "payment_count_90d": _count("in_90d"),
        "payment_amount_90d": _sum("amount", "in_90d", AMOUNT),
    },
)

# The whole history up to as_of, of invoices (not credit notes): the last payment and invoice, and
# the invoices settled by then. One row per entity row; counts are 0, dates and maxima NULL, when
# nothing happened yet.
HISTORY = f"""WITH {ENTITY_ROWS},
paid_by_as_of AS (
    -- 2. the payments on invoices, the invoices and the invoices settled, on or before as_of
    SELECT g.as_of_date, d.customer_key, p.payment_date
    FROM payments p JOIN documents d ON d.invoice_row = p.invoice_row
    JOIN as_of_dates g ON p.payment_date <= g.as_of_date
    WHERE NOT d.is_credit_note
),
issued_by_as_of AS (
    SELECT g.as_of_date, d.customer_key, d.invoice_date
    FROM documents d JOIN as_of_dates g ON d.invoice_date <= g.as_of_date
    WHERE NOT d.is_credit_note
),
settled_by_as_of AS (
    SELECT g.as_of_date, d.customer_key, date_diff('day', d.due_date, d.settled_date) AS days_after_due
    FROM documents d JOIN as_of_dates g ON d.settled_date <= g.as_of_date
    WHERE NOT d.is_credit_note
),
last_payment AS (
    -- 3. their aggregates per customer and as-of date
    SELECT customer_key, as_of_date, max(payment_date) AS last_payment_date
    FROM paid_by_as_of GROUP BY customer_key, as_of_date
),
last_invoice AS (
    SELECT customer_key, as_of_date, max(invoice_date) AS last_invoice_date
    FROM issued_by_as_of GROUP BY customer_key, as_of_date
),
settled AS (
    SELECT customer_key, as_of_date,
           CAST(max(greatest(0, days_after_due)) AS BIGINT) AS max_days_late_ever,
           count(*) AS settled_count_ever,
           count(CASE WHEN days_after_due > 30 THEN 1 END) AS settled_over_30d_late_count_ever
    FROM settled_by_as_of GROUP BY customer_key, as_of_date
)
-- 4. onto the entity rows: counts 0, the last dates and the maximum NULL where nothing happened yet
SELECT e.customer_key, e.as_of_date, p.last_payment_date, i.last_invoice_date, s.max_days_late_ever,
       CAST(coalesce(s.settled_count_ever, 0) AS BIGINT) AS settled_count_ever,
       CAST(coalesce(s.settled_over_30d_late_count_ever, 0) AS BIGINT) AS settled_over_30d_late_count_ever
FROM entity_rows e
LEFT JOIN last_payment p ON p.customer_key = e.customer_key AND p.as_of_date = e.as_of_date
LEFT JOIN last_invoice i ON i.customer_key = e.customer_key AND i.as_of_date = e.as_of_date
LEFT JOIN settled s ON s.customer_key = e.customer_key AND s.as_of_date = e.as_of_date"""

# Fact name -> its reference query: customer_key, as_of_date, then the fact's columns.
REFERENCE_QUERIES: dict[str, str] = {
    "open_documents": OPEN_DOCUMENTS,
    "disputes_365d": DISPUTES_365D,
    "events_365d": EVENTS_365D,
    "issued_365d": ISSUED_365D,
    "settled_365d": SETTLED_365D,
    "payments_365d": PAYMENTS_365D,
    "balance_365d": reference_balance_365d(ENTITY_ROWS),
    "history": HISTORY,
}


def reference_fact(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    """Return fact `name` computed by its reference query on `con` (which holds the inputs named above)."""
    return con.sql(REFERENCE_QUERIES[name]).to_arrow_table()
