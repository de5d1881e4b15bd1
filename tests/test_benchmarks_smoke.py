"""The benchmark command runs end to end at small scale, and the pandas reference agrees with DuckDB."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def test_small_features_benchmark_runs_and_pandas_reference_agrees():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--scale", "small", "--only", "features"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    agreed = re.search(r"pandas reference agrees on ([\d,]+) values", done.stdout)
    assert agreed, done.stdout
    assert int(agreed.group(1).replace(",", "")) > 0


def test_small_serving_benchmark_runs_end_to_end():
    """Training, scoring, the explanation ratio and the API under load, at smoke scale."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--scale", "small", "--only", "serving"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ratio = re.search(r"default model with reasons / bare pred_contrib\s+< 1.3x\s+([\d.]+)", done.stdout)
    assert ratio and float(ratio.group(1)) >= 1.0, done.stdout
    assert re.search(r"API, \d+ requests from 8 clients\s+p50 [\d.]+ ms", done.stdout), done.stdout
