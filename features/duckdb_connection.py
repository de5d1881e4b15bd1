"""The one way the project opens DuckDB: without DuckDB's own progress bar.

DuckDB draws a bar for any query that runs longer than a couple of seconds, on standard output:
inside a command whose output is a report, a file listing or a pipe, that bar is noise in the
output itself. The commands report their steps on standard error instead.
"""

from __future__ import annotations

import duckdb


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Return a new DuckDB connection to `database` (in memory by default) that draws no progress bar."""
    con = duckdb.connect(database, read_only=read_only)
    try:
        con.execute("SET enable_progress_bar = false")  # a setting of the connection, not of the database
    except duckdb.InvalidInputException:
        # In a notebook without ipywidgets DuckDB refuses the setting, and draws no bar there anyway.
        if con.execute("SELECT current_setting('enable_progress_bar')").fetchall() != [(False,)]:
            raise
    return con
