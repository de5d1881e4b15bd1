"""Document facts: what the ledger says about each document, whatever the as-of date.

Built once per ledger (`features.pipeline.LedgerFacts`), they serve any number of as-of dates. Each
document's settlement date is a fact about the document that is point-in-time safe to use: payments
dated after as_of can only settle it after as_of, so "settled by as_of" is `settled_date <= as_of`.
The embedded build makes `documents` and `multi_day_payments` with `features.settlement` instead of
this SQL, to the bit the same (`tests/code/test_settlement.py`); this SQL is what another engine runs.
"""

from __future__ import annotations

from features.contract import SETTLEMENT_TOLERANCE

# The type amounts are stored and summed in: exact sums do not depend on the order in which parallel
# threads add them up, so the same ledger always gives the same features to the bit.
AMOUNT = "DECIMAL(18, 2)"

# Customers with an invoice; `first_invoice_date` is where a customer enters the population.
CUSTOMER_KEYS = """
CREATE OR REPLACE TEMP TABLE customer_keys AS
SELECT c.customer_id, f.customer_key, CAST(row_number() OVER (ORDER BY c.customer_id) AS INTEGER) AS customer_order,
       f.first_invoice_date
FROM (SELECT customer_row AS customer_key, min(invoice_date) AS first_invoice_date FROM invoices GROUP BY customer_row) f
JOIN customers c ON c.customer_row = f.customer_key
"""

# A document's settlement date is the first payment date on which its cumulative payments cover
# its amount. It is a fact about the document, and point-in-time safe to use as "settled by as_of
# iff settled_date <= as_of": payments after as_of can only settle it after as_of. With it, what was
# paid on the document in all and its first and last payment date.
DOCUMENTS = f"""
CREATE OR REPLACE TEMP TABLE documents AS
WITH per_document AS (
    -- Narrowed to the stored types here, not at the end: every invoice is joined back to these rows,
    -- and a 16-byte sum makes that join slower.
    SELECT invoice_row, CAST(sum(CAST(amount AS DECIMAL(18, 2))) AS DECIMAL(18, 2)) AS paid,
           CAST(count(*) AS INTEGER) AS payment_count, min(payment_date) AS first_day, max(payment_date) AS last_day
    FROM payments GROUP BY invoice_row
), daily AS (
    -- Only documents paid on several days need a running total; most are paid in one go, and a
    -- window over every payment costs a multiple of the plain aggregate above.
    SELECT p.invoice_row, p.payment_date, sum(CAST(p.amount AS DECIMAL(18, 2))) AS amount
    FROM payments p JOIN per_document x ON x.invoice_row = p.invoice_row AND x.first_day < x.last_day
    GROUP BY p.invoice_row, p.payment_date
), running AS (
    SELECT invoice_row, payment_date,
           sum(amount) OVER (PARTITION BY invoice_row ORDER BY payment_date ROWS UNBOUNDED PRECEDING) AS paid,
           row_number() OVER (PARTITION BY invoice_row ORDER BY payment_date) AS payment_days
    FROM daily
), spread AS (
    SELECT r.invoice_row, min(r.payment_date) AS settled_date, min(r.payment_days) AS payment_days_to_settle
    FROM running r JOIN invoices i ON i.invoice_row = r.invoice_row
    WHERE r.paid >= CAST(i.amount AS DECIMAL(18, 2)) - {SETTLEMENT_TOLERANCE}
    GROUP BY r.invoice_row
)
SELECT i.invoice_row, i.customer_row AS customer_key, i.invoice_date, i.due_date, CAST(i.amount AS DECIMAL(18, 2)) AS amount,
       i.document_type = 'credit_note' AS is_credit_note,
       CASE WHEN x.first_day < x.last_day THEN s.settled_date
            WHEN x.paid >= CAST(i.amount AS DECIMAL(18, 2)) - {SETTLEMENT_TOLERANCE} THEN x.first_day END AS settled_date,
       CAST(CASE WHEN x.first_day < x.last_day THEN s.payment_days_to_settle
                 WHEN x.paid >= CAST(i.amount AS DECIMAL(18, 2)) - {SETTLEMENT_TOLERANCE} THEN 1 END AS INTEGER)
         AS payment_days_to_settle,
       x.paid, x.payment_count, x.first_day AS first_payment_date,
       x.last_day AS last_payment_date
FROM invoices i
LEFT JOIN per_document x ON x.invoice_row = i.invoice_row
LEFT JOIN spread s ON s.invoice_row = i.invoice_row
"""

# Most documents are paid on one day. Those paid on several days keep one row per payment day: open
# documents need what was paid on them by each as-of date.
MULTI_DAY_PAYMENTS = """
CREATE OR REPLACE TEMP TABLE multi_day_payments AS
SELECT p.invoice_row, d.customer_key, d.is_credit_note, p.payment_date,
       CAST(sum(CAST(p.amount AS DECIMAL(18, 2))) AS DECIMAL(18, 2)) AS amount, count(*) AS payment_count
FROM payments p
JOIN (SELECT invoice_row, customer_key, is_credit_note FROM documents WHERE first_payment_date < last_payment_date) d
  ON d.invoice_row = p.invoice_row
GROUP BY p.invoice_row, d.customer_key, d.is_credit_note, p.payment_date
"""

# Non-credit-note payments, one row per document and payment day.
PAYMENT_EVENTS = """
CREATE OR REPLACE TEMP VIEW payment_events AS
SELECT customer_key, first_payment_date AS payment_date, payment_count, paid AS amount
FROM documents WHERE NOT is_credit_note AND first_payment_date = last_payment_date
UNION ALL
SELECT customer_key, payment_date, payment_count, amount FROM multi_day_payments WHERE NOT is_credit_note
"""
