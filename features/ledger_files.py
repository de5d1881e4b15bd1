"""Write a ledger as a folder of CSV or Parquet tables: what `sample` and `import` produce."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from features.atomic import atomic_path, remove_stale_temporaries
from features.contract import TABLES
from features.sources import FOLDER_SUFFIXES

FORMATS = ("csv", "parquet")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_]+")


def to_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    """Return the table as Arrow with dates as DATE (date32) and text as plain strings."""
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in table.schema:
        if pa.types.is_timestamp(f.type):
            fields.append(pa.field(f.name, pa.date32()))
        elif pa.types.is_large_string(f.type):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def write_table(table: pa.Table, target: Path, fmt: str) -> None:
    """Write one table atomically, clearing what a killed earlier writer of it left behind."""
    remove_stale_temporaries(target)
    with atomic_path(target) as tmp:
        if fmt == "csv":
            pacsv.write_csv(table, tmp)
        else:
            pq.write_table(table, tmp)


def write_tables(
    tables: Mapping[str, pd.DataFrame | pa.Table], out_dir: str | os.PathLike, fmt: str = "csv"
) -> dict[str, int]:
    """Write each table to `out_dir/<name>.<fmt>` atomically; return the rows written per table.

    CSV dates are ISO `YYYY-MM-DD` and missing values empty; Parquet dates are DATE (date32). Once every
    table is written, any other ledger table file in `out_dir` (a `disputes.csv` from an earlier run,
    `invoices.csv` when writing `invoices.parquet`) is removed, so the folder holds exactly this
    ledger; a reader would otherwise take it as part of it. Other files are left alone.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name, frame in tables.items():
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"not a table name: {name!r}")
        table = to_arrow(frame)
        write_table(table, out / f"{name}.{fmt}", fmt)
        written[name] = table.num_rows
    keep = {out / f"{name}.{fmt}" for name in tables}
    for spec in TABLES:
        for suffix in FOLDER_SUFFIXES:
            path = out / f"{spec.name}{suffix}"
            if path not in keep and path.is_file():
                path.unlink()
    return written
