"""Whole-history facts, and the one table that holds every keyed fact (`windows`).

A keyed fact has at most one row per customer and as-of date; its columns are already totals over a
window (`features.facts.window_totals`) or over the whole history (here). All of them are columns of
`windows`, one row per population row, with the population's own columns too, so that the feature
query reads it as the population instead of joining it to it.
"""

from __future__ import annotations

from features.facts.balances import BALANCE_BUCKETS, WINDOW_BALANCE
from features.facts.window_totals import WINDOW_ISSUED, WINDOW_PAID, WINDOW_SETTLED
from features.facts.windows import ISSUED_BUCKETS, PAYMENT_BUCKETS, SETTLED_BUCKETS

# Whole-history facts, carried forward from as-of date to as-of date instead of re-reading all of
# history for every date: each bucket belongs to the first as-of date on or after it (and whatever
# came before the earliest window end to the first as-of date), and running aggregates over a
# customer's as-of dates add them up.
WINDOW_HISTORY = """
CREATE OR REPLACE TEMP TABLE window_history AS
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


KEYED_TABLE = "windows"

# Sorted as the feature table is, so that the feature query's keyed part, a plain projection of it,
# comes out in order. Built in steps, each step's inputs dropped once nothing reads them: the buckets
# are gone before the windows are joined up, and the parts once they are. The settled windows, the
# step that needs the most memory, come first, before the issued and payment buckets and windows exist.
WINDOWS = (
    SETTLED_BUCKETS,
    WINDOW_SETTLED,
    ISSUED_BUCKETS,
    WINDOW_ISSUED,
    PAYMENT_BUCKETS,
    WINDOW_PAID,
    WINDOW_HISTORY,
    "DROP TABLE issued_buckets; DROP TABLE settled_buckets; DROP TABLE payment_buckets",
    BALANCE_BUCKETS,
    WINDOW_BALANCE,
    "DROP TABLE balance_buckets",
    f"""CREATE OR REPLACE TEMP TABLE {KEYED_TABLE} AS
SELECT h.*, i.* EXCLUDE (customer_key, as_of_date), s.* EXCLUDE (customer_key, as_of_date),
       y.* EXCLUDE (customer_key, as_of_date), b.* EXCLUDE (customer_key, as_of_date)
FROM window_history h
LEFT JOIN window_issued i ON i.customer_key = h.customer_key AND i.as_of_date = h.as_of_date
LEFT JOIN window_settled s ON s.customer_key = h.customer_key AND s.as_of_date = h.as_of_date
LEFT JOIN window_paid y ON y.customer_key = h.customer_key AND y.as_of_date = h.as_of_date
LEFT JOIN window_balance b ON b.customer_key = h.customer_key AND b.as_of_date = h.as_of_date
ORDER BY h.as_of_date, h.customer_order""",
    "DROP TABLE window_history; DROP TABLE window_issued; DROP TABLE window_settled; DROP TABLE window_paid; "
    "DROP TABLE window_balance",
)
