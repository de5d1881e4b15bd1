"""Window facts, part two: the buckets added up for each as-of date's year and its last 90 days.

Each bucket counts for the as-of dates whose year it is in (`window_spans`), one row per customer
and as-of date with anything in the year. Sums are 0 when nothing counted in the window (as a sum
over documents with a fill of 0 would be); the prior 275 days are the year less the last 90 days,
exactly, as all sums are integers or DECIMALs. Totals are cast back to 8 bytes as the buckets are
(`features.facts.windows`). The year's invoice months and 90th percentile of days late, which do
not add up, are handled where they are computed.
"""

from __future__ import annotations

from features.facts.windows import LATE_THRESHOLDS

WINDOW_ISSUED = """
CREATE OR REPLACE TEMP TABLE window_issued AS
SELECT *, CAST(invoice_amount_365d - invoice_amount_90d AS DECIMAL(18, 2)) AS invoice_amount_prior_275d
FROM (
    SELECT b.customer_key, s.as_of_date,
           CAST(coalesce(sum(b.invoice_count), 0) AS BIGINT) AS invoice_count_365d,
           CAST(coalesce(sum(b.invoice_count) FILTER (WHERE s.in_90d), 0) AS BIGINT) AS invoice_count_90d,
           CAST(coalesce(sum(b.invoice_amount), 0) AS DECIMAL(18, 2)) AS invoice_amount_365d,
           CAST(coalesce(sum(b.invoice_amount) FILTER (WHERE s.in_90d), 0) AS DECIMAL(18, 2)) AS invoice_amount_90d,
           CAST(coalesce(sum(b.credit_note_amount), 0) AS DECIMAL(18, 2)) AS credit_note_amount_365d,
           CAST(coalesce(sum(b.terms_days), 0) AS BIGINT) AS terms_days_365d,
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

# The k-th largest days late in the year (k counted from 1, at most the number settled in it): below
# LATE_THRESHOLDS days it is the number of thresholds with at least k invoices more late than that;
# from LATE_THRESHOLDS days on, the k-th of the invoices ranked one by one (`tail`).
_KTH_LARGEST_DAYS_LATE = """CAST(CASE WHEN t.over_7d_late_count_365d >= p.{k} THEN r.{top}
     ELSE CAST(t.late_count_365d >= p.{k} AS INTEGER) + CAST(t.over_1d_late_count_365d >= p.{k} AS INTEGER)
          + CAST(t.over_2d_late_count_365d >= p.{k} AS INTEGER) + CAST(t.over_3d_late_count_365d >= p.{k} AS INTEGER)
          + CAST(t.over_4d_late_count_365d >= p.{k} AS INTEGER) + CAST(t.over_5d_late_count_365d >= p.{k} AS INTEGER)
          + CAST(t.over_6d_late_count_365d >= p.{k} AS INTEGER) + CAST(t.over_7d_late_count_365d >= p.{k} AS INTEGER)
     END AS DOUBLE)"""

# The 90th percentile of days late as quantile_cont computes it: with n values, the position
# (n - 1) * 0.9 counted from the bottom, interpolated between the values at its floor and at its
# ceiling, which are the values ranked n - floor and n - ceil from the top.
WINDOW_SETTLED = f"""
CREATE OR REPLACE TEMP TABLE window_settled AS
WITH sums AS (
    SELECT *, settled_count_365d - settled_count_90d AS settled_count_prior_275d,
           days_late_365d - days_late_90d AS days_late_prior_275d,
           CAST(settled_count_365d - 1 AS DOUBLE) * CAST(0.9 AS DOUBLE) AS position
    FROM (
        SELECT b.customer_key, s.as_of_date,
               CAST(coalesce(sum(b.settled_count), 0) AS BIGINT) AS settled_count_365d,
               CAST(coalesce(sum(b.settled_count) FILTER (WHERE s.in_90d), 0) AS BIGINT) AS settled_count_90d,
               CAST(coalesce(sum(b.days_late), 0) AS BIGINT) AS days_late_365d,
               CAST(coalesce(sum(b.days_late) FILTER (WHERE s.in_90d), 0) AS BIGINT) AS days_late_90d,
               CAST(coalesce(sum(b.over_30d_late_count), 0) AS BIGINT) AS over_30d_late_count_365d,
               CAST(coalesce(sum(b.over_30d_late_count) FILTER (WHERE s.in_90d), 0) AS BIGINT)
                 AS over_30d_late_count_90d,
               CAST(coalesce(sum(b.late_count), 0) AS BIGINT) AS late_count_365d,
               CAST(coalesce(sum(b.early_count), 0) AS BIGINT) AS early_count_365d,
               CAST(coalesce(sum(b.late_amount), 0) AS DECIMAL(38, 2)) AS late_amount_365d,
               CAST(coalesce(sum(b.settled_amount), 0) AS DECIMAL(18, 2)) AS settled_amount_365d,
               CAST(coalesce(sum(b.days_after_due), 0) AS BIGINT) AS days_after_due_365d,
               CAST(coalesce(sum(b.days_after_due_squared), 0) AS BIGINT) AS days_after_due_squared_365d,
               CAST(coalesce(sum(b.days_to_pay), 0) AS BIGINT) AS days_to_pay_365d,
               CAST(coalesce(sum(b.instalment_count), 0) AS BIGINT) AS instalment_count_365d,
               CAST(coalesce(sum(b.over_1d_late_count), 0) AS BIGINT) AS over_1d_late_count_365d,
               CAST(coalesce(sum(b.over_2d_late_count), 0) AS BIGINT) AS over_2d_late_count_365d,
               CAST(coalesce(sum(b.over_3d_late_count), 0) AS BIGINT) AS over_3d_late_count_365d,
               CAST(coalesce(sum(b.over_4d_late_count), 0) AS BIGINT) AS over_4d_late_count_365d,
               CAST(coalesce(sum(b.over_5d_late_count), 0) AS BIGINT) AS over_5d_late_count_365d,
               CAST(coalesce(sum(b.over_6d_late_count), 0) AS BIGINT) AS over_6d_late_count_365d,
               CAST(coalesce(sum(b.over_7d_late_count), 0) AS BIGINT) AS over_7d_late_count_365d,
               max(b.max_days_late) AS max_days_late_365d
        FROM settled_buckets b JOIN window_spans s ON s.cut = b.cut
        GROUP BY b.customer_key, s.as_of_date
    )
), positions AS (
    SELECT customer_key, as_of_date, settled_count_365d - CAST(floor(position) AS BIGINT) AS k_low,
           settled_count_365d - CAST(ceil(position) AS BIGINT) AS k_high,
           over_7d_late_count_365d AS tail_count
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
    SELECT t.*, {_KTH_LARGEST_DAYS_LATE.format(k="k_low", top="top_low")} AS low,
           {_KTH_LARGEST_DAYS_LATE.format(k="k_high", top="top_high")} AS high
    FROM sums t
    JOIN positions p ON p.customer_key = t.customer_key AND p.as_of_date = t.as_of_date
    LEFT JOIN ranked r ON r.customer_key = t.customer_key AND r.as_of_date = t.as_of_date
)
SELECT * EXCLUDE (position, low, high),
       CASE WHEN floor(position) = ceil(position) THEN low ELSE low + (high - low) * (position - floor(position)) END
         AS p90_days_late_365d
FROM percentile
"""

WINDOW_PAID = """
CREATE OR REPLACE TEMP TABLE window_paid AS
SELECT b.customer_key, s.as_of_date,
       CAST(coalesce(sum(b.payment_count), 0) AS BIGINT) AS payment_count_365d,
       CAST(coalesce(sum(b.payment_count) FILTER (WHERE s.in_90d), 0) AS BIGINT) AS payment_count_90d,
       CAST(coalesce(sum(b.payment_amount) FILTER (WHERE s.in_90d), 0) AS DECIMAL(18, 2)) AS payment_amount_90d
FROM payment_buckets b JOIN window_spans s ON s.cut = b.cut
GROUP BY b.customer_key, s.as_of_date
"""
