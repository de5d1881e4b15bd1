"""The feature build: a ledger's facts at some as-of dates, turned into the feature table.

`build_features(ledger, as_of_dates)` does it in one call. Callers that need more than features
compose the steps themselves: `LedgerFacts(ledger).at(dates)` gives a connection holding the facts,
from which labels (`features.labels`) and the default status are read before `features_from_facts`
uses the facts up.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from features.catalogue import catalogue
from features.duckdb_connection import connect
from features.facts import DATED_FACT_STATEMENTS, KEYED_TABLE, SPENT_AFTER_ROW_FACTS
from features.facts.documents import CUSTOMER_KEYS, PAYMENT_EVENTS
from features.facts.rows import AS_OF_DAYS, OPEN_DOCUMENTS
from features.ledger import Ledger
from features.memory import release_cached_blocks
from features.query import (
    WINDOW_FEATURES,
    WINDOW_ROW,
    aggregated_table,
    joined_features_query,
    names_read,
    output_features,
    row_fact_features,
    row_fact_query,
    window_features_query,
)
from features.settlement import settle_documents

KEYS = ("customer_id", "as_of_date")

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """Tell nobody: the progress of a build no one watches."""


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Return the last day of every month whose end falls in [start, end]."""
    if end < start:
        raise ValueError(f"monthly range ends ({end}) before it starts ({start})")
    dates: list[dt.date] = []
    year, month = start.year, start.month
    while True:
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        if last > end:
            return dates
        if last >= start:
            dates.append(last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return `day` moved by `months` months: a month-end to the month-end, else the same day, clamped to the month."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    is_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if is_month_end else min(day.day, last))


def as_of_dates_words(count: int) -> str:
    """Return "1 as-of date" or "N as-of dates"."""
    return f"{count:,} as-of date{'' if count == 1 else 's'}"


class LedgerFacts:
    """A ledger in DuckDB with the facts that depend on it alone, built once for any number of as-of dates.

    Settling every document (a pass over all payments) is a large part of the cost of one as-of
    date; a long-lived scorer keeps this and pays it once. Not for concurrent use: one build at a
    time. A context manager: leaving it closes the connection.
    """

    def __init__(self, ledger: Ledger, *, progress: Progress = silent):
        self.ledger = ledger
        self.progress = progress
        progress(
            f"settling {ledger['invoices'].num_rows:,} invoices and credit notes "
            f"with {ledger['payments'].num_rows:,} payments"
        )
        self.con = connect()
        try:
            for name in ledger.tables:
                self.con.register(name, ledger.with_keys(name))
            # `facts.documents`' statements in order, with the documents' settlement (`DOCUMENTS`,
            # `MULTI_DAY_PAYMENTS`) made by `settle_documents`: the same tables, faster.
            self._run([CUSTOMER_KEYS])
            settle_documents(self.con, ledger.with_keys("invoices"), ledger.with_keys("payments"))
            release_cached_blocks(self.con)
            self._run([PAYMENT_EVENTS])
        except BaseException:
            # Nobody gets an object to close: the settled documents (gigabytes on a large ledger)
            # would otherwise wait for the garbage collector.
            self.con.close()
            raise

    def at(self, as_of_dates: Sequence[dt.date]) -> duckdb.DuckDBPyConnection:
        """Return the connection with `as_of_dates` registered and their facts built (replacing any earlier dates')."""
        if not as_of_dates:
            raise ValueError("at least one as-of date is needed")
        dates = sorted(set(as_of_dates))
        self.progress(f"building point-in-time facts for {as_of_dates_words(len(dates))}")
        self._register_dates(dates)
        self._run(DATED_FACT_STATEMENTS)
        return self.con

    def open_documents_at(self, dates: Sequence[dt.date]) -> duckdb.DuckDBPyConnection:
        """Return the connection with `dates` registered as the as-of dates and only the view `open_documents`
        built on them (replacing any earlier dates' facts): the documents open at each date, point in time.

        The portfolio figures (aging, DSO, provisions) read open items at dozens of dates and no feature:
        the window facts of `at` would cost far more than they need.
        """
        if not dates:
            raise ValueError("at least one date is needed")
        self._register_dates(sorted(set(dates)))
        self._run([AS_OF_DAYS, OPEN_DOCUMENTS])
        return self.con

    def _register_dates(self, dates: list[dt.date]) -> None:
        """Register `dates` as the table `as_of_dates` every dated fact is built on."""
        self.con.register("as_of_dates", pa.table({"as_of_date": pa.array(dates, type=pa.date32())}))

    def _run(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self.con.execute(statement)
            # A view computes nothing when it is made: there is nothing to release (the API builds
            # the dated facts on every request).
            if not statement.lstrip().startswith("CREATE OR REPLACE TEMP VIEW"):
                release_cached_blocks(self.con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LedgerFacts:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def build_features(ledger: Ledger, as_of_dates: Sequence[dt.date], *, progress: Progress = silent) -> pa.Table:
    """Return the feature table: `customer_id`, `as_of_date`, every catalogue feature, then customer extras.

    One row per customer with an invoice on or before the as-of date, for each as-of date, sorted by
    as_of_date then customer_id. Only records dated on or before each as-of date are used.
    """
    with LedgerFacts(ledger, progress=progress) as facts:
        con = facts.at(as_of_dates)
        progress("aggregating features")
        return features_from_facts(con, ledger, last_use=True)


def customer_extras(ledger: Ledger) -> list[str]:
    """Return the customer columns outside the contract, which become features under their own names."""
    extras = ledger.customer_extra_columns
    clashes = sorted(set(extras) & ({f.name for f in catalogue()} | set(KEYS)))
    if clashes:
        raise ValueError(f"customer columns {', '.join(clashes)} clash with feature names: rename them in the ledger")
    return extras


def features_from_facts(con: duckdb.DuckDBPyConnection, ledger: Ledger, *, last_use: bool = False) -> pa.Table:
    """Return the feature table from a connection `LedgerFacts.at` prepared; its `windows` table is used up.

    Built in parts so that the whole table never sits in memory twice beside the facts: the row
    facts' features, aggregated into small tables; the window part, read straight off `windows`
    (sorted as the feature table is), which is then dropped; then the joined part, sorted by a query
    of its own. With `last_use` (nothing will read the connection's facts afterwards: no labels, no
    other as-of dates), the facts the row facts are made of are dropped as soon as they are aggregated.
    """
    features, extras = catalogue(), customer_extras(ledger)
    relations = row_fact_features(features)
    try:
        for relation, on_relation in relations.items():
            _aggregate_row_fact(con, relation, on_relation)
        if last_use:
            con.execute("; ".join(f"DROP TABLE {name}" for name in SPENT_AFTER_ROW_FACTS))
        release_cached_blocks(con)
        windowed = con.sql(window_features_query(features)).to_arrow_table()
        con.execute(f"DROP TABLE {KEYED_TABLE}")
        release_cached_blocks(con)
        windowed = windowed.append_column(WINDOW_ROW, pa.array(np.arange(windowed.num_rows, dtype=np.int64)))
        con.register(WINDOW_FEATURES, windowed)
        try:
            joined = con.sql(joined_features_query(features, extras)).to_arrow_table()
        finally:
            con.unregister(WINDOW_FEATURES)
    finally:
        con.execute("; ".join(f"DROP TABLE IF EXISTS {aggregated_table(relation)}" for relation in relations))
    # `windows` is sorted as the joined part is and a plain projection of it keeps its order, so the
    # rows normally line up already; taking them along costs as much as the query and is only a fallback.
    if not joined.column(WINDOW_ROW).equals(windowed.column(WINDOW_ROW)):
        windowed = windowed.take(joined.column(WINDOW_ROW))
    names = [*KEYS, *(f.name for f in output_features(features)), *extras]
    return pa.table(
        [windowed.column(n) if n in windowed.column_names else joined.column(n) for n in names], names=names
    )


def _aggregate_row_fact(con: duckdb.DuckDBPyConnection, relation: str, on_relation: list) -> None:
    """Aggregate the features on row fact `relation` into the table `aggregated_table(relation)`.

    The columns its features read are stored first, and dropped once aggregated: DuckDB knows the
    range of a stored column, and with it adds amounts up in 8 bytes instead of 16, which saves more
    than storing costs.
    """
    read = names_read(on_relation) | {"customer_key", "as_of_date"}
    columns = [c for c in con.sql(f"SELECT * FROM {relation}").columns if c in read]
    rows = f"{relation}_rows"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT {', '.join(columns)} FROM {relation}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {aggregated_table(relation)} AS {row_fact_query(rows, on_relation)}")
    finally:
        con.execute(f"DROP TABLE {rows}")
