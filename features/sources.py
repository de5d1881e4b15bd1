"""Read the raw tables of a ledger from a folder, a DuckDB file or a PostgreSQL database.

Every source is read into the same shape: one Arrow table per ledger table, with the columns
as stored (CSV and PostgreSQL as text, Parquet and DuckDB with their own types) and a `_row`
column numbering the data rows from 1 in source order, so errors can point at a row.
Typing and rules are `features.validate`'s job. Nothing is ever downloaded: PostgreSQL is read
with psycopg's COPY, not with a DuckDB extension.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from features.contract import TABLES
from features.duckdb_connection import connect

ROW = "_row"
FOLDER_SUFFIXES = (".csv", ".csv.gz", ".parquet")
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")


class LedgerSourceError(Exception):
    """The ledger source cannot be read at all (missing path, unreachable database, ambiguous files)."""


@dataclass(frozen=True)
class RawTable:
    name: str
    origin: str  # where it came from, for error messages: a file path or `database:table`
    data: pa.Table
    # Declared kinds ("number", "date", "text") of columns the data holds as text. None: a CSV file,
    # where nothing is declared and a customer column whose values all read as numbers is numeric.
    # Typed sources give {}: their text columns are text, even when the values look like numbers.
    declared: dict[str, str] | None = field(default_factory=dict)


def read_raw_ledger(source: str | Path) -> dict[str, RawTable]:
    """Return the contract tables found in `source`, keyed by table name.

    Tables the source lacks are simply absent; whether that matters is for validation to say.
    """
    text = str(source)
    if text.startswith(("postgresql://", "postgres://")):
        return _read_postgres(text)
    path = Path(text)
    if path.is_dir():
        return _read_folder(path)
    if path.is_file() and path.name.endswith(DUCKDB_SUFFIXES):
        return _read_duckdb_file(path)
    if path.exists():
        raise LedgerSourceError(
            f"{path}: not a ledger source: give a folder of CSV/Parquet files, a DuckDB file "
            f"({', '.join(DUCKDB_SUFFIXES)}) or a postgresql:// URL"
        )
    raise LedgerSourceError(f"{path}: no such folder or file")


def describe_source(source: str | Path) -> str:
    """Return the source as it may be printed: a PostgreSQL URL without its password."""
    text = str(source)
    if text.startswith(("postgresql://", "postgres://")) and "@" in text:
        scheme, rest = text.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return text


def _with_row_numbers(table: pa.Table) -> pa.Table:
    return table.append_column(ROW, pa.array(range(1, table.num_rows + 1), type=pa.int64()))


def _read_folder(folder: Path) -> dict[str, RawTable]:
    con = connect()
    tables: dict[str, RawTable] = {}
    for spec in TABLES:
        found = [
            folder / f"{spec.name}{suffix}" for suffix in FOLDER_SUFFIXES if (folder / f"{spec.name}{suffix}").exists()
        ]
        if len(found) > 1:
            raise LedgerSourceError(
                f"{folder}: table {spec.name} is given twice ({', '.join(p.name for p in found)}); keep one"
            )
        if not found:
            continue
        path = found[0]
        try:
            declared: dict[str, str] | None
            if path.name.endswith(".parquet"):
                data, declared = con.sql("SELECT * FROM read_parquet(?)", params=[str(path)]).to_arrow_table(), {}
            else:
                data, declared = _read_csv_as_text(con, path), None
        except duckdb.Error as exc:
            raise LedgerSourceError(f"{path}: cannot be read: {exc}") from exc
        tables[spec.name] = RawTable(spec.name, str(path), _with_row_numbers(data), declared)
    return tables


def _read_csv_as_text(con: duckdb.DuckDBPyConnection, path: Path) -> pa.Table:
    # All columns as text: the contract, not the CSV sniffer, decides what a column's type is,
    # and a value that does not parse must surface as a row error rather than change the column type.
    return con.sql(
        "SELECT * FROM read_csv(?, header = true, all_varchar = true, auto_detect = true, strict_mode = true)",
        params=[str(path)],
    ).to_arrow_table()


def _read_duckdb_file(path: Path) -> dict[str, RawTable]:
    try:
        con = connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise LedgerSourceError(f"{path}: cannot be opened as a DuckDB database: {exc}") from exc
    try:
        present = {
            name
            for (name,) in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        return {
            spec.name: RawTable(
                spec.name,
                f"{path}:{spec.name}",
                _with_row_numbers(con.sql(f'SELECT * FROM "{spec.name}"').to_arrow_table()),
            )
            for spec in TABLES
            if spec.name in present
        }
    finally:
        con.close()


def _read_postgres(url: str) -> dict[str, RawTable]:
    import psycopg

    shown = describe_source(url)
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise LedgerSourceError(f"{shown}: cannot connect: {str(exc).strip()}") from exc
    tables: dict[str, RawTable] = {}
    with conn, tempfile.TemporaryDirectory(prefix="tradecredit-pg-") as tmp:
        kinds: dict[str, dict[str, str]] = {}
        for table, column, data_type in conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        ).fetchall():
            kinds.setdefault(table, {})[column] = _postgres_kind(data_type)
        present = set(kinds)
        duck = connect()
        for spec in TABLES:
            if spec.name not in present:
                continue
            dump = Path(tmp) / f"{spec.name}.csv"
            # Stable order: a view or heap table has none of its own, and row numbers must be repeatable.
            query = f'COPY (SELECT * FROM "{spec.name}" ORDER BY 1) TO STDOUT WITH (FORMAT csv, HEADER true)'
            with conn.cursor().copy(query) as copy, dump.open("wb") as out:
                for chunk in copy:
                    out.write(chunk)
            tables[spec.name] = RawTable(
                spec.name, f"{shown}:{spec.name}", _with_row_numbers(_read_csv_as_text(duck, dump)), kinds[spec.name]
            )
    return tables


def _postgres_kind(data_type: str) -> str:
    """Return "number", "date" or "text" for a PostgreSQL column type (COPY hands everything over as text)."""
    if data_type in ("smallint", "integer", "bigint", "numeric", "real", "double precision"):
        return "number"
    if data_type == "date" or data_type.startswith("timestamp"):
        return "date"
    return "text"
