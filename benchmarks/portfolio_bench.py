"""Portfolio benchmark: the whole portfolio report against one feature snapshot of the same ledger.

With the models the training benchmark registered, the ledger is scored once at its last day (not
timed here: the serving benchmark times scoring). Then, each in its own process and alternately, RUNS
times: `build_features` for that one as-of date (the baseline), and what `tradecredit portfolio --scores`
does once the ledger is loaded: read the scores, settle the ledger (`LedgerFacts`), `build_report`
(aging and its trend, DSO, expected loss, the provision matrix over 36 month-ends, watchlist, worklist,
terms and plans) and `write_report` (Parquet, CSV, report.xlsx, manifest). The medians are compared.

Goal at full scale: the report in at most 2x the snapshot's time.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from benchmarks.common import (
    GOAL_HEADER,
    Context,
    Goal,
    Result,
    fmt,
    goal_rows,
    goals_markdown,
    in_child,
    markdown_table,
    text_table,
)

NAME = "portfolio"
RUNS = 3
RATIO_GOAL = 2.0


def scores_child(folder: str, reference_date: dt.date, as_of: dt.date, uri: str, out: str) -> int:
    """Score the ledger at `as_of` with the registered champions into `out`; return the customers scored."""
    import warnings

    from features.load import load_ledger
    from features.pipeline import LedgerFacts
    from model.registry import connect
    from serving.limits import LimitPolicy
    from serving.scoring import load_scoring_models, score_all

    warnings.filterwarnings("ignore")
    connect(uri)
    ledger, _ = load_ledger(folder, reference_date=reference_date)
    with LedgerFacts(ledger) as facts:
        scores = score_all(facts, as_of, load_scoring_models(), LimitPolicy())
    scores.to_parquet(out, index=False)
    return len(scores)


def snapshot_child(folder: str, reference_date: dt.date, as_of: dt.date) -> float:
    """Return the seconds of one feature snapshot of the loaded ledger."""
    from features.load import load_ledger
    from features.pipeline import build_features

    ledger, _ = load_ledger(folder, reference_date=reference_date)
    started = time.perf_counter()
    build_features(ledger, [as_of])
    return time.perf_counter() - started


def report_child(folder: str, reference_date: dt.date, as_of: dt.date, scores_path: str, out: str) -> dict:
    """Return the seconds of the report's steps on the loaded ledger, and the sizes of its tables."""
    from features.load import load_ledger
    from features.pipeline import LedgerFacts
    from serving.portfolio.files import write_report
    from serving.portfolio.open_items import previous_month_end
    from serving.portfolio.report import build_report
    from serving.portfolio.scores import read_scores
    from serving.portfolio.settings import PortfolioSettings

    ledger, _ = load_ledger(folder, reference_date=reference_date)
    started = time.perf_counter()
    scores = read_scores(scores_path, as_of)
    settings = PortfolioSettings()
    with LedgerFacts(ledger) as facts:
        settled = time.perf_counter()
        report = build_report(facts, as_of, previous_month_end(as_of), scores, settings)
    built = time.perf_counter()
    write_report(report, out, {"ledger": folder}, settings.excel_max_rows)
    finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "settle_seconds": settled - started,
        "build_seconds": built - settled,
        "write_seconds": finished - built,
        "rows": {name: len(table) for name, table in report.tables.items()},
    }


def run(ctx: Context, machine_line: str, uri: str) -> Result:
    as_of, reference = ctx.scale.snapshot_date, ctx.scale.reference_date
    scores_path = str(ctx.work_dir / "portfolio-scores.parquet")
    scored = in_child(scores_child, str(ctx.ledger_dir), reference, as_of, uri, scores_path)
    snapshots, reports = [], []
    for i in range(RUNS):
        snapshots.append(in_child(snapshot_child, str(ctx.ledger_dir), reference, as_of))
        out = str(ctx.work_dir / f"portfolio-report-{i}")
        reports.append(in_child(report_child, str(ctx.ledger_dir), reference, as_of, scores_path, out))
    snapshot = statistics.median(snapshots)
    report = sorted(reports, key=lambda r: r["seconds"])[RUNS // 2]
    ratio = report["seconds"] / snapshot
    goals = [Goal("portfolio report / one feature snapshot", ratio, RATIO_GOAL, "x")]
    rows = [
        ["one feature snapshot (`build_features`, one as-of date)", fmt(snapshot, "s")],
        ["portfolio report, in all", fmt(report["seconds"], "s")],
        ["- read the scores and settle the ledger (`LedgerFacts`)", fmt(report["settle_seconds"], "s")],
        ["- `build_report`: every table", fmt(report["build_seconds"], "s")],
        ["- `write_report`: Parquet, CSV, report.xlsx, manifest", fmt(report["write_seconds"], "s")],
    ]
    sizes = ", ".join(f"{name} {count:,}" for name, count in report["rows"].items())
    text = "\n".join(
        [
            f"portfolio: {scored:,} customers scored at {as_of}; rows: {sizes}",
            text_table(["step (median of 3 processes)", "time"], rows),
            "",
            text_table(GOAL_HEADER, goal_rows(goals, ctx.goals_apply)),
        ]
    )
    markdown = "\n".join(
        [
            f"## {NAME}",
            "",
            "The whole portfolio report (`tradecredit portfolio --scores`: the ledger settled, every table built, "
            "Parquet, CSV, report.xlsx and the manifest written) against one feature snapshot of the same ledger at "
            f"the same date, each in its own process after the ledger is loaded, alternately, {RUNS} times each; "
            "the medians are compared. The scores are made once beforehand by the scoring core (the serving "
            "benchmark times scoring).",
            "",
            f"- scale: {ctx.scale.describe()}; as-of date {as_of}; {scored:,} customers scored",
            f"- tables: {sizes} rows",
            f"- run: {machine_line}",
            "",
            markdown_table(["step (median of 3 processes)", "time"], rows, right=(1,)),
            "",
            *goals_markdown(goals, ctx.goals_apply),
        ]
    )
    return Result(NAME, text, markdown, goals)
