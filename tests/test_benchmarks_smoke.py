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
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    agreed = re.search(r"pandas reference agrees on ([\d,]+) values", done.stdout)
    assert agreed, done.stdout
    assert int(agreed.group(1).replace(",", "")) > 0
