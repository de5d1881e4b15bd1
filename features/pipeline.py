"""build_features(ledger, as_of_dates) -> one row per (customer, as-of date) with the whole catalogue."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from features.catalogue import FACTS, Feature, catalogue
from features.facts import (
    CUSTOMER_KEYS,
    DATED_FACT_STATEMENTS,
    KEYED_FACTS,
    KEYED_TABLE,
    PAYMENT_EVENTS,
    SPENT_AFTER_ROW_FACTS,
)
from features.ledger import Ledger
from features.settlement import settle_documents

KEYS = ("customer_id", "as_of_date")


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


def release_cached_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """Make DuckDB hand back the memory it keeps cached from finished statements.

    DuckDB keeps the blocks of finished hash tables and sorts for later reuse (a gigabyte after a
    12-month panel's facts), and only lets go of them under its memory limit: lowering the limit to
    what its tables hold and setting it back frees them at once, without spilling anything.
    """
    (in_use,) = con.sql("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0]
    # The limit reads back rounded down ("18.8 GiB"): set back as read, it would sink a little with
    # every release. The first reading is kept with the connection and set back every time.
    (limit,) = con.sql(
        f"SELECT coalesce(getvariable('{_LIMIT_VARIABLE}'), current_setting('memory_limit'))"
    ).fetchall()[0]
    con.execute(f"SET VARIABLE {_LIMIT_VARIABLE} = '{limit}'")
    try:
        con.execute(f"SET memory_limit = '{int(in_use) + _SPARE_BYTES}B'")
    except duckdb.OutOfMemoryException:
        pass  # nothing cached could go: the memory is in use, which is no reason to stop
    finally:
        con.execute(f"SET memory_limit = '{limit}'")


_LIMIT_VARIABLE = "tradecredit_memory_limit"

# Room left above what DuckDB's tables hold when its cached blocks are released, so that nothing
# in use is ever pushed out to disk.
_SPARE_BYTES = 64 << 20


class LedgerFacts:
    """A ledger in DuckDB with the facts that depend on it alone, built once for any number of as-of dates.

    Settling every document (a pass over all payments) is a third of the cost of one as-of date; a
    long-lived scorer keeps this and pays it once. Not for concurrent use: one build at a time.
    """

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.con = duckdb.connect()
        try:
            for name in ledger.tables:
                self.con.register(name, ledger.with_keys(name))
            # `facts.LEDGER_FACT_STATEMENTS`, with the documents' settlement (`DOCUMENTS`,
            # `MULTI_DAY_PAYMENTS`) made by `settle_documents`: the same tables in half the time.
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
        self.con.register("as_of_dates", pa.table({"as_of_date": pa.array(sorted(set(as_of_dates)), type=pa.date32())}))
        self._run(DATED_FACT_STATEMENTS)
        return self.con

    def _run(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self.con.execute(statement)
            # A view computes nothing when it is made: there is nothing to release (2 ms a release,
            # eight views on every `at`, which the API calls per request).
            if not statement.lstrip().startswith("CREATE OR REPLACE TEMP VIEW"):
                release_cached_blocks(self.con)

    def close(self) -> None:
        self.con.close()


def connect_ledger(ledger: Ledger, as_of_dates: Sequence[dt.date]) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection with the ledger tables and `as_of_dates` registered and the facts built."""
    return LedgerFacts(ledger).at(as_of_dates)


def build_features(
    ledger: Ledger,
    as_of_dates: Sequence[dt.date],
    *,
    progress: Callable[[str], None] | None = None,
) -> pa.Table:
    """Return the feature table: `customer_id`, `as_of_date`, every catalogue feature, then customer extras.

    One row per customer with an invoice on or before the as-of date, for each as-of date, sorted by
    as_of_date then customer_id. Only records dated on or before each as-of date are used.
    """
    return build_feature_table(ledger, as_of_dates, progress=progress)


def features_from_facts(con: duckdb.DuckDBPyConnection, ledger: Ledger, *, last_use: bool = False) -> pa.Table:
    """Return the feature table from a connection prepared by `connect_ledger`; the `windows` table is used up.

    Built in parts so that the whole table never sits in memory twice beside the facts: the row
    facts' features, aggregated into small tables; the keyed part, read straight off `windows`
    (sorted as the feature table is), which is then dropped; then the rest, sorted by a query of its
    own. With `last_use` (nothing will read the connection's facts afterwards: no labels, no other
    as-of dates), the facts the row facts are made of are dropped as soon as they are aggregated.
    """
    features, extras = catalogue(), customer_extras(ledger)
    relations = row_fact_features(features)
    try:
        for relation, on_relation in relations.items():
            _aggregate_row_fact(con, relation, on_relation)
        if last_use:
            con.execute("; ".join(f"DROP TABLE {name}" for name in SPENT_AFTER_ROW_FACTS))
        release_cached_blocks(con)
        keyed = con.sql(keyed_feature_query(features)).to_arrow_table()
        con.execute(f"DROP TABLE {KEYED_TABLE}")
        release_cached_blocks(con)
        keyed = keyed.append_column("keyed_row", pa.array(np.arange(keyed.num_rows, dtype=np.int64)))
        con.register(_KEYED_PART, keyed)
        try:
            rest = con.sql(rest_feature_query(features, extras)).to_arrow_table()
        finally:
            con.unregister(_KEYED_PART)
    finally:
        con.execute("; ".join(f"DROP TABLE IF EXISTS {_aggregated(relation)}" for relation in relations))
    # `windows` is sorted as the rest is and a plain projection of it keeps its order, so the rows
    # normally line up already; taking them along costs as much as the query and is only a fallback.
    if not rest.column("keyed_row").equals(keyed.column("keyed_row")):
        keyed = keyed.take(rest.column("keyed_row"))
    names = [*KEYS, *(f.name for f in features), *extras]
    return pa.table([keyed.column(n) if n in keyed.column_names else rest.column(n) for n in names], names=names)


def build_feature_table(
    ledger: Ledger,
    as_of_dates: Sequence[dt.date],
    label_config=None,
    *,
    status_only: bool = False,
    progress: Callable[[str], None] | None = None,
    facts: LedgerFacts | None = None,
) -> pa.Table:
    """Return the feature table, with the label columns appended when `label_config` is given.

    With `status_only`, only `in_default_at_as_of` is appended (what scoring needs; nothing past as_of).
    The point-in-time facts are built once and serve both features and labels. `facts`, when given,
    must hold `ledger`: its ledger facts are reused and it stays open.
    """
    from features.labels import (
        LABEL_COLUMNS,
        default_status_from_facts,
        labels_from_facts,
    )

    report = progress or (lambda message: None)
    if facts is not None and facts.ledger is not ledger:
        raise ValueError("the prepared ledger facts belong to another ledger")
    own = facts is None
    if own:
        report(
            f"settling {ledger['invoices'].num_rows:,} invoices and credit notes "
            f"with {ledger['payments'].num_rows:,} payments"
        )
    facts = facts or LedgerFacts(ledger)
    try:
        report(f"building point-in-time facts for {as_of_dates_words(len(set(as_of_dates)))}")
        con = facts.at(as_of_dates)
        # Labels first: they read facts that a build of its own drops while assembling the features.
        status = labels = None
        if label_config is not None and status_only:
            status = default_status_from_facts(con, label_config)
        elif label_config is not None:
            report("deriving labels")
            labels = labels_from_facts(con, label_config)
        report("aggregating features")
        table = features_from_facts(con, ledger, last_use=own)
        if status is not None:
            table = table.append_column("in_default_at_as_of", status.column(0))
        if labels is not None:
            if not labels.column("customer_id").equals(table.column("customer_id")):
                raise RuntimeError("labels and features came out in different row orders")
            for name in LABEL_COLUMNS:
                table = table.append_column(name, labels.column(name))
            table = table.replace_schema_metadata(labels.schema.metadata)
        return table
    finally:
        if own:
            facts.close()


def as_of_dates_words(count: int) -> str:
    """Return "1 as-of date" or "N as-of dates"."""
    return f"{count:,} as-of date{'' if count == 1 else 's'}"


def customer_extras(ledger: Ledger) -> list[str]:
    """Return the customer columns outside the contract, which become features under their own names."""
    extras = ledger.customer_extra_columns
    clashes = sorted(set(extras) & ({f.name for f in catalogue()} | set(KEYS)))
    if clashes:
        raise ValueError(f"customer columns {', '.join(clashes)} clash with feature names: rename them in the ledger")
    return extras


def _as_double(feature: Feature, expression: str | None = None) -> str:
    """Return the output column of `feature`: every numeric feature is a DOUBLE, one type for models and
    their signatures whatever the SQL gave; categorical ones keep their text."""
    if feature.categorical:
        return feature.name
    return f"CAST({expression or feature.name} AS DOUBLE) AS {feature.name}"


def _filled(feature: Feature, expression: str) -> str:
    """Return `expression` as the column `feature`, its fill (the value when nothing counted) put in for missing."""
    value = f"coalesce({expression}, {feature.fill})" if feature.fill is not None else expression
    return f"{value} AS {feature.name}"


def _typed(name: str) -> str:
    """Return the name under which the keyed part hands a feature's value, before the DOUBLE cast, to the rest."""
    return f"__typed_{name}"


def _names_read(features: list[Feature]) -> set[str]:
    """Return every name the SQL of `features` mentions (columns and features among them)."""
    return {w for f in features for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f.sql)}


def _keyed_inputs(features: list[Feature]) -> list[Feature]:
    """Return the keyed features that derived features are computed from."""
    words = _names_read([f for f in features if f.source == "derived"])
    return [f for f in features if f.source in KEYED_FACTS and f.name in words]


def keyed_feature_query(features: list[Feature]) -> str:
    """Return the SQL of the keyed part of the feature table: the population's columns and the features
    on keyed facts, one row per population row, in the order of `windows` (that of the feature table).

    Keyed features are expressions over the population's own row (all keyed facts are views over
    `windows`, which holds the population's columns too). The derived features' keyed inputs are
    handed on as they are (`_typed`) as well, so derived values do not depend on the DOUBLE cast.
    """
    keyed = [f for f in features if f.source in KEYED_FACTS]
    filled = ", ".join(_filled(f, f.sql) for f in keyed)
    outputs = [_as_double(f) for f in keyed] + [f"{f.name} AS {_typed(f.name)}" for f in _keyed_inputs(features)]
    return (
        f"WITH p AS (SELECT customer_id, customer_order, customer_key, as_of_date, first_invoice_date, {filled} "
        f"FROM {KEYED_TABLE}) "
        f"SELECT customer_id, as_of_date, customer_order, customer_key, first_invoice_date, {', '.join(outputs)} FROM p"
    )


# The name the keyed part of the feature table is registered under for the rest to read.
_KEYED_PART = "keyed_features"


def row_fact_features(features: list[Feature]) -> dict[str, list[Feature]]:
    """Return the features on each row fact (several rows per customer and as-of date), by fact."""
    return {
        fact: on_fact
        for fact in FACTS
        if fact not in KEYED_FACTS
        if (on_fact := [f for f in features if f.source == fact])
    }


def row_fact_query(relation: str, on_relation: list[Feature]) -> str:
    """Return the SQL of the features on one row fact: its rows aggregated per customer and as-of date."""
    expressions = ", ".join(f"{f.sql} AS {f.name}" for f in on_relation)
    return f"SELECT customer_key, as_of_date, {expressions} FROM {relation} GROUP BY customer_key, as_of_date"


def _aggregate_row_fact(con: duckdb.DuckDBPyConnection, relation: str, on_relation: list[Feature]) -> None:
    """Aggregate the features on row fact `relation` into the table `_aggregated(relation)`.

    The columns its features read are stored first, and dropped once aggregated: DuckDB knows the
    range of a stored column, and with it adds amounts up in 8 bytes instead of 16, which saves more
    than storing costs (the open documents of a 12-month panel: 7.7M rows, 0.26 GB, for that while).
    """
    read = _names_read(on_relation) | {"customer_key", "as_of_date"}
    columns = [c for c in con.sql(f"SELECT * FROM {relation}").columns if c in read]
    rows = f"{relation}_rows"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT {', '.join(columns)} FROM {relation}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_aggregated(relation)} AS {row_fact_query(rows, on_relation)}")
    finally:
        con.execute(f"DROP TABLE {rows}")


def _aggregated(relation: str) -> str:
    """Return the name of the table `features_from_facts` aggregates a row fact's features into."""
    return f"{relation}_features"


def rest_feature_query(features: list[Feature], extras: Sequence[str] = ()) -> str:
    """Return the SQL of the rest of the feature table, on the keyed part registered as `_KEYED_PART` (with
    its row numbers in `keyed_row`) and the row facts' features (`row_fact_query`, in the tables named
    by `_aggregated`): row-fact, customer and derived features and customer extras, sorted by
    as_of_date then customer_order, with `keyed_row` to put the keyed part in the same order.
    """
    joins = []
    base_columns = [f"p.{_typed(f.name)} AS {f.name}" for f in _keyed_inputs(features)]
    for relation, on_relation in row_fact_features(features).items():
        table = _aggregated(relation)
        joins.append(
            f"LEFT JOIN {table} ON {table}.customer_key = p.customer_key AND {table}.as_of_date = p.as_of_date"
        )
        base_columns += [_filled(f, f"{table}.{f.name}") for f in on_relation]
    base_columns += [f"{f.sql} AS {f.name}" for f in features if f.source == "customer"]
    base_columns += [f'c."{name}" AS "{name}"' for name in extras]
    outer = [_as_double(f, f.sql if f.source == "derived" else None) for f in features if f.source not in KEYED_FACTS]
    outer += [f'"{name}"' for name in extras]
    return (
        f"WITH base AS (SELECT p.keyed_row, p.customer_order, p.as_of_date, {', '.join(base_columns)} "
        f"FROM {_KEYED_PART} p LEFT JOIN customers c ON c.customer_row = p.customer_key {' '.join(joins)}) "
        f"SELECT keyed_row, {', '.join(outer)} FROM base ORDER BY as_of_date, customer_order"
    )
