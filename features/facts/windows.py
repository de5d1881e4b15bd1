"""Window facts, part one: the cuts between window ends and the buckets of events between them.

Joining every document to every as-of date whose year covers it would make a panel of twelve month
ends add up each document twelve times. Instead events (invoices issued, invoices settled, payments)
are first added up per customer in buckets between consecutive window ends (every as_of, as_of - 90
days and as_of - 365 days), so that each window is a handful of whole buckets, and only the buckets
are added up per as-of date (`features.facts.window_totals`). Counts, integer day sums and DECIMAL
amount sums are exact, so adding up buckets gives the same number as adding up documents, to the
bit; maxima are maxima of maxima.

A sum of BIGINTs is a HUGEINT and a sum of DECIMAL(18, 2)s a DECIMAL(38, 2): 16 bytes a value, twice
what one customer's totals need. Bucket totals are cast back to 8 bytes (counts and days to BIGINT,
amounts to DECIMAL(18, 2)), which halves the buckets. Days late times amount may outgrow 8 bytes and
keeps the wide type.
"""

from __future__ import annotations

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


# Days late are counted exactly below this many days (one count per threshold: `late_count` and
# `over_1d_late_count` to `over_7d_late_count`); invoices settled this late or later are fewer and
# are ranked one by one. Together they give the year's 90th percentile of days late.
LATE_THRESHOLDS = 8

# Per customer and bucket, what its events add up to (and their extremes). Invoices are bucketed by
# cut, settlements and payments by window end. Sorted by customer, so that adding buckets up per
# as-of date reads each customer's rows together.
ISSUED_BUCKETS = """
CREATE OR REPLACE TEMP TABLE issued_buckets AS
SELECT d.customer_key, w.cut,
       count(*) FILTER (WHERE NOT d.is_credit_note) AS invoice_count,
       CAST(sum(d.amount) FILTER (WHERE NOT d.is_credit_note) AS DECIMAL(18, 2)) AS invoice_amount,
       CAST(sum(date_diff('day', d.invoice_date, d.due_date)) FILTER (WHERE NOT d.is_credit_note) AS BIGINT)
         AS terms_days,
       CAST(sum(d.amount) FILTER (WHERE d.is_credit_note) AS DECIMAL(18, 2)) AS credit_note_amount,
       max(d.amount) FILTER (WHERE NOT d.is_credit_note) AS max_invoice_amount,
       min(d.invoice_date) FILTER (WHERE NOT d.is_credit_note) AS first_invoice_date,
       max(d.invoice_date) FILTER (WHERE NOT d.is_credit_note) AS last_invoice_date
FROM documents d JOIN window_days w ON w.day = d.invoice_date
GROUP BY d.customer_key, w.cut
ORDER BY d.customer_key, w.cut
"""

SETTLED_BUCKETS = """
CREATE OR REPLACE TEMP TABLE settled_buckets AS
SELECT customer_key, cut,
       count(*) AS settled_count,
       CAST(sum(days_late) AS BIGINT) AS days_late,
       count(*) FILTER (WHERE days_late > 30) AS over_30d_late_count,
       count(*) FILTER (WHERE days_after_due < 0) AS early_count,
       sum(days_late * amount) AS late_amount,
       CAST(sum(amount) AS DECIMAL(18, 2)) AS settled_amount,
       CAST(sum(days_after_due) AS BIGINT) AS days_after_due,
       CAST(sum(days_after_due * days_after_due) AS BIGINT) AS days_after_due_squared,
       CAST(sum(days_to_pay) AS BIGINT) AS days_to_pay,
       count(*) FILTER (WHERE payment_days_to_settle > 1) AS instalment_count,
       max(days_late) AS max_days_late,
       count(*) FILTER (WHERE days_late > 0) AS late_count,
       count(*) FILTER (WHERE days_late > 1) AS over_1d_late_count,
       count(*) FILTER (WHERE days_late > 2) AS over_2d_late_count,
       count(*) FILTER (WHERE days_late > 3) AS over_3d_late_count,
       count(*) FILTER (WHERE days_late > 4) AS over_4d_late_count,
       count(*) FILTER (WHERE days_late > 5) AS over_5d_late_count,
       count(*) FILTER (WHERE days_late > 6) AS over_6d_late_count,
       count(*) FILTER (WHERE days_late > 7) AS over_7d_late_count
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

PAYMENT_BUCKETS = """
CREATE OR REPLACE TEMP TABLE payment_buckets AS
SELECT e.customer_key, w.end_cut AS cut,
       CAST(sum(e.payment_count) AS BIGINT) AS payment_count,
       CAST(sum(e.amount) AS DECIMAL(18, 2)) AS payment_amount,
       max(e.payment_date) AS last_payment_date
FROM payment_events e JOIN window_days w ON w.day = e.payment_date
GROUP BY e.customer_key, w.end_cut
ORDER BY e.customer_key, w.end_cut
"""

WINDOW_STATEMENTS = (WINDOW_CUTS, WINDOW_DAYS, WINDOW_SPANS)
