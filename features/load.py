"""The one way every command reads a ledger: read the source, validate it, set bad rows aside."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv

from features.atomic import atomic_path
from features.ledger import Ledger
from features.sources import describe_source, read_raw_ledger
from features.validate import ValidationReport, validate_ledger


def load_ledger(
    source: str | Path,
    *,
    reference_date: dt.date,
    quarantine_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Ledger, ValidationReport]:
    """Return the validated ledger in `source` and its report.

    Without `quarantine_dir` any bad row raises `LedgerRowsError`; with it, bad rows are written to
    `quarantine_dir/<table>.csv` with their source row number and reason, and the rest is returned.
    `progress`, when given, is told each step as it starts (reading, then each table's validation).
    """
    shown = describe_source(source)
    if progress:
        progress(f"reading ledger {shown}")
    result = validate_ledger(
        read_raw_ledger(source),
        source=shown,
        reference_date=reference_date,
        allow_quarantine=quarantine_dir is not None,
        progress=progress,
    )
    if quarantine_dir is not None:
        written = write_quarantine(result.quarantine, quarantine_dir)
        result.report.notes += [f"quarantined {table} rows written to {path}" for table, path in written.items()]
    return result.ledger, result.report


def write_quarantine(quarantine: dict, out_dir: Path) -> dict[str, Path]:
    """Write each non-empty quarantine table to `out_dir/<table>.csv`; return the files written.

    Each file is written under a temporary name and renamed, so a crash never leaves half a file.
    Files from an earlier run that has nothing to quarantine for a table are removed, so the
    folder always describes the last run only.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, rows in quarantine.items():
        target = out_dir / f"{table}.csv"
        if rows.num_rows == 0:
            target.unlink(missing_ok=True)
            continue
        with atomic_path(target) as tmp:
            pacsv.write_csv(rows, tmp)
        written[table] = target
    return written
