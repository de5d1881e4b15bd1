"""Ledger benchmark: generate the sample portfolio and write it as Parquet; load and validate it back.

Goals at full scale (100,000 customers, about 10 M invoices): each step under 60 s and under 6 GB.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from benchmarks.common import (
    GB,
    Context,
    Goal,
    Result,
    Scale,
    fmt,
    in_child,
    markdown_table,
    process_peak_bytes,
    text_table,
    verdict,
)

NAME = "ledger"
SECONDS_GOAL, MEMORY_GOAL = 60.0, 6 * GB


# --- Child processes -----------------------------------------------------------------------------


def generate_child(scale: Scale, folder: str) -> dict:
    """Generate the portfolio and write it as Parquet to `folder`; time both, report the process peak."""
    from features.sample import LEDGER_TABLES, generate_portfolio, write_portfolio

    start = time.perf_counter()
    tables = generate_portfolio(scale.sample_config())
    generated = time.perf_counter()
    written = write_portfolio(tables, Path(folder), fmt="parquet")
    done = time.perf_counter()
    size = sum(f.stat().st_size for f in Path(folder).rglob("*.parquet"))
    return {
        "generate_s": generated - start,
        "write_s": done - generated,
        "seconds": done - start,
        "peak": process_peak_bytes(),
        "rows": {name: written[name] for name in LEDGER_TABLES},
        "parquet_bytes": size,
    }


def load_child(folder: str, reference_date: dt.date) -> dict:
    """Load and validate the Parquet ledger with `load_ledger` (any bad row raises)."""
    from features.load import load_ledger

    start = time.perf_counter()
    ledger, report = load_ledger(folder, reference_date=reference_date)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak": process_peak_bytes(),
        "rows": ledger.row_counts,
        "quarantined": sum(report.rows_quarantined.values()),
        "arrow_bytes": sum(t.nbytes for t in ledger.tables.values()),
    }


def generate(ctx: Context) -> dict:
    """Generate the run's ledger into ctx.ledger_dir (in a child); every benchmark reads it."""
    return in_child(generate_child, ctx.scale, str(ctx.ledger_dir))


# --- The benchmark -------------------------------------------------------------------------------


def run(ctx: Context, generated: dict, machine_line: str) -> Result:
    loaded = in_child(load_child, str(ctx.ledger_dir), ctx.scale.reference_date)
    if loaded["rows"] != generated["rows"]:
        raise AssertionError(f"rows written {generated['rows']} but loaded {loaded['rows']}")

    goals = [
        Goal("generate + write: time", generated["seconds"], SECONDS_GOAL, "s"),
        Goal("generate + write: peak memory", generated["peak"], MEMORY_GOAL, "GB"),
        Goal("load + validate: time", loaded["seconds"], SECONDS_GOAL, "s"),
        Goal("load + validate: peak memory", loaded["peak"], MEMORY_GOAL, "GB"),
    ]
    apply = ctx.goals_apply
    steps = [
        (
            "generate + write Parquet",
            generated,
            (
                f"generate {fmt(generated['generate_s'], 's')}, write {fmt(generated['write_s'], 's')}, "
                f"{generated['parquet_bytes'] / 1e6:,.0f} MB of Parquet"
            ),
        ),
        (
            "load + validate (load_ledger)",
            loaded,
            f"{loaded['arrow_bytes'] / 1e6:,.0f} MB of Arrow tables, {loaded['quarantined']} rows quarantined",
        ),
    ]
    rows = []
    for (label, measured, note), (time_goal, memory_goal) in zip(steps, [goals[0:2], goals[2:4]]):
        rows.append(
            [
                label,
                fmt(measured["seconds"], "s"),
                time_goal.target,
                time_goal.status(apply),
                fmt(measured["peak"], "GB"),
                memory_goal.target,
                memory_goal.status(apply),
                note,
            ]
        )
    header = ["step", "time", "goal", "", "peak memory", "goal", "", "notes"]
    counts = ", ".join(f"{name} {count:,}" for name, count in generated["rows"].items())
    text = f"ledger ({ctx.scale.describe()}): {counts}\n" + text_table(header, rows)

    markdown = "\n".join(
        [
            f"## {NAME}",
            "",
            (
                "Generate the sample portfolio (`features.sample.generate_portfolio`) and write it as Parquet "
                '(`write_portfolio(..., fmt="parquet")`, into a temporary folder); then read it back and validate it '
                "with `features.load.load_ledger` (reference date: the day after the ledger). Each step runs in its own "
                "process; peak memory is that process's `ru_maxrss`."
            ),
            "",
            f"- scale: {ctx.scale.describe()} (from 2022-01-01)",
            f"- rows: {counts}",
            f"- run: {machine_line}",
            "",
            markdown_table(["step", "time", "goal", "", "peak memory", "goal", "", "notes"], rows, right=(1, 4)),
            "",
            verdict(goals, apply),
            "",
        ]
    )
    return Result(NAME, text, markdown, goals)
