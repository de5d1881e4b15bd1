"""Optional hyper-parameter search with Optuna (`tradecredit train --tune N`).

Each trial fits LightGBM on the training part and is judged by its best validation log loss; the
sampler is seeded, so the same data and seed give the same trials. The trials are returned for the
caller to log (one nested MLflow run each); nothing here talks to MLflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.spec import FeatureSpec
from training.config import LightGBMSettings
from training.fit import fit_booster


def tune_lightgbm(
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    x_valid: pd.DataFrame,
    y_valid: np.ndarray,
    spec: FeatureSpec,
    settings: LightGBMSettings,
    seed: int,
    trials: int,
) -> tuple[LightGBMSettings, list[dict]]:
    """Return the best settings found in `trials` trials and one record per trial (number, params, value)."""
    import optuna
    from sklearn.metrics import log_loss

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    records: list[dict] = []

    def objective(trial: optuna.Trial) -> float:
        params = {
            "num_leaves": trial.suggest_int("num_leaves", 7, 63, log=True),
            "max_depth": trial.suggest_int("max_depth", 3, 8),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 20, 400, log=True),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
        }
        booster = fit_booster(x_train, y_train, x_valid, y_valid, spec, settings.model_copy(update=params), seed)
        raw = np.asarray(booster.predict(x_valid, raw_score=True))
        # Judged on the raw scores' ranking-and-spread via log loss of a sigmoid: calibration comes after.
        value = float(log_loss(y_valid, 1 / (1 + np.exp(-raw)), labels=[0, 1]))
        records.append(
            {"number": trial.number, "params": params, "valid_log_loss": value, "trees": booster.num_trees()}
        )
        return value

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    return settings.model_copy(update=study.best_params), records
