"""DuckDB memory: handing back what DuckDB keeps cached from finished statements.

DuckDB keeps the blocks of finished hash tables and sorts for later reuse, and only lets go of them
under its memory limit. Between the steps of a feature build those blocks are dead weight beside
the facts still to come; `docs/benchmarks.md` has what this saves on the benchmark ledger.
"""

from __future__ import annotations

import duckdb

_LIMIT_VARIABLE = "tradecredit_memory_limit"

# Room left above what DuckDB's tables hold when its cached blocks are released, so that nothing
# in use is ever pushed out to disk.
_SPARE_BYTES = 64 << 20


def release_cached_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """Make DuckDB hand back the memory it keeps cached from finished statements.

    Lowering the memory limit to what its tables hold and setting it back frees the cached blocks at
    once, without spilling anything.
    """
    (in_use,) = con.sql("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()[0]
    # The limit reads back rounded down ("18.8 GiB"): set back as read, it would sink a little with
    # every release. The first reading is kept with the connection and set back every time.
    (limit,) = con.sql(
        f"SELECT coalesce(getvariable('{_LIMIT_VARIABLE}'), current_setting('memory_limit'))"
    ).fetchall()[0]
    con.execute(f"SET VARIABLE {_LIMIT_VARIABLE} = '{limit}'")
    try:
        con.execute(f"SET memory_limit = '{int(in_use) + _SPARE_BYTES}B'")
    except duckdb.OutOfMemoryException:
        pass  # nothing cached could go: the memory is in use, which is no reason to stop
    finally:
        con.execute(f"SET memory_limit = '{limit}'")
