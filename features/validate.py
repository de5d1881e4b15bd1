"""Check raw ledger tables against the contract; return a typed ledger and quarantine what is bad.

Two kinds of problem:
- table problems (a missing table or required column, several currencies): nothing can be trusted,
  `LedgerError` lists them all, one line each;
- row problems (a bad value, a duplicate id, an unknown parent, dates out of order): the row is either
  reported (`LedgerRowsError`, with the first offending rows and the count per rule) or, when the
  caller accepts quarantine, set aside with its reason. Always rows in = accepted + quarantined.

The rules run as one set-based DuckDB query per table, so 10M rows validate in seconds.
Parents are checked before children: a payment for an invoice that was quarantined is itself
quarantined, because its invoice is not in the accepted ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa

from features.contract import (
    EARLIEST_DATE,
    MAX_DAYS_AFTER_REFERENCE,
    REFERENCED_TABLES,
    TABLES,
    TABLES_BY_NAME,
    Column,
    Table,
    record_keys,
)
from features.ledger import Ledger
from features.sources import ROW, RawTable

DUPLICATE_WORDING = "duplicate value (the first row with it is kept)"
TYPE_WORDING = {
    "DATE": "not a valid date (expected YYYY-MM-DD)",
    "DOUBLE": "not a number",
    "INTEGER": "not a whole number",
}


@dataclass(frozen=True)
class TableProblem:
    origin: str
    table: str
    column: str | None
    rule: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{self.origin}: {where}: {self.rule}"


@dataclass(frozen=True)
class RowProblem:
    origin: str
    table: str
    row: int
    column: str
    value: str | None
    rule: str

    def __str__(self) -> str:
        return f"{self.origin}, row {self.row}, column {self.column}, value {self.value!r}: {self.rule}"


@dataclass
class ValidationReport:
    source: str
    rows_in: dict[str, int] = field(default_factory=dict)
    rows_accepted: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    # (table, column, rule) -> number of rows breaking it (a row can break several rules)
    rule_counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    examples: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def forget(self, table: str) -> None:
        """Drop what is recorded about `table`, before it is checked again."""
        for counts in (self.rows_in, self.rows_accepted, self.rows_quarantined):
            counts.pop(table, None)
        self.rule_counts = {k: v for k, v in self.rule_counts.items() if k[0] != table}
        self.examples = [e for e in self.examples if e.table != table]

    @property
    def has_row_problems(self) -> bool:
        return any(self.rows_quarantined.values())

    def summary_lines(self) -> list[str]:
        """Return one line per table (rows in, accepted, quarantined) and one per broken rule."""
        lines = [
            f"{name}: {self.rows_in[name]:,} rows in, {self.rows_accepted[name]:,} accepted, "
            f"{self.rows_quarantined[name]:,} quarantined"
            for name in self.rows_in
        ]
        lines += [
            f"  {table}.{column}: {rule}: {count:,} rows" for (table, column, rule), count in self.rule_counts.items()
        ]
        return lines + self.notes


class LedgerError(Exception):
    """The ledger has table-level problems; nothing was accepted."""

    def __init__(self, problems: list[TableProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LedgerRowsError(Exception):
    """Some rows break the contract and quarantine was not allowed."""

    def __init__(self, report: ValidationReport):
        self.report = report
        total = sum(report.rows_quarantined.values())
        lines = [f"{total:,} rows break the ledger contract (use --quarantine DIR to set them aside):"]
        lines += [str(p) for p in report.examples]
        lines += [
            f"{table}.{column}: {rule}: {count:,} rows" for (table, column, rule), count in report.rule_counts.items()
        ]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class _Rule:
    column: str
    wording: str
    bad_sql: str  # true when the row breaks the rule
    join: str = ""  # a relation the rule needs beside the row (parents, duplicate keys)


SIBLING_RULE = _Rule(
    "invoice_id",
    "its invoice is quarantined because a payment on it was refused",
    "t.invoice_id IN (SELECT invoice_id FROM unsettled_invoices)",
)
UNSETTLED_RULE = _Rule(
    "invoice_id",
    "a payment on it was quarantined, so whether and when it was settled is unknown",
    "t.invoice_id IN (SELECT invoice_id FROM unsettled_invoices)",
)


@dataclass
class ValidationResult:
    ledger: Ledger
    report: ValidationReport
    quarantine: dict[str, pa.Table]  # per table: the raw row as text, its row number and its reason


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
    problems = _table_problems(raw, source)
    if problems:
        raise LedgerError(problems)
    con = duckdb.connect()
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

    def check(spec: Table, extra_rules: tuple[_Rule, ...] = ()) -> None:
        report.forget(spec.name)
        accepted[spec.name], keys[spec.name], quarantine[spec.name] = _check_table(
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
        f"WHERE q.reason <> {_sql_text('payment_id: ' + DUPLICATE_WORDING)}"
    )
    if con.sql("SELECT count(*) FROM unsettled_invoices").fetchall()[0][0]:
        # Children first, while ok_invoices still holds their invoices, so their own reasons are kept.
        for name in ("payments", "disputes"):
            if name in raw:
                check(TABLES_BY_NAME[name], (SIBLING_RULE,))
        check(TABLES_BY_NAME["invoices"], (UNSETTLED_RULE,))
    problems = _currency_problems(con, raw)
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


def _table_problems(raw: dict[str, RawTable], source: str) -> list[TableProblem]:
    problems = []
    for spec in TABLES:
        if spec.name not in raw:
            if spec.required:
                problems.append(TableProblem(source, spec.name, None, "required table is missing"))
            continue
        present = set(raw[spec.name].data.column_names)
        for col in spec.columns:
            if col.required and col.name not in present:
                problems.append(TableProblem(raw[spec.name].origin, spec.name, col.name, "required column is missing"))
    return problems


def _currency_problems(con: duckdb.DuckDBPyConnection, raw: dict[str, RawTable]) -> list[TableProblem]:
    currencies = [
        c
        for (c,) in con.sql(
            "SELECT DISTINCT currency FROM ok_invoices WHERE currency IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    if len(currencies) <= 1:
        return []
    return [
        TableProblem(
            raw["invoices"].origin,
            "invoices",
            "currency",
            f"several currencies ({', '.join(currencies)}) and no rate table: convert to one currency first",
        )
    ]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raw(name: str) -> str:
    """Return the quoted name of the column holding a source column's value as text."""
    return _q("raw$" + name)


def _flag(i: int) -> str:
    return f"bad_{i}"


def _typed_expr(col: Column, raw_type: pa.DataType | None) -> str:
    if raw_type is None:
        return f"CAST(NULL AS {col.type})"
    src = _q(col.name)
    if col.type == "VARCHAR":
        expr = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
        return f"lower({expr})" if col.name in ("event_type", "document_type") else expr
    if pa.types.is_string(raw_type) or pa.types.is_large_string(raw_type):
        src = f"NULLIF(trim({src}), '')"
    if col.type == "INTEGER":
        # DuckDB rounds 30.5 to 31 on a cast; a whole-number column must refuse it instead.
        number = f"TRY_CAST({src} AS DOUBLE)"
        return f"CASE WHEN {number} = floor({number}) THEN TRY_CAST({number} AS INTEGER) END"
    return f"TRY_CAST({src} AS {col.type})"


DECLARED_TYPES = {"number": "DOUBLE", "date": "DATE", "text": "VARCHAR"}


def _extra_type(
    con: duckdb.DuckDBPyConnection, relation: str, name: str, raw_type: pa.DataType, declared: dict[str, str] | None
) -> str:
    """Return the type a customer column outside the contract gets: numbers, dates or text."""
    if pa.types.is_integer(raw_type) or pa.types.is_floating(raw_type) or pa.types.is_decimal(raw_type):
        return "DOUBLE"
    if pa.types.is_timestamp(raw_type) or pa.types.is_date(raw_type):
        return "DATE"
    if not (pa.types.is_string(raw_type) or pa.types.is_large_string(raw_type)):
        return "VARCHAR"
    if declared is not None:
        return DECLARED_TYPES[declared.get(name, "text")]
    src = f"NULLIF(trim({_q(name)}), '')"
    present, numbers, dates = con.sql(
        f"SELECT count({src}), count(TRY_CAST({src} AS DOUBLE)), count(TRY_CAST({src} AS DATE)) FROM {relation}"
    ).fetchall()[0]
    if present and numbers == present:
        return "DOUBLE"
    if present and dates == present:
        return "DATE"
    return "VARCHAR"


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _rules(spec: Table, raw_types: dict[str, pa.DataType], max_date: dt.date) -> list[_Rule]:
    rules: list[_Rule] = []
    for col in spec.columns:
        typed, raw = f"t.{_q(col.name)}", f"t.{_raw(col.name)}"
        if col.name not in raw_types:
            continue
        blank = f"({raw} IS NULL OR trim({raw}) = '')" if _is_text(raw_types[col.name]) else f"({raw} IS NULL)"
        if col.required:
            rules.append(_Rule(col.name, "required value is missing", blank))
        if col.type in TYPE_WORDING:
            rules.append(_Rule(col.name, TYPE_WORDING[col.type], f"NOT {blank} AND {typed} IS NULL"))
        if col.type == "DATE":
            rules.append(
                _Rule(
                    col.name,
                    f"date out of range (before {EARLIEST_DATE} or after {max_date.isoformat()})",
                    f"{typed} < DATE '{EARLIEST_DATE}' OR {typed} > DATE '{max_date.isoformat()}'",
                )
            )
        for predicate, wording in col.checks:
            rules.append(_Rule(col.name, wording, f"{typed} IS NOT NULL AND NOT ({predicate.format(col=typed)})"))
        if col.unique:
            # Duplicated keys come from a hash aggregate (`dup_<column>`, see _check_table): far cheaper
            # than a window over millions of rows.
            alias = f"u_{col.name}"
            rules.append(
                _Rule(
                    col.name,
                    DUPLICATE_WORDING,
                    f"{alias}.first_row IS NOT NULL AND t.{ROW} <> {alias}.first_row",
                    f" LEFT JOIN dup_{col.name} AS {alias} ON {alias}.key = {typed}",
                )
            )
    for ref in spec.references:
        parent = f"p_{ref.parent_table}"
        rules.append(
            _Rule(
                ref.column,
                f"unknown {ref.parent_column}: not among the accepted {ref.parent_table}",
                f"t.{_q(ref.column)} IS NOT NULL AND {parent}.{_q(ref.parent_column)} IS NULL",
                f" LEFT JOIN ok_{ref.parent_table} AS {parent} ON {parent}.{_q(ref.parent_column)} = t.{_q(ref.column)}",
            )
        )
    for order in spec.date_orders:
        if order.later not in raw_types or (order.parent is None and order.earlier not in raw_types):
            continue
        earlier = f"p_{order.parent.parent_table}.{_q(order.earlier)}" if order.parent else f"t.{_q(order.earlier)}"
        whose = f"the {order.parent.parent_table[:-1]}'s " if order.parent else ""
        rules.append(_Rule(order.later, f"before {whose}{order.earlier}", f"t.{_q(order.later)} < {earlier}"))
    return rules


def _check_table(
    con: duckdb.DuckDBPyConnection,
    spec: Table,
    table: RawTable,
    max_date: dt.date,
    report: ValidationReport,
    max_examples: int,
    extra_rules: tuple[_Rule, ...] = (),
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Return the accepted rows, their integer keys (`record_keys`, row for row) and the quarantined rows."""
    schema = table.data.schema
    raw_types = {name: schema.field(name).type for name in schema.names if name != ROW}
    contract_names = [c.name for c in spec.columns]
    extras = [n for n in raw_types if n not in contract_names]
    typed_cols = [f"{_typed_expr(c, raw_types.get(c.name))} AS {_q(c.name)}" for c in spec.columns]
    if spec.keeps_extra_columns:
        typed_cols += [
            f"TRY_CAST({_q(n)} AS {_extra_type(con, f'raw_{spec.name}', n, raw_types[n], table.declared)}) AS {_q(n)}"
            for n in extras
        ]
    elif extras:
        report.notes.append(f"{table.origin}: columns not in the contract are ignored: {', '.join(extras)}")
    # Source values stay in the registered raw table; only bad rows' values are ever turned into text.
    raw_cols = [f"{_q(n)} AS {_raw(n)}" for n in raw_types]
    rules = _rules(spec, raw_types, max_date) + list(extra_rules)
    for col in spec.columns:
        if col.unique and col.name in raw_types:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE dup_{col.name} AS SELECT key, min({ROW}) AS first_row FROM "
                f"(SELECT {_typed_expr(col, raw_types[col.name])} AS key, {ROW} FROM raw_{spec.name}) "
                "WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1"
            )
    joins = "".join(dict.fromkeys(r.join for r in rules if r.join))
    flags = [f"coalesce({r.bad_sql}, false) AS {_flag(i)}" for i, r in enumerate(rules)]
    typed_names = ", ".join(f"t.{_q(n)}" for n in contract_names + (extras if spec.keeps_extra_columns else []))
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
    any_bad = " OR ".join(_flag(i) for i in range(len(rules))) or "false"
    counts = con.sql(
        f"SELECT count(*), count(*) FILTER ({any_bad}){''.join(f', count(*) FILTER ({_flag(i)})' for i in range(len(rules)))} FROM chk"
    ).fetchall()[0]
    rows_in, bad_rows, per_rule = counts[0], counts[1], counts[2:]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bad AS SELECT c.*, {', '.join(f'CAST(r.{_q(n)} AS VARCHAR) AS {_raw(n)}' for n in raw_types)} "
        f"FROM (SELECT * FROM chk WHERE {any_bad}) c JOIN raw_{spec.name} r ON r.{ROW} = c.{ROW}"
    )
    for i, (rule, count) in enumerate(zip(rules, per_rule)):
        if not count:
            continue
        report.rule_counts[(spec.name, rule.column, rule.wording)] = count
        room = max_examples - len(report.examples)
        if room > 0:
            for row, value in con.sql(
                f"SELECT {ROW}, {_raw(rule.column)} FROM bad WHERE {_flag(i)} ORDER BY {ROW} LIMIT {room}"
            ).fetchall():
                report.examples.append(RowProblem(table.origin, spec.name, row, rule.column, value, rule.wording))
    output_cols = contract_names + (extras if spec.keeps_extra_columns else [])
    select_ok = ", ".join(
        "coalesce(document_type, 'invoice') AS document_type" if n == "document_type" else _q(n) for n in output_cols
    )
    key_select = "".join(f", __k{i}" for i in range(len(key_names)))
    both = con.sql(f"SELECT {select_ok}{key_select} FROM chk WHERE NOT ({any_bad}) ORDER BY {ROW}").to_arrow_table()
    accepted = both.select(range(len(output_cols)))
    keys = both.select(range(len(output_cols), both.num_columns)).rename_columns(key_names)
    reasons = ", ".join(
        f"CASE WHEN {_flag(i)} THEN {_sql_text(f'{r.column}: {r.wording}')} END" for i, r in enumerate(rules)
    )
    raw_out = ", ".join(f"{_raw(n)} AS {_q(n)}" for n in raw_types)
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


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _empty_table(spec: Table) -> pa.Table:
    types = {"VARCHAR": pa.string(), "DATE": pa.date32(), "DOUBLE": pa.float64(), "INTEGER": pa.int32()}
    return pa.schema([(c.name, types[c.type]) for c in spec.columns]).empty_table()


def _empty_keys(spec: Table) -> pa.Table:
    return pa.schema([(name, pa.int32()) for name in record_keys(spec)]).empty_table()


__all__ = [
    "TABLES_BY_NAME",
    "LedgerError",
    "LedgerRowsError",
    "RowProblem",
    "TableProblem",
    "ValidationReport",
    "ValidationResult",
    "frames_to_raw",
    "validate_ledger",
]
