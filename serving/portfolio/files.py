"""Write a portfolio report to a folder, all or nothing: each table as Parquet and CSV, `report.xlsx`, a manifest.

The folder is built under a temporary name beside the target and takes its name only when everything is
written (`features.atomic.atomic_dir`): an interrupted run leaves the previous report as it was.
`report.xlsx` (`serving.portfolio.workbook`) has a summary sheet and a sheet per table, each of at most
`excel_max_rows` rows (a setting), the most important first; the whole tables are in the Parquet and CSV files.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.atomic import atomic_dir, remove_stale_temporaries
from serving.portfolio.report import PortfolioReport
from serving.portfolio.workbook import sheet_rows, write_workbook

TABLE_ORDER = (
    "aging",
    "aging_trend",
    "dso",
    "expected_loss",
    "provision_matrix",
    "watchlist",
    "worklist",
    "terms",
    "payment_plans",
)


def write_report(report: PortfolioReport, out: Path, manifest: dict, excel_max_rows: int) -> Path:
    """Write `report` into the folder `out` (replacing an earlier report there); return the manifest's path.

    `manifest` holds what the caller knows (ledger, models, settings); the files, their rows and
    digests, the totals and the notes are added here. A sheet of the workbook shows `excel_max_rows` rows at most.
    """
    out = Path(out)
    remove_stale_temporaries(out)
    with atomic_dir(out) as folder, ThreadPoolExecutor(max_workers=1) as pool:
        files: dict[str, dict] = {}
        shown: dict[str, pd.DataFrame] = {}
        arrow = {name: pa.Table.from_pandas(report.tables[name], preserve_index=False) for name in TABLE_ORDER}
        # Arrow writes Parquet and CSV without the GIL: in a thread, beside the workbook, which is Python.
        written = pool.submit(_write_tables, arrow, folder)
        for name in TABLE_ORDER:
            shown[name] = sheet_rows(name, report.tables[name], excel_max_rows)
            files[name] = {
                "rows": len(report.tables[name]),
                "parquet": f"{name}.parquet",
                "csv": f"{name}.csv",
                "excel_rows": len(shown[name]),
            }
        write_workbook(folder / "report.xlsx", summary_frame(report, files), shown, report.as_of)
        digests = written.result()
        digests["report.xlsx"] = hashlib.sha256((folder / "report.xlsx").read_bytes()).hexdigest()
        body = {
            **manifest,
            "as_of_date": report.as_of.isoformat(),
            "compare_to": report.compare_to.isoformat(),
            "totals": report.totals,
            "notes": report.notes,
            "tables": files,
            "sha256": dict(sorted(digests.items())),
        }
        (folder / "manifest.json").write_text(json.dumps(body, indent=2, sort_keys=True, default=str) + "\n")
    return out / "manifest.json"


def _write_tables(tables: dict[str, pa.Table], folder: Path) -> dict[str, str]:
    """Write each table as Parquet and CSV into `folder`; return {file name: SHA-256}, hashed as written."""
    digests = {}
    for name, table in tables.items():
        for path, write in ((folder / f"{name}.parquet", pq.write_table), (folder / f"{name}.csv", pa_csv.write_csv)):
            write(table, path)
            digests[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def summary_frame(report: PortfolioReport, files: dict[str, dict]) -> pd.DataFrame:
    """Return the summary sheet: the totals, the notes, then where a sheet shows only the first rows of its table."""
    rows: list[tuple[str, object]] = [("as-of date", report.as_of.isoformat())]
    rows.append(("compared with", report.compare_to.isoformat()))
    rows += [(name.replace("_", " "), value) for name, value in report.totals.items()]
    rows += [("note", note) for note in report.notes]
    for name, entry in files.items():
        if entry["excel_rows"] < entry["rows"]:
            line = f"the first {entry['excel_rows']:,} of {entry['rows']:,} rows; all of them in {name}.parquet and {name}.csv"
            rows.append((f"sheet {name}", line))
    return pd.DataFrame(rows, columns=["figure", "value"])
