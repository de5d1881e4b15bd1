"""The benchmark command runs end to end at small scale, and the pandas reference agrees with DuckDB."""

from __future__ import annotations

import re
import subprocess
import sys

from helpers import REPO


def run_small(benchmark: str, timeout: int) -> str:
    """Run one benchmark at small scale; return what it printed, after checking it succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--scale", "small", "--only", benchmark],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_small_features_benchmark_runs_and_pandas_reference_agrees():
    out = run_small("features", timeout=180)
    agreed = re.search(r"pandas reference agrees on ([\d,]+) values", out)
    assert agreed, out
    assert int(agreed.group(1).replace(",", "")) > 0


def test_small_serving_benchmark_runs_end_to_end():
    """Training, scoring, the explanation ratio and the API under load, at smoke scale.

    The ratio's size is for the full-scale benchmark to judge: at smoke scale the reasons add about 2 % to
    a TreeSHAP call of under a second, less than two timings of the same call differ by.
    """
    out = run_small("serving", timeout=600)
    ratio = re.search(r"default model with reasons / bare pred_contrib\s+< 1.3x\s+([\d.]+)", out)
    assert ratio and float(ratio.group(1)) > 0, out
    assert re.search(r"API, \d+ requests from 8 clients\s+p50 [\d.]+ ms", out), out
