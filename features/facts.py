"""Point-in-time fact relations: what was known about each customer at each as-of date.

Every relation here is keyed by (customer_id, as_of_date) and only holds what is dated on or before
as_of_date: invoices issued by then, payments made by then, disputes opened by then, events dated by
then. Feature definitions aggregate over these relations and never touch the raw tables, which is
what makes look-ahead impossible by construction (and `tests/test_point_in_time.py` checks it).

The SQL is DuckDB's dialect, set-based (joins, group-bys, window functions), no loops over rows,
so the same statements can be transpiled for Spark.
"""

from __future__ import annotations

from features.contract import SETTLEMENT_TOLERANCE

# Amounts are summed as DECIMAL(18,2), days as integers: exact sums do not depend on the order in
# which parallel threads add them up, so the same ledger always gives the same features to the bit.
# (Amounts are taken to the cent.)
# A document's settlement date is the first payment date on which its cumulative payments cover
# its amount. It is a fact about the document, and point-in-time safe to use as "settled by as_of
# iff settled_date <= as_of": payments after as_of can only settle it after as_of.
DOCUMENTS = f"""
CREATE OR REPLACE TEMP TABLE documents AS
WITH per_document AS (
    SELECT invoice_id, sum(CAST(amount AS DECIMAL(18, 2))) AS paid, min(payment_date) AS first_day,
           max(payment_date) AS last_day
    FROM payments GROUP BY invoice_id
), daily AS (
    -- Only documents paid on several days need a running total; most are paid in one go, and a
    -- window over every payment costs four times the plain aggregate above.
    SELECT p.invoice_id, p.payment_date, sum(CAST(p.amount AS DECIMAL(18, 2))) AS amount
    FROM payments p JOIN per_document x ON x.invoice_id = p.invoice_id AND x.first_day < x.last_day
    GROUP BY p.invoice_id, p.payment_date
), running AS (
    SELECT invoice_id, payment_date,
           sum(amount) OVER (PARTITION BY invoice_id ORDER BY payment_date ROWS UNBOUNDED PRECEDING) AS paid,
           row_number() OVER (PARTITION BY invoice_id ORDER BY payment_date) AS payment_days
    FROM daily
), spread AS (
    SELECT r.invoice_id, min(r.payment_date) AS settled_date, min(r.payment_days) AS payment_days_to_settle
    FROM running r JOIN invoices i ON i.invoice_id = r.invoice_id
    WHERE r.paid >= CAST(i.amount AS DECIMAL(18, 2)) - {SETTLEMENT_TOLERANCE}
    GROUP BY r.invoice_id
)
SELECT i.invoice_id, i.customer_id, i.invoice_date, i.due_date, CAST(i.amount AS DECIMAL(18, 2)) AS amount,
       i.document_type = 'credit_note' AS is_credit_note,
       CASE WHEN x.first_day < x.last_day THEN s.settled_date
            WHEN x.paid >= CAST(i.amount AS DECIMAL(18, 2)) - {SETTLEMENT_TOLERANCE} THEN x.first_day END AS settled_date,
       CASE WHEN x.first_day < x.last_day THEN s.payment_days_to_settle
            WHEN x.paid >= CAST(i.amount AS DECIMAL(18, 2)) - {SETTLEMENT_TOLERANCE} THEN 1 END AS payment_days_to_settle
FROM invoices i
LEFT JOIN per_document x ON x.invoice_id = i.invoice_id
LEFT JOIN spread s ON s.invoice_id = i.invoice_id
"""

POPULATION = """
CREATE OR REPLACE TEMP TABLE population AS
SELECT f.customer_id, g.as_of_date, f.first_invoice_date
FROM (SELECT customer_id, min(invoice_date) AS first_invoice_date FROM documents GROUP BY customer_id) f
JOIN as_of_dates g ON f.first_invoice_date <= g.as_of_date
"""

# Documents open at as_of: issued by then and not settled by then, with the part paid by then.
OPEN_DOCUMENTS = """
CREATE OR REPLACE TEMP TABLE open_documents AS
WITH pairs AS (
    SELECT d.*, g.as_of_date
    FROM documents d JOIN as_of_dates g
      ON d.invoice_date <= g.as_of_date AND (d.settled_date IS NULL OR d.settled_date > g.as_of_date)
), paid AS (
    SELECT o.invoice_id, o.as_of_date, sum(CAST(p.amount AS DECIMAL(18, 2))) AS paid_amount
    FROM pairs o JOIN payments p ON p.invoice_id = o.invoice_id AND p.payment_date <= o.as_of_date
    GROUP BY o.invoice_id, o.as_of_date
), disputed AS (
    SELECT DISTINCT o.invoice_id, o.as_of_date
    FROM pairs o JOIN disputes x ON x.invoice_id = o.invoice_id AND x.opened_date <= o.as_of_date
     AND (x.resolved_date IS NULL OR x.resolved_date > o.as_of_date)
)
SELECT o.customer_id, o.as_of_date, o.invoice_id, o.is_credit_note, o.amount, o.due_date,
       coalesce(p.paid_amount, 0) AS paid_amount,
       CASE WHEN o.is_credit_note THEN -1 ELSE 1 END * (o.amount - coalesce(p.paid_amount, 0)) AS open_amount,
       date_diff('day', o.due_date, o.as_of_date) AS days_past_due,
       date_diff('day', o.invoice_date, o.as_of_date) AS age_days,
       x.invoice_id IS NOT NULL AS is_disputed
FROM pairs o
LEFT JOIN paid p ON p.invoice_id = o.invoice_id AND p.as_of_date = o.as_of_date
LEFT JOIN disputed x ON x.invoice_id = o.invoice_id AND x.as_of_date = o.as_of_date
"""

# Documents issued in the year to as_of; days_ago = 0 on the as-of day itself.
ISSUED = """
CREATE OR REPLACE TEMP VIEW issued_365d AS
SELECT d.customer_id, g.as_of_date, d.is_credit_note, d.amount,
       date_diff('day', d.invoice_date, g.as_of_date) AS days_ago,
       date_diff('day', d.invoice_date, d.due_date) AS terms_days
FROM documents d JOIN as_of_dates g
  ON d.invoice_date <= g.as_of_date AND d.invoice_date > g.as_of_date - INTERVAL 365 DAY
"""

# Invoices (not credit notes) settled in the year to as_of, with how late.
SETTLED = """
CREATE OR REPLACE TEMP VIEW settled_365d AS
SELECT d.customer_id, g.as_of_date, d.amount, d.payment_days_to_settle,
       greatest(0, date_diff('day', d.due_date, d.settled_date)) AS days_late,
       date_diff('day', d.due_date, d.settled_date) AS days_after_due,
       date_diff('day', d.invoice_date, d.settled_date) AS days_to_pay,
       date_diff('day', d.settled_date, g.as_of_date) AS days_ago
FROM documents d JOIN as_of_dates g
  ON d.settled_date <= g.as_of_date AND d.settled_date > g.as_of_date - INTERVAL 365 DAY
WHERE NOT d.is_credit_note
"""

PAYMENTS = """
CREATE OR REPLACE TEMP VIEW payments_365d AS
SELECT d.customer_id, g.as_of_date, CAST(p.amount AS DECIMAL(18, 2)) AS amount,
       date_diff('day', p.payment_date, g.as_of_date) AS days_ago
FROM payments p JOIN documents d ON d.invoice_id = p.invoice_id
JOIN as_of_dates g ON p.payment_date <= g.as_of_date AND p.payment_date > g.as_of_date - INTERVAL 365 DAY
WHERE NOT d.is_credit_note
"""

DISPUTES = """
CREATE OR REPLACE TEMP VIEW disputes_365d AS
SELECT d.customer_id, g.as_of_date, d.amount, date_diff('day', x.opened_date, g.as_of_date) AS days_ago
FROM disputes x JOIN documents d ON d.invoice_id = x.invoice_id
JOIN as_of_dates g ON x.opened_date <= g.as_of_date AND x.opened_date > g.as_of_date - INTERVAL 365 DAY
"""

EVENTS = """
CREATE OR REPLACE TEMP VIEW events_365d AS
SELECT e.customer_id, g.as_of_date, e.event_type, date_diff('day', e.event_date, g.as_of_date) AS days_ago
FROM credit_events e JOIN as_of_dates g
  ON e.event_date <= g.as_of_date AND e.event_date > g.as_of_date - INTERVAL 365 DAY
"""

# Whole-history facts, carried forward month to month instead of re-reading all of history for
# every as-of date: each dated event is put in the bucket of the first as-of date on or after it,
# buckets are aggregated, and running aggregates over a customer's as-of dates add them up.
# Each day of the ledger mapped to the first as-of date on or after it: a few thousand rows that the
# events join on equality, far cheaper than an inequality join of millions of events.
BUCKETS_BY_DAY = """
CREATE OR REPLACE TEMP TABLE buckets_by_day AS
SELECT d.day, g.as_of_date
FROM (SELECT CAST(unnest(generate_series(
          (SELECT min(invoice_date) FROM documents), (SELECT max(as_of_date) FROM as_of_dates), INTERVAL 1 DAY)) AS DATE) AS day) d
ASOF JOIN as_of_dates g ON d.day <= g.as_of_date
"""

HISTORY = """
CREATE OR REPLACE TEMP TABLE history AS
WITH events AS (
    SELECT d.customer_id, p.payment_date AS day, p.payment_date, NULL::DATE AS invoice_date, NULL::INTEGER AS days_late
    FROM payments p JOIN documents d ON d.invoice_id = p.invoice_id WHERE NOT d.is_credit_note
    UNION ALL
    SELECT customer_id, invoice_date, NULL, invoice_date, NULL FROM documents WHERE NOT is_credit_note
    UNION ALL
    SELECT customer_id, settled_date, NULL, NULL, greatest(0, date_diff('day', due_date, settled_date))
    FROM documents WHERE NOT is_credit_note AND settled_date IS NOT NULL
), buckets AS (
    SELECT e.customer_id, g.as_of_date,
           max(e.payment_date) AS last_payment_date, max(e.invoice_date) AS last_invoice_date,
           max(e.days_late) AS max_days_late, count(e.days_late) AS settled_count,
           count(e.days_late) FILTER (WHERE e.days_late > 30) AS settled_over_30d_late_count
    FROM events e JOIN buckets_by_day g ON g.day = e.day
    GROUP BY e.customer_id, g.as_of_date
)
SELECT p.customer_id, p.as_of_date,
       max(b.last_payment_date) OVER w AS last_payment_date,
       max(b.last_invoice_date) OVER w AS last_invoice_date,
       max(b.max_days_late) OVER w AS max_days_late,
       coalesce(sum(b.settled_count) OVER w, 0) AS settled_count,
       coalesce(sum(b.settled_over_30d_late_count) OVER w, 0) AS settled_over_30d_late_count
FROM population p
LEFT JOIN buckets b ON b.customer_id = p.customer_id AND b.as_of_date = p.as_of_date
WINDOW w AS (PARTITION BY p.customer_id ORDER BY p.as_of_date ROWS UNBOUNDED PRECEDING)
"""

FACT_STATEMENTS = (
    DOCUMENTS, POPULATION, OPEN_DOCUMENTS, ISSUED, SETTLED, PAYMENTS, DISPUTES, EVENTS, BUCKETS_BY_DAY, HISTORY,
)
