"""Fit everything one training run needs, without side effects: model, calibration, challenger, figures.

`fit_models(table, config)` reads top to bottom: population, split, booster, calibrator, packaged
model, challenger and baseline, evaluation. Tracking is the caller's business (`training.train`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.calibration import ScoreCalibrator
from model.grades import SCALES
from model.packaged import PackagedModel
from training.challenger import BinnedLogisticScorecard
from training.config import TrainingConfig
from training.data_notes import data_notes
from training.dataset import (
    FeatureSpec,
    Split,
    feature_spec,
    population,
    split_by_customer,
    split_out_of_time,
)
from training.evaluate import (
    calibration_by_decile,
    calibration_by_grade,
    expected_calibration_error,
    gains_table,
    psi,
    score_metrics,
    score_reference,
)
from training.fit import fit_booster, lightgbm_params
from training.monitor.stability import feature_reference
from training.reason_bundle import reason_bundle
from training.scorecard_booster import scorecard_booster
from training.tune import tune_lightgbm

BASELINE_FEATURES = ("avg_days_late_90d", "avg_days_late_365d")
PROBABILITY_METRICS = ("brier", "log_loss")


@dataclass
class FitResult:
    config: TrainingConfig
    spec: FeatureSpec
    split: Split
    packaged: PackagedModel
    lightgbm_params: dict
    metrics: dict[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    test_scores: dict[str, np.ndarray] = field(default_factory=dict)  # model name -> scores on test
    shap_sample: tuple[np.ndarray, pd.DataFrame] | None = None
    trials: list[dict] = field(default_factory=list)  # Optuna trials, when tuned
    notes: list[str] = field(default_factory=list)  # the limits the data shows (model card)
    calibration_window: str = ""  # which rows calibrated the probabilities, in words
    scorecard: BinnedLogisticScorecard | None = None  # the fitted scorecard, challenger or packaged model


def embargo_days(config: TrainingConfig) -> int:
    """Return how many days a label's outcome window spans: training rows must end that far before the test."""
    if config.target == "default_12m":
        return round(config.labels.default_horizon_months * 365.25 / 12)
    return config.labels.late_window_days + config.labels.late_threshold_days


def baseline_score(frame: pd.DataFrame) -> np.ndarray:
    """Return the naive baseline: recent average days late (90 days, else the year), 0 when unknown."""
    score = frame[BASELINE_FEATURES[0]].astype(float)
    return score.fillna(frame[BASELINE_FEATURES[1]].astype(float)).fillna(0.0).to_numpy()


def fit_models(table: pd.DataFrame, config: TrainingConfig, progress: Callable[[str], None] | None = None) -> FitResult:
    """Return the fitted packaged model, its challenger and baseline scores, metrics and evaluation tables."""
    say = progress or (lambda message: None)
    label = config.target
    rows = population(table, label)
    spec = feature_spec(table, tuple(config.exclude_features))
    if config.split.method == "out_of_time":
        calibration = config.calibration
        recent = calibration.recent_periods if calibration.window == "recent" and calibration.method == "platt" else 0
        split = split_out_of_time(rows, label, config.split, embargo_days(config), config.seed, recent)
    else:
        split = split_by_customer(rows, label, config.split, config.seed)
    say(
        f"{label}: train {len(split.train):,} rows, valid {len(split.valid):,}, test {len(split.test):,} "
        f"({split.description['split_method']} split)"
    )
    x_train, x_valid, x_test = spec.frame(split.train), spec.frame(split.valid), spec.frame(split.test)
    y_train, y_valid, y_test = (
        split.train[label].to_numpy(),
        split.valid[label].to_numpy(),
        split.test[label].to_numpy(),
    )

    settings, trials = config.lightgbm, list[dict]()
    if config.tune_trials:
        say(f"tuning LightGBM: {config.tune_trials} Optuna trials judged on the validation customers")
        settings, trials = tune_lightgbm(
            x_train, y_train, x_valid, y_valid, spec, settings, config.seed, config.tune_trials
        )
        config = config.model_copy(update={"lightgbm": settings})
    say("fitting LightGBM with early stopping on the validation set")
    booster = fit_booster(x_train, y_train, x_valid, y_valid, spec, settings, config.seed)
    say("fitting the scorecard challenger (binned logistic regression)")
    scorecard = BinnedLogisticScorecard(categorical=tuple(spec.categorical), directions=spec.directions).fit(
        x_train, y_train
    )
    say(f"calibrating: {_calibration_window(split)}")
    lightgbm = _packaged(booster, config, spec, split, x_valid, y_valid)
    scores = {"lightgbm": lightgbm.probability(split.test), "scorecard": scorecard.predict_proba(x_test)[:, 1]}
    packaged = lightgbm
    if config.packaged_model == "scorecard":
        say("packaging the scorecard as the model (one tree per feature, its bins' points as leaves)")
        # The calibrated scorecard is the model; LightGBM becomes the challenger it is judged against.
        packaged = _packaged(scorecard_booster(scorecard, spec, x_train), config, spec, split, x_valid, y_valid)
    test_pd = packaged.probability(split.test)
    train_pd = packaged.probability(split.train)
    packaged.bundle["score_reference"] = score_reference(test_pd)
    # What `tradecredit monitor` holds later populations against: the most recent rows the model was judged on.
    packaged.bundle["feature_reference"] = feature_reference(spec.array(split.test), spec, packaged.bundle["units"])
    # Keyed by what each is; the packaged model's metrics are test_*, the others' test_<name>_*.
    scores = {**scores, config.packaged_model: test_pd, "baseline": baseline_score(split.test)}

    say("evaluating on the out-of-time test set")
    metrics: dict[str, float] = {}
    for name, score in scores.items():
        for key, value in score_metrics(y_test, score).items():
            # The baseline is days late, not a probability: it ranks, but has no Brier score or log loss.
            if name == "baseline" and key in PROBABILITY_METRICS:
                continue
            metrics[f"test_{name}_{key}" if name != config.packaged_model else f"test_{key}"] = value
    metrics["test_ece"] = expected_calibration_error(y_test, test_pd)
    metrics["psi_train_test"] = psi(train_pd, test_pd)
    metrics["best_iteration"] = float(booster.current_iteration())  # LightGBM's, whichever is packaged
    for key, value in score_metrics(y_valid, packaged.probability(split.valid)).items():
        metrics[f"valid_{key}"] = value
    grades = packaged.predict(split.test, explain=False)["risk_grade"].to_numpy()
    tables = {
        "calibration_by_decile": calibration_by_decile(y_test, test_pd),
        "calibration_by_grade": calibration_by_grade(y_test, test_pd, grades),
        "gains": gains_table(y_test, test_pd),
    }
    metrics["grades_not_calibrated"] = float((~tables["calibration_by_grade"]["calibrated"]).sum())
    sample = split.test.sample(n=min(2000, len(split.test)), random_state=config.seed)
    explanation = packaged.explain(sample)
    return FitResult(
        config,
        spec,
        split,
        packaged,
        lightgbm_params(config.lightgbm, spec, y_train, config.seed),
        metrics,
        tables,
        scores,
        (explanation.contributions, packaged.matrix(sample)),
        trials,
        data_notes(table, label, spec, split),
        _calibration_window(split),
        scorecard,
    )


def _packaged(
    booster, config: TrainingConfig, spec: FeatureSpec, split: Split, x_valid: pd.DataFrame, y_valid: np.ndarray
) -> PackagedModel:
    """Return `booster` calibrated (shape on the validation customers, level on the recent window) and packaged."""
    calibrator = ScoreCalibrator(config.calibration.method).fit(
        np.asarray(booster.predict(x_valid, raw_score=True)), y_valid
    )
    if split.calibration is not None:
        recent = split.calibration
        calibrator = calibrator.recalibrated_in_the_large(
            np.asarray(booster.predict(spec.frame(recent), raw_score=True)), recent[config.target].to_numpy()
        )
    return PackagedModel(booster, make_bundle(config, spec, split, calibrator))


def _calibration_window(split: Split) -> str:
    """Return which rows calibrated the probabilities, as the progress line and the model card say it."""
    d = split.description
    shape = f"the validation customers at the training dates ({d['valid_rows']:,} rows)"
    if split.calibration is None:
        return shape
    return (
        f"shape from {shape}, level refitted on the validation customers at the latest matured as-of date(s), "
        f"{d['calibration_from']} to {d['calibration_to']} ({d['calibration_rows']:,} rows, "
        f"{d['calibration_positives']:,} events)"
    )


def make_bundle(config: TrainingConfig, spec: FeatureSpec, split: Split, calibrator: ScoreCalibrator) -> dict:
    """Return the JSON-able description the packaged model carries besides its booster."""
    return {
        "format": 1,
        "target": config.target,
        "model_name": config.model_name,
        "feature_spec": spec.to_dict(),
        "calibrator": calibrator.to_dict(),
        "grade_bounds": list(SCALES[config.target]),
        "model_kind": config.packaged_model,  # "lightgbm", or "scorecard": its trees are the scorecard's bins
        # medians, units, reason_texts, missing_texts, reason_exclude: what the reasons read at scoring
        **reason_bundle(config, spec, split.train),
        "labels": config.labels.model_dump(),
        "split": split.description,
        "seed": config.seed,
    }
