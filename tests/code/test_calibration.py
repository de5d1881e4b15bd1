"""Calibration that holds on recent data: the recent-window split, recalibration in the large, per-grade intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.calibration import ScoreCalibrator
from training.config import load_config
from training.dataset import population, split_out_of_time
from training.evaluate import calibration_by_grade, jeffreys_interval
from training.fit_all import embargo_days
from training.model_card import model_card


def test_recent_calibration_rows_are_validation_customers_at_the_latest_dates_and_never_judged(feature_table):
    config = load_config(None)
    rows = population(feature_table, "default_12m")
    split = split_out_of_time(rows, "default_12m", config.split, embargo_days(config), config.seed, recent_periods=1)
    latest = pd.to_datetime(rows["as_of_date"]).max()
    assert (pd.to_datetime(split.calibration["as_of_date"]) == latest).all()
    calibrating = set(split.calibration["customer_id"])
    assert calibrating <= set(split.valid["customer_id"])  # the booster never saw them
    assert not calibrating & set(split.test["customer_id"])  # the test judges other customers
    assert split.description["calibration_rows"] == len(split.calibration) > 0


def test_recalibration_in_the_large_moves_the_level_to_the_recent_rate_and_keeps_the_ranking():
    rng = np.random.default_rng(0)
    raw = rng.normal(-3, 1, 20_000)
    old = ScoreCalibrator("platt").fit(raw, rng.random(20_000) < 1 / (1 + np.exp(-raw)))
    recent_raw = rng.normal(-3, 1, 5_000)
    recent_y = rng.random(5_000) < 1 / (1 + np.exp(-(recent_raw - 1.0)))  # the same shape, rarer events
    new = old.recalibrated_in_the_large(recent_raw, recent_y)
    assert new.coef_ == old.coef_
    assert new.predict(recent_raw).mean() == pytest.approx(recent_y.mean(), rel=1e-9)
    assert new.intercept_ == pytest.approx(old.intercept_ - 1.0, abs=0.15)
    assert np.array_equal(np.argsort(new.predict(raw)), np.argsort(old.predict(raw)))
    with pytest.raises(ValueError, match="both outcomes"):
        old.recalibrated_in_the_large(recent_raw, np.zeros(5_000))
    with pytest.raises(ValueError, match="Platt"):
        ScoreCalibrator("isotonic").fit(raw, raw > -3).recalibrated_in_the_large(recent_raw, recent_y)


def test_jeffreys_interval_holds_the_rate_and_is_bounded_at_zero_and_all_events():
    low, high = jeffreys_interval([0, 5, 50, 100], [100, 100, 100, 100])
    assert low[0] == 0 and high[-1] == 1
    assert all(lo < k / 100 < hi for lo, hi, k in zip(low[1:3], high[1:3], (5, 50)))
    lower, upper = jeffreys_interval([5, 50], [100, 1000])
    assert upper[1] - lower[1] < (upper[0] - lower[0]) / 2  # ten times the rows at the same rate: much narrower
    assert low[1] == pytest.approx(0.0193, abs=1e-4) and high[1] == pytest.approx(0.1061, abs=1e-4)  # BCD 2001, Table 5


def test_a_grade_whose_interval_excludes_its_prediction_is_flagged():
    y = np.r_[np.zeros(990), np.ones(10), np.zeros(900), np.ones(100)]  # 1 % and 10 % observed
    p = np.r_[np.full(1000, 0.01), np.full(1000, 0.2)]  # the second grade predicted at twice its rate
    table = calibration_by_grade(y, p, np.r_[np.full(1000, 1), np.full(1000, 2)])
    assert table["calibrated"].tolist() == [True, False]


def test_model_card_names_the_calibration_window_and_the_data_limits(registry):
    _, default, _ = registry
    card = model_card(default.fit)
    assert "level refitted on the validation customers at the latest matured as-of date(s)" in card
    assert "Not calibrated" in card or "Every grade's observed rate interval" in card
    assert "have no observed `default_12m` yet" in card  # the sample fixture's last year is unlabelled
    baseline = next(line for line in card.splitlines() if line.startswith("| baseline"))
    assert baseline.endswith("| - | - |")  # days late is not a probability: no Brier score, no log loss
    assert "test_baseline_brier" not in default.fit.metrics
