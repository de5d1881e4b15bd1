"""Fit the LightGBM booster: early stopping on validation, monotone constraints, deterministic."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.spec import FeatureSpec
from training.config import LightGBMSettings


def lightgbm_params(settings: LightGBMSettings, spec: FeatureSpec, y_train: np.ndarray, seed: int) -> dict:
    """Return the LightGBM parameters for these settings; everything comes from the config."""
    params: dict[str, object] = {
        "objective": "binary",
        "metric": settings.early_stopping_metric,
        "learning_rate": settings.learning_rate,
        "num_leaves": settings.num_leaves,
        "max_depth": settings.max_depth,
        "min_data_in_leaf": settings.min_child_samples,
        "bagging_fraction": settings.subsample,
        "bagging_freq": settings.subsample_freq,
        "feature_fraction": settings.colsample_bytree,
        "lambda_l2": settings.reg_lambda,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }
    if settings.monotone_constraints:
        params["monotone_constraints"] = [
            0 if name in spec.categorical else spec.directions.get(name, 0) for name in spec.names
        ]
        params["monotone_constraints_method"] = "basic"  # "intermediate": as good, slower (docs/models.md)
    positives = float(y_train.sum())
    ratio = (len(y_train) - positives) / max(positives, 1.0)
    if settings.positive_weight == "balanced":
        params["scale_pos_weight"] = ratio
    elif settings.positive_weight == "sqrt":
        params["scale_pos_weight"] = float(np.sqrt(ratio))
    return params


def fit_booster(
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    x_valid: pd.DataFrame,
    y_valid: np.ndarray,
    spec: FeatureSpec,
    settings: LightGBMSettings,
    seed: int,
) -> lgb.Booster:
    """Return a booster trained on train, stopped early on valid, trimmed to its best iteration."""
    params = lightgbm_params(settings, spec, y_train, seed)
    categorical = [n for n in spec.names if n in spec.categorical]
    train_set = lgb.Dataset(x_train, label=y_train, categorical_feature=categorical or "auto", free_raw_data=False)
    valid_set = lgb.Dataset(x_valid, label=y_valid, reference=train_set)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=settings.n_estimators,
        valid_sets=[valid_set],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)],
    )
    # Keep only the trees up to the best iteration, so the saved model and its explanations agree.
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
