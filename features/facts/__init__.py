"""Point-in-time fact relations: what was known about each customer at each as-of date.

Every relation here is keyed by (customer_key, as_of_date) and only holds what is dated on or before
as_of_date: invoices issued by then, payments made by then, disputes opened by then, events dated by
then. Feature definitions aggregate over these relations and never touch the raw tables, which is
what makes look-ahead impossible by construction (and `tests/test_point_in_time.py` checks it).
Records are joined and grouped on the integer keys validation gave them (`Ledger.keys`), never on
their text ids: `invoice_row` stands for an invoice, `customer_key` (the customer's `customer_row`)
for a customer, and `customer_order` sorts customers as their ids sort.

The SQL is DuckDB's dialect, set-based (joins, group-bys, window functions), no loops over rows,
so the same statements can be transpiled for Spark.

Two kinds of fact relation:

- row facts (`open_documents`, `disputes_365d`, `events_365d`): one row per document or event and
  as-of date; a feature on one is an aggregate over a customer's rows.
- keyed facts (`KEYED_FACTS`: `issued_365d`, `settled_365d`, `payments_365d`, `history`): at most one
  row per customer and as-of date, whose columns are already the totals over a window (the year or
  the 90 days to as_of, or the whole history); a feature on one is an expression over its row. They
  are views over one table, `windows`.

Joining every document to every as-of date whose year covers it would make a panel of twelve month
ends add up each document twelve times. Instead events (invoices issued, invoices settled, payments)
are first added up per customer in buckets between consecutive window ends (every as_of, as_of - 90
days and as_of - 365 days), so that each window is a handful of whole buckets, and only the buckets
are added up per as-of date. Counts, integer day sums and DECIMAL amount sums are exact, so adding up
buckets gives the same number as adding up documents, to the bit; maxima are maxima of maxima. The
year's invoice months and 90th percentile of days late, which do not add up, are handled where they
are computed. Whole-history facts add the buckets up from as-of date to as-of date.
"""

from __future__ import annotations

from features.contract import SETTLEMENT_TOLERANCE

# Amounts are summed as DECIMAL(18,2), days as integers: exact sums do not depend on the order in
# which parallel threads add them up, so the same ledger always gives the same features to the bit.
# (Amounts are taken to the cent.)

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
    -- Narrowed to the stored types here, not at the end: 9.8M rows are joined back to the invoices,
    -- and a 16-byte sum makes that join measurably slower.
    SELECT invoice_row, CAST(sum(CAST(amount AS DECIMAL(18, 2))) AS DECIMAL(18, 2)) AS paid,
           CAST(count(*) AS INTEGER) AS payment_count, min(payment_date) AS first_day, max(payment_date) AS last_day
    FROM payments GROUP BY invoice_row
), daily AS (
    -- Only documents paid on several days need a running total; most are paid in one go, and a
    -- window over every payment costs four times the plain aggregate above.
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
# view: what its features read of it is stored only while they are aggregated (`features_from_facts`).
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
SELECT d.customer_key, g.as_of_date, d.amount, date_diff('day', x.opened_date, g.as_of_date) AS days_ago
FROM disputes x JOIN documents d ON d.invoice_row = x.invoice_row
JOIN as_of_dates g ON x.opened_date <= g.as_of_date AND x.opened_date > g.as_of_date - INTERVAL 365 DAY
"""

EVENTS = """
CREATE OR REPLACE TEMP VIEW events_365d AS
SELECT e.customer_row AS customer_key, g.as_of_date, e.event_type, date_diff('day', e.event_date, g.as_of_date) AS days_ago
FROM credit_events e
JOIN as_of_dates g ON e.event_date <= g.as_of_date AND e.event_date > g.as_of_date - INTERVAL 365 DAY
"""

# ---------------------------------------------------------------------------------------------
# Windowed and whole-history aggregates (the keyed facts), from buckets of events.
# ---------------------------------------------------------------------------------------------

# Window ends: every as_of, as_of - 90 days and as_of - 365 days, so every window (as_of - N, as_of]
# for N in (90, 365) is a union of whole buckets (previous end, end]. Invoices are bucketed finer,
# between cuts at most 30 days apart (the window ends and more): the 30-day periods back from as_of
# that a bucket's invoices fall in are then those of its first and last invoice day. Each cut knows
# its window end (the first end on or after it) and its history date (the first as-of date on or
# after it).
WINDOW_CUTS = """
CREATE OR REPLACE TEMP TABLE window_cuts AS
WITH ends AS (
    SELECT DISTINCT cut FROM (
        SELECT as_of_date AS cut FROM as_of_dates
        UNION ALL SELECT CAST(as_of_date - INTERVAL 90 DAY AS DATE) FROM as_of_dates
        UNION ALL SELECT CAST(as_of_date - INTERVAL 365 DAY AS DATE) FROM as_of_dates)
), gaps AS (
    SELECT cut, lag(cut) OVER (ORDER BY cut) AS previous FROM ends
), cuts AS (
    SELECT cut FROM ends
    UNION ALL
    SELECT CAST(unnest(generate_series(previous + INTERVAL 30 DAY, cut - INTERVAL 1 DAY, INTERVAL 30 DAY)) AS DATE)
    FROM gaps WHERE date_diff('day', previous, cut) > 30
)
SELECT c.cut, e.cut AS end_cut, g.as_of_date AS history_date
FROM cuts c
ASOF JOIN ends e ON c.cut <= e.cut
ASOF JOIN as_of_dates g ON c.cut <= g.as_of_date
"""

# Each day inside the windows (after the earliest window end, up to the last as-of date) with its
# cut and window end. What is dated on or before the earliest end only counts in the whole history.
WINDOW_DAYS = """
CREATE OR REPLACE TEMP TABLE window_days AS
SELECT d.day, c.cut, c.end_cut
FROM (SELECT CAST(unnest(generate_series((SELECT min(cut) FROM window_cuts) + INTERVAL 1 DAY,
                                         (SELECT max(cut) FROM window_cuts), INTERVAL 1 DAY)) AS DATE) AS day) d
ASOF JOIN window_cuts c ON d.day <= c.cut
"""

# The buckets of each as-of date's year, by cut, and whether they are in its last 90 days.
WINDOW_SPANS = """
CREATE OR REPLACE TEMP TABLE window_spans AS
SELECT c.cut, g.as_of_date, c.cut > g.as_of_date - INTERVAL 90 DAY AS in_90d
FROM window_cuts c JOIN as_of_dates g ON c.cut <= g.as_of_date AND c.cut > g.as_of_date - INTERVAL 365 DAY
"""

# Days late are counted exactly below this many days (one count per threshold); invoices settled
# this late or later are fewer and are ranked one by one (see `_SETTLED`). Together they give the
# year's 90th percentile of days late.
LATE_THRESHOLDS = 8

# Non-credit-note payments, one row per document and payment day.
PAYMENT_EVENTS = """
CREATE OR REPLACE TEMP VIEW payment_events AS
SELECT customer_key, first_payment_date AS payment_date, payment_count, paid AS amount
FROM documents WHERE NOT is_credit_note AND first_payment_date = last_payment_date
UNION ALL
SELECT customer_key, payment_date, payment_count, amount FROM multi_day_payments WHERE NOT is_credit_note
"""

# A sum of BIGINTs is a HUGEINT and a sum of DECIMAL(18, 2)s a DECIMAL(38, 2): 16 bytes a value, twice
# what one customer's totals need. Bucket and window totals are cast back to 8 bytes (counts and days
# to BIGINT, amounts to AMOUNT), which halves the buckets and the windows table. Days late times amount
# may outgrow AMOUNT and keeps the wide type.
AMOUNT = "DECIMAL(18, 2)"
_TOTAL_TYPES = {
    "invoice_amount": AMOUNT,
    "credit_note_amount": AMOUNT,
    "settled_amount": AMOUNT,
    "payment_amount": AMOUNT,
    "late_amount": "DECIMAL(38, 2)",
}


def _total(column: str, expression: str) -> str:
    """Return `expression` (a sum of bucket `column`) cast to the type of that column's totals."""
    return f"CAST({expression} AS {_TOTAL_TYPES.get(column, 'BIGINT')})"


# Per customer and bucket, what its events add up to (and their extremes). Invoices are bucketed by
# cut, settlements and payments by window end. Sorted by customer, so that adding buckets up per
# as-of date reads each customer's rows together.
_ISSUED_BUCKETS = f"""
SELECT d.customer_key, w.cut,
       count(*) FILTER (WHERE NOT d.is_credit_note) AS invoice_count,
       {_total("invoice_amount", "sum(d.amount) FILTER (WHERE NOT d.is_credit_note)")} AS invoice_amount,
       {_total("terms_days", "sum(date_diff('day', d.invoice_date, d.due_date)) FILTER (WHERE NOT d.is_credit_note)")}
         AS terms_days,
       {_total("credit_note_amount", "sum(d.amount) FILTER (WHERE d.is_credit_note)")} AS credit_note_amount,
       max(d.amount) FILTER (WHERE NOT d.is_credit_note) AS max_invoice_amount,
       min(d.invoice_date) FILTER (WHERE NOT d.is_credit_note) AS first_invoice_date,
       max(d.invoice_date) FILTER (WHERE NOT d.is_credit_note) AS last_invoice_date
FROM documents d JOIN window_days w ON w.day = d.invoice_date
GROUP BY d.customer_key, w.cut
ORDER BY d.customer_key, w.cut
"""

_SETTLED_BUCKETS = f"""
SELECT customer_key, cut, count(*) AS settled_count, {_total("days_late", "sum(days_late)")} AS days_late,
       count(*) FILTER (WHERE days_late > 30) AS over_30d_late_count,
       count(*) FILTER (WHERE days_after_due < 0) AS early_count, sum(days_late * amount) AS late_amount,
       {_total("settled_amount", "sum(amount)")} AS settled_amount,
       {_total("days_after_due", "sum(days_after_due)")} AS days_after_due,
       {_total("days_after_due_squared", "sum(days_after_due * days_after_due)")} AS days_after_due_squared,
       {_total("days_to_pay", "sum(days_to_pay)")} AS days_to_pay,
       count(*) FILTER (WHERE payment_days_to_settle > 1) AS instalment_count, max(days_late) AS max_days_late,
       count(*) FILTER (WHERE days_late > 0) AS late_count,
       {", ".join(f"count(*) FILTER (WHERE days_late > {v}) AS over_{v}d_late_count" for v in range(1, LATE_THRESHOLDS))}
FROM (
    SELECT d.customer_key, w.end_cut AS cut, d.amount, d.payment_days_to_settle,
           greatest(0, date_diff('day', d.due_date, d.settled_date)) AS days_late,
           date_diff('day', d.due_date, d.settled_date) AS days_after_due,
           date_diff('day', d.invoice_date, d.settled_date) AS days_to_pay
    FROM documents d JOIN window_days w ON w.day = d.settled_date
    WHERE NOT d.is_credit_note
)
GROUP BY customer_key, cut
ORDER BY customer_key, cut
"""

_PAYMENT_BUCKETS = f"""
SELECT e.customer_key, w.end_cut AS cut, {_total("payment_count", "sum(e.payment_count)")} AS payment_count,
       {_total("payment_amount", "sum(e.amount)")} AS payment_amount,
       max(e.payment_date) AS last_payment_date
FROM payment_events e JOIN window_days w ON w.day = e.payment_date
GROUP BY e.customer_key, w.end_cut
ORDER BY e.customer_key, w.end_cut
"""


def _year_and_90d(*columns: str) -> str:
    """Return the select list adding bucket `columns` up over the year (`<c>_365d`) and its last 90 days (`<c>_90d`)."""
    return ",\n".join(
        f"{_total(c, f'coalesce(sum(b.{c}), 0)')} AS {c}_365d, "
        f"{_total(c, f'coalesce(sum(b.{c}) FILTER (WHERE s.in_90d), 0)')} AS {c}_90d"
        for c in columns
    )


def _year(*columns: str) -> str:
    """Return the select list adding bucket `columns` up over the year (`<c>_365d`)."""
    return ",\n".join(f"{_total(c, f'coalesce(sum(b.{c}), 0)')} AS {c}_365d" for c in columns)


# The windows: each bucket added up for the as-of dates whose year it is in (`window_spans`), one row
# per customer and as-of date with anything in the year. Sums are 0 when nothing counted in the
# window (as a sum over documents with a fill of 0 would be); the prior 275 days are the year less
# the last 90 days, exactly, as all sums are integers or DECIMALs.
_ISSUED = f"""
SELECT *, CAST(invoice_amount_365d - invoice_amount_90d AS {AMOUNT}) AS invoice_amount_prior_275d
FROM (
    SELECT b.customer_key, s.as_of_date,
           {_year_and_90d("invoice_count", "invoice_amount")},
           {_year("credit_note_amount", "terms_days")},
           max(b.max_invoice_amount) AS max_invoice_amount_365d,
           -- 30-day periods back from as_of with an invoice: a bucket spans at most 30 days, so the
           -- periods of its invoices are those of its first and its last invoice day.
           coalesce(bit_count(bit_or((CAST(1 AS BIGINT) << (date_diff('day', b.first_invoice_date, s.as_of_date) // 30))
                                    | (CAST(1 AS BIGINT) << (date_diff('day', b.last_invoice_date, s.as_of_date) // 30)))), 0)
             AS active_months_365d
    FROM issued_buckets b JOIN window_spans s ON s.cut = b.cut
    GROUP BY b.customer_key, s.as_of_date
)
"""

_SETTLED_365 = [
    "late_count",
    "early_count",
    "late_amount",
    "settled_amount",
    "days_after_due",
    "days_after_due_squared",
    "days_to_pay",
    "instalment_count",
    *[f"over_{v}d_late_count" for v in range(1, LATE_THRESHOLDS)],
]


def _ranked(k: str, top: str) -> str:
    """The k-th largest days late (1-based) in the year, for k at most the number settled in it.

    Below LATE_THRESHOLDS days it is the number of thresholds v with at least k invoices more than
    v days late; from LATE_THRESHOLDS days on, the k-th of the ranked tail.
    """
    counts = ["late_count_365d"] + [f"over_{v}d_late_count_365d" for v in range(1, LATE_THRESHOLDS)]
    below = " + ".join(f"CAST(t.{c} >= {k} AS INTEGER)" for c in counts)
    return f"CAST(CASE WHEN t.{counts[-1]} >= {k} THEN {top} ELSE {below} END AS DOUBLE)"


# The 90th percentile of days late as quantile_cont computes it: with n values, the position
# (n - 1) * 0.9 counted from the bottom, interpolated between the values at its floor and at its
# ceiling, which are the values ranked n - floor and n - ceil from the top. Invoices settled at
# least LATE_THRESHOLDS days late are few: those are ranked one by one (`tail`).
_SETTLED = f"""
WITH sums AS (
    SELECT *, settled_count_365d - settled_count_90d AS settled_count_prior_275d,
           days_late_365d - days_late_90d AS days_late_prior_275d,
           CAST(settled_count_365d - 1 AS DOUBLE) * CAST(0.9 AS DOUBLE) AS position
    FROM (
        SELECT b.customer_key, s.as_of_date,
               {_year_and_90d("settled_count", "days_late", "over_30d_late_count")},
               {_year(*_SETTLED_365)},
               max(b.max_days_late) AS max_days_late_365d
        FROM settled_buckets b JOIN window_spans s ON s.cut = b.cut
        GROUP BY b.customer_key, s.as_of_date
    )
), positions AS (
    SELECT customer_key, as_of_date, settled_count_365d - CAST(floor(position) AS BIGINT) AS k_low,
           settled_count_365d - CAST(ceil(position) AS BIGINT) AS k_high,
           over_{LATE_THRESHOLDS - 1}d_late_count_365d AS tail_count
    FROM sums
), tail AS (
    -- only where a value ranked k_low or k_high from the top is in the tail
    SELECT p.customer_key, p.as_of_date, p.k_low, p.k_high, date_diff('day', d.due_date, d.settled_date) AS days_late,
           row_number() OVER (PARTITION BY p.customer_key, p.as_of_date
                              ORDER BY date_diff('day', d.due_date, d.settled_date) DESC) AS rank_from_top
    FROM documents d JOIN as_of_dates g
      ON d.settled_date <= g.as_of_date AND d.settled_date > g.as_of_date - INTERVAL 365 DAY
    JOIN positions p ON p.customer_key = d.customer_key AND p.as_of_date = g.as_of_date AND p.tail_count >= p.k_high
    WHERE NOT d.is_credit_note AND date_diff('day', d.due_date, d.settled_date) >= {LATE_THRESHOLDS}
), ranked AS (
    SELECT customer_key, as_of_date,
           max(days_late) FILTER (WHERE rank_from_top = k_low) AS top_low,
           max(days_late) FILTER (WHERE rank_from_top = k_high) AS top_high
    FROM tail WHERE rank_from_top IN (k_low, k_high)
    GROUP BY customer_key, as_of_date
), percentile AS (
    SELECT t.*, {_ranked("p.k_low", "r.top_low")} AS low, {_ranked("p.k_high", "r.top_high")} AS high
    FROM sums t
    JOIN positions p ON p.customer_key = t.customer_key AND p.as_of_date = t.as_of_date
    LEFT JOIN ranked r ON r.customer_key = t.customer_key AND r.as_of_date = t.as_of_date
)
SELECT * EXCLUDE (position, low, high),
       CASE WHEN floor(position) = ceil(position) THEN low ELSE low + (high - low) * (position - floor(position)) END
         AS p90_days_late_365d
FROM percentile
"""

_PAYMENTS = f"""
SELECT b.customer_key, s.as_of_date,
       {_year_and_90d("payment_count")},
       {_total("payment_amount", "coalesce(sum(b.payment_amount) FILTER (WHERE s.in_90d), 0)")} AS payment_amount_90d
FROM payment_buckets b JOIN window_spans s ON s.cut = b.cut
GROUP BY b.customer_key, s.as_of_date
"""

# Whole-history facts, carried forward from as-of date to as-of date instead of re-reading all of
# history for every date: each bucket belongs to the first as-of date on or after it (and whatever
# came before the earliest window end to the first as-of date), and running aggregates over a
# customer's as-of dates add them up.
_HISTORY = """
WITH earliest AS (
    SELECT min(cut) AS cut, min(history_date) AS as_of_date FROM window_cuts
), steps AS (
    SELECT customer_key, as_of_date, max(last_payment_date) AS last_payment_date,
           max(last_invoice_date) AS last_invoice_date, max(max_days_late) AS max_days_late,
           CAST(sum(settled_count) AS BIGINT) AS settled_count,
           CAST(sum(over_30d_late_count) AS BIGINT) AS over_30d_late_count
    FROM (
        SELECT b.customer_key, c.history_date AS as_of_date, NULL AS last_payment_date, b.last_invoice_date,
               NULL AS max_days_late, NULL AS settled_count, NULL AS over_30d_late_count
        FROM issued_buckets b JOIN window_cuts c ON c.cut = b.cut
        UNION ALL
        SELECT b.customer_key, c.history_date, NULL, NULL, b.max_days_late, b.settled_count, b.over_30d_late_count
        FROM settled_buckets b JOIN window_cuts c ON c.cut = b.cut
        UNION ALL
        SELECT b.customer_key, c.history_date, b.last_payment_date, NULL, NULL, NULL, NULL
        FROM payment_buckets b JOIN window_cuts c ON c.cut = b.cut
        UNION ALL
        SELECT d.customer_key, e.as_of_date, NULL, max(d.invoice_date), NULL, NULL, NULL
        FROM documents d, earliest e WHERE d.invoice_date <= e.cut AND NOT d.is_credit_note GROUP BY ALL
        UNION ALL
        SELECT d.customer_key, e.as_of_date, NULL, NULL, max(greatest(0, date_diff('day', d.due_date, d.settled_date))),
               count(*), count(*) FILTER (WHERE date_diff('day', d.due_date, d.settled_date) > 30)
        FROM documents d, earliest e WHERE d.settled_date <= e.cut AND NOT d.is_credit_note GROUP BY ALL
        UNION ALL
        SELECT p.customer_key, e.as_of_date, max(p.payment_date), NULL, NULL, NULL, NULL
        FROM payment_events p, earliest e WHERE p.payment_date <= e.cut GROUP BY ALL
    )
    GROUP BY customer_key, as_of_date
)
SELECT p.customer_key, p.as_of_date, p.customer_id, p.customer_order, p.first_invoice_date,
       max(s.last_payment_date) OVER w AS last_payment_date,
       max(s.last_invoice_date) OVER w AS last_invoice_date,
       max(s.max_days_late) OVER w AS max_days_late_ever,
       CAST(coalesce(sum(s.settled_count) OVER w, 0) AS BIGINT) AS settled_count_ever,
       CAST(coalesce(sum(s.over_30d_late_count) OVER w, 0) AS BIGINT) AS settled_over_30d_late_count_ever
FROM population p
LEFT JOIN steps s ON s.customer_key = p.customer_key AND s.as_of_date = p.as_of_date
WINDOW w AS (PARTITION BY p.customer_key ORDER BY p.as_of_date ROWS UNBOUNDED PRECEDING)
"""


# The table all keyed facts are views over (`WINDOWS` builds it).
KEYED_TABLE = "windows"


def _temp_table(name: str, select: str) -> str:
    return f"CREATE OR REPLACE TEMP TABLE {name} AS\n{select.strip()}"


# All keyed facts in one table, one row per population row (with the population's own columns, so
# that the feature query reads it as the population instead of joining it to it), sorted as the
# feature table is, so that the feature query's keyed part, a plain projection of it, comes out in
# order. Built in steps, each step's inputs dropped once nothing reads them: the buckets are gone
# before the windows are joined up, and the parts once they are. The settled windows, the step that
# needs the most memory, come first, before the issued and payment buckets and windows exist.
WINDOWS = (
    _temp_table("settled_buckets", _SETTLED_BUCKETS),
    _temp_table("window_settled", _SETTLED),
    _temp_table("issued_buckets", _ISSUED_BUCKETS),
    _temp_table("window_issued", _ISSUED),
    _temp_table("payment_buckets", _PAYMENT_BUCKETS),
    _temp_table("window_paid", _PAYMENTS),
    _temp_table("window_history", _HISTORY),
    "DROP TABLE issued_buckets; DROP TABLE settled_buckets; DROP TABLE payment_buckets",
    f"""CREATE OR REPLACE TEMP TABLE {KEYED_TABLE} AS
SELECT h.*, i.* EXCLUDE (customer_key, as_of_date), s.* EXCLUDE (customer_key, as_of_date),
       y.* EXCLUDE (customer_key, as_of_date)
FROM window_history h
LEFT JOIN window_issued i ON i.customer_key = h.customer_key AND i.as_of_date = h.as_of_date
LEFT JOIN window_settled s ON s.customer_key = h.customer_key AND s.as_of_date = h.as_of_date
LEFT JOIN window_paid y ON y.customer_key = h.customer_key AND y.as_of_date = h.as_of_date
ORDER BY h.as_of_date, h.customer_order""",
    "DROP TABLE window_history; DROP TABLE window_issued; DROP TABLE window_settled; DROP TABLE window_paid",
)


def _keyed_view(name: str, columns: str) -> str:
    return f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT customer_key, as_of_date, {columns} FROM {KEYED_TABLE}"


ISSUED = _keyed_view(
    "issued_365d",
    "invoice_count_365d, invoice_count_90d, invoice_amount_365d, invoice_amount_90d, "
    "invoice_amount_prior_275d, credit_note_amount_365d, max_invoice_amount_365d, active_months_365d, "
    "terms_days_365d",
)
SETTLED = _keyed_view(
    "settled_365d",
    ", ".join(
        [
            "settled_count_365d",
            "settled_count_90d",
            "settled_count_prior_275d",
            "days_late_365d",
            "days_late_90d",
            "days_late_prior_275d",
            "over_30d_late_count_365d",
            "over_30d_late_count_90d",
            *[f"{c}_365d" for c in _SETTLED_365],
            "max_days_late_365d",
            "p90_days_late_365d",
        ]
    ),
)
PAYMENTS = _keyed_view("payments_365d", "payment_count_365d, payment_count_90d, payment_amount_90d")
HISTORY = _keyed_view(
    "history",
    "last_payment_date, last_invoice_date, max_days_late_ever, settled_count_ever, settled_over_30d_late_count_ever",
)

# Relations with at most one row per customer and as-of date: features on them are row expressions.
# (Each is a view over `windows`, which the feature query reads as its population.)
KEYED_FACTS = dict.fromkeys(("issued_365d", "settled_365d", "payments_365d", "history"), KEYED_TABLE)

# What nothing reads once the row facts are aggregated and the labels derived (the keyed facts are
# in `windows` by then): a build that serves no further as-of dates drops these before the feature
# table is assembled, the largest tables it holds.
SPENT_AFTER_ROW_FACTS = ("documents", "multi_day_payments", "population")

# What depends on the ledger alone (customer keys, each document's settlement, payments of documents
# paid on several days): built once per ledger, it serves any number of as-of dates. The embedded
# build makes the settlement's two tables with `features.settlement` instead, to the bit the same.
LEDGER_FACT_STATEMENTS = (CUSTOMER_KEYS, DOCUMENTS, MULTI_DAY_PAYMENTS, PAYMENT_EVENTS)
# What depends on the as-of dates (the table `as_of_dates`).
DATED_FACT_STATEMENTS = (
    POPULATION,
    AS_OF_DAYS,
    OPEN_DOCUMENTS,
    DISPUTES,
    EVENTS,
    WINDOW_CUTS,
    WINDOW_DAYS,
    WINDOW_SPANS,
    *WINDOWS,
    ISSUED,
    SETTLED,
    PAYMENTS,
    HISTORY,
)
FACT_STATEMENTS = LEDGER_FACT_STATEMENTS + DATED_FACT_STATEMENTS
