"""The scorecard as the packaged model: the same scores as the scorecard, explained, served, and its points and SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.artifacts import download_artifacts

from features.labels import LabelConfig
from model.calibration import ScoreCalibrator
from model.spec import FeatureSpec
from serving.limits import LimitPolicy
from serving.scoring import load_scoring_models, score_features, snapshot
from training.behaviour_checks import directional, failures
from training.challenger import BinnedLogisticScorecard, numeric_codes
from training.config import ConfigError, load_config
from training.dataset import feature_spec, population
from training.scorecard_booster import points_factor, points_table, scorecard_booster, sql_expression
from training.train import train_and_register


@pytest.fixture(scope="module")
def fitted(feature_table):
    """Return (spec, scorecard, booster, test rows): a default-model scorecard and its booster."""
    rows = population(feature_table, "default_12m")
    train, test = rows.sample(frac=0.7, random_state=3), rows.sample(n=3000, random_state=4)
    spec = feature_spec(feature_table, tuple(load_config(None).exclude_features))
    x_train = spec.frame(train)
    scorecard = BinnedLogisticScorecard(categorical=tuple(spec.categorical), directions=spec.directions)
    scorecard.fit(x_train, train["default_12m"])
    return spec, scorecard, scorecard_booster(scorecard, spec, x_train), test


def test_the_booster_scores_as_the_scorecard_and_explains_it_exactly(fitted):
    spec, scorecard, booster, test = fitted
    log_odds = scorecard.decision_function(spec.frame(test))
    matrix = spec.array(test)  # unseen and missing categories alike are NaN here
    np.testing.assert_allclose(booster.predict(matrix, raw_score=True), log_odds, rtol=0, atol=1e-9)
    np.testing.assert_allclose(booster.predict(spec.frame(test), raw_score=True), log_odds, rtol=0, atol=1e-9)
    contributions = booster.predict(matrix, pred_contrib=True)
    np.testing.assert_allclose(contributions.sum(axis=1), log_odds, rtol=0, atol=1e-9)
    # An additive model's SHAP value is its bin weight less the (training-count weighted) mean weight:
    # every customer in one bin of a feature gets the same contribution from it, and the bins differ.
    j = spec.names.index("max_days_past_due_open")
    column = test["max_days_past_due_open"].to_numpy(dtype=float)
    codes = numeric_codes(column, scorecard.edges_["max_days_past_due_open"])
    by_bin = pd.Series(contributions[:, j]).groupby(codes)
    assert (by_bin.max() - by_bin.min()).max() < 1e-12 and by_bin.first().nunique() == by_bin.ngroups > 1


def test_odd_columns_convert_exactly_and_directed_bins_stay_monotone():
    # a directed number, a category column that never held a value, categories declared but unseen in
    # training, a column of nothing but missing values and a constant
    spec = FeatureSpec(
        ("days_late", "empty", "segment", "nothing", "constant"),
        {"empty": (), "segment": ("a", "b", "c")},
        {"days_late": 1},
    )
    rng = np.random.default_rng(5)
    n = 3000
    days = rng.gamma(2.0, 10.0, n)
    raw = pd.DataFrame(
        {
            "days_late": np.where(rng.random(n) < 0.1, np.nan, days),
            "empty": [None] * n,
            "segment": rng.choice(["a", "b"], n),
            "nothing": np.nan,
            "constant": 1.0,
        }
    )
    # riskier with lateness, but with a dip no committee would sign: the bins must not follow it
    odds = -3 + 0.05 * np.nan_to_num(raw["days_late"]) - 1.5 * ((days > 20) & (days < 30))
    y = (rng.random(n) < 1 / (1 + np.exp(-odds))).astype(int)
    x = spec.frame(raw)
    scorecard = BinnedLogisticScorecard(categorical=("empty", "segment"), directions=spec.directions).fit(x, y)
    booster = scorecard_booster(scorecard, spec, x)
    start = int(scorecard.offsets_[0])
    value_bins = scorecard.coef_[start : start + len(scorecard.edges_["days_late"]) + 1]
    assert np.all(np.diff(value_bins) >= -1e-12)
    test = raw.head(8).assign(segment=["a", "b", "c", "zz", None, "a", "b", "c"])
    test.loc[test.index[:2], "days_late"] = [np.nan, 1e9]
    np.testing.assert_allclose(
        booster.predict(spec.array(test), raw_score=True),
        scorecard.decision_function(spec.frame(test)),
        rtol=0,
        atol=1e-12,
    )


def test_the_sql_expression_gives_the_calibrated_probability_in_a_database(fitted):
    spec, scorecard, _, test = fitted
    log_odds = scorecard.decision_function(spec.frame(test))
    calibrator = ScoreCalibrator("platt").fit(log_odds, test["default_12m"].to_numpy())
    rows = test[list(spec.names)].copy()
    rows.loc[rows.index[:5], "country"] = "ZZ"  # a country the model was never told of scores as missing
    con = duckdb.connect()
    con.register("features", rows)
    in_sql = con.sql(f"SELECT {sql_expression(scorecard, spec, calibrator)} AS p FROM features").to_df()["p"]
    expected = calibrator.predict(scorecard.decision_function(spec.frame(rows)))
    np.testing.assert_allclose(in_sql.to_numpy(), expected, rtol=0, atol=1e-12)


def test_the_points_table_has_a_row_per_bin_and_more_points_mean_less_risk(fitted):
    spec, scorecard, _, _ = fitted
    points = points_table(scorecard, spec)
    assert len(points) == 1 + int(scorecard.offsets_[-1]) and points.loc[0, "feature"] == "(base)"
    rows = points.iloc[1:]
    factor, offset = points_factor()  # 20 points double the odds against the event
    np.testing.assert_allclose(rows["points"], (-factor * rows["weight"]).round(1), atol=1e-9)
    assert factor == pytest.approx(20 / np.log(2)) and points.loc[0, "points"] == round(
        offset - factor * points.loc[0, "weight"], 1
    )
    overdue = rows[rows["feature"] == "max_days_past_due_open"]
    assert overdue["bin"].iloc[0].startswith("< ") and overdue["bin"].iloc[-1] == "missing"


def test_train_registers_the_scorecard_that_scores_explains_and_serves(feature_table, sample_ledger, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = load_config(None, target="default_12m", portfolio="committee", packaged_model="scorecard")
    outcome = train_and_register(feature_table, config, uri=uri, source="sample")
    m = outcome.fit.metrics
    assert "test_lightgbm_auc" in m and "test_scorecard_auc" not in m  # LightGBM is now the challenger
    tags = MlflowClient().get_model_version("committee-default", outcome.model.version).tags
    assert tags["model_kind"] == "scorecard"
    folder = download_artifacts(run_id=outcome.run_id, artifact_path="scorecard")
    points = pd.read_csv(f"{folder}/points.csv")
    assert set(points.columns) == {"feature", "bin", "weight", "points"} and len(points) > len(outcome.fit.spec.names)
    assert Path(folder, "scoring.sql").read_text().startswith("1.0 / (1.0 + exp(-(")
    card = Path(download_artifacts(run_id=outcome.run_id, artifact_path="model_card.md")).read_text()
    assert "| scorecard (calibrated, the packaged model) |" in card and "| LightGBM challenger" in card
    # Its packaged form gives the scorecard's ranking, explained, through the scoring core and pyfunc.
    models = load_scoring_models("models:/committee-default@champion", "none")
    features = snapshot(sample_ledger, pd.Timestamp("2026-06-30").date(), LabelConfig()).head(400)
    scores = score_features(features, models, LimitPolicy())
    live = scores[~scores["in_default_at_as_of"]]
    assert live["pd_12m"].between(0, 1).all() and live["reason_1_text_en"].notna().mean() > 0.5
    # held to the risk directions, as the booster is, so promote's behaviour checks can pass it
    assert failures(directional(models.default.model, features)) == []
    scorecard = outcome.fit.scorecard
    log_odds = scorecard.decision_function(outcome.fit.spec.frame(features))
    order = np.argsort(log_odds[~scores["in_default_at_as_of"].to_numpy()], kind="stable")
    assert np.all(np.diff(live["pd_12m"].to_numpy()[order]) >= -1e-12)  # the calibrated PD keeps its order
    served = mlflow.pyfunc.load_model("models:/committee-default@champion").predict(
        features.drop(columns=["in_default_at_as_of"]).assign(as_of_date=lambda f: f["as_of_date"].astype(str))
    )
    np.testing.assert_allclose(
        served["pd_12m"], scores["pd_12m"].where(~scores["in_default_at_as_of"], served["pd_12m"])
    )


def test_a_scorecard_under_isotonic_calibration_is_refused_in_one_line(tmp_path):
    path = tmp_path / "committee.toml"
    path.write_text('packaged_model = "scorecard"\n[calibration]\nmethod = "isotonic"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value) == (
        f'{path}: packaged_model = "scorecard" needs [calibration] method = "platt" (its SQL expression)'
    )
