"""How a model behaves, whatever its AUC: `pytest tests/model --model-uri models:/NAME@ALIAS --ledger SRC`.

The same checks `tradecredit promote` runs on a challenger before it can become champion.
"""

from __future__ import annotations

from training.behaviour_checks import directional, invariance, reproducibility, resolution


def test_worse_payment_behaviour_never_lowers_the_risk(model_under_test):
    model, rows, what = model_under_test
    results = directional(model, rows)
    assert results, f"{what}: no feature with a direction has enough known values in these rows"
    wrong = [f"{r.name} ({r.detail})" for r in results if not r.passed]
    assert not wrong, f"{what}: {wrong}"


def test_a_score_depends_on_the_row_alone(model_under_test):
    model, rows, what = model_under_test
    wrong = [r.name for r in invariance(model, rows) if not r.passed]
    assert not wrong, f"{what}: {wrong}"


def test_the_same_rows_score_the_same_twice(model_under_test):
    model, rows, what = model_under_test
    assert all(r.passed for r in reproducibility(model, rows)), what


def test_the_riskiest_customers_can_be_called_in_order(portfolio_under_test):
    model, rows, what = portfolio_under_test
    results = resolution(model, rows)
    assert results, f"{what}: fewer than 50 live customers at the latest as-of date"
    assert results[0].passed, f"{what}: {results[0].detail}"
