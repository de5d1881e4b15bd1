"""Watchlist rules, the dunning ladder, terms advice and payment plans: each rule firing and not firing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from helpers import d
from portfolio_ledgers import ledger

from features.pipeline import LedgerFacts
from serving.portfolio.behaviour import behaviour_at, events_between
from serving.portfolio.settings import TermsSettings, WatchlistSettings, WorklistSettings
from serving.portfolio.terms import payment_plans, terms_table
from serving.portfolio.watchlist import watchlist_table
from serving.portfolio.worklist import RESOLVE_DISPUTE, worklist_table

AS_OF, THEN = d("2024-06-30"), d("2024-05-31")


def customer(customer_id, **values):
    base = {
        "customer_id": customer_id,
        "name": f"{customer_id} Ltd",
        "risk_grade": "3",
        "late_payment_grade": "3",
        "pd_12m": 0.01,
        "in_default_at_as_of": False,
        "exposure": 1000.0,
        "open_balance": 100.0,
        "credit_limit": 1000.0,
        "avg_days_late_365d": 5.0,
        "open_disputes": 0,
        "reason_1_text_en": "why",
    }
    return {**base, **values}


def watch(rows, then_rows, events=()):
    now = pd.DataFrame(rows)
    then = pd.DataFrame(
        then_rows, columns=["customer_id", "risk_grade", "late_payment_grade", "avg_days_late_365d", "open_disputes"]
    )
    happened = pd.DataFrame(list(events), columns=["customer_id", "event_date", "event_type"])
    table = watchlist_table(now, then, happened, WatchlistSettings(), AS_OF, THEN)
    return table.set_index("customer_id")


def same_then(*ids):
    return [(i, "3", "3", 5.0, 0) for i in ids]


def test_grade_down_two_notches_fires_one_does_not():
    table = watch(
        [
            customer("G2", risk_grade="5"),
            customer("G1", risk_grade="4"),
            customer("GD", risk_grade="D", in_default_at_as_of=True),
        ],
        [*same_then("G2", "G1"), ("GD", "9", "9", 5.0, 0)],
    )
    assert "grade_down" in table.loc["G2", "rules"] and "grade 3 -> 5" in table.loc["G2", "rule_details"]
    assert "G1" not in table.index
    assert table.loc["GD", "rule_grade_down"]  # 9 -> D is two notches


def test_utilisation_levels_name_the_highest_reached():
    table = watch(
        [
            customer("U79", open_balance=799.0),
            customer("U80", open_balance=800.0),
            customer("U95", open_balance=950.0),
            customer("U100", open_balance=1000.0),
            customer("NOLIMIT", open_balance=5000.0, credit_limit=np.nan),
        ],
        same_then("U79", "U80", "U95", "U100", "NOLIMIT"),
    )
    assert "U79" not in table.index and "NOLIMIT" not in table.index
    assert table.loc["U80", "rule_details"] == "limit utilisation 80% (at or over 80%)"
    assert table.loc["U95", "rule_details"] == "limit utilisation 95% (at or over 90%)"
    assert table.loc["U100", "rule_details"] == "limit utilisation 100% (at or over 100%)"


def test_days_late_up_by_15_and_disputes_rising():
    table = watch(
        [
            customer("L15", avg_days_late_365d=20.0),
            customer("L14", avg_days_late_365d=19.9),
            customer("D+", open_disputes=2),
            customer("D=", open_disputes=1),
        ],
        [*same_then("L15", "L14", "D+"), ("D=", "3", "3", 5.0, 1)],
    )
    assert table.loc["L15", "rules"] == "days_late_up"
    assert "L14" not in table.index and "D=" not in table.index
    assert table.loc["D+", "rule_details"] == f"open disputes 0 -> 2 since {THEN}"


def test_pd_threshold_and_events():
    table = watch(
        [
            customer("P18", pd_12m=0.18),
            customer("P17", pd_12m=0.1799),
            customer("INS"),
            customer("COL"),
            customer("OTHER"),
        ],
        same_then("P18", "P17", "INS", "COL", "OTHER"),
        events=[
            ("INS", d("2024-06-10"), "insurer_limit_change"),
            ("COL", d("2024-06-12"), "collections_handover"),
            ("OTHER", d("2024-06-12"), "limit_change"),  # the company's own decision: no rule
        ],
    )
    assert table.loc["P18", "rules"] == "pd_over" and "P17" not in table.index
    assert table.loc["INS", "rule_details"] == "insurer limit change on 2024-06-10"
    assert table.loc["COL", "rules"] == "default_or_collections"
    assert "OTHER" not in table.index


def test_watchlist_orders_by_rules_met_then_exposure():
    table = watch(
        [customer("ONE", pd_12m=0.5, exposure=9e6), customer("TWO", pd_12m=0.5, open_balance=900.0, exposure=10.0)],
        same_then("ONE", "TWO"),
    )
    assert list(table.index) == ["TWO", "ONE"]
    assert table.loc["TWO", "rule_count"] == 2


def test_behaviour_read_point_in_time():
    book = ledger(
        customers=[("K", 1000.0, 30, None, "retail")],
        invoices=[
            ("K1", "K", "2024-04-01", "2024-05-01", 100),  # paid 2024-05-11: 10 days late
            ("K2", "K", "2024-05-01", "2024-05-20", 100),  # paid 2024-06-19: 30 days late
        ],
        payments=[("K1", "2024-05-11", 100), ("K2", "2024-06-19", 100)],
        disputes=[("K1", "2024-05-02", "2024-05-10"), ("K2", "2024-06-01", None)],
        events=[("K", "2024-05-31", "insurer_limit_change"), ("K", "2024-06-15", "insurer_limit_change")],
    )
    with LedgerFacts(book) as facts:
        frame = behaviour_at(facts, [THEN, AS_OF]).set_index("day")
        events = events_between(facts, THEN, AS_OF, ("insurer_limit_change",))
    assert frame.loc[THEN, "avg_days_late_365d"] == 10 and frame.loc[AS_OF, "avg_days_late_365d"] == 20
    assert frame.loc[THEN, "open_disputes"] == 0 and frame.loc[AS_OF, "open_disputes"] == 1
    assert frame.loc[AS_OF, "paid_365d"] == 200
    assert list(events["event_date"]) == [dt.date(2024, 6, 15)]  # (compare-to, as-of]: the 2024-05-31 one is before


def invoices(rows):
    return pd.DataFrame(
        rows, columns=["invoice_id", "customer_id", "days_past_due", "open_amount", "is_disputed", "provision_model"]
    ).assign(invoice_date=d("2024-01-01"), due_date=d("2024-02-01"), aging_bucket="1-30")


def scored(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "risk_grade", "late_payment_prob_90d", "in_default_at_as_of"])
    frame["late_payment_grade"] = frame["risk_grade"]
    frame["pd_12m"], frame["name"] = 0.05, "x"
    for i in range(1, 4):
        frame[f"reason_{i}_text_en"] = "why"
    return frame


def test_dunning_ladder_steps():
    days = [0, 1, 14, 15, 29, 30, 59, 60, 89, 90]
    table = worklist_table(
        invoices([(f"I{n}", "C", n, 100.0, False, 1.0) for n in days]),
        scored([("C", "3", 0.5, False)]),
        WorklistSettings(),
    ).set_index("invoice_id")
    assert "I0" not in table.index  # not overdue
    actions = table["suggested_action"].to_dict()
    assert actions["I1"] == actions["I14"] == "reminder"
    assert actions["I15"] == actions["I29"] == "call"
    assert actions["I30"] == actions["I59"] == "final notice"
    assert actions["I60"] == actions["I89"] == "credit hold"
    assert actions["I90"] == "hand over to collections"


def test_worklist_queues_ranks_and_risky_customers():
    table = worklist_table(
        invoices(
            [
                ("SMALL", "SAFE", 5, 100.0, False, 1.0),
                ("BIG", "SAFE", 5, 1000.0, False, 2.0),
                ("RISKY", "BAD", 3, 200.0, False, 50.0),
                ("GONE", "DEF", 3, 200.0, False, 120.0),
                ("DISPUTED", "SAFE", 40, 5000.0, True, 5.0),
            ]
        ),
        scored([("SAFE", "3", 0.5, False), ("BAD", "9", 0.9, False), ("DEF", "D", 1.0, True)]),
        WorklistSettings(),
    )
    collections = table[table["queue"] == "collections"]
    # cash at risk: BIG 500, GONE 200, RISKY 180, SMALL 50
    assert list(collections["invoice_id"]) == ["BIG", "GONE", "RISKY", "SMALL"]
    assert list(collections["rank"]) == [1, 2, 3, 4]
    by_id = table.set_index("invoice_id")["suggested_action"]
    assert by_id["RISKY"] == "call"  # grade 9 is called, not reminded
    assert by_id["GONE"] == "hand over to collections"
    assert by_id["DISPUTED"] == RESOLVE_DISPUTE
    assert table.set_index("invoice_id").loc["DISPUTED", "queue"] == "disputes"


def test_terms_advice_by_grade():
    frame = pd.DataFrame(
        {
            "customer_id": ["SAFE", "LATE", "LONG", "MID", "RISK", "HOLD", "GONE"],
            "risk_grade": ["2", "2", "1", "6", "8", "6", "D"],
            "late_payment_grade": [None] * 7,
            "payment_terms_days": [30, 30, 90, 60, 60, 30, 30],
            "terms_advice": [None, None, None, None, "shorten terms", "cash in advance", "cash in advance"],
            "avg_days_late_365d": [0.0, 12.0, 0.0, 3.0, 20.0, 0.0, 40.0],
        }
    )
    table = terms_table(frame, TermsSettings()).set_index("customer_id")
    assert table.loc["SAFE", "advised_terms_days"] == 45 and "may be extended to 45 days" in table.loc["SAFE", "reason"]
    assert table.loc["LATE", "advised_terms_days"] == 30  # grade 2 but paying late: keep
    assert table.loc["LONG", "advised_terms_days"] == 90  # already at the longest terms offered
    assert table.loc["MID", "advice"] == "keep"
    assert table.loc["RISK", "advised_terms_days"] == 15 and table.loc["RISK", "advice"] == "shorten"
    assert table.loc["HOLD", "advice"] == "cash in advance"  # the limit policy's hold stands
    assert table.loc["GONE", "advised_terms_days"] == 0


def test_payment_plan_sized_to_capacity():
    frame = pd.DataFrame(
        {
            "customer_id": ["FITS", "STRETCH", "TOO_MUCH", "DEFAULTED"],
            "overdue_amount": [600.0, 3000.0, 100_000.0, 500.0],
            "paid_365d": [12_000.0, 12_000.0, 12_000.0, 12_000.0],  # 1,000 a month: a plan may take 250
            "pd_12m": [0.0, 0.12, 0.5, 1.0],
            "lgd": [0.6] * 4,
            "in_default_at_as_of": [False, False, False, True],
        }
    )
    plans = payment_plans(frame, TermsSettings()).set_index("customer_id")
    assert "DEFAULTED" not in plans.index  # for collections, not a plan
    assert plans.loc["FITS", "plan_months"] == 6 and plans.loc["FITS", "instalment"] == 100
    assert plans.loc["FITS", "expected_recovery"] == pytest.approx(600)  # PD 0: all of it
    assert plans.loc["STRETCH", "plan_months"] == 12 and plans.loc["STRETCH", "instalment"] == 250
    alive = [(1 - 0.12) ** (k / 12) for k in range(1, 13)]
    assert plans.loc["STRETCH", "expected_recovery"] == pytest.approx(sum(250 * (s + (1 - s) * 0.4) for s in alive))
    assert not plans.loc["TOO_MUCH", "affordable"] and plans.loc["STRETCH", "affordable"]
