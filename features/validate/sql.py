"""DuckDB SQL text shared by the rules and the table check: quoted names and literals, and typing casts.

A source column is read twice: typed (by the cast `typed_value_sql` writes, NULL where the value does
not fit) and as given, under `source_value_column`, so a rule can tell a missing value from a bad one
and the quarantine can show what the file held.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from features.contract import Column

DECLARED_TYPES = {"number": "DOUBLE", "date": "DATE", "text": "VARCHAR"}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def source_value_column(name: str) -> str:
    """Return the quoted name of the column holding a source column's value as text."""
    return quote_identifier("raw$" + name)


def sql_string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_text_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def typed_value_sql(col: Column, raw_type: pa.DataType | None) -> str:
    """Return the expression giving a contract column its contract type, NULL where the value does not fit."""
    if raw_type is None:
        return f"CAST(NULL AS {col.type})"
    src = quote_identifier(col.name)
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


def extra_column_type(
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
    src = f"NULLIF(trim({quote_identifier(name)}), '')"
    present, numbers, dates = con.sql(
        f"SELECT count({src}), count(TRY_CAST({src} AS DOUBLE)), count(TRY_CAST({src} AS DATE)) FROM {relation}"
    ).fetchall()[0]
    if present and numbers == present:
        return "DOUBLE"
    if present and dates == present:
        return "DATE"
    return "VARCHAR"
