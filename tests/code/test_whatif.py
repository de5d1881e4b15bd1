"""What-if scenarios on the sample ledger with the trained champions: a customer's own sub-ledger scores as the
portfolio does, a scenario changes the ledger (never a feature) and is scored by the real pipeline and models."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from helpers import REFERENCE

from model.registry import connect
from serving.limits import load_policy
from serving.scoring import load_scoring_models, score_features, snapshot
from serving.whatif import WhatIfError, add_months, customer_ledger, plan, what_if

AS_OF = dt.date(2026, 6, 30)
LATER = dt.date(2026, 9, 30)  # as_of + 3 months: a month-end stays a month-end
POLICY = load_policy(None)


@pytest.fixture(scope="module")
def models(registry):
    connect(registry[0])
    return load_scoring_models()


@pytest.fixture(scope="module")
def portfolio(sample_ledger, models) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the whole portfolio's feature rows and score rows at AS_OF, both indexed by customer_id."""
    features = snapshot(sample_ledger, AS_OF, models.label_config)
    scores = score_features(features, models, POLICY)
    return features.set_index("customer_id"), scores.set_index("customer_id")


@pytest.fixture(scope="module")
def improvable(sample_ledger, models, portfolio):
    """Return the what-if result of the first live customer (by id) of grade 5 or worse with something overdue
    for which some scenario improves the grade or restores the limit."""
    features, scores = portfolio
    live = scores[~scores["in_default_at_as_of"]]
    risky = live.index[(live["risk_grade"].astype(int) >= 5) & (features.loc[live.index, "overdue_amount"] > 0)]
    assert len(risky) >= 10, len(risky)
    for customer in sorted(risky)[:5]:
        result = what_if(sample_ledger, customer, AS_OF, models, POLICY, REFERENCE)
        if result.best is not None:
            return result
    pytest.fail(f"no scenario improves any of {sorted(risky)[:5]}")


def assert_same_score(mine: pd.Series | dict, batch: pd.Series) -> None:
    """Assert that two score rows give the same PD, grades, reasons and limit advice."""
    assert abs(mine["pd_12m"] - batch["pd_12m"]) <= 1e-9
    assert abs(mine["late_payment_prob_90d"] - batch["late_payment_prob_90d"]) <= 1e-9
    for column in ("risk_grade", "late_payment_grade", "recommended_credit_limit", "limit_reasons"):
        assert mine[column] == batch[column], column
    for slot in range(1, 6):
        left, right = mine[f"reason_{slot}_feature"], batch[f"reason_{slot}_feature"]
        assert (pd.isna(left) and pd.isna(right)) or left == right, slot


def test_a_customer_s_own_sub_ledger_scores_as_the_portfolio_does(sample_ledger, models, portfolio):
    features, scores = portfolio
    limited = scores["recommended_credit_limit"] < scores["current_credit_limit"]
    customers = dict.fromkeys(
        [
            *scores.index[:3],
            scores.index[scores["in_default_at_as_of"]][0],
            scores.index[limited & ~scores["in_default_at_as_of"]][0],
            features.index[features["aging_61_90_amount"] > 0][0],
        ]
    )
    assert len(customers) >= 5, customers
    own = [snapshot(customer_ledger(sample_ledger, c, REFERENCE), AS_OF, models.label_config) for c in customers]
    rescored = score_features(pd.concat(own, ignore_index=True), models, POLICY).set_index("customer_id")
    for customer in customers:
        assert_same_score(rescored.loc[customer], scores.loc[customer])
    first = next(iter(customers))
    # Cut to what was known at as_of, as `what_if` cuts it, it scores the same: nothing later counts.
    known = snapshot(customer_ledger(sample_ledger, first, REFERENCE, known_at=AS_OF), AS_OF, models.label_config)
    pd.testing.assert_frame_equal(known.set_index("customer_id"), features.loc[[first]])


def test_paying_the_61_90_bucket_empties_it_in_the_ledger_the_model_scores(sample_ledger, models, portfolio):
    features = portfolio[0]
    live = features[~features["in_default_at_as_of"]]
    customer = live.index[live["aging_61_90_amount"] > 0][0]
    base_ledger, planned = plan(sample_ledger, customer, AS_OF, REFERENCE)
    scenario = next(s for s in planned if s.name == "pay_61_90")
    assert scenario.payments["payment_id"].str.startswith("whatif-pay_61_90-").all()
    assert (scenario.payments["payment_date"] == AS_OF).all()
    paid = customer_ledger(base_ledger, customer, REFERENCE, scenario.payments, scenario.invoices)
    after = snapshot(paid, AS_OF, models.label_config).iloc[0]
    before = features.loc[customer]
    cash = scenario.payments["amount"].sum()
    assert after["aging_61_90_amount"] == 0
    assert after["overdue_amount"] == pytest.approx(before["overdue_amount"] - cash, abs=0.005)
    assert after["overdue_invoice_count"] == before["overdue_invoice_count"] - len(scenario.payments)
    # The outcome is the models' score of that very ledger. Its PD is not held to be lower: paid now, an invoice
    # 61-90 days overdue is settled 61-90 days late, which the timeliness features count, and payment counts
    # and amounts (no risk direction) move too; monotone in each feature, the model need not be in the payment.
    outcomes = what_if(sample_ledger, customer, AS_OF, models, POLICY, REFERENCE).outcomes
    outcome = next(o for o in outcomes if o.scenario == "pay_61_90")
    rescored = score_features(snapshot(paid, AS_OF, models.label_config), models, POLICY).iloc[0]
    assert outcome.cash == pytest.approx(cash, abs=0.005) and outcome.payments == len(scenario.payments)
    assert outcome.pd_12m == pytest.approx(rescored["pd_12m"], abs=1e-12)
    assert outcome.risk_grade == rescored["risk_grade"]
    # A customer with nothing 61-90 days overdue is not offered to pay it.
    other = live.index[(live["aging_61_90_amount"] == 0) & (live["overdue_amount"] > 0)][0]
    assert "pay_61_90" not in [s.name for s in plan(sample_ledger, other, AS_OF, REFERENCE)[1]]


def test_a_risky_customer_with_overdue_items_has_a_best_scenario(improvable, portfolio):
    base, best = improvable.base, improvable.best
    assert best is not None and best.improves
    cut = base["recommended_credit_limit"] < base["current_credit_limit"]
    assert int(best.risk_grade) < int(base["risk_grade"]) or (
        cut and best.recommended_credit_limit >= base["current_credit_limit"]
    )
    cash = [o.cash for o in improvable.outcomes]
    assert cash == sorted(cash) and best.cash > 0 and best.payments > 0
    assert best.text_en.endswith(f"({best.cash:,.2f})") or "in all" in best.text_en
    assert_same_score(base, portfolio[1].loc[improvable.customer_id])


def test_three_months_on_time_is_scored_later_and_does_not_reach_back(improvable, sample_ledger, models, portfolio):
    customer = improvable.customer_id
    later = next(o for o in improvable.outcomes if o.scenario == "on_time_3m")
    assert later.as_of == LATER and improvable.base["as_of_date"] == AS_OF
    assert_same_score(improvable.base, portfolio[1].loc[customer])
    base_ledger, planned = plan(sample_ledger, customer, AS_OF, REFERENCE)
    scenario = next(s for s in planned if s.name == "on_time_3m")
    assert scenario.invoices["invoice_id"].str.startswith("whatif-on_time_3m-").all()
    assert (scenario.invoices["invoice_date"] > AS_OF).all() and (scenario.invoices["invoice_date"] <= LATER).all()
    # What the scenario dates after as_of changes nothing at as_of: only its later score sees it.
    future = scenario.payments[scenario.payments["payment_date"] > AS_OF]
    assert len(future) and len(scenario.invoices)
    extended = customer_ledger(base_ledger, customer, REFERENCE, future, scenario.invoices)
    pd.testing.assert_frame_equal(
        snapshot(extended, AS_OF, models.label_config).set_index("customer_id"), portfolio[0].loc[[customer]]
    )


def test_an_unknown_customer_is_named_in_one_line(sample_ledger, models):
    with pytest.raises(WhatIfError, match="NO-SUCH-CUSTOMER") as caught:
        what_if(sample_ledger, "NO-SUCH-CUSTOMER", AS_OF, models, POLICY, REFERENCE)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("day", "months", "moved"),
    [
        ("2026-06-30", 3, "2026-09-30"),
        ("2026-02-28", 1, "2026-03-31"),
        ("2026-01-30", 1, "2026-02-28"),
        ("2026-03-15", -3, "2025-12-15"),
        ("2026-11-30", 3, "2027-02-28"),
    ],
)
def test_months_are_added_month_end_to_month_end(day, months, moved):
    assert add_months(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(moved)
