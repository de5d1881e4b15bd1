"""The credit officers' pages in headless Chromium against a real `tradecredit serve` on the sample portfolio.

Every number checked on a page is compared with the batch file `tradecredit score` writes for the same
date, or with the portfolio report the library builds from those scores: the pages compute nothing.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import requests
from helpers import REFERENCE, served

AS_OF = "2026-12-31"
OFFICER, OFFICER_PASSWORD = "anna", "officer-password-123"
VIEWER, VIEWER_PASSWORD = "victor", "viewer-password-1234"


def _tradecredit(*args: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> None:
    command = [str(Path(sys.executable).with_name("tradecredit")), *args]
    done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def site(registry, sample_ledger_dir, tmp_path_factory):
    """Yield (base URL, folder, batch scores at AS_OF): the server with two users and the batch file beside it."""
    folder = tmp_path_factory.mktemp("pages")
    env = {**os.environ, "MLFLOW_TRACKING_URI": registry[0]}
    _tradecredit(
        "users", "add", OFFICER, "--role", "credit_officer", "--password-stdin", cwd=folder, stdin=OFFICER_PASSWORD
    )
    _tradecredit("users", "add", VIEWER, "--role", "viewer", "--password-stdin", cwd=folder, stdin=VIEWER_PASSWORD)
    ledger = str(sample_ledger_dir)
    reference = ["--reference-date", REFERENCE.isoformat()]
    _tradecredit(
        "score", "--ledger", ledger, "--as-of", AS_OF, "--out", "scores.parquet", *reference, cwd=folder, env=env
    )
    env.update(
        TRADECREDIT_API_KEYS="test-key-0123456789abcdef",
        TRADECREDIT_LEDGER=ledger,
        TRADECREDIT_REFERENCE_DATE=REFERENCE.isoformat(),
        TRADECREDIT_DEFAULT_AS_OF=AS_OF,
    )
    with served(env, folder) as (base, _):
        yield base, folder, pd.read_parquet(folder / "scores.parquet").set_index("customer_id")


@pytest.fixture(scope="module")
def officer(browser, site):
    """Return a signed-in credit officer's browser page."""
    context = browser.new_context(base_url=site[0], accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", OFFICER)
    page.fill("input[name=password]", OFFICER_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/$|/\?"))
    yield page
    context.close()


def _signed_in(base: str, name: str, password: str) -> requests.Session:
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/login").text).group(1)
    answer = session.post(f"{base}/login", data={"csrf_token": token, "username": name, "password": password})
    assert answer.status_code == 200, answer.text[:500]
    return session


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(browser, site):
    context = browser.new_context(base_url=site[0])
    page = context.new_page()
    response = page.goto("/watchlist")
    assert page.url.endswith("/login?next=/watchlist")  # signed out: the sign-in page, then back where asked
    page.fill("input[name=username]", OFFICER)
    page.fill("input[name=password]", "not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        page.click("#sign-in")
    assert answer.value.status == 401
    assert "wrong password" in page.inner_text("#sign-in-error")
    page.fill("input[name=username]", OFFICER)
    page.fill("input[name=password]", OFFICER_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/watchlist")
    cookie = next(c for c in context.cookies() if c["name"] == "tradecredit_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert response is not None
    context.close()


def test_signed_out_and_csrf_less_requests_are_refused(site):
    base, folder, scores = site
    customer = scores.index[0]
    anonymous = requests.Session()
    assert anonymous.get(f"{base}/", allow_redirects=False).status_code == 303
    refused = anonymous.post(f"{base}/customers/{customer}/decisions", data={"decision": "accept"})
    assert refused.status_code == 403  # no session, no token
    session = _signed_in(base, OFFICER, OFFICER_PASSWORD)
    without_token = session.post(f"{base}/customers/{customer}/decisions?as_of={AS_OF}", data={"decision": "accept"})
    assert without_token.status_code == 403 and "security token" in without_token.text
    viewer = _signed_in(base, VIEWER, VIEWER_PASSWORD)
    token = re.search(r'name="csrf_token" value="([^"]+)"', viewer.get(f"{base}/customers/{customer}").text).group(1)
    as_viewer = viewer.post(
        f"{base}/customers/{customer}/decisions?as_of={AS_OF}", data={"decision": "accept", "csrf_token": token}
    )
    assert as_viewer.status_code == 403 and "viewer" in as_viewer.text
    decisions = folder / "audit" / "decisions.jsonl"
    assert not decisions.exists() or customer not in decisions.read_text()
    assert requests.get(f"{base}/v1/customers/{customer}/score", headers={"X-API-Key": "test-key-0123456789abcdef"}).ok


def test_failed_sign_ins_are_rate_limited_and_audited(site):
    base, folder, _ = site
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/login").text).group(1)
    codes = [
        session.post(
            f"{base}/login", data={"csrf_token": token, "username": "mallory", "password": f"guess-{i}"}
        ).status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]
    events = [json.loads(line) for line in (folder / "audit" / "signins.jsonl").read_text().splitlines()]
    mallory = [e["event"] for e in events if e["user"] == "mallory"]
    assert mallory == ["refused"] * 5 + ["blocked"]


def test_the_portfolio_page_shows_the_reports_figures_and_charts(officer, site, sample_ledger):
    from features.pipeline import LedgerFacts
    from serving.portfolio.report import build_report
    from serving.portfolio.settings import PortfolioSettings
    from serving.web.render import money, number, percent

    page = officer
    assert page.goto(f"/?as_of={AS_OF}").status == 200
    scores = site[2].reset_index()
    scores["as_of_date"] = pd.to_datetime(scores["as_of_date"]).dt.date
    with LedgerFacts(sample_ledger) as facts:
        report = build_report(
            facts, pd.Timestamp(AS_OF).date(), pd.Timestamp("2026-11-30").date(), scores, PortfolioSettings()
        )
    totals = report.totals
    shown = {
        name: page.inner_text(f"[data-total={name}]")
        for name in ["open_receivables", "overdue_share", "provision_matrix", "provision_model", "expected_loss"]
    }
    assert shown["open_receivables"] == money(totals["open_receivables"])
    assert shown["overdue_share"] == percent(totals["overdue_share"])
    assert shown["provision_matrix"] == money(totals["provision_matrix"])
    assert shown["provision_model"] == money(totals["provision_model"])
    assert shown["expected_loss"] == money(totals["expected_loss"])
    assert page.inner_text("[data-total=dso_countback]").startswith(number(totals["dso_countback"]))
    # The exposure chart's bars are the grade table's numbers, one per grade.
    bars = page.locator("svg.chart-bar").first.locator(".point")
    cells = page.locator("#grades tbody tr:not(.total) td:nth-child(3)")
    assert bars.count() == cells.count() > 3
    for i in range(bars.count()):
        assert float(bars.nth(i).get_attribute("data-value")) == pytest.approx(
            float(cells.nth(i).get_attribute("data-value"))
        )
    assert page.locator("svg.chart-stacked-bar .point").count() == 12 * 6  # 12 month-ends, 6 buckets
    assert page.locator("svg.chart-line .point").count() >= 12
    # Every table of the page downloads whole: the provision matrix as the report has it.
    download = page.request.get(f"/tables/provision_matrix.csv?as_of={AS_OF}")
    assert download.ok
    matrix = pd.read_csv(io.BytesIO(download.body()))
    assert matrix["provision_matrix"].tolist() == pytest.approx(
        report.tables["provision_matrix"]["provision_matrix"].tolist()
    )
    # A grade's customer count links to the list of those customers.
    page.locator("#grades tbody tr:first-child td:nth-child(2) a").click()
    count = int(page.inner_text(".count").split()[0].replace(",", ""))
    losses = report.tables["expected_loss"]
    grade_one = losses[(losses["level"] == "risk_grade") & (losses["key"] == "1")]["customers"].iloc[0]
    assert count == grade_one


def test_the_customer_page_shows_the_batch_score_reasons_and_advice(officer, site):
    from serving.web.render import money, percent

    scores = site[2]
    customer = scores[scores["risk_grade"].isin(["8", "9", "10"])].index[0]
    row = scores.loc[customer]
    page = officer
    assert page.goto(f"/customers/{customer}?as_of={AS_OF}").status == 200
    assert page.inner_text("[data-field=pd_12m]") == percent(row["pd_12m"], 2)
    assert page.inner_text("[data-field=risk_grade]") == row["risk_grade"]
    assert page.inner_text("[data-field=late_payment_grade]") == row["late_payment_grade"]
    assert page.inner_text("[data-field=recommended_credit_limit]") == money(row["recommended_credit_limit"])
    assert page.inner_text("[data-field=limit_reasons]") == row["limit_reasons"]
    reasons = [row[f"reason_{i}_feature"] for i in range(1, 6) if isinstance(row[f"reason_{i}_feature"], str)]
    assert [li.get_attribute("data-feature") for li in page.locator("#reasons li").all()] == reasons
    steps = page.locator("svg.chart-waterfall .point.positive, svg.chart-waterfall .point.negative")
    assert [float(s.get_attribute("data-value")) for s in steps.all()] == pytest.approx(
        [row[f"reason_{i}_contribution"] for i in range(1, len(reasons) + 1)]
    )
    assert page.locator("#payments tbody tr").count() > 0


def test_the_language_switch_changes_the_words(officer):
    page = officer
    page.goto(f"/?as_of={AS_OF}")
    assert page.inner_text("h1").startswith("Portfolio")
    page.click("#language-switch")
    assert page.inner_text("h1").startswith("组合概览")
    assert "观察名单" in page.inner_text("header nav")
    page.goto(f"/watchlist?as_of={AS_OF}")  # the choice stays for the session
    assert page.inner_text("h1").startswith("观察名单")
    page.click("#language-switch")
    assert page.inner_text("h1").startswith("Watchlist")


def test_sorting_and_the_csv_export_match_the_report(officer):
    page = officer
    page.goto(f"/watchlist?as_of={AS_OF}")
    page.click("#watchlist th a[data-column=exposure]")
    values = [
        float(v)
        for v in page.locator("#watchlist td[data-column=exposure]").evaluate_all("c => c.map(x => x.dataset.value)")
    ]
    assert values == sorted(values, reverse=True) and len(values) > 1
    with page.expect_download() as download:
        page.click("#watchlist-csv")
    exported = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()))
    total = int(page.inner_text(".count").split()[0].replace(",", ""))
    assert len(exported) == total
    assert exported["exposure"].tolist() == pytest.approx(sorted(exported["exposure"], reverse=True))
    assert exported.iloc[0]["customer_id"] == page.locator("#watchlist td[data-column=customer_id]").first.inner_text()


def test_the_worklist_keeps_disputes_apart(officer):
    page = officer
    page.goto(f"/worklist?as_of={AS_OF}")
    actions = set(page.locator("#worklist td[data-column=suggested_action]").all_inner_texts())
    assert actions and "resolve the dispute" not in actions
    page.click("#tab-disputes")
    assert set(page.locator("#worklist td[data-column=suggested_action]").all_inner_texts()) == {"resolve the dispute"}


def test_the_what_if_finds_a_better_grade_by_simulated_payments(officer, site):
    scores = site[2]
    candidates = scores[scores["risk_grade"].isin(["6", "7", "8", "9"])].index[:8]
    page = officer
    for customer in candidates:
        assert page.goto(f"/customers/{customer}/what-if?as_of={AS_OF}").status == 200
        if page.locator("#what-if-best").count():
            better = page.locator("#what-if-best [data-grade]").get_attribute("data-grade")
            assert int(better) < int(scores.loc[customer, "risk_grade"])
            return
    pytest.fail(f"no what-if improved any of {list(candidates)}")


def test_a_decision_is_recorded_with_who_when_and_the_model(officer, site):
    _, folder, scores = site
    customer = scores.index[1]
    page = officer
    page.goto(f"/customers/{customer}?as_of={AS_OF}")
    page.check("input[name=decision][value=override]")
    page.fill("input[name=limit]", "25000")
    page.fill("input[name=reason]", "guarantee from the parent company")
    page.click("#record-decision")
    assert page.locator("#recorded").count() == 1
    assert "guarantee from the parent company" in page.inner_text("#decisions")
    entry = json.loads((folder / "audit" / "decisions.jsonl").read_text().splitlines()[-1])
    assert entry["user"] == OFFICER and entry["customer_id"] == customer and entry["decided_limit"] == 25000
    assert entry["model"] == f"{scores.loc[customer, 'model_name']}/{scores.loc[customer, 'model_version']}"


def test_an_unknown_customer_gets_the_404_page(officer):
    page = officer
    response = page.goto(f"/customers/NOBODY-42?as_of={AS_OF}")
    assert response.status == 404
    assert "NOBODY-42" in page.inner_text(".error-page")
    assert page.goto("/no/such/page").status == 404


def test_the_pages_load_nothing_from_elsewhere(officer, site):
    """Offline: the style sheet is the package's, the charts are drawn on the server, there is no font to fetch."""
    base, _, scores = site
    asked: list[str] = []

    def note(request) -> None:
        asked.append(request.url)

    officer.on("request", note)
    try:
        officer.goto(f"/?as_of={AS_OF}")
        officer.goto(f"/customers/{scores.index[0]}?as_of={AS_OF}")
    finally:
        officer.remove_listener("request", note)
    assert any(url.endswith("/static/style.css") for url in asked)
    assert all(url.startswith(base) for url in asked), [u for u in asked if not u.startswith(base)]
