"""Scores handed to the portfolio report as a file (`tradecredit portfolio --scores FILE`), checked first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from serving.score_row import SCORE_COLUMNS


class ScoresError(ValueError):
    """The scores file cannot serve the report; the message names the file, the column or value and the rule."""


def read_scores(path: Path, as_of: dt.date) -> pd.DataFrame:
    """Return the scores in the Parquet file `path` (a `tradecredit score` output), all of them dated `as_of`."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ScoresError(f"{path}: not a Parquet scores file ({exc})") from None
    missing = [c for c in SCORE_COLUMNS if c not in table.column_names]
    if missing:
        raise ScoresError(
            f"{path}: column {missing[0]} is missing: a scores file holds every column `tradecredit score` writes"
        )
    frame = table.select(SCORE_COLUMNS).to_pandas()
    dates = pd.to_datetime(frame["as_of_date"]).dt.date
    other = dates[dates != as_of]
    if len(other):
        row = int(other.index[0])
        raise ScoresError(
            f"{path}: row {row + 1}, column as_of_date: {other.iloc[0]} is not the report's as-of date {as_of}"
        )
    frame["as_of_date"] = dates
    if frame["customer_id"].duplicated().any():
        dup = frame.loc[frame["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise ScoresError(f"{path}: column customer_id: {dup} is scored twice; one score per customer")
    return frame
