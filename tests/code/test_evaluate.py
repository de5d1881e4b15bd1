"""Evaluation metrics, tables and charts, and the scorecard challenger, on tiny hand-checked data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_curve

from training import plots
from training.challenger import BinnedLogisticScorecard
from training.evaluate import (
    calibration_by_decile,
    calibration_by_grade,
    expected_calibration_error,
    gains_table,
    psi,
    psi_from_reference,
    score_metrics,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- metrics -------------------------------------------------------------------------------------


def test_perfect_ranking_scores_one():
    m = score_metrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert m["auc"] == 1.0 and m["gini"] == 1.0 and m["ks"] == 1.0 and m["pr_auc"] == 1.0
    # Brier: squared errors 0.01, 0.04, 0.04, 0.01.
    assert m["brier"] == pytest.approx(0.025)
    assert m["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    assert (m["n"], m["positives"], m["base_rate"]) == (4.0, 2.0, 0.5)


def test_imperfect_ranking_matches_hand_computation():
    m = score_metrics([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4])
    # 3 of 4 (bad, good) pairs are ordered right.
    assert m["auc"] == pytest.approx(0.75)
    assert m["gini"] == pytest.approx(0.5)
    # Cutting at 0.4 catches half the bads and no goods.
    assert m["ks"] == pytest.approx(0.5)
    # Precision 1 at recall 1/2, then 2/3 at recall 1.
    assert m["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_single_class_gives_nan_ranking_metrics_not_an_error():
    m = score_metrics([0, 0, 0], [0.1, 0.2, 0.3])
    assert all(math.isnan(m[k]) for k in ("auc", "gini", "ks", "pr_auc"))
    assert m["brier"] == pytest.approx((0.01 + 0.04 + 0.09) / 3)
    assert m["base_rate"] == 0.0


def test_log_loss_clips_certain_misses():
    m = score_metrics([1, 0], [0.0, 1.0])
    assert m["log_loss"] == pytest.approx(-math.log(1e-6))


def test_metrics_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="length"):
        score_metrics([0, 1], [0.5])


# --- calibration ---------------------------------------------------------------------------------


def test_calibration_by_decile_covers_every_row():
    rng = np.random.default_rng(0)
    p = rng.random(1003)
    y = (rng.random(1003) < p).astype(int)
    table = calibration_by_decile(y, p)
    assert list(table.columns) == ["bin", "n", "mean_predicted", "observed_rate", "abs_gap"]
    assert table["n"].sum() == len(y)
    assert list(table["bin"]) == list(range(1, 11))
    assert table["mean_predicted"].is_monotonic_increasing


def test_calibration_keeps_tied_scores_in_one_bin():
    table = calibration_by_decile([0, 1, 0, 1, 1], [0.3] * 5)
    assert len(table) == 1 and table["n"].iloc[0] == 5
    assert table["abs_gap"].iloc[0] == pytest.approx(0.3)


def test_expected_calibration_error_by_hand():
    # Two one-row bins: gaps 0.2 and 0.4, equal weights.
    assert expected_calibration_error([0, 1], [0.2, 0.6], bins=2) == pytest.approx(0.3)


def test_calibration_by_grade_keeps_order_and_missing_grades():
    grades = pd.Categorical(["A", "C", "B", None, "A"], categories=["A", "B", "C"], ordered=True)
    table = calibration_by_grade([0, 1, 0, 1, 1], [0.1, 0.5, 0.2, 0.4, 0.3], grades)
    assert table["n"].sum() == 5
    assert list(table["grade"].iloc[:3]) == ["A", "B", "C"] and pd.isna(table["grade"].iloc[3])
    a = table.iloc[0]
    assert (a["n"], a["mean_predicted"], a["observed_rate"]) == (2, pytest.approx(0.2), 0.5)


# --- gains and stability -------------------------------------------------------------------------


def test_gains_capture_sums_to_one_and_perfect_model_has_full_lift():
    score = np.arange(100, dtype=float)
    y = (score >= 90).astype(int)  # the ten highest scores are the bads
    table = gains_table(y, score)
    assert table["share_of_positives"].sum() == pytest.approx(1.0)
    assert table["cumulative_share_of_positives"].iloc[-1] == pytest.approx(1.0)
    assert table["cumulative_share_of_positives"].iloc[0] == pytest.approx(1.0)
    assert table["lift"].iloc[0] == pytest.approx(10.0)
    assert table["cumulative_lift"].iloc[-1] == pytest.approx(1.0)
    assert table["n"].sum() == 100


def test_psi_is_zero_for_identical_samples_and_large_for_shifted_ones():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=5000)
    assert psi(scores, scores) == pytest.approx(0.0)
    assert psi(scores, scores + 1.0) > 0.25


def test_psi_by_hand():
    # Median 2.5 splits expected 50/50; actual falls 75/25.
    expected_psi = 0.25 * math.log(1.5) + (-0.25) * math.log(0.5)
    assert psi([1, 2, 3, 4], [1, 1, 1, 4], bins=2) == pytest.approx(expected_psi)


def test_psi_from_a_stored_reference_matches_psi_on_the_sample():
    rng = np.random.default_rng(3)
    reference_sample, recent = rng.normal(size=2000), rng.normal(0.3, 1.0, size=1000)
    edges = np.unique(np.quantile(reference_sample, np.linspace(0, 1, 11)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, reference_sample, side="right"), minlength=len(edges) + 1)
    reference = {"edges": edges.tolist(), "shares": (counts / counts.sum()).tolist()}
    assert psi_from_reference(reference, recent) == pytest.approx(psi(reference_sample, recent))
    assert psi_from_reference(reference, reference_sample) == pytest.approx(0.0)


def test_psi_counts_a_drift_in_missing_values():
    assert psi([1.0, 2.0, 3.0, 4.0], [1.0, np.nan, 3.0, np.nan]) > 1.0


# --- scorecard challenger ------------------------------------------------------------------------


def synthetic_portfolio(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Return features and labels: a monotone signal with 20% missing, a categorical one, and dead columns."""
    rng = np.random.default_rng(seed)
    dpd = rng.gamma(2.0, 10.0, n)
    industry = rng.choice(["retail", "construction", "wholesale"], n)
    logit = -3.0 + 0.08 * dpd + np.where(industry == "construction", 1.0, 0.0)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    dpd[rng.random(n) < 0.2] = np.nan
    frame = pd.DataFrame(
        {
            "days_past_due": dpd,
            "noise": rng.normal(size=n),
            "industry": pd.Categorical(industry),
            "segment": rng.choice(["a", "b"], n).astype(object),
            "all_missing": np.full(n, np.nan),
            "constant": np.ones(n),
        }
    )
    return frame, y


@pytest.fixture(scope="module")
def portfolio():
    return synthetic_portfolio(4000, seed=1), synthetic_portfolio(2000, seed=2)


def test_scorecard_beats_random(portfolio):
    (x_train, y_train), (x_test, y_test) = portfolio
    model = BinnedLogisticScorecard(categorical=("segment",)).fit(x_train, y_train)
    proba = model.predict_proba(x_test)
    assert proba.shape == (len(x_test), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert score_metrics(y_test, proba[:, 1])["auc"] > 0.7
    assert set(model.categories_) == {"industry", "segment"}
    assert len(model.edges_["all_missing"]) == 0 and len(model.edges_["constant"]) == 1
    assert np.allclose(model.decision_function(x_test), np.log(proba[:, 1] / proba[:, 0]))


def test_scorecard_is_deterministic(portfolio):
    (x_train, y_train), (x_test, _) = portfolio
    first = BinnedLogisticScorecard().fit(x_train, y_train).predict_proba(x_test)
    second = BinnedLogisticScorecard().fit(x_train, y_train).predict_proba(x_test)
    assert np.array_equal(first, second)


def test_scorecard_scores_unseen_categories_missing_values_and_reordered_columns(portfolio):
    (x_train, y_train), _ = portfolio
    model = BinnedLogisticScorecard().fit(x_train, y_train)
    odd = x_train.head(3).copy()
    odd["industry"] = pd.Categorical(["mining", None, "retail"])
    odd["days_past_due"] = [np.nan, 1e9, -5.0]
    proba = model.predict_proba(odd[list(reversed(odd.columns))])
    assert np.isfinite(proba).all()
    with pytest.raises(ValueError, match="days_past_due"):
        model.predict_proba(odd.drop(columns="days_past_due"))


def test_scorecard_follows_the_sklearn_contract(portfolio):
    (x_train, y_train), _ = portfolio
    model = BinnedLogisticScorecard(n_bins=5, C=1.0, categorical=("segment",))
    assert is_classifier(model)
    with pytest.raises(NotFittedError):
        model.predict_proba(x_train)
    fitted = model.fit(x_train, y_train)
    assert fitted is model
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(x_train)
    assert list(model.feature_names_in_) == list(x_train.columns)
    assert set(model.classes_) == {0, 1}
    assert set(model.predict(x_train.head(50))) <= {0, 1}


def test_scorecard_rejects_a_single_class(portfolio):
    (x_train, _), _ = portfolio
    with pytest.raises(ValueError, match="binary"):
        BinnedLogisticScorecard().fit(x_train, np.zeros(len(x_train)))


# --- charts --------------------------------------------------------------------------------------


def assert_png(path):
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_plots_write_png_files(tmp_path, portfolio):
    (x_train, y_train), (x_test, y_test) = portfolio
    model = BinnedLogisticScorecard().fit(x_train, y_train)
    p = model.predict_proba(x_test)[:, 1]
    noisy = np.clip(p + np.random.default_rng(0).normal(0, 0.1, len(p)), 0, 1)
    curves = {"scorecard": roc_curve(y_test, p)[:2], "noisy": roc_curve(y_test, noisy)[:2]}
    assert_png(plots.plot_roc(curves, tmp_path / "roc.png"))
    assert_png(plots.plot_calibration(y_test, p, tmp_path / "calibration.png", "Scorecard, test set"))
    assert_png(plots.plot_importance(list(x_test.columns), np.arange(6.0), tmp_path / "importance.png", top=4))
    assert_png(plots.plot_gains(gains_table(y_test, p), tmp_path / "sub" / "gains.png"))


def test_roc_plot_refuses_labels_and_scores_in_place_of_a_curve(tmp_path):
    with pytest.raises(ValueError, match="roc_curve"):
        plots.plot_roc({"model": (np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.8, 0.3]))}, tmp_path / "roc.png")


def test_shap_summary_accepts_categoricals_and_a_bias_column(tmp_path, portfolio):
    _, (x_test, _) = portfolio
    frame = x_test.head(300).reset_index(drop=True)
    contributions = np.random.default_rng(0).normal(size=(len(frame), frame.shape[1] + 1))
    path = plots.plot_shap_summary(contributions, frame, tmp_path / "shap.png", top=5)
    assert_png(path)
    with pytest.raises(ValueError, match="shape"):
        plots.plot_shap_summary(contributions[:, :3], frame, tmp_path / "bad.png")


def test_plots_leave_no_figure_open(tmp_path):
    import matplotlib.pyplot as plt

    plots.plot_gains(gains_table([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], bins=2), tmp_path / "g.png")
    assert plt.get_fignums() == []
