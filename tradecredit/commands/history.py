"""The `--history` option `score` and `portfolio` share: where their scores are recorded, stamped at the edge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from tradecredit.commands.options import say

HISTORY_FOLDER = "score-history"


def history_option(what: str):
    return click.option(
        "--history",
        "history_dir",
        metavar="DIR",
        help=f"Score history folder {what}. Default: {HISTORY_FOLDER}/ beside --out; 'none' keeps no history.",
    )


def history_folder(value: str | None, out: Path) -> Path | None:
    """Return the history folder: `value`, else `score-history` in the folder `out` is written to; None for 'none'."""
    if value is None:
        return Path(out).absolute().parent / HISTORY_FOLDER
    return None if value.lower() == "none" else Path(value)


def record_scores(history: Path | None, scores) -> None:
    """Append `scores` (a pandas frame or Arrow table of SCORE_COLUMNS) to the history, stamped now."""
    if history is None:
        return
    import pyarrow as pa

    from serving.score_history import ScoreHistoryError, append_scores

    table = scores if isinstance(scores, pa.Table) else pa.Table.from_pandas(scores, preserve_index=False)
    try:
        written = append_scores(history, table, dt.datetime.now(dt.UTC).replace(microsecond=0))
    except ScoreHistoryError as exc:
        raise click.ClickException(str(exc)) from None
    if written:
        say(f"scores recorded in the history {history}")
