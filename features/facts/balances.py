"""Balance facts: the customer's total open balance day by day, and its peak over each as-of date's year.

The balance at the end of a day is what `open_documents` would hold at that day: the documents
issued by then and not settled by then, less what was paid on them by then, credit notes counting
against it. It only changes on the days something happens to a document, by what happens:

- the day a document is issued, by its amount (a credit note's negatively);
- a payment day before its settlement, by what was paid that day;
- its settlement day, by whatever was still open: a settled document is open no more, whatever
  the last payment left (up to one cent short) or paid over.

A running sum of these changes in date order is point-in-time safe as it stands: the balance after a
day only adds up changes dated on or before it. One running sum serves all the as-of dates of a
build, over the days of their windows only (everything dated before the earliest window adds up to
one opening change): a single as-of date sorts one year of changes, not the whole ledger, and nothing
the size of the ledger is kept between builds. Its highs and closing values are kept per customer and
bucket between window ends (`features.facts.windows`), so that each as-of date's year is a handful of
buckets, as for the other window facts. The peak of the year (as_of - 365 days, as_of] is the largest of the balance carried
into it (the closing balance of the last bucket up to as_of - 365 days; 0 before anything was
issued) and of the highs of the buckets inside it.

`reference_balance_365d` is the plain definition the fast plan is tested against
(`features.facts.reference` lists it with the other facts' references): the balance computed afresh
for every day of every year, from the open documents of that day.
"""

from __future__ import annotations

from features.facts.documents import AMOUNT


def _cents(amount: str) -> str:
    """Return SQL for the DECIMAL(18, 2) expression `amount` in whole cents, a BIGINT (exactly: times 100)."""
    return f"CAST({amount} * 100 AS BIGINT)"


# Per customer and bucket (by window end), the highest end-of-day balance on the days in it that
# changed the balance, and its balance at the end of the bucket. The changes dated on or before the
# earliest window end are one opening change on that day, in a bucket of its own (no window holds it;
# it is carried into the first). The running sum adds whole cents as DOUBLEs: every partial sum is a
# whole number of cents far below 2^53, which a DOUBLE holds exactly, so the sums are exact in any
# order, and an 8-byte sum is cheaper than the 16-byte one of a DECIMAL in a window over every change.
BALANCE_BUCKETS = f"""
CREATE OR REPLACE TEMP TABLE balance_buckets AS
WITH multi_day AS (
    -- payments on documents paid on several days, before the day (if any) that settled them
    SELECT m.customer_key, m.payment_date, d.settled_date,
           {_cents("CASE WHEN m.is_credit_note THEN m.amount ELSE -m.amount END")} AS change
    FROM multi_day_payments m
    JOIN (SELECT invoice_row, settled_date FROM documents WHERE first_payment_date < last_payment_date) d
      ON d.invoice_row = m.invoice_row
    WHERE d.settled_date IS NULL OR m.payment_date < d.settled_date
), changes AS (
    SELECT customer_key, invoice_date AS day, {_cents("CASE WHEN is_credit_note THEN -amount ELSE amount END")} AS change
    FROM documents
    UNION ALL
    -- settled: nothing of it is open from that day on
    SELECT customer_key, settled_date, {_cents("CASE WHEN is_credit_note THEN amount ELSE -amount END")}
    FROM documents WHERE settled_date IS NOT NULL
    UNION ALL
    -- paid on one day and not settled: that day's part payment
    SELECT customer_key, first_payment_date, {_cents("CASE WHEN is_credit_note THEN paid ELSE -paid END")}
    FROM documents WHERE settled_date IS NULL AND first_payment_date = last_payment_date
    UNION ALL
    SELECT customer_key, payment_date, change FROM multi_day
    UNION ALL
    -- what a settled document's earlier payment days took off, handed back on the day all of it goes
    SELECT customer_key, settled_date, -change FROM multi_day WHERE settled_date IS NOT NULL
), span AS (
    SELECT min(cut) AS first, max(cut) AS last FROM window_cuts
), dated AS (
    SELECT c.customer_key, s.first AS day, s.first AS cut, CAST(sum(c.change) AS DOUBLE) AS change
    FROM changes c, span s WHERE c.day <= s.first
    GROUP BY c.customer_key, s.first
    UNION ALL
    SELECT c.customer_key, c.day, w.end_cut, CAST(c.change AS DOUBLE)
    FROM changes c JOIN window_days w ON w.day = c.day
), balances AS (
    -- the frame of a running sum ordered by day takes in the other changes of the same day (its
    -- peers), so every row holds the balance at the end of its day
    SELECT customer_key, day, cut, sum(change) OVER (PARTITION BY customer_key ORDER BY day) AS balance
    FROM dated
)
SELECT customer_key, cut, CAST(CAST(max(balance) AS BIGINT) * 0.01 AS {AMOUNT}) AS high,
       CAST(CAST(arg_max(balance, day) AS BIGINT) * 0.01 AS {AMOUNT}) AS closing
FROM balances
GROUP BY customer_key, cut
"""

# Per population row, the year's peak: the balance carried in at as_of - 365 days (0 when the customer
# had no document by then) and the highs of the buckets in (as_of - 365 days, as_of].
WINDOW_BALANCE = """
CREATE OR REPLACE TEMP TABLE window_balance AS
WITH highs AS (
    SELECT b.customer_key, s.as_of_date, max(b.high) AS high
    FROM balance_buckets b JOIN window_spans s ON s.cut = b.cut
    GROUP BY b.customer_key, s.as_of_date
), carried AS (
    SELECT p.customer_key, p.as_of_date, coalesce(b.closing, 0) AS balance
    FROM population p
    ASOF LEFT JOIN balance_buckets b
      ON b.customer_key = p.customer_key AND b.cut <= CAST(p.as_of_date - INTERVAL 365 DAY AS DATE)
)
SELECT c.customer_key, c.as_of_date,
       CAST(greatest(c.balance, coalesce(h.high, c.balance)) AS DECIMAL(18, 2)) AS peak_open_amount_365d
FROM carried c
LEFT JOIN highs h ON h.customer_key = c.customer_key AND h.as_of_date = c.as_of_date
"""


def reference_balance_365d(entity_rows: str) -> str:
    """Return the reference query of `balance_365d` on the CTE `entity_rows` (`features.facts.reference`).

    The open balance (the open_amount of the reference `open_documents`, added up) at the end of every
    day from as_of - 365 days, the balance carried into the year, to as_of, and its peak; a day with
    nothing open has 0. Staged as the other references are.
    """
    return f"""WITH {entity_rows},
days AS (
    -- 2. every day of every as-of date's year, and the day before it
    SELECT DISTINCT CAST(unnest(generate_series(as_of_date - INTERVAL 365 DAY, as_of_date, INTERVAL 1 DAY)) AS DATE)
             AS day
    FROM as_of_dates
),
open_on AS (
    -- the documents issued by each day and not settled by then, ...
    SELECT t.day, d.customer_key, d.invoice_row, d.is_credit_note, d.amount
    FROM documents d JOIN days t ON d.invoice_date <= t.day AND (d.settled_date IS NULL OR d.settled_date > t.day)
),
paid_by_day AS (
    -- ... what was paid on them by then ...
    SELECT o.invoice_row, o.day, sum(CAST(p.amount AS {AMOUNT})) AS paid_amount
    FROM open_on o JOIN payments p ON p.invoice_row = o.invoice_row AND p.payment_date <= o.day
    GROUP BY o.invoice_row, o.day
),
balance_on AS (
    -- ... and the customer's balance at the end of the day
    SELECT o.customer_key, o.day,
           sum(CASE WHEN o.is_credit_note THEN -1 ELSE 1 END * (o.amount - coalesce(p.paid_amount, 0))) AS balance
    FROM open_on o LEFT JOIN paid_by_day p ON p.invoice_row = o.invoice_row AND p.day = o.day
    GROUP BY o.customer_key, o.day
)
-- 3. the highest balance of the entity row's days (4. every entity row has them: no NULL)
SELECT e.customer_key, e.as_of_date, CAST(max(coalesce(b.balance, 0)) AS {AMOUNT}) AS peak_open_amount_365d
FROM entity_rows e
JOIN days t ON t.day >= e.as_of_date - INTERVAL 365 DAY AND t.day <= e.as_of_date
LEFT JOIN balance_on b ON b.customer_key = e.customer_key AND b.day = t.day
GROUP BY e.customer_key, e.as_of_date"""
