"""The score history: every scores table `score` and `portfolio` produce, kept by as-of date.

A folder of Parquet files partitioned by as-of date (`as_of_date=YYYY-MM-DD/<digest>.parquet`, Hive
style, so DuckDB, pandas and Spark read it as one table). A file is named by the digest of its rows:
scoring the same date with the same models and ledger twice keeps one file, and a new model version or
a changed ledger adds one beside it. Each row carries `recorded_at`, the time the run was stamped at the
command line. Grade migrations and the watchlist compare with what was said at a date, not with a
recomputation: `scores_at` returns the last recorded scores of that date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.atomic import write_parquet
from features.ledger import hash_stream
from serving.score_row import SCORE_SCHEMA

RECORDED_AT = "recorded_at"


class ScoreHistoryError(Exception):
    """The history folder cannot be written or holds a file that is not a scores table."""


def _partition(folder: Path, as_of: dt.date) -> Path:
    return Path(folder) / f"as_of_date={as_of.isoformat()}"


def append_scores(folder: Path, scores: pa.Table, recorded_at: dt.datetime) -> list[Path]:
    """Add `scores` (SCORE_SCHEMA) to the history under each of its as-of dates; return the files written.

    A date whose rows are already recorded (the same digest) is left as it is.
    """
    written = []
    scores = scores.select(SCORE_SCHEMA.names).cast(SCORE_SCHEMA)
    dates = sorted(set(scores.column("as_of_date").to_pylist()))
    for as_of in dates:
        rows = scores.filter(pc.equal(scores.column("as_of_date"), pa.scalar(as_of, pa.date32())))
        digest = _digest(rows)
        target = _partition(folder, as_of) / f"{digest}.parquet"
        if target.exists():
            continue
        stamp = pa.array([recorded_at] * rows.num_rows, type=pa.timestamp("s", tz="UTC"))
        try:
            # The date is the partition's name: a column of the same name would clash with it in a Hive read.
            write_parquet(rows.drop_columns(["as_of_date"]).append_column(RECORDED_AT, stamp), target)
        except OSError as exc:
            raise ScoreHistoryError(f"{folder}: the score history cannot be written ({exc.strerror or exc})") from exc
        written.append(target)
    return written


def _digest(rows: pa.Table) -> str:
    sha = hashlib.sha256()
    hash_stream(sha, rows)
    return sha.hexdigest()[:16]


def scores_at(folder: Path | None, as_of: dt.date) -> pd.DataFrame | None:
    """Return the last recorded scores of `as_of` (None when the history holds none for that date)."""
    if folder is None:
        return None
    files = sorted(_partition(folder, as_of).glob("*.parquet"))
    if not files:
        return None
    try:
        # Only each file's stamp to choose by, then only the chosen file whole.
        stamps = [pq.read_table(f, columns=[RECORDED_AT]) for f in files]
        _, _, latest = max((t.column(0)[0].as_py(), t.num_rows, f) for t, f in zip(stamps, files))
        frame = pq.read_table(latest).to_pandas()
    except (OSError, pa.ArrowInvalid, KeyError) as exc:
        raise ScoreHistoryError(f"{_partition(folder, as_of)}: not a score history ({exc})") from exc
    frame.insert(1, "as_of_date", as_of)
    return frame


def recorded_dates(folder: Path) -> list[dt.date]:
    """Return the as-of dates the history holds scores for, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    dates = []
    for part in folder.glob("as_of_date=*"):
        if any(part.glob("*.parquet")):
            dates.append(dt.date.fromisoformat(part.name.split("=", 1)[1]))
    return sorted(dates)


def scores_to_compare(
    folder: Path | None, compare_to: dt.date, score: Callable[[], pd.DataFrame] | None, notes: list[str]
) -> pd.DataFrame | None:
    """Return the scores the watchlist compares with at `compare_to`: the last recorded in `folder`, else what
    `score()` makes afresh, else None (no way to score); `notes` is told which."""
    recorded = scores_at(folder, compare_to)
    if recorded is not None:
        notes.append(f"grades at {compare_to} as recorded in the score history {folder}")
        return recorded
    if score is None:
        notes.append(f"no scores recorded at {compare_to}: the grade_down rule was not checked")
        return None
    notes.append(f"no scores recorded at {compare_to}: its grades were scored afresh with today's models")
    return score()
