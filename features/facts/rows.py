"""Row facts: one row per document or event and as-of date, point in time by their join conditions.

A feature on a row fact is an aggregate over a customer's rows at one as-of date. Besides them, the
population (who is scored at which date) and the calendar that maps each ledger day to its first
as-of date on or after it, on which the open documents are found.

- `open_documents`: every document open at as_of, with what was paid on it by then.
- `disputes_365d`: every dispute opened in (as_of - 365 days, as_of], with the disputed document.
- `events_365d`: every credit event dated in (as_of - 365 days, as_of].
"""

from __future__ import annotations

POPULATION = """
CREATE OR REPLACE TEMP TABLE population AS
SELECT k.customer_id, g.as_of_date, k.first_invoice_date, k.customer_key, k.customer_order
FROM customer_keys k JOIN as_of_dates g ON k.first_invoice_date <= g.as_of_date
"""

# Each day of the ledger up to the last as-of date with the number (in date order) of the first
# as-of date on or after it: a few thousand rows that documents join on equality.
AS_OF_DAYS = """
CREATE OR REPLACE TEMP TABLE as_of_days AS
SELECT d.day, g.as_of_index
FROM (SELECT CAST(unnest(generate_series((SELECT min(invoice_date) FROM invoices),
                                         (SELECT max(as_of_date) FROM as_of_dates), INTERVAL 1 DAY)) AS DATE) AS day) d
ASOF JOIN (SELECT as_of_date, CAST(row_number() OVER (ORDER BY as_of_date) AS INTEGER) AS as_of_index FROM as_of_dates) g
  ON d.day <= g.as_of_date
"""


def _open_pairs(documents: str) -> str:
    """(document, as-of date) for every as-of date at which the document is open.

    A document is open from the first as-of date on or after its invoice date up to, not including,
    the first as-of date on or after its settlement date. Documents settled by the first as-of date
    are never open at one.
    """
    return f"""(
        SELECT d.invoice_row, d.customer_key, d.is_credit_note, d.amount, d.invoice_date, d.due_date,
               d.paid, d.first_payment_date, d.last_payment_date,
               unnest(list_slice(g.dates, s.as_of_index, coalesce(e.as_of_index, g.count + 1) - 1)) AS as_of_date
        FROM {documents} d
        CROSS JOIN (SELECT list(as_of_date ORDER BY as_of_date) AS dates, count(*) AS count, min(as_of_date) AS first
                    FROM as_of_dates) g
        JOIN as_of_days s ON s.day = d.invoice_date
        LEFT JOIN as_of_days e ON e.day = d.settled_date
        WHERE (d.settled_date IS NULL OR d.settled_date > g.first) AND s.as_of_index < coalesce(e.as_of_index, g.count + 1)
    )"""


# Documents open at as_of, with the part paid by then: nothing before the first payment, everything
# from the last, the running total in between (only documents paid on several days have one). A
# view: what its features read of it is stored only while they are aggregated (`features.pipeline`).
_PART_PAID = "first_payment_date <= as_of_date AND last_payment_date > as_of_date"
OPEN_DOCUMENTS = f"""
CREATE OR REPLACE TEMP VIEW open_documents AS
WITH disputed AS (
    SELECT DISTINCT x.invoice_row, g.as_of_date
    FROM disputes x JOIN as_of_dates g
      ON x.opened_date <= g.as_of_date AND (x.resolved_date IS NULL OR x.resolved_date > g.as_of_date)
), open AS (
    SELECT * EXCLUDE (paid, first_payment_date, last_payment_date),
           CASE WHEN first_payment_date IS NULL OR first_payment_date > as_of_date THEN CAST(0 AS DECIMAL(18, 2))
                ELSE paid END AS paid_amount
    FROM {_open_pairs("documents")}
    WHERE NOT coalesce({_PART_PAID}, FALSE)
    UNION ALL
    SELECT o.* EXCLUDE (paid, first_payment_date, last_payment_date), CAST(sum(m.amount) AS DECIMAL(18, 2)) AS paid_amount
    FROM {_open_pairs("(SELECT * FROM documents WHERE first_payment_date < last_payment_date)")} o
    JOIN multi_day_payments m ON m.invoice_row = o.invoice_row AND m.payment_date <= o.as_of_date
    WHERE o.first_payment_date <= o.as_of_date AND o.last_payment_date > o.as_of_date
    GROUP BY ALL
)
SELECT o.customer_key, o.as_of_date, o.invoice_row, o.is_credit_note, o.amount, o.due_date, o.paid_amount,
       CAST(CASE WHEN o.is_credit_note THEN -1 ELSE 1 END * (o.amount - o.paid_amount) AS DECIMAL(18, 2)) AS open_amount,
       CAST(date_diff('day', o.due_date, o.as_of_date) AS INTEGER) AS days_past_due,
       CAST(date_diff('day', o.invoice_date, o.as_of_date) AS INTEGER) AS age_days,
       x.invoice_row IS NOT NULL AS is_disputed
FROM open o
LEFT JOIN disputed x ON x.invoice_row = o.invoice_row AND x.as_of_date = o.as_of_date
"""

DISPUTES = """
CREATE OR REPLACE TEMP VIEW disputes_365d AS
SELECT d.customer_key, g.as_of_date, d.invoice_row, d.invoice_date, d.is_credit_note, d.amount,
       date_diff('day', x.opened_date, g.as_of_date) AS days_ago
FROM disputes x JOIN documents d ON d.invoice_row = x.invoice_row
JOIN as_of_dates g ON x.opened_date <= g.as_of_date AND x.opened_date > g.as_of_date - INTERVAL 365 DAY
 -- a dispute dated before its document (the contract admits it) shows nothing before the document is issued
 AND d.invoice_date <= g.as_of_date
"""

EVENTS = """
CREATE OR REPLACE TEMP VIEW events_365d AS
SELECT e.customer_row AS customer_key, p.as_of_date, e.event_type, date_diff('day', e.event_date, p.as_of_date) AS days_ago
FROM credit_events e
JOIN population p ON p.customer_key = e.customer_row
 AND e.event_date <= p.as_of_date AND e.event_date > p.as_of_date - INTERVAL 365 DAY
"""

ROW_FACT_STATEMENTS = (POPULATION, AS_OF_DAYS, OPEN_DOCUMENTS, DISPUTES, EVENTS)
