"""`report.xlsx`: a summary sheet and a sheet per table of the portfolio report, written with XlsxWriter.

A workbook is for reading and filtering, not for a million rows: each sheet holds the rows that matter
most first (totals and groups, then customers by open balance or expected loss, invoices by their rank)
up to `max_rows`, and the summary sheet says where a sheet was cut and that the whole table is in its
Parquet and CSV files. Written row by row in XlsxWriter's constant-memory mode; the workbook's creation
time is the report's as-of date, so that the same report gives the same file.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import xlsxwriter

# How each table's rows are ordered in the workbook: the first key puts group and total rows first.
_ORDER = {
    "aging": (["level", "open_receivables"], [True, False]),
    "expected_loss": (["level", "expected_loss"], [True, False]),
    "terms": (["advice", "customer_id"], [True, True]),
    "payment_plans": (["overdue_amount"], [False]),
}
_LEVEL_FIRST = {"total": 0, "risk_grade": 1, "late_payment_grade": 2, "country": 3, "industry": 4, "customer": 5}


def sheet_rows(name: str, table: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """Return the rows of `table` its sheet shows, most important first, at most `max_rows`."""
    if name == "dso":  # every total, then the customers at the latest date
        latest = table["month_end"].max()
        totals = table[table["level"] == "total"]
        customers = table[(table["level"] == "customer") & (table["month_end"] == latest)]
        table = pd.concat([totals, customers.sort_values("balance", ascending=False)])
    elif name in _ORDER:
        columns, ascending = _ORDER[name]
        keys = table[columns].copy()
        if "level" in keys:
            keys["level"] = keys["level"].map(_LEVEL_FIRST)
        order = keys.sort_values(columns, ascending=ascending, kind="stable").index
        table = table.loc[order]
    return table.head(max_rows)


def _cell(value):
    """Return a value as XlsxWriter writes it: missing as None (an empty cell), numpy scalars as Python ones."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):
        return _cell(value.item())
    return value


def write_workbook(path: Path, summary: pd.DataFrame, tables: dict[str, pd.DataFrame], as_of: dt.date) -> None:
    """Write the summary sheet and a sheet per table (already cut to the rows shown) to `path`."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        workbook.set_properties({"created": dt.datetime.combine(as_of, dt.time())})
        header = workbook.add_format({"bold": True, "bottom": 1})
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for name, table in {"summary": summary, **tables}.items():
            sheet = workbook.add_worksheet(name)
            sheet.freeze_panes(1, 0)
            sheet.set_column(0, max(len(table.columns) - 1, 0), 90 if name == "summary" else 14)
            if name == "summary":
                sheet.set_column(0, 0, 26)
            sheet.write_row(0, 0, list(table.columns), header)
            dates = [i for i, c in enumerate(table.columns) if _is_date(table[c])]
            for r, row in enumerate(table.itertuples(index=False, name=None), start=1):
                values = [_cell(v) for v in row]
                sheet.write_row(r, 0, values)
                for i in dates:
                    if isinstance(values[i], dt.date):
                        sheet.write_datetime(r, i, dt.datetime.combine(values[i], dt.time()), date)
    finally:
        workbook.close()


def _is_date(column: pd.Series) -> bool:
    first = column.dropna().head(1)
    return bool(len(first)) and isinstance(first.iloc[0], dt.date)
