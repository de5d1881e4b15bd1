"""The credit-limit policy, case by case on literal feature rows, and its goals on the sample portfolio."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from model.grades import PD_MASTER_SCALE
from model.registry import connect
from serving.limits import LimitPolicy, PolicyError, load_policy, recommend_limits
from serving.scoring import load_scoring_models, score_features, snapshot

# The master scale's typical PD per grade, so a literal row's grade and PD agree.
GRADE_PD = dict(enumerate((0.002, 0.004, 0.007, 0.01, 0.02, 0.03, 0.05, 0.08, 0.14, 0.5), start=1))


def customers(**overrides):
    base = {
        "invoice_amount_365d": [120_000.0],  # 10,000 a month
        "payment_terms_days": [30.0],
        "avg_terms_days_365d": [30.0],
        "avg_days_late_365d": [15.0],
        "open_amount": [0.0],
        "credit_limit": [np.nan],
    }
    base.update({k: [v] for k, v in overrides.items()})
    return pd.DataFrame(base)


def advise(frame, grade=6, in_default=False, policy=LimitPolicy(), pd_12m=None, late=None):
    return recommend_limits(
        frame,
        np.array([grade]),
        np.array([GRADE_PD[grade] if pd_12m is None else pd_12m]),
        np.array([in_default]),
        policy,
        late_payment_prob=None if late is None else np.array([late]),
    ).iloc[0]


def test_anchored_on_expected_exposure_scaled_by_grade():
    # exposure = 10,000 x (30 + 15) / 30 = 15,000; grade 6 multiplier 1.0
    row = advise(customers())
    assert row.recommended_credit_limit == 15_000 and row.terms_advice is None
    assert "expected exposure 15,000 from sales" in row.limit_reasons and "grade 6: x1" in row.limit_reasons
    assert advise(customers(), grade=1).recommended_credit_limit == 24_000  # x1.6
    assert advise(customers(), grade=9).recommended_credit_limit == 7_000  # x0.5, rounded down to 1,000


def test_one_review_moves_a_limit_at_most_the_configured_share():
    assert advise(customers(credit_limit=5_000.0)).recommended_credit_limit == 7_000  # +50 % cap, rounded
    cut = advise(customers(credit_limit=100_000.0))
    assert cut.recommended_credit_limit == 50_000 and "cut capped at -50%" in cut.limit_reasons
    assert cut.limit_change == -50_000


def test_a_cut_rounds_up_rather_than_past_the_cap():
    # grade 2, no sales: the figure is 0, capped at -50 % of 3,000 = 1,500; rounding down would give 1,000
    idle = {"invoice_amount_365d": 0.0}
    row = advise(customers(credit_limit=3_000.0, **idle), grade=2)
    assert row.recommended_credit_limit == 2_000
    assert "rounded up to the 1,000 step: rounding down would cut more than -50%" in row.limit_reasons
    # the demo's grade-2 customer that went from 1,000 to 0: a one-step limit is kept, and says why
    one_step = advise(customers(credit_limit=1_000.0, **idle), grade=2)
    assert one_step.recommended_credit_limit == 1_000
    assert "a cut to 500 rounds up to the current limit at the 1,000 step: kept" in one_step.limit_reasons
    assert advise(customers(credit_limit=800.0, **idle), grade=4).recommended_credit_limit == 800


def test_a_raise_rounds_down_but_never_below_the_current_limit():
    row = advise(customers(credit_limit=1_000.0), grade=2)  # +50 % cap: 1,500, rounded down: 1,000
    assert row.recommended_credit_limit == 1_000
    assert "a raise to 1,500 rounds down to the current limit at the 1,000 step: kept" in row.limit_reasons


def test_no_review_passes_the_cap_or_zeroes_a_safe_grade_and_every_cap_reason_is_true():
    rng = np.random.default_rng(7)
    n = 3_000
    frame = pd.DataFrame(
        {
            "invoice_amount_365d": rng.choice([0.0, 1.0], n) * rng.lognormal(10, 2, n),
            "payment_terms_days": rng.choice([30.0, 60.0, np.nan], n),
            "avg_terms_days_365d": 45.0,
            "avg_days_late_365d": rng.choice([0.0, 10.0, 80.0, np.nan], n),
            "open_amount": rng.lognormal(8, 2, n) * rng.choice([0.0, 1.0], n),
            "credit_limit": rng.choice([500.0, 1_000.0, 1_500.0, 2_500.0, 7_000.0, 40_000.0, 250_000.0], n),
        }
    )
    grades = rng.integers(1, 10, n)  # below the hold grade
    pd_12m = np.array([GRADE_PD[g] for g in grades])
    out = recommend_limits(frame, grades, pd_12m, np.zeros(n, bool), LimitPolicy(), rng.random(n))
    current, recommended = out.current_credit_limit, out.recommended_credit_limit
    assert (recommended >= current * 0.5).all() and (recommended <= current * 1.5).all()
    assert (recommended[grades <= 5] > 0).all()
    cut_reason = out.limit_reasons.str.contains("cut capped at -50%")
    assert cut_reason.sum() > 100 and (recommended[cut_reason] >= current[cut_reason] * 0.5).all()
    # a limit on the step moves to the step, or not at all
    on_step = current % 1_000 == 0
    assert (recommended[on_step] % 1_000 == 0).all()


def test_a_safe_grade_is_never_given_zero_even_when_the_policy_allows_full_cuts():
    idle = customers(credit_limit=40_000.0, invoice_amount_365d=0.0)
    full_cuts = LimitPolicy(max_decrease=1.0)
    safe = advise(idle, grade=5, policy=full_cuts)
    assert safe.recommended_credit_limit == 1_000
    assert "grade 5 or better is never given 0: 1,000 instead" in safe.limit_reasons
    assert advise(idle, grade=6, policy=full_cuts).recommended_credit_limit == 0
    first = advise(customers(invoice_amount_365d=3_000.0), grade=2)  # figure 562: a first limit of one step
    assert first.recommended_credit_limit == 1_000


def test_a_figure_within_the_dead_band_keeps_the_limit():
    near = advise(customers(credit_limit=13_000.0))  # figure 15,000 is 15 % above
    assert near.recommended_credit_limit == 13_000 and near.limit_change == 0
    assert "figure 15,000 within 20% of the current limit: kept" in near.limit_reasons
    assert advise(customers(credit_limit=12_000.0)).recommended_credit_limit == 15_000  # 25 % above: moves
    assert advise(customers(credit_limit=17_000.0)).recommended_credit_limit == 17_000  # 12 % below: kept
    exact = LimitPolicy(dead_band=0)
    assert advise(customers(credit_limit=13_000.0), policy=exact).recommended_credit_limit == 15_000


def test_the_hold_grade_is_cut_to_the_cap_with_cash_in_advance():
    row = advise(customers(credit_limit=2_500.0), grade=10)  # the figure 4,500 is a raise, were the grade safe
    assert row.recommended_credit_limit == 2_000 and row.terms_advice == "cash in advance"
    assert "at or past the hold line (grade 10 or PD 18%), cut by the -50% per-review cap" in row.limit_reasons
    assert "rounded up to the 1,000 step" in row.limit_reasons
    assert advise(customers(credit_limit=20_000.0), grade=10).recommended_credit_limit == 10_000
    # a one-step limit is still cut: rounding up would keep it whole
    small = advise(customers(credit_limit=1_000.0), grade=10)
    assert small.recommended_credit_limit == 500 and "which would undo the cut" in small.limit_reasons
    new = advise(customers(), grade=10)
    assert new.recommended_credit_limit == 0 and "no credit limit opened" in new.limit_reasons
    held = advise(customers(credit_limit=20_000.0), grade=10, policy=LimitPolicy(hold_action="hold"))
    assert held.recommended_credit_limit == 0 and "on hold: limit 0 for new orders" in held.limit_reasons
    assert held.terms_advice == "cash in advance"
    # scored by the late-payment model alone: no PD, the hold follows the grade the policy reads
    late_only = advise(customers(credit_limit=20_000.0), grade=10, pd_12m=np.nan)
    assert late_only.recommended_credit_limit == 10_000 and "nan" not in late_only.limit_reasons
    from_nine = LimitPolicy(hold_grade=9)
    assert advise(customers(credit_limit=20_000.0), grade=9, policy=from_nine).recommended_credit_limit == 10_000


def test_a_pd_past_the_threshold_is_held_whatever_the_grade():
    # The default threshold is the lower edge of grade 10 on the PD master scale: the two rules agree there.
    assert LimitPolicy().hold_pd == PD_MASTER_SCALE[-2]
    row = advise(customers(credit_limit=8_000.0), grade=9, pd_12m=0.25)
    assert row.recommended_credit_limit == 4_000 and row.terms_advice == "cash in advance"
    assert "grade 9, PD 25.0%: at or past the hold line" in row.limit_reasons
    below = advise(customers(credit_limit=8_000.0), grade=9, pd_12m=0.15)
    assert below.recommended_credit_limit == 8_000 and below.terms_advice == "shorten terms"  # 7,500: in the band
    assert advise(customers(credit_limit=8_000.0), grade=7).terms_advice is None


def test_unknown_lateness_comes_from_the_late_payment_model_else_the_policy_default():
    unknown = customers(avg_days_late_365d=np.nan)
    row = advise(unknown, late=0.3)  # 0.3 x 33 = 9.9 days: 10,000 x 39.9 / 30 = 13,300
    assert row.recommended_credit_limit == 13_000
    assert "usual lateness unknown: 10 days expected from the late-payment model" in row.limit_reasons
    assert "(30% chance of paying more than 30 days late x 33 days)" in row.limit_reasons
    alone = advise(unknown)  # no late-payment score: 9 days, 10,000 x 39 / 30 = 13,000
    assert alone.recommended_credit_limit == 13_000
    assert "usual lateness unknown and no late-payment score: 9 days assumed (policy default)" in alone.limit_reasons
    assert advise(unknown, late=0.9).recommended_credit_limit == 19_000  # 29.7 days: 19,900
    assert "usual lateness unknown" not in advise(customers(), late=0.9).limit_reasons  # known lateness wins


def test_the_peak_balance_of_the_year_drives_exposure_when_larger():
    peak = advise(customers(peak_open_amount_365d=40_000.0, open_amount=5_000.0))
    assert peak.recommended_credit_limit == 40_000
    assert peak.limit_reasons.startswith("expected exposure 40,000: the peak balance of the last year")
    assert "sales-based figure 15,000" in peak.limit_reasons
    # without the peak in the feature table, the balance at the as-of date
    today = advise(customers(open_amount=22_000.0))
    assert today.recommended_credit_limit == 22_000
    assert "the balance at the as-of date" in today.limit_reasons
    low = advise(customers(peak_open_amount_365d=9_000.0))
    assert low.recommended_credit_limit == 15_000 and "peak balance of the last year 9,000" in low.limit_reasons


def test_insured_limit_is_respected_and_default_means_zero():
    insured = advise(customers(insured_limit=8_000.0))
    assert insured.recommended_credit_limit == 8_000 and "insured limit 8,000" in insured.limit_reasons
    assert advise(customers(insured_limit=np.nan)).recommended_credit_limit == 15_000
    defaulted = advise(customers(credit_limit=20_000.0), in_default=True)
    assert defaulted.recommended_credit_limit == 0 and defaulted.terms_advice == "cash in advance"
    assert defaulted.limit_reasons == "customer is in default: no further credit"


def test_a_limit_above_the_insured_one_is_not_raised_nor_cut_for_that_alone():
    above = customers(credit_limit=12_000.0, insured_limit=8_000.0)
    row = advise(above)  # figure 15,000
    assert row.recommended_credit_limit == 12_000
    assert "no raise above the insured limit 8,000: kept at the current limit" in row.limit_reasons
    assert advise(above, grade=9).recommended_credit_limit == 7_000  # the grade still cuts it: 15,000 x 0.5
    cutting = LimitPolicy(cut_to_insured=True)
    cut = advise(above, policy=cutting)
    assert cut.recommended_credit_limit == 8_000 and "brought down to the insured limit 8,000" in cut.limit_reasons


def test_terms_fall_back_to_invoiced_terms_then_30_days():
    row = advise(customers(payment_terms_days=np.nan, avg_terms_days_365d=60.0, avg_days_late_365d=0.0))
    assert row.recommended_credit_limit == 20_000  # 10,000 x 60 / 30


def test_policy_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("max_increase = 0.2\nrounding = 500\n")
    policy = load_policy(path)
    assert advise(customers(credit_limit=5_000.0), policy=policy).recommended_credit_limit == 6_000
    for text, problem in [
        ("grade_multipliers = [1, 2]\n", "grade_multipliers"),
        ('hold_action = "stop"\n', "hold_action"),
        ("never_zero_to_grade = 9\nhold_grade = 8\n", "never_zero_to_grade"),
    ]:
        path.write_text(text)
        with pytest.raises(PolicyError, match=problem):
            load_policy(path)


def test_a_risky_grade_is_never_raised_however_large_its_exposure():
    # exposure 15,000 x 0.5 at grade 9 = 7,500 is above the current 2,500: a raise, were the grade safe
    held = advise(customers(credit_limit=2_500.0), grade=9)
    assert held.recommended_credit_limit == 2_500 and held.limit_change == 0
    assert "no raise at grade 8 or worse" in held.limit_reasons
    assert advise(customers(credit_limit=2_500.0), grade=7).recommended_credit_limit == 3_000  # +50 % cap, rounded
    assert advise(customers(credit_limit=20_000.0), grade=9).recommended_credit_limit == 10_000  # cuts still apply
    lenient = LimitPolicy(no_raise_from_grade=11)
    assert advise(customers(credit_limit=2_500.0), grade=9, policy=lenient).recommended_credit_limit == 3_000


def test_the_sample_portfolio_meets_the_policy_goals(registry, sample_ledger):
    connect(registry[0])
    models = load_scoring_models()
    scores = score_features(snapshot(sample_ledger, dt.date(2026, 6, 30), models.label_config), models, LimitPolicy())
    live = scores[~scores["in_default_at_as_of"]]
    grade = live["risk_grade"].astype(int)
    current, recommended = live["current_credit_limit"], live["recommended_credit_limit"]
    safe = grade <= 5
    assert safe.sum() > 500 and (grade == 10).sum() > 10
    assert not (recommended[safe] < current[safe] * 0.5).any(), "a grade 1-5 customer cut by more than the cap"
    assert not ((recommended[safe] == 0) & (current[safe] > 0)).any(), "a grade 1-5 customer cut to zero"
    assert not (recommended[grade == 10] >= current[grade == 10]).any(), "a grade-10 customer keeps its limit"
    assert (live.loc[grade == 10, "terms_advice"] == "cash in advance").all()
    best = grade <= 3
    assert (recommended[best] < current[best]).mean() <= 0.15, "more than 15 % of grade 1-3 customers cut"
