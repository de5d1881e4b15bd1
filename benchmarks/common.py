"""What every benchmark shares: scales, child processes, memory meters, goals, tables and the docs page."""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import platform
import re
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS_PAGE = REPO / "docs" / "benchmarks.md"
GB = 1e9  # memory is reported in GB of 10^9 bytes (a GiB is 7 % more)


# --- Scales --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """The ledger the benchmarks run on: `tradecredit sample` with these settings, start 2022-01-01."""

    name: str
    customers: int
    years: int = 3
    seed: int = 1

    def sample_config(self):
        from features.sample import SampleConfig

        return SampleConfig(customers=self.customers, years=self.years, seed=self.seed)

    @property
    def reference_date(self) -> dt.date:
        """The validation reference date: the first day after the ledger."""
        return self.sample_config().end

    @property
    def snapshot_date(self) -> dt.date:
        """The last day of the ledger: the as-of date of the one-snapshot benchmarks."""
        return self.reference_date - dt.timedelta(days=1)

    @property
    def panel_dates(self) -> list[dt.date]:
        """The 12 month-ends of the ledger's last year."""
        from features.pipeline import month_ends

        end = self.snapshot_date
        return month_ends(end.replace(year=end.year - 1) + dt.timedelta(days=1), end)

    def describe(self) -> str:
        return f"{self.name}: {self.customers:,} customers, {self.years} years, seed {self.seed}"


SCALES = {
    "full": Scale("full", customers=100_000),
    "small": Scale("small", customers=3_000),  # a smoke run: enough defaults for every split to hold both classes
}


@dataclass(frozen=True)
class Context:
    """What the orchestrator hands to each benchmark."""

    scale: Scale
    ledger_dir: Path  # the Parquet ledger, generated once per run
    work_dir: Path  # scratch space inside the run's temporary folder
    goals_apply: bool  # goals are set for the full scale; a small run only shows them


# --- Child processes and memory ------------------------------------------------------------------


def in_child(function: Callable, *args):
    """Run `function(*args)` in a fresh spawned process and return its result.

    A fresh interpreter per measurement: its peak memory is its own, and nothing one benchmark
    imported, cached or allocated is there for the next one.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def process_peak_bytes() -> int:
    """Peak resident memory of this process so far (getrusage ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class StepPeak:
    """Peak resident memory of one step of this process, measured from `start()`.

    Linux lets a process reset its resident-memory high-water mark (VmHWM) by writing 5 to
    /proc/self/clear_refs; the mark then starts from the memory resident at that moment (for a
    feature step: the ledger it works on). Where that is not allowed, the process peak is used.
    """

    def __init__(self) -> None:
        self.exact = False
        self.start_bytes: int | None = None  # resident memory when the step started

    def start(self) -> None:
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.exact = True
        except OSError:
            self.exact = False
        self.start_bytes = _status_bytes("VmRSS")

    def bytes(self) -> int:
        peak = _status_bytes("VmHWM") if self.exact else None
        return peak if peak is not None else process_peak_bytes()


def _status_bytes(field: str) -> int | None:
    """A memory figure of /proc/self/status (VmRSS, VmHWM) in bytes; None where there is none."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1)) * 1024
    except (OSError, AttributeError):
        return None


# --- Goals and tables ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    """One goal: `measured` must be below `limit` (or at least `limit` when `at_least`)."""

    what: str
    measured: float
    limit: float
    unit: str  # "s", "GB" or "x"
    at_least: bool = False

    @property
    def met(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured < self.limit

    @property
    def target(self) -> str:
        limit = self.limit / GB if self.unit == "GB" else self.limit
        return f"{'>=' if self.at_least else '<'} {limit:g}{'' if self.unit == 'x' else ' '}{self.unit}"

    def status(self, apply: bool) -> str:
        if not apply:
            return "n/a"
        return "PASS" if self.met else "MISS"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"
    if unit == "GB":
        return f"{value / GB:.2f} GB"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:,}"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Result:
    """What a benchmark reports: printed as text, and as its `## name` section of docs/benchmarks.md."""

    name: str
    text: str
    markdown: str
    goals: list[Goal] = field(default_factory=list)


GOAL_HEADER = ["goal", "target", "measured", ""]


def goal_rows(goals: Sequence[Goal], apply: bool) -> list[list[str]]:
    """Return the goals as table rows: what, target, the measured figure in its unit, PASS/MISS (n/a when not judged)."""
    return [[g.what, g.target, fmt(g.measured, g.unit), g.status(apply)] for g in goals]


def goals_markdown(goals: Sequence[Goal], apply: bool) -> list[str]:
    """Return the lines that end a benchmark's docs section: the goals' table and the verdict."""
    return [markdown_table(GOAL_HEADER, goal_rows(goals, apply), right=(2,)), "", verdict(goals, apply), ""]


def verdict(goals: Sequence[Goal], apply: bool) -> str:
    """One sentence on the goals, for the docs page."""
    if not apply:
        return "Small-scale smoke run: the goals are set for the full scale and are not judged here."
    missed = [g for g in goals if not g.met]
    if not missed:
        return "All goals met."
    return "Missed: " + "; ".join(f"{g.what} {fmt(g.measured, g.unit)} (goal {g.target})" for g in missed) + "."


# --- The machine ---------------------------------------------------------------------------------


def machine(today: dt.date) -> dict[str, str]:
    """Describe this machine and the library versions; `today` is the date of the run."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE).group(1))
        memory = f"{kib * 1024 / GB:.1f} GB"
    except (OSError, AttributeError):
        pass
    try:
        load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    commit = _git("rev-parse", "--short", "HEAD")
    if (
        commit != "unknown"
        and subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--"], cwd=REPO, capture_output=True, check=False
        ).returncode
    ):
        commit += " with uncommitted changes"
    return {
        "date": today.isoformat(),
        "cores (nproc)": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "CPU": model,
        "memory": memory,
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
        "numpy": _version("numpy"),
        "load average at start (1 / 5 / 15 min)": load,
        "first write of 1 GB of new memory": f"{in_child(first_write_seconds, int(GB)):.2f} s",
        "git commit": commit,
    }


def first_write_seconds(size: int) -> float:
    """Seconds this process takes to allocate `size` bytes of new memory and write each byte once.

    Run in a fresh process (`in_child`), it times what every feature build pays for the gigabytes it
    allocates: about 0.1-0.3 s per GB on bare metal, and on a virtual machine whose host backs the
    guest's memory only when it is first touched (or takes freed memory back), up to ten times that.
    """
    import numpy as np

    start = time.perf_counter()
    np.ones(size, dtype=np.uint8)
    return time.perf_counter() - start


def _git(*args: str) -> str:
    """Output of a read-only git command in the repository, or "unknown"."""
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine_line(info: dict[str, str]) -> str:
    return (
        f"{info['date']}, {info['cores (nproc)']} cores ({info['CPU']}), {info['memory']}, "
        f"python {info['python']}, duckdb {info['duckdb']}, pandas {info['pandas']}; "
        f"load average {info['load average at start (1 / 5 / 15 min)']} at start; "
        f"first write of 1 GB of new memory {info['first write of 1 GB of new memory']}; commit {info['git commit']}"
    )


# --- docs/benchmarks.md --------------------------------------------------------------------------

PAGE_INTRO = """# Benchmarks

Figures measured by `python -m benchmarks.run --scale full --write-docs` (`make benchmark` runs the
same command at full scale without rewriting this page). Each `## ` section below belongs to one
benchmark and is rewritten by it; `--only NAME` reruns and rewrites one. `--scale small` (3,000
customers) is only a smoke run: its figures are not compared with the goals.

Every measured step runs in its own freshly spawned Python process, so its peak memory is its own;
memory is the peak resident set size in GB (10^9 bytes). Each step is timed once (no warm-up, no
best-of-n), on a machine that may be running other work, so small differences are noise.
"""


def machine_section(info: dict[str, str]) -> str:
    rows = [[key, value] for key, value in info.items()]
    return (
        "## Machine\n\nThe machine of the last run that rewrote this page. Its first write of new memory is\n"
        "timed because it differs most between machines that are otherwise alike: a feature build allocates\n"
        "gigabytes, and a virtual machine whose host backs memory only when it is first touched pays for\n"
        "that in seconds (see `benchmarks.common.first_write_seconds`).\n\n" + markdown_table(["", ""], rows) + "\n"
    )


def update_page(page: Path, machine_md: str, sections: dict[str, str]) -> None:
    """Rewrite the Machine section and the `## <name>` sections given; keep every other section.

    New sections are appended. The text before the first `## ` heading is kept as it is (or the
    standard introduction when the page is new).
    """
    text = page.read_text() if page.exists() else PAGE_INTRO
    intro, blocks = _split_sections(text)
    replacements = {"Machine": machine_md, **sections}
    done = set()
    out = []
    for heading, body in blocks:
        key = _section_key(heading)
        if key in replacements:
            out.append(replacements[key].rstrip("\n") + "\n")
            done.add(key)
        else:
            out.append(body.rstrip("\n") + "\n")
    if "Machine" not in done:
        out.insert(0, machine_md.rstrip("\n") + "\n")
        done.add("Machine")
    out += [md.rstrip("\n") + "\n" for key, md in replacements.items() if key not in done]
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(intro.rstrip("\n") + "\n\n" + "\n".join(out))


def _split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    parts = re.split(r"(?m)^(?=## )", text)
    intro = parts[0] if not parts[0].startswith("## ") else ""
    blocks = [(p.splitlines()[0], p) for p in parts if p.startswith("## ")]
    return intro, blocks


def _section_key(heading: str) -> str:
    """`## features: ...` and `## features` are both the section of benchmark `features`."""
    return re.split(r"[\s:]", heading[3:].strip(), maxsplit=1)[0].strip("`")
