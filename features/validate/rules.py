"""The contract's checks: table problems that stop validation, and the row rules as DuckDB SQL.

A row rule is a SQL condition, true when a row breaks it, evaluated over the table's rows (`t`)
with the joins it needs beside them; the runner evaluates every rule of a table in one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from features.contract import EARLIEST_DATE, TABLES, Table
from features.sources import ROW, RawTable
from features.validate.report import TableProblem
from features.validate.sql import is_text_type, quote_identifier, source_value_column

DUPLICATE_WORDING = "duplicate value (the first row with it is kept)"
TYPE_WORDING = {
    "DATE": "not a valid date (expected YYYY-MM-DD)",
    "DOUBLE": "not a number",
    "INTEGER": "not a whole number",
}


@dataclass(frozen=True)
class RowRule:
    column: str
    wording: str
    bad_sql: str  # true when the row breaks the rule
    join: str = ""  # a relation the rule needs beside the row (parents, duplicate keys)


SIBLING_RULE = RowRule(
    "invoice_id",
    "its invoice is quarantined because a payment on it was refused",
    "t.invoice_id IN (SELECT invoice_id FROM unsettled_invoices)",
)
UNSETTLED_RULE = RowRule(
    "invoice_id",
    "a payment on it was quarantined, so whether and when it was settled is unknown",
    "t.invoice_id IN (SELECT invoice_id FROM unsettled_invoices)",
)


def table_problems(raw: dict[str, RawTable], source: str) -> list[TableProblem]:
    """Return the missing required tables and required columns."""
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


def currency_problems(con: duckdb.DuckDBPyConnection, raw: dict[str, RawTable]) -> list[TableProblem]:
    """Return a problem when the accepted invoices (`ok_invoices`) hold more than one currency."""
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


def row_rules(spec: Table, raw_types: dict[str, pa.DataType], max_date: dt.date) -> list[RowRule]:
    """Return the contract's row rules for the columns the source table has."""
    rules: list[RowRule] = []
    for col in spec.columns:
        typed, raw = f"t.{quote_identifier(col.name)}", f"t.{source_value_column(col.name)}"
        if col.name not in raw_types:
            continue
        blank = f"({raw} IS NULL OR trim({raw}) = '')" if is_text_type(raw_types[col.name]) else f"({raw} IS NULL)"
        if col.required:
            rules.append(RowRule(col.name, "required value is missing", blank))
        if col.type in TYPE_WORDING:
            rules.append(RowRule(col.name, TYPE_WORDING[col.type], f"NOT {blank} AND {typed} IS NULL"))
        if col.type == "DATE":
            rules.append(
                RowRule(
                    col.name,
                    f"date out of range (before {EARLIEST_DATE} or after {max_date.isoformat()})",
                    f"{typed} < DATE '{EARLIEST_DATE}' OR {typed} > DATE '{max_date.isoformat()}'",
                )
            )
        for predicate, wording in col.checks:
            rules.append(RowRule(col.name, wording, f"{typed} IS NOT NULL AND NOT ({predicate.format(col=typed)})"))
        if col.unique:
            # Duplicated keys come from a hash aggregate (`dup_<column>`, see `check_table`): far cheaper
            # than a window over every row.
            alias = f"u_{col.name}"
            rules.append(
                RowRule(
                    col.name,
                    DUPLICATE_WORDING,
                    f"{alias}.first_row IS NOT NULL AND t.{ROW} <> {alias}.first_row",
                    f" LEFT JOIN dup_{col.name} AS {alias} ON {alias}.key = {typed}",
                )
            )
    for ref in spec.references:
        parent = f"p_{ref.parent_table}"
        parent_key = f"{parent}.{quote_identifier(ref.parent_column)}"
        rules.append(
            RowRule(
                ref.column,
                f"unknown {ref.parent_column}: not among the accepted {ref.parent_table}",
                f"t.{quote_identifier(ref.column)} IS NOT NULL AND {parent_key} IS NULL",
                f" LEFT JOIN ok_{ref.parent_table} AS {parent} ON {parent_key} = t.{quote_identifier(ref.column)}",
            )
        )
    for order in spec.date_orders:
        if order.later not in raw_types or (order.parent is None and order.earlier not in raw_types):
            continue
        earlier = (
            f"p_{order.parent.parent_table}.{quote_identifier(order.earlier)}"
            if order.parent
            else f"t.{quote_identifier(order.earlier)}"
        )
        whose = f"the {order.parent.parent_table[:-1]}'s " if order.parent else ""
        rules.append(
            RowRule(order.later, f"before {whose}{order.earlier}", f"t.{quote_identifier(order.later)} < {earlier}")
        )
    return rules
