"""Open receivables at many dates at once, in DuckDB, from the ledger's point-in-time open documents.

`OpenItems` asks `LedgerFacts.open_documents_at` for the dates a report needs and keeps two tables: the
documents open at the as-of date, one row each (the worklist and the provision's allocation read them),
and per date of the trend, customer, bucket and kind the open amounts (aging, its trend and DSO read
them). The provision window's month-ends are read straight off the view, in one pass. Credit notes are
open items with a negative amount; the figures say where they count. Nothing the size of the ledger
goes through pandas.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

import duckdb
import numpy as np
import pyarrow as pa

from features.contract import TABLES_BY_NAME
from features.ledger import Ledger
from features.pipeline import LedgerFacts, month_ends
from serving.portfolio.settings import PortfolioSettings

OPEN_ITEMS = "open_items"
OPEN_SUMMARY = "open_summary"


def last_month_ends(as_of: dt.date, count: int) -> list[dt.date]:
    """Return the `count` month-ends up to `as_of` (as_of itself when it is one), oldest first."""
    year, month = as_of.year, as_of.month
    if as_of.day != calendar.monthrange(year, month)[1]:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    start_year, start_month = divmod(year * 12 + month - 1 - (count - 1), 12)
    return month_ends(dt.date(start_year, start_month + 1, 1), end)


def previous_month_end(as_of: dt.date) -> dt.date:
    """Return the last month-end before `as_of`: the default --compare-to."""
    first = as_of.replace(day=1)
    return first - dt.timedelta(days=1)


def bucket_case(bounds: Iterable[int], days: str = "days_past_due") -> str:
    """Return SQL giving the aging bucket's index (0: current) of `days` past due, upper bounds inclusive."""
    whens = " ".join(f"WHEN {days} <= {bound} THEN {i}" for i, bound in enumerate(bounds))
    return f"CASE {whens} ELSE {len(tuple(bounds))} END"


def record_ids(ledger: Ledger, table: str, keys: np.ndarray) -> np.ndarray:
    """Return the ids (`invoice_id`, `customer_id`) of the records of `table` whose integer keys are `keys`."""
    spec = TABLES_BY_NAME[table]
    records = ledger.keys[table].column(spec.record_key).to_numpy()
    position = np.zeros(int(records.max()) + 1 if len(records) else 0, dtype=np.int64)
    position[records] = np.arange(len(records))
    column = ledger[table].column(spec.key)
    return column.take(pa.array(position[np.asarray(keys, dtype=np.int64)])).to_pandas().to_numpy()


class OpenItems:
    """The ledger's open documents for the report, stored in `facts`' connection.

    - `open_items`: every document open at the as-of date, one row each, with its bucket (`ids` gives ids);
    - `open_summary`: per date of the trend (the as-of date among them), customer, bucket and kind (invoice
      or credit note), the open amount and the open amount times days past due of what is overdue.
    Other dates' open documents (the provision window's) are read straight off `open_documents_at`.
    """

    def __init__(self, facts: LedgerFacts, as_of: dt.date, trend: Iterable[dt.date], settings: PortfolioSettings):
        self.facts, self.settings = facts, settings
        self.con: duckdb.DuckDBPyConnection = self.open_documents_at([as_of])
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {OPEN_ITEMS} AS
            SELECT customer_key, invoice_row, is_credit_note, CAST(as_of_date - age_days AS DATE) AS invoice_date,
                   due_date, open_amount, days_past_due, is_disputed, bucket
            FROM {self.bucketed}"""
        )
        self.open_documents_at(sorted({as_of, *trend}))
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {OPEN_SUMMARY} AS
            SELECT as_of_date, customer_key, bucket, is_credit_note, sum(open_amount) AS open_amount,
                   sum(open_amount * days_past_due) FILTER (WHERE days_past_due > 0) AS overdue_days_amount
            FROM {self.bucketed} GROUP BY ALL"""
        )

    def ids(self, table: str, keys: np.ndarray) -> np.ndarray:
        """Return the ids (`invoice_id`, `customer_id`) of the records of `table` whose integer keys are `keys`."""
        return record_ids(self.facts.ledger, table, keys)

    def open_documents_at(self, dates: Iterable[dt.date]) -> duckdb.DuckDBPyConnection:
        """Return the connection with the view `open_documents` built at `dates` (`bucketed` adds the bucket)."""
        return self.facts.open_documents_at(sorted(set(dates)))

    @property
    def bucketed(self) -> str:
        """Return SQL of `open_documents` with each row's aging `bucket`, to select from."""
        return f"(SELECT *, CAST({bucket_case(self.settings.aging_buckets)} AS INTEGER) AS bucket FROM open_documents)"

    def customers_sql(self) -> str:
        """Return SQL of the customer table's columns the figures group by: id, name, country, industry, credit
        limit, terms, and the LGD segment and insured limit when the settings' columns exist."""
        names = self.facts.ledger["customers"].column_names

        def column(name: str, kind: str) -> str:
            return f'c."{name}"' if name in names else f"CAST(NULL AS {kind}) AS {name}"

        columns = [
            "c.customer_row AS customer_key",
            "c.customer_id",
            column("name", "VARCHAR"),
            column("country", "VARCHAR"),
            column("industry", "VARCHAR"),
            column("credit_limit", "DOUBLE"),
            column("payment_terms_days", "INTEGER"),
        ]
        segment = self.settings.expected_loss.lgd_segment_column
        columns.append(
            f'CAST(c."{segment}" AS VARCHAR) AS segment' if segment and segment in names else "NULL AS segment"
        )
        insured = self.settings.expected_loss.insured_limit_column
        columns.append(
            f'TRY_CAST(c."{insured}" AS DOUBLE) AS insured_limit'
            if insured in names
            else "NULL::DOUBLE AS insured_limit"
        )
        return f"SELECT {', '.join(columns)} FROM customers c"
