"""Pages benchmark: the credit officers' pages under 4 concurrent signed-in users, once the date is scored.

With the models the training benchmark registered, `tradecredit serve` runs on the benchmark ledger with
one user. The first portfolio page of the date scores it and builds the report (timed once, reported).
Then 4 threads, each its own signed-in session, request the pages a credit officer goes through (the
portfolio, the watchlist, the collections worklist and its disputes tab, a sorted watchlist, the
customer search, a customer page) in turn, and the API's single-customer score (the cached lookup the
pages stand on) is timed under the same load as the baseline: the ratio says what rendering costs.

Goal at full scale: every page's p95 under 300 ms.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

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
from benchmarks.models_bench import API_KEY, serve_api

NAME = "pages"
USERS = 4
P95_GOAL_MS = 300.0
USER, PASSWORD = "bench", "bench-password-0123"


def _pages(customers: list[str], names: list[str]) -> dict[str, list[str]]:
    """Return, per kind of page, the addresses the users request in turn."""
    return {
        "portfolio": ["/"],
        "watchlist": ["/watchlist"],
        "watchlist, sorted by exposure": ["/watchlist?sort=exposure&desc=1"],
        "worklist": ["/worklist"],
        "worklist, disputes": ["/worklist?queue=disputes"],
        "customer search": [f"/customers?q={name}" for name in names],
        "customer page": [f"/customers/{c}" for c in customers],
    }


def sign_in(url: str):
    """Return a requests session signed in as the benchmark's user; raise when the sign-in is refused."""
    import requests

    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{url}/login").text).group(1)
    answer = session.post(f"{url}/login", data={"csrf_token": token, "username": USER, "password": PASSWORD})
    if answer.status_code != 200 or "/login" in answer.url:
        raise RuntimeError(f"the benchmark's sign-in was refused: {answer.status_code} {answer.text[:300]}")
    return session


def load_child(url: str, as_of: str, customers: list[str], names: list[str], rounds: int) -> dict:
    """Return per page kind the latencies (ms) of `rounds` requests by each of USERS signed-in threads."""
    from concurrent.futures import ThreadPoolExecutor

    kinds = {**_pages(customers, names), "API score (baseline)": [f"/v1/customers/{c}/score" for c in customers]}

    def user(offset: int) -> dict[str, list[float]]:
        session = sign_in(url)
        timings: dict[str, list[float]] = {kind: [] for kind in kinds}
        for i in range(rounds):
            for kind, paths in kinds.items():
                path = paths[(offset * rounds + i) % len(paths)]
                started = time.perf_counter()
                response = session.get(
                    f"{url}{path}", params={"as_of": as_of}, headers={"X-API-Key": API_KEY}, timeout=60
                )
                timings[kind].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or "/login" in response.url:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
        return timings

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        parts = list(pool.map(user, range(USERS)))
    return {kind: sorted(x for part in parts for x in part[kind]) for kind in kinds}


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def run(ctx: Context, machine_line: str, uri: str) -> Result:
    import pandas as pd

    as_of = ctx.scale.snapshot_date
    users_file = ctx.work_dir / "users.json"
    command = [str(Path(sys.executable).with_name("tradecredit")), "users", "add", USER, "--role", "viewer"]
    subprocess.run(
        [*command, "--password-stdin", "--file", str(users_file)],
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )
    process, url = serve_api(ctx, uri, as_of, {"TRADECREDIT_USERS_FILE": str(users_file)})
    try:
        # The server builds the default date's pages once it is ready; the first page waits for that.
        started = time.perf_counter()
        first = sign_in(url).get(f"{url}/", params={"as_of": as_of.isoformat()}, timeout=1800)
        if first.status_code != 200:
            raise RuntimeError(f"the first portfolio page: {first.status_code} {first.text[:300]}")
        first_page = time.perf_counter() - started
        customers_table = pd.read_parquet(ctx.ledger_dir / "customers.parquet", columns=["customer_id", "name"])
        sample = customers_table.sample(200, random_state=1)
        customers = sample["customer_id"].tolist()
        names = [name.split()[0] for name in sample["name"].head(20)]
        rounds = 40 if ctx.goals_apply else 8
        in_child(load_child, url, as_of.isoformat(), customers[:20], names[:5], 2)  # warm connections and caches
        latencies = in_child(load_child, url, as_of.isoformat(), customers, names, rounds)
    finally:
        process.terminate()
        process.wait(timeout=60)
    baseline = latencies["API score (baseline)"]
    base_p95 = _quantile(baseline, 0.95)
    rows, goals = [], []
    for kind, values in latencies.items():
        p50, p95 = statistics.median(values), _quantile(values, 0.95)
        rows.append([kind, str(len(values)), fmt(p50, "ms"), fmt(p95, "ms"), fmt(p95 / base_p95, "x")])
        if kind != "API score (baseline)":
            goals.append(Goal(f"{kind} p95 (ms), {USERS} users", p95, P95_GOAL_MS, "ms"))
    header = ["page", "requests", "p50", "p95", "p95 / API p95"]
    text = "\n".join(
        [
            f"pages: first portfolio page of {as_of}, from ready (the date's report built) {fmt(first_page, 's')}",
            text_table(header, rows),
            "",
            text_table(GOAL_HEADER, goal_rows(goals, ctx.goals_apply)),
        ]
    )
    markdown = "\n".join(
        [
            f"## {NAME}",
            "",
            f"The pages served by `tradecredit serve`, {USERS} signed-in users at once, each requesting every kind "
            "of page in turn once the date is scored; the API's single-customer score under the same load is "
            "the baseline (the cached lookup the pages stand on). Latency is measured by the client, from "
            "request to the whole page received.",
            "",
            f"- scale: {ctx.scale.describe()}; as-of date {as_of}",
            "- first portfolio page, asked for as soon as the server is ready (it waits for the portfolio report "
            f"of the date, which the server builds once it is ready): {fmt(first_page, 's')}",
            f"- run: {machine_line}",
            "",
            markdown_table(header, rows, right=(1, 2, 3, 4)),
            "",
            *goals_markdown(goals, ctx.goals_apply),
        ]
    )
    return Result(NAME, text, markdown, goals)
