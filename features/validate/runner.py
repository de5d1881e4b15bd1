"""Running validation: one DuckDB connection per ledger, the rules applied table by table, parents first.

Each table is checked in one set-based query (`check_table`) that types every column, evaluates every
row rule and splits the rows into accepted and quarantined; the accepted rows are registered as
`ok_<table>` so the children checked after it join against them. The quarantined rows come back as
Arrow tables (`ValidationResult.quarantine`); `features.load` writes them to files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb
import pandas as pd
import pyarrow as pa

from features.contract import MAX_DAYS_AFTER_REFERENCE, REFERENCED_TABLES, TABLES, TABLES_BY_NAME, Table, record_keys
from features.duckdb_connection import connect
from features.ledger import Ledger
from features.sources import ROW, RawTable
from features.validate.report import LedgerError, LedgerRowsError, RowProblem, ValidationReport, ValidationResult
from features.validate.rules import (
    DUPLICATE_WORDING,
    SIBLING_RULE,
    UNSETTLED_RULE,
    RowRule,
    currency_problems,
    row_rules,
    table_problems,
)
from features.validate.sql import (
    extra_column_type,
    quote_identifier,
    source_value_column,
    sql_string_literal,
    typed_value_sql,
)


def validate_ledger(
    raw: dict[str, RawTable],
    *,
    source: str,
    reference_date: dt.date,
    allow_quarantine: bool,
    max_examples: int = 20,
    progress: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Return the typed ledger with its report, or raise `LedgerError` / `LedgerRowsError`.

    `reference_date` bounds how far in the future a date may lie (see the contract). `progress`, when
    given, is told each table as its validation starts.
    """
    problems = table_problems(raw, source)
    if problems:
        raise LedgerError(problems)
    # Closed on every way out: an open connection keeps its temporary tables and the Arrow tables
    # registered on it alive.
    with connect() as con:
        report = ValidationReport(source=source)
        accepted: dict[str, pa.Table] = {}
        keys: dict[str, pa.Table] = {}
        quarantine: dict[str, pa.Table] = {}
        max_date = reference_date + dt.timedelta(days=MAX_DAYS_AFTER_REFERENCE)

        def register(spec: Table) -> None:
            # Children join their parents here: they find the parent's key beside its columns.
            ok = accepted[spec.name]
            if spec.record_key in keys[spec.name].column_names:
                ok = ok.append_column(ROW, keys[spec.name].column(spec.record_key))
            con.register(f"ok_{spec.name}", ok)

        def check(spec: Table, extra_rules: tuple[RowRule, ...] = ()) -> None:
            report.forget(spec.name)
            accepted[spec.name], keys[spec.name], quarantine[spec.name] = check_table(
                con, spec, raw[spec.name], max_date, report, max_examples, extra_rules
            )
            register(spec)

        for spec in TABLES:
            if spec.name not in raw:
                accepted[spec.name], keys[spec.name] = _empty_table(spec), _empty_keys(spec)
                register(spec)
                continue
            con.register(f"raw_{spec.name}", raw[spec.name].data)
            if progress:
                progress(f"validating {spec.name}: {raw[spec.name].data.num_rows:,} rows")
            check(spec)
        # An invoice one of whose payments was refused has an unknown settlement: kept, it would look
        # unpaid for ever. So it follows its payment into quarantine, and its other records follow it.
        con.register("q_payments", quarantine.get("payments", pa.table({"invoice_id": pa.array([], pa.string())})))
        # A duplicate payment row is set aside while its first copy is kept: that settles nothing differently.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE unsettled_invoices AS SELECT DISTINCT i.invoice_id FROM ok_invoices i "
            "JOIN q_payments q ON trim(q.invoice_id) = i.invoice_id "
            f"WHERE q.reason <> {sql_string_literal('payment_id: ' + DUPLICATE_WORDING)}"
        )
        if con.sql("SELECT count(*) FROM unsettled_invoices").fetchall()[0][0]:
            # Children first, while ok_invoices still holds their invoices, so their own reasons are kept.
            for name in ("payments", "disputes"):
                if name in raw:
                    check(TABLES_BY_NAME[name], (SIBLING_RULE,))
            check(TABLES_BY_NAME["invoices"], (UNSETTLED_RULE,))
        problems = currency_problems(con, raw)
    if problems:
        raise LedgerError(problems)
    if report.has_row_problems and not allow_quarantine:
        raise LedgerRowsError(report)
    return ValidationResult(Ledger(accepted, source, keys), report, quarantine)


def frames_to_raw(frames: dict[str, pd.DataFrame], origin: str = "<memory>") -> dict[str, RawTable]:
    """Return in-memory DataFrames as raw tables, so they pass the same validation as files."""
    out = {}
    for name, frame in frames.items():
        data = pa.Table.from_pandas(frame, preserve_index=False)
        data = data.append_column(ROW, pa.array(range(1, data.num_rows + 1), type=pa.int64()))
        out[name] = RawTable(name, f"{origin}:{name}", data)
    return out


def _rule_flag(i: int) -> str:
    """Return the name of the boolean column that is true where a row breaks rule `i`."""
    return f"bad_{i}"


def check_table(
    con: duckdb.DuckDBPyConnection,
    spec: Table,
    table: RawTable,
    max_date: dt.date,
    report: ValidationReport,
    max_examples: int,
    extra_rules: tuple[RowRule, ...] = (),
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Return the accepted rows, their integer keys (`record_keys`, row for row) and the quarantined rows."""
    schema = table.data.schema
    raw_types = {name: schema.field(name).type for name in schema.names if name != ROW}
    contract_names = [c.name for c in spec.columns]
    extras = [n for n in raw_types if n not in contract_names]
    typed_cols = [f"{typed_value_sql(c, raw_types.get(c.name))} AS {quote_identifier(c.name)}" for c in spec.columns]
    if spec.keeps_extra_columns:
        typed_cols += [
            f"TRY_CAST({quote_identifier(n)} AS {extra_column_type(con, f'raw_{spec.name}', n, raw_types[n], table.declared)}) AS {quote_identifier(n)}"
            for n in extras
        ]
    elif extras:
        report.notes.append(f"{table.origin}: columns not in the contract are ignored: {', '.join(extras)}")
    # Source values stay in the registered raw table; only bad rows' values are ever turned into text.
    raw_cols = [f"{quote_identifier(n)} AS {source_value_column(n)}" for n in raw_types]
    rules = row_rules(spec, raw_types, max_date) + list(extra_rules)
    for col in spec.columns:
        if col.unique and col.name in raw_types:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE dup_{col.name} AS SELECT key, min({ROW}) AS first_row FROM "
                f"(SELECT {typed_value_sql(col, raw_types[col.name])} AS key, {ROW} FROM raw_{spec.name}) "
                "WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1"
            )
    joins = "".join(dict.fromkeys(r.join for r in rules if r.join))
    flags = [f"coalesce({r.bad_sql}, false) AS {_rule_flag(i)}" for i, r in enumerate(rules)]
    typed_names = ", ".join(
        f"t.{quote_identifier(n)}" for n in contract_names + (extras if spec.keeps_extra_columns else [])
    )
    # Each record's integer key is its source row; a reference takes its parent's from the join the
    # reference rule makes anyway. Named by position (__k0, __k1, ...) so no ledger column can clash.
    key_names = record_keys(spec)
    key_sources = [f"CAST(t.{ROW} AS INTEGER)"] if spec.name in REFERENCED_TABLES else []
    key_sources += [f"p_{ref.parent_table}.{ROW}" for ref in spec.references]
    key_cols = "".join(f", {source} AS __k{i}" for i, source in enumerate(key_sources))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE chk AS WITH t AS (SELECT {ROW}, {', '.join(typed_cols + raw_cols)} "
        f"FROM raw_{spec.name}) SELECT t.{ROW}, {typed_names}{key_cols}{''.join(', ' + f for f in flags)} FROM t{joins}"
    )
    any_bad = " OR ".join(_rule_flag(i) for i in range(len(rules))) or "false"
    counts = con.sql(
        f"SELECT count(*), count(*) FILTER ({any_bad}){''.join(f', count(*) FILTER ({_rule_flag(i)})' for i in range(len(rules)))} FROM chk"
    ).fetchall()[0]
    rows_in, bad_rows, per_rule = counts[0], counts[1], counts[2:]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bad AS SELECT c.*, {', '.join(f'CAST(r.{quote_identifier(n)} AS VARCHAR) AS {source_value_column(n)}' for n in raw_types)} "
        f"FROM (SELECT * FROM chk WHERE {any_bad}) c JOIN raw_{spec.name} r ON r.{ROW} = c.{ROW}"
    )
    for i, (rule, count) in enumerate(zip(rules, per_rule)):
        if not count:
            continue
        report.rule_counts[(spec.name, rule.column, rule.wording)] = count
        room = max_examples - len(report.examples)
        if room > 0:
            for row, value in con.sql(
                f"SELECT {ROW}, {source_value_column(rule.column)} FROM bad WHERE {_rule_flag(i)} ORDER BY {ROW} LIMIT {room}"
            ).fetchall():
                report.examples.append(RowProblem(table.origin, spec.name, row, rule.column, value, rule.wording))
    output_cols = contract_names + (extras if spec.keeps_extra_columns else [])
    select_ok = ", ".join(
        "coalesce(document_type, 'invoice') AS document_type" if n == "document_type" else quote_identifier(n)
        for n in output_cols
    )
    key_select = "".join(f", __k{i}" for i in range(len(key_names)))
    both = con.sql(f"SELECT {select_ok}{key_select} FROM chk WHERE NOT ({any_bad}) ORDER BY {ROW}").to_arrow_table()
    accepted = both.select(range(len(output_cols)))
    keys = both.select(range(len(output_cols), both.num_columns)).rename_columns(key_names)
    reasons = ", ".join(
        f"CASE WHEN {_rule_flag(i)} THEN {sql_string_literal(f'{r.column}: {r.wording}')} END"
        for i, r in enumerate(rules)
    )
    raw_out = ", ".join(f"{source_value_column(n)} AS {quote_identifier(n)}" for n in raw_types)
    quarantined = con.sql(
        f"SELECT {ROW} AS source_row, {raw_out}, concat_ws('; ', {reasons or 'NULL'}) AS reason FROM bad ORDER BY {ROW}"
    ).to_arrow_table()
    con.execute("DROP TABLE chk; DROP TABLE bad")
    if accepted.num_rows + quarantined.num_rows != rows_in or quarantined.num_rows != bad_rows:
        raise RuntimeError(
            f"{table.origin}: {rows_in} rows in but {accepted.num_rows} accepted + {quarantined.num_rows} quarantined"
        )
    report.rows_in[spec.name] = rows_in
    report.rows_accepted[spec.name] = accepted.num_rows
    report.rows_quarantined[spec.name] = quarantined.num_rows
    return accepted, keys, quarantined


def _empty_table(spec: Table) -> pa.Table:
    types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "DOUBLE": pa.float64(), "INTEGER": pa.int32()}
    return pa.schema([(c.name, types[c.type]) for c in spec.columns]).empty_table()


def _empty_keys(spec: Table) -> pa.Table:
    return pa.schema([(name, pa.int32()) for name in record_keys(spec)]).empty_table()
