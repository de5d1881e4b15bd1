"""A page's table: the columns shown, sorted and paged as the address says, and the same rows exported.

Sorting, paging and export read the portfolio module's tables as they are; nothing here computes a
figure. The export holds every row the filters keep (not only the page shown) and the columns shown,
under their column names, so that a downloaded CSV reads back into the same numbers as the batch files.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from fastapi.responses import Response

PAGE_SIZE = 100
EXCEL_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class TableView:
    """The rows of one page of a table, and how it was sorted and paged."""

    rows: list[dict]
    columns: list[str]
    total: int
    page: int
    pages: int
    sort: str | None
    descending: bool


def view(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    sort: str | None,
    descending: bool,
    page: int,
    default_sort: tuple[str, bool] | None = None,
) -> TableView:
    """Return one page of `frame`'s `columns`, sorted by `sort` (a shown column; else `default_sort`)."""
    order, sort, descending = row_order(frame, columns, sort, descending, default_sort)
    pages = max(1, math.ceil(len(frame) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    # Only the page's rows are taken: a table of 100,000 rows is ordered, never copied.
    shown = frame.iloc[order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]][columns]
    rows = shown.astype(object).where(shown.notna(), None).to_dict("records")
    return TableView(rows, columns, len(frame), page, pages, sort, descending)


def row_order(
    frame: pd.DataFrame, columns: list[str], sort: str | None, descending: bool, default: tuple[str, bool] | None
) -> tuple[np.ndarray, str | None, bool]:
    """Return the positions of `frame`'s rows sorted by `sort` when it is one of `columns`, else by `default`
    (missing values last, ties in the table's own order), and the order used."""
    if sort not in columns:
        sort, descending = default if default else (None, False)
    if sort is None:
        return np.arange(len(frame)), None, descending
    values = frame[sort]
    missing = values.isna().to_numpy()
    present = np.flatnonzero(~missing)
    # Dense ranks turn any comparable column (numbers, dates, text) into numbers, so that one stable sort
    # keeps ties in the table's own order whichever way it goes.
    ranks = values.iloc[present].rank(method="dense").to_numpy()
    ordered = present[np.argsort(-ranks if descending else ranks, kind="stable")]
    return np.concatenate([ordered, np.flatnonzero(missing)]), sort, descending


def export(frame: pd.DataFrame, columns: list[str], name: str, fmt: str) -> Response:
    """Return `frame`'s `columns` as a CSV or Excel download named `name`, rows in `frame`'s order."""
    table = frame[columns]
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
            table.to_excel(writer, sheet_name=name[:31], index=False)
        body, media, suffix = buffer.getvalue(), EXCEL_TYPE, "xlsx"
    else:
        body, media, suffix = table.to_csv(index=False).encode("utf-8"), "text/csv; charset=utf-8", "csv"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'})


def from_request(
    query, frame: pd.DataFrame, columns: list[str], name: str, default_sort: tuple[str, bool] | None = None
) -> TableView | Response:
    """Return the download `?format=csv|xlsx` asks for, else the page of rows `?sort=&desc=&page=` asks for."""
    fmt = query.get("format")
    if fmt in ("csv", "xlsx"):  # the rows in the order the page shows them
        order, _, _ = row_order(frame, columns, query.get("sort"), query.get("desc") == "1", default_sort)
        return export(frame.iloc[order], columns, name, fmt)
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        page = 1
    return view(
        frame,
        columns,
        sort=query.get("sort"),
        descending=query.get("desc") == "1",
        page=page,
        default_sort=default_sort,
    )
