"""The score history keeps what was said at each date, once, and gives back the last of it; a report folder
is replaced whole or not at all."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from portfolio_ledgers import scores

from features.atomic import atomic_dir
from serving.score_history import append_scores, recorded_dates, scores_at

MORNING = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 7, 1, 18, 0, tzinfo=dt.UTC)


def table(as_of, grade):
    return pa.Table.from_pandas(scores(as_of, [("A", 0.05, grade, 0.4), ("B", 0.01, "3", 0.2)]), preserve_index=False)


def test_the_same_scores_are_kept_once_and_the_last_run_of_a_date_is_read_back(tmp_path):
    assert append_scores(tmp_path, table("2026-06-30", "6"), MORNING)
    assert append_scores(tmp_path, table("2026-06-30", "6"), EVENING) == []  # the same rows: nothing new
    assert len(append_scores(tmp_path, table("2026-06-30", "8"), EVENING)) == 1  # a new model's view: kept beside
    append_scores(tmp_path, table("2026-05-31", "5"), MORNING)
    assert recorded_dates(tmp_path) == [dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
    last = scores_at(tmp_path, dt.date(2026, 6, 30)).set_index("customer_id")
    assert last.loc["A", "risk_grade"] == "8"
    assert scores_at(tmp_path, dt.date(2026, 4, 30)) is None
    # Hive-partitioned: one table for DuckDB (and Spark), the date from the folder names
    rows = duckdb.sql(
        f"SELECT as_of_date, count(*) FROM read_parquet('{tmp_path}/*/*.parquet', hive_partitioning = true) "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [(str(d), n) for d, n in rows] == [("2026-05-31", 2), ("2026-06-30", 4)]


def test_an_interrupted_report_leaves_the_previous_one_whole(tmp_path):
    out = tmp_path / "report"
    with atomic_dir(out) as folder:
        (folder / "aging.csv").write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_dir(out) as folder:
        (folder / "aging.csv").write_text("new, half written")
        raise KeyboardInterrupt
    assert (out / "aging.csv").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary folder left behind
