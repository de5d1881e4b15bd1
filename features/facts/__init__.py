"""Point-in-time fact relations: what was known about each customer at each as-of date.

Every relation here is keyed by (customer_key, as_of_date) and only holds what is dated on or before
as_of_date: invoices issued by then, payments made by then, disputes opened by then, events dated by
then. Feature definitions aggregate over these relations and never touch the raw tables, which is
what makes look-ahead impossible by construction (`tests/code/test_point_in_time.py` checks it).
Records are joined and grouped on the integer keys validation gave them (`Ledger.keys`), never on
their text ids: `invoice_row` stands for an invoice, `customer_key` (the customer's `customer_row`)
for a customer, and `customer_order` sorts customers as their ids sort.

The SQL is DuckDB's dialect, set-based (joins, group-bys, window functions), no loops over rows. By job:

- `documents`: per document, its settlement (ledger-only, built once for any number of dates);
- `rows`: the row facts, one row per document or event and as-of date (features aggregate them);
- `windows` and `window_totals`: events added up over the year and its last 90 days;
- `balances`: the open balance day by day, and its peak over the year;
- `history`: the whole history up to as_of, and `windows`, the table holding every keyed fact;
- `reference`: the plain point-in-time SQL of every fact, which the fast engine is tested against.

`FACT_COLUMNS` declares each fact's columns and types: feature definitions are checked against it
when the catalogue is built, and it is checked against the built relations by the tests.
"""

from __future__ import annotations

from features.facts.history import KEYED_TABLE, WINDOWS
from features.facts.rows import ROW_FACT_STATEMENTS
from features.facts.windows import WINDOW_STATEMENTS

# What depends on the as-of dates (the table `as_of_dates`).
DATED_FACT_STATEMENTS = (*ROW_FACT_STATEMENTS, *WINDOW_STATEMENTS, *WINDOWS)

# What nothing reads once the row facts are aggregated and the labels derived (the keyed facts are
# in `windows` by then): a build that serves no further as-of dates drops these before the feature
# table is assembled, the largest tables it holds.
SPENT_AFTER_ROW_FACTS = ("documents", "multi_day_payments", "population")

# The columns of each fact relation, and their DuckDB types. Row facts are relations of their own;
# keyed facts are columns of `windows` (KEYED_TABLE), empty where the customer had nothing in the window.
ROW_FACT_COLUMNS: dict[str, dict[str, str]] = {
    "open_documents": {
        "invoice_row": "INTEGER",
        "is_credit_note": "BOOLEAN",
        "amount": "DECIMAL(18,2)",
        "due_date": "DATE",
        "paid_amount": "DECIMAL(18,2)",
        "open_amount": "DECIMAL(18,2)",
        "days_past_due": "INTEGER",
        "age_days": "INTEGER",
        "is_disputed": "BOOLEAN",
    },
    "disputes_365d": {
        "invoice_row": "INTEGER",
        "invoice_date": "DATE",
        "is_credit_note": "BOOLEAN",
        "amount": "DECIMAL(18,2)",
        "days_ago": "BIGINT",
    },
    "events_365d": {"event_type": "VARCHAR", "days_ago": "BIGINT"},
}
KEYED_FACT_COLUMNS: dict[str, dict[str, str]] = {
    "issued_365d": {
        "invoice_count_365d": "BIGINT",
        "invoice_count_90d": "BIGINT",
        "invoice_amount_365d": "DECIMAL(18,2)",
        "invoice_amount_90d": "DECIMAL(18,2)",
        "invoice_amount_prior_275d": "DECIMAL(18,2)",
        "credit_note_amount_365d": "DECIMAL(18,2)",
        "max_invoice_amount_365d": "DECIMAL(18,2)",
        "active_months_365d": "TINYINT",
        "terms_days_365d": "BIGINT",
    },
    "settled_365d": {
        "settled_count_365d": "BIGINT",
        "settled_count_90d": "BIGINT",
        "settled_count_prior_275d": "BIGINT",
        "days_late_365d": "BIGINT",
        "days_late_90d": "BIGINT",
        "days_late_prior_275d": "BIGINT",
        "over_30d_late_count_365d": "BIGINT",
        "over_30d_late_count_90d": "BIGINT",
        "late_count_365d": "BIGINT",
        "early_count_365d": "BIGINT",
        "late_amount_365d": "DECIMAL(38,2)",
        "settled_amount_365d": "DECIMAL(18,2)",
        "days_after_due_365d": "BIGINT",
        "days_after_due_squared_365d": "BIGINT",
        "days_to_pay_365d": "BIGINT",
        "instalment_count_365d": "BIGINT",
        "over_1d_late_count_365d": "BIGINT",
        "over_2d_late_count_365d": "BIGINT",
        "over_3d_late_count_365d": "BIGINT",
        "over_4d_late_count_365d": "BIGINT",
        "over_5d_late_count_365d": "BIGINT",
        "over_6d_late_count_365d": "BIGINT",
        "over_7d_late_count_365d": "BIGINT",
        "max_days_late_365d": "BIGINT",
        "p90_days_late_365d": "DOUBLE",
    },
    "payments_365d": {
        "payment_count_365d": "BIGINT",
        "payment_count_90d": "BIGINT",
        "payment_amount_90d": "DECIMAL(18,2)",
    },
    "balance_365d": {"peak_open_amount_365d": "DECIMAL(18,2)"},
    "history": {
        "last_payment_date": "DATE",
        "last_invoice_date": "DATE",
        "max_days_late_ever": "BIGINT",
        "settled_count_ever": "BIGINT",
        "settled_over_30d_late_count_ever": "BIGINT",
    },
}
FACT_COLUMNS = {**ROW_FACT_COLUMNS, **KEYED_FACT_COLUMNS}
# Every fact is keyed by these: features may read them too.
FACT_KEYS = {"customer_key": "INTEGER", "as_of_date": "DATE"}

__all__ = [
    "DATED_FACT_STATEMENTS",
    "FACT_COLUMNS",
    "FACT_KEYS",
    "KEYED_FACT_COLUMNS",
    "KEYED_TABLE",
    "ROW_FACT_COLUMNS",
    "SPENT_AFTER_ROW_FACTS",
]
