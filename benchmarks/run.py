"""Run the benchmarks: `python -m benchmarks.run [--only NAME ...] [--scale small|full] [--write-docs]`.

The ledger is generated once per run into a temporary folder (removed at the end) and shared by
every benchmark; each measured step runs in its own spawned process. With `--write-docs` the
Machine section and each benchmark's `## NAME` section of docs/benchmarks.md are rewritten; the
other sections are kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import features_bench, ledger_bench, models_bench, pages_bench, portfolio_bench
from benchmarks.common import (
    DOCS_PAGE,
    SCALES,
    Context,
    fmt,
    machine,
    machine_line,
    machine_section,
    update_page,
)

BENCHMARKS = ("ledger", "features", "training", "serving", "portfolio", "pages")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only these benchmarks ({', '.join(BENCHMARKS)}); default: all",
    )
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="full",
        help="full: 100,000 customers, ~10 M invoices (default); small: 3,000 customers, a smoke run",
    )
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite the matching sections of {DOCS_PAGE}")
    return parser.parse_args(argv)


def run(names: list[str], scale_name: str, today: dt.date, write_docs: bool, page: Path = DOCS_PAGE) -> int:
    """Run the benchmarks `names` at `scale_name`; `today` is the date recorded for the run. Returns
    the number of goals missed (not an error: the figures are the output)."""
    scale = SCALES[scale_name]
    info = machine(today)
    line = machine_line(info)
    print(f"machine: {line}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="tradecredit-bench-") as tmp:
        ctx = Context(scale, Path(tmp) / "ledger", Path(tmp), goals_apply=scale.name == "full")
        print(f"generating the ledger ({scale.describe()}) in {ctx.ledger_dir}", flush=True)
        generated = ledger_bench.generate(ctx)
        print(f"  generated and written in {fmt(generated['seconds'], 's')}", flush=True)
        registry = None  # the tracking URI the training benchmark registers its models in
        for name in names:
            start = time.perf_counter()
            if name == "ledger":
                result = ledger_bench.run(ctx, generated, line)
            elif name == "features":
                result = features_bench.run(ctx, line)
            elif name == "training":
                result, registry = models_bench.run_training(ctx, line)
            else:
                if registry is None:  # serving and the portfolio need trained models: train them, unreported
                    _, registry = models_bench.run_training(ctx, line)
                if name == "serving":
                    result = models_bench.run_serving(ctx, line, registry)
                elif name == "portfolio":
                    result = portfolio_bench.run(ctx, line, registry)
                else:
                    result = pages_bench.run(ctx, line, registry)
            print(f"\n{result.text}\n({name}: {time.perf_counter() - start:.0f} s)", flush=True)
            results.append(result)
    if write_docs:
        update_page(page, machine_section(info), {r.name: r.markdown for r in results})
        print(f"\nwrote {', '.join(r.name for r in results)} and Machine to {page}")
    missed = [g for r in results for g in r.goals if not g.met] if scale.name == "full" else []
    if missed:
        print(f"\n{len(missed)} goal(s) missed: " + "; ".join(g.what for g in missed))
    return len(missed)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n for n in BENCHMARKS if n in (args.only or BENCHMARKS)]
    run(names, args.scale, dt.date.today(), args.write_docs)  # the one place the clock is read
    return 0


if __name__ == "__main__":
    sys.exit(main())
