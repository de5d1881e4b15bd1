"""The credit-limit policy, case by case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serving.limits import LimitPolicy, PolicyError, load_policy, recommend_limits


def customers(**overrides):
    base = {
        "invoice_amount_365d": [120_000.0],  # 10,000 a month
        "payment_terms_days": [30.0],
        "avg_terms_days_365d": [30.0],
        "avg_days_late_365d": [15.0],
        "credit_limit": [np.nan],
    }
    base.update({k: [v] for k, v in overrides.items()})
    return pd.DataFrame(base)


def advise(frame, grade=6, in_default=False, policy=LimitPolicy()):
    return recommend_limits(frame, np.array([grade]), np.array([in_default]), policy).iloc[0]


def test_anchored_on_expected_exposure_scaled_by_grade():
    # exposure = 10,000 x (30 + 15) / 30 = 15,000; grade 6 multiplier 1.0
    row = advise(customers())
    assert row.recommended_credit_limit == 15_000
    assert "expected exposure 15,000" in row.limit_reasons and "grade 6: x1" in row.limit_reasons
    assert advise(customers(), grade=1).recommended_credit_limit == 24_000  # x1.6
    assert advise(customers(), grade=10).recommended_credit_limit == 4_000  # x0.3, rounded down to 1,000


def test_one_review_moves_a_limit_at_most_the_configured_share():
    assert advise(customers(credit_limit=5_000.0)).recommended_credit_limit == 7_000  # +50 % cap, rounded
    cut = advise(customers(credit_limit=100_000.0))
    assert cut.recommended_credit_limit == 50_000 and "cut capped at -50%" in cut.limit_reasons
    assert cut.limit_change == -50_000


def test_insured_limit_is_respected_and_default_means_zero():
    insured = advise(customers(insured_limit=8_000.0))
    assert insured.recommended_credit_limit == 8_000 and "insured limit 8,000" in insured.limit_reasons
    assert advise(customers(insured_limit=np.nan)).recommended_credit_limit == 15_000
    defaulted = advise(customers(credit_limit=20_000.0), in_default=True)
    assert defaulted.recommended_credit_limit == 0
    assert defaulted.limit_reasons == "customer is in default: no further credit"


def test_terms_fall_back_to_invoiced_terms_then_30_days():
    row = advise(customers(payment_terms_days=np.nan, avg_terms_days_365d=60.0, avg_days_late_365d=np.nan))
    assert row.recommended_credit_limit == 20_000  # 10,000 x 60 / 30


def test_policy_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("max_increase = 0.2\nrounding = 500\n")
    policy = load_policy(path)
    assert advise(customers(credit_limit=5_000.0), policy=policy).recommended_credit_limit == 6_000
    path.write_text("grade_multipliers = [1, 2]\n")
    with pytest.raises(PolicyError, match="grade_multipliers"):
        load_policy(path)


def test_a_risky_grade_is_never_raised_however_large_its_exposure():
    # exposure 15,000 x 0.3 at grade 10 = 4,500 is above the current 2,500: a raise, were the grade safe
    held = advise(customers(credit_limit=2_500.0), grade=10)
    assert held.recommended_credit_limit == 2_500 and held.limit_change == 0
    assert "no raise at grade 8 or worse" in held.limit_reasons
    assert advise(customers(credit_limit=2_500.0), grade=7).recommended_credit_limit == 3_000  # +50 % cap, rounded
    assert advise(customers(credit_limit=20_000.0), grade=10).recommended_credit_limit == 10_000  # cuts still apply
    lenient = LimitPolicy(no_raise_from_grade=11)
    assert advise(customers(credit_limit=2_500.0), grade=10, policy=lenient).recommended_credit_limit == 3_000
