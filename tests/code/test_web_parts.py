"""The pages' parts on their own: users and passwords, sign-in limits, the decisions log, table order, words."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from serving.decisions import DecisionError, DecisionsLog
from serving.web.i18n import WORDS, bucket, column
from serving.web.signin import SignInGuard
from serving.web.tables import row_order, view
from serving.web.users import UsersError, UsersFile
from tradecredit.cli import main

TEMPLATES = Path(__file__).resolve().parents[2] / "serving" / "web" / "templates"
NOW = dt.datetime(2026, 12, 31, 9, 0, tzinfo=dt.UTC)


def test_users_are_stored_as_argon2_hashes_readable_by_the_owner_only(tmp_path):
    users = UsersFile(tmp_path / "users.json")
    users.add("anna", "credit_officer", "a long enough password", "2026-12-31T09:00:00+00:00")
    text = users.path.read_text()
    assert "a long enough password" not in text and "$argon2id$" in text
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert users.authenticate("anna", "a long enough password").role == "credit_officer"
    assert users.authenticate("anna", "the wrong password!") is None
    assert users.authenticate("nobody", "a long enough password") is None
    with pytest.raises(UsersError, match="already exists"):
        users.add("anna", "viewer", "another long password", "2026-12-31T09:00:00+00:00")
    with pytest.raises(UsersError, match="at least 12"):
        users.add("bob", "viewer", "short", "2026-12-31T09:00:00+00:00")
    with pytest.raises(UsersError, match="not one of"):
        users.add("bob", "root", "a long enough password", "2026-12-31T09:00:00+00:00")
    users.remove("anna")
    assert users.users() == []


def test_the_users_command_takes_the_password_on_stdin_only(tmp_path):
    runner = CliRunner()
    file = str(tmp_path / "users.json")
    refused = runner.invoke(main, ["users", "add", "anna", "--role", "viewer", "--file", file])
    assert refused.exit_code == 2 and "--password-stdin" in refused.output
    added = runner.invoke(
        main,
        ["users", "add", "anna", "--role", "viewer", "--password-stdin", "--file", file],
        input="twelve chars ok\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["users", "list", "--file", file])
    assert listed.output.startswith("anna\tviewer\t")
    weak = runner.invoke(
        main, ["users", "add", "bob", "--role", "admin", "--password-stdin", "--file", file], input="short\n"
    )
    assert weak.exit_code == 1 and "Error: the password of bob has 5 characters" in weak.output


def test_failed_sign_ins_block_a_name_for_the_window_and_are_audited(tmp_path):
    guard = SignInGuard(tmp_path / "signins.jsonl", max_failures=3, window=dt.timedelta(minutes=15))
    for minute in range(3):
        assert not guard.blocked("anna", "10.0.0.1", NOW + dt.timedelta(minutes=minute))
        guard.failed("anna", "10.0.0.1", NOW + dt.timedelta(minutes=minute))
    assert guard.blocked("anna", "10.0.0.9", NOW + dt.timedelta(minutes=5))  # the name, from anywhere
    assert not guard.blocked("bob", "10.0.0.9", NOW + dt.timedelta(minutes=5))
    assert not guard.blocked("anna", "10.0.0.1", NOW + dt.timedelta(minutes=16))  # the first failure expired
    guard.audit("blocked", "anna", "10.0.0.1", NOW)
    assert json.loads(guard.path.read_text()) == {
        "at": NOW.isoformat(),
        "client": "10.0.0.1",
        "event": "blocked",
        "user": "anna",
    }


def _score(**changes) -> dict:
    score = {
        "customer_id": "C1",
        "as_of_date": dt.date(2026, 12, 31),
        "recommended_credit_limit": 40_000.0,
        "current_credit_limit": 50_000.0,
        "terms_advice": None,
        "risk_grade": "6",
        "model_name": "tradecredit-default",
        "model_version": "3",
        "late_payment_model_name": None,
        "late_payment_model_version": None,
    }
    return {**score, **changes}


def test_decisions_are_appended_with_who_when_what_and_the_model(tmp_path):
    log = DecisionsLog(tmp_path / "decisions.jsonl")
    log.record(score=_score(), decision="accept", user="anna", at=NOW.isoformat())
    log.record(
        score=_score(), decision="override", user="anna", at=NOW.isoformat(), reason=" parent  guarantee ", limit=45e3
    )
    first, second = (json.loads(line) for line in log.path.read_text().splitlines())
    assert first["decided_limit"] == 40_000.0 and first["model"] == "tradecredit-default/3"
    assert second["decided_limit"] == 45_000.0 and second["reason"] == "parent guarantee"
    assert [d["decision"] for d in log.of_customer("C1")] == ["override", "accept"]  # newest first
    with pytest.raises(DecisionError, match="needs a reason"):
        log.record(score=_score(), decision="override", user="anna", at=NOW.isoformat())
    with pytest.raises(DecisionError, match="finite amount"):
        log.record(score=_score(), decision="override", user="anna", at=NOW.isoformat(), reason="x", limit=float("nan"))
    assert len(log.path.read_text().splitlines()) == 2  # nothing written for a refused decision


def test_tables_sort_stably_either_way_with_missing_values_last():
    frame = pd.DataFrame({"amount": [3.0, None, 1.0, 3.0, 2.0], "name": ["e", "d", "c", "b", "a"]})
    assert row_order(frame, ["amount"], "amount", True, None)[0].tolist() == [0, 3, 4, 2, 1]
    assert row_order(frame, ["amount"], "amount", False, None)[0].tolist() == [2, 4, 0, 3, 1]
    assert row_order(frame, ["amount"], "name", False, ("amount", False))[1] == "amount"  # not shown: the default
    shown = view(frame, ["name", "amount"], sort="name", descending=False, page=1)
    assert [r["name"] for r in shown.rows] == ["a", "b", "c", "d", "e"] and shown.rows[3]["amount"] is None


def test_every_word_a_template_asks_for_exists_in_both_languages():
    asked = {key for path in TEMPLATES.glob("*.html") for key in re.findall(r"\bt\('([a-z_]+)'\)", path.read_text())}
    asked |= {f"role_{role}" for role in ("viewer", "credit_officer", "admin")}
    assert asked and asked <= set(WORDS), sorted(asked - set(WORDS))
    assert all(len(WORDS[k]) == 2 and all(WORDS[k]) for k in asked)
    assert column("amount_over_180", "zh") == "超过 180 天" and bucket("61-90", "zh") == "61-90 天"
    assert column("pd_12m", "en") == "PD"


def test_the_sign_in_page_sends_back_to_this_site_only():
    from serving.web.routes.signin import _safe_next

    assert _safe_next("/watchlist?as_of=2026-12-31") == "/watchlist?as_of=2026-12-31"
    assert [_safe_next(t) for t in ["//evil.example", "/\\evil.example", "https://evil.example", None]] == ["/"] * 4
