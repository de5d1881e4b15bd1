"""Expected loss with insured cover and the IFRS 9 provision matrix on literal ledgers, worked out by hand."""

from __future__ import annotations

import pytest
from portfolio_ledgers import AGING_AS_OF, AGING_LEDGER
from test_portfolio_aging_dso import report_on, row

from serving.portfolio.settings import PortfolioSettings

# Customer A of the aging ledger: open 2,450, limit 10,000, insured 3,000, PD 5 %; B: open 1,500, no limit,
# nothing insured, PD 1 %.
SCORES = [("A", 0.05, "6", 0.4), ("B", 0.01, "3", 0.2)]


def test_expected_loss_with_insured_cover():
    losses = report_on(AGING_LEDGER, AGING_AS_OF, SCORES).tables["expected_loss"]
    a = row(losses, "customer", "A")
    assert a["exposure"] == pytest.approx(2450 + 0.1 * (10_000 - 2450))  # 3,205
    assert a["covered"] == 3000
    # 0.05 x (0.6 x (3,205 - 3,000) + (1 - 0.9) x 3,000)
    assert a["expected_loss"] == pytest.approx(0.05 * (0.6 * 205 + 0.1 * 3000))
    # on the open balance alone, all of it insured: 0.05 x 0.1 x 2,450
    assert a["model_provision"] == pytest.approx(0.05 * 0.1 * 2450)
    b = row(losses, "customer", "B")
    assert b["exposure"] == 1500 and b["expected_loss"] == pytest.approx(0.01 * 0.6 * 1500)
    total = row(losses, "total", "all")
    assert total["expected_loss"] == pytest.approx(a["expected_loss"] + b["expected_loss"])
    assert row(losses, "risk_grade", "6")["expected_loss"] == pytest.approx(a["expected_loss"])


def test_lgd_by_segment():
    settings = PortfolioSettings.model_validate({"expected_loss": {"lgd_by_segment": {"retail": 0.4}}})
    a = row(report_on(AGING_LEDGER, AGING_AS_OF, SCORES, settings).tables["expected_loss"], "customer", "A")
    assert a["lgd"] == 0.4
    assert a["expected_loss"] == pytest.approx(0.05 * (0.4 * 205 + 0.1 * 3000))


# The provision matrix over a two-month-end window (2024-02-29 and 2024-03-31), outcomes a year later,
# reported at 2025-03-31. Customer P:
#   X1 1,000 due 2024-02-29: paid 400 on 2024-03-01 and 600 on 2024-03-15
#   X2   600 due 2024-01-31: 200 paid on 2024-06-01, the rest never
#   X3   300 due 2024-03-31: paid on 2024-05-10
#   X4   500 due 2024-03-20: 250 paid on 2025-03-01
#   X5 1,000 due 2025-04-09 and X6 800 due 2025-03-03: open at the report date
# At 2024-02-29: X1 current (1,000), X2 1-30 (29 days, 600). At 2024-03-31: X2 31-60 (600), X3 current
# (300), X4 1-30 (500). A year later X2 has 400 unpaid and X4 250; X1 and X3 nothing.
PROVISION_AS_OF = "2025-03-31"
PROVISION_LEDGER = {
    "customers": [("P", 5000.0, 30, None, "retail")],
    "invoices": [
        ("X1", "P", "2024-02-01", "2024-02-29", 1000),
        ("X2", "P", "2024-01-01", "2024-01-31", 600),
        ("X3", "P", "2024-03-01", "2024-03-31", 300),
        ("X4", "P", "2024-03-01", "2024-03-20", 500),
        ("X5", "P", "2025-03-10", "2025-04-09", 1000),
        ("X6", "P", "2025-02-01", "2025-03-03", 800),
    ],
    "payments": [
        ("X1", "2024-03-01", 400),
        ("X1", "2024-03-15", 600),
        ("X2", "2024-06-01", 200),
        ("X3", "2024-05-10", 300),
        ("X4", "2025-03-01", 250),
    ],
}


def matrix(method="loss_rate", scenarios=None):
    provision = {"lookback_months": 2, "method": method}
    if scenarios:
        provision["scenarios"] = scenarios
    settings = PortfolioSettings.model_validate({"provision": provision})
    report = report_on(PROVISION_LEDGER, PROVISION_AS_OF, [("P", 0.1, "8", 0.5)], settings)
    return report.tables["provision_matrix"].set_index("aging_bucket"), report.notes


def test_provision_matrix_loss_rates_by_hand():
    table, notes = matrix()
    assert table.loc["current", "window_open_amount"] == 1300 and table.loc["current", "loss_rate"] == 0
    assert table.loc["1-30", "window_open_amount"] == 1100 and table.loc["1-30", "window_lost_amount"] == 650
    assert table.loc["1-30", "loss_rate"] == pytest.approx(650 / 1100)
    assert table.loc["31-60", "loss_rate"] == pytest.approx(400 / 600)
    # buckets with nothing open in the window take the rate of the bucket before them, and say so
    assert table.loc["over 180", "loss_rate"] == pytest.approx(400 / 600)
    assert any("nothing was open in bucket 61-90" in n for n in notes)
    # open at 2025-03-31: X5 current, X6 1-30 (28 days), X2 400 and X4 250 over 180
    assert table.loc["1-30", "open_amount"] == 800 and table.loc["over 180", "open_amount"] == 650
    assert table.loc["1-30", "provision_matrix"] == pytest.approx(800 * 650 / 1100)
    assert table.loc["total", "provision_matrix"] == pytest.approx(800 * 650 / 1100 + 650 * 400 / 600)


def test_provision_matrix_beside_the_model():
    table, notes = matrix()
    # PD 10 %, LGD 0.6 on the balance of 2,450, shared among the open invoices by amount
    assert table.loc["total", "provision_model"] == pytest.approx(0.1 * 0.6 * 2450)
    assert table.loc["1-30", "provision_model"] == pytest.approx(0.1 * 0.6 * 800)
    assert table.loc["over 180", "difference"] == pytest.approx(650 * 400 / 600 - 0.1 * 0.6 * 650)
    assert table.loc["31-60", "provision_model"] == 0  # nothing open in it
    # 1-30: 800 x 59.1 % = 472.7 by the matrix against 48 by the model, the largest gap
    assert any("largest gap is in bucket 1-30 (loss rate 59.1% against the model's 6.0%)" in n for n in notes)


def test_forward_looking_overlay():
    scenarios = [
        {"name": "base", "weight": 0.6, "multiplier": 1.0},
        {"name": "downturn", "weight": 0.4, "multiplier": {"1-30": 2.0}},
    ]
    table, _ = matrix(scenarios=scenarios)
    assert table.loc["1-30", "overlay_multiplier"] == pytest.approx(0.6 + 0.4 * 2.0)
    assert table.loc["1-30", "loss_rate"] == pytest.approx(650 / 1100 * 1.4)
    assert table.loc["31-60", "overlay_multiplier"] == pytest.approx(1.0)


def test_roll_rate_method_by_hand():
    table, notes = matrix("roll_rate")
    # current: X1 has 600 left on 2024-03-01 (the day after its due date), X3 all 300 on 2024-04-01
    assert table.loc["current", "roll_rate"] == pytest.approx(900 / 1300)
    # 1-30: X2 (on 2024-03-02) and X4 (on 2024-04-20) wholly unpaid when they reach 31-60; 31-60: X2 on 2024-04-01
    assert table.loc["1-30", "roll_rate"] == 1 and table.loc["31-60", "roll_rate"] == 1
    assert any("taken to roll in full" in n for n in notes)
    last = 400 / 600  # over 180 takes 31-60's loss rate (nothing over 180 in the window)
    assert table.loc["over 180", "loss_rate"] == pytest.approx(last)
    assert table.loc["current", "loss_rate"] == pytest.approx(900 / 1300 * last)
    assert table.loc["current", "provision_matrix"] == pytest.approx(1000 * 900 / 1300 * last)
