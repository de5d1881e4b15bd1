"""A training run: fit everything, then record it in MLflow and register the model.

Nothing is registered until the run's metrics, figures, datasets and model are all logged: a run
that fails part-way is marked FAILED and leaves no model version behind.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_curve

from model import registry
from model.calibration import ScoreCalibrator
from training import tracking
from training.config import TrainingConfig
from training.dataset import feature_spec
from training.fit_all import FitResult, fit_models
from training.lineage import Lineage, check_feature_set, lineage_tags
from training.model_card import markdown_table, model_card
from training.plots import (
    plot_calibration,
    plot_gains,
    plot_importance,
    plot_roc,
    plot_shap_summary,
)
from training.scorecard_booster import points_table, sql_expression

REQUIREMENTS = ("lightgbm", "pandas", "numpy", "numba", "scikit-learn", "mlflow", "pyarrow", "duckdb")


@dataclass
class TrainingOutcome:
    fit: FitResult
    run_id: str
    model: registry.ModelRef


def table_digest(frame: pd.DataFrame) -> str:
    """Return a short content digest of a table (stable across runs for the same data)."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return hashlib.sha256(hashed + ",".join(frame.columns).encode()).hexdigest()[:16]


def pip_requirements() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in REQUIREMENTS]


def train_and_register(
    table: pd.DataFrame,
    config: TrainingConfig,
    *,
    uri: str,
    source: str,
    ledger_digest: str | None = None,
    lineage: Lineage | None = None,
    new_feature_set: bool = False,
    progress: Callable[[str], None] | None = None,
) -> TrainingOutcome:
    """Fit on the feature table, log the run to MLflow at `uri`, register the model; return what was made.

    `lineage` says where the table came from (default: `source`, a ledger when `ledger_digest` is given).
    A champion trained on another feature set refuses the new version unless `new_feature_set`.
    """
    import mlflow

    say = progress or (lambda message: None)
    lineage = lineage or Lineage(
        "ledger" if ledger_digest else "table", source, source if ledger_digest else "", ledger_digest or ""
    )
    registry.connect(uri)
    check_feature_set(config.model_name, feature_spec(table, tuple(config.exclude_features)), lineage, new_feature_set)
    experiment = tracking.experiment_id(config.experiment_name, uri)
    fit = fit_models(table, config, progress)
    scorecard_auc, lightgbm_auc = scorecard_and_lightgbm_auc(fit)
    scorecard_better = scorecard_auc > lightgbm_auc + config.promotion.max_auc_drop
    if config.packaged_model == "scorecard":
        say(
            f"the scorecard is registered as the model: AUC {scorecard_auc:.4f} out of time, LightGBM {lightgbm_auc:.4f}"
        )
    elif scorecard_better:
        say(
            f"the scorecard challenger beats LightGBM out of time: AUC {scorecard_auc:.4f} against "
            f"{lightgbm_auc:.4f} (more than the promotion tolerance {config.promotion.max_auc_drop}); "
            "LightGBM is registered: train with --register scorecard to register the scorecard"
        )
    run_name = f"{lineage.ledger_name}-{config.target}-to-{fit.split.description.get('test_to', '')}"
    with mlflow.start_run(experiment_id=experiment, run_name=run_name) as run:
        say(f"logging run {run_name} ({run.info.run_id}) to {uri}")
        _log_params(fit)
        tracking.log_trials(fit.trials)
        mlflow.log_metrics({k: float(v) for k, v in fit.metrics.items()})
        digest = table_digest(table)
        tags = lineage_tags(lineage, fit.spec, fit.split.description, config.labels.model_dump(), digest)
        mlflow.set_tags(
            {
                "target": config.target,
                "model_kind": config.packaged_model,
                "scorecard_better": str(scorecard_better),
                **tags,
            }
        )
        tracking.log_dataset(fit.split.train, "train", source, digest, "training")
        tracking.log_dataset(fit.split.test, "test", source, digest, "testing")
        with tempfile.TemporaryDirectory(prefix="tradecredit-run-") as tmp:
            _log_artifacts(fit, Path(tmp))
        example = fit.split.test.head(5)[["customer_id", "as_of_date", *fit.spec.names]].copy()
        example["as_of_date"] = example["as_of_date"].astype(str)
        info = tracking.log_packaged_model(fit.packaged, _as_float(example, fit), pip_requirements())
        version_tags = {"target": config.target, "model_kind": config.packaged_model, **tags}
        model = tracking.register(info.model_uri, config.model_name, run.info.run_id, version_tags)
        mlflow.set_tag("registered_version", model.version)
    say(f"registered {model.name} version {model.version}")
    return TrainingOutcome(fit, run.info.run_id, model)


def scorecard_and_lightgbm_auc(fit: FitResult) -> tuple[float, float]:
    """Return the out-of-time AUC of the scorecard and of LightGBM, whichever of them is packaged."""
    m = fit.metrics
    if fit.config.packaged_model == "scorecard":
        return m["test_auc"], m["test_lightgbm_auc"]
    return m["test_scorecard_auc"], m["test_auc"]


def _log_scorecard(fit: FitResult, folder: Path) -> None:
    """Log the packaged scorecard as a credit committee reads it: its points (CSV, Markdown) and one SQL expression."""
    import mlflow

    if fit.scorecard is None:
        raise ValueError("the fit holds no scorecard to log")
    points = points_table(fit.scorecard, fit.spec)
    points.to_csv(folder / "points.csv", index=False)
    shown = points.assign(weight=points["weight"].map("{:.4f}".format), points=points["points"].map("{:.1f}".format))
    (folder / "points.md").write_text(markdown_table(shown) + "\n")
    calibrator = ScoreCalibrator.from_dict(fit.packaged.bundle["calibrator"])
    (folder / "scoring.sql").write_text(sql_expression(fit.scorecard, fit.spec, calibrator) + "\n")
    for name in ("points.csv", "points.md", "scoring.sql"):
        mlflow.log_artifact(str(folder / name), artifact_path="scorecard")


def _as_float(example: pd.DataFrame, fit: FitResult) -> pd.DataFrame:
    # Numeric features are doubles in the signature, so a count that arrives as 3.0 is never refused.
    numeric = [n for n in fit.spec.names if n not in fit.spec.categorical]
    return example.astype(dict.fromkeys(numeric, "float64"))


def _log_params(fit: FitResult) -> None:
    import mlflow

    config = fit.config
    flat = {
        "target": config.target,
        "seed": config.seed,
        "split": json.dumps(fit.split.description, default=str),
        "labels": json.dumps(config.labels.model_dump()),
        "calibration": config.calibration.method,
        "n_features": len(fit.spec.names),
        "excluded_features": ",".join(config.exclude_features),
    }
    flat.update({f"lgb_{k}": v for k, v in fit.lightgbm_params.items() if k != "monotone_constraints"})
    flat.update({f"split_{k}": v for k, v in fit.split.description.items()})
    mlflow.log_params({k: str(v)[:6000] for k, v in flat.items()})


def _log_artifacts(fit: FitResult, folder: Path) -> None:
    import mlflow

    y_test = fit.split.test[fit.config.target].to_numpy()
    plots = [
        plot_roc(
            {name: tuple(roc_curve(y_test, score)[:2]) for name, score in fit.test_scores.items()},
            folder / "roc.png",
            title=f"{fit.config.target}: ROC on the out-of-time test set",
        ),
        plot_calibration(
            y_test,
            fit.test_scores[fit.config.packaged_model],
            folder / "calibration.png",
            title=f"{fit.config.target}: calibration on the out-of-time test set",
        ),
        plot_gains(fit.tables["gains"], folder / "gains.png"),
        plot_importance(
            list(fit.spec.names), fit.packaged.booster.feature_importance("gain"), folder / "importance.png"
        ),
    ]
    if fit.shap_sample is not None:
        contributions, frame = fit.shap_sample
        plots.append(plot_shap_summary(contributions, frame, folder / "shap_summary.png"))
    for path in plots:
        mlflow.log_artifact(str(path), artifact_path="plots")
    for name, frame in fit.tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        mlflow.log_artifact(str(folder / f"{name}.csv"), artifact_path="evaluation")
    if fit.config.packaged_model == "scorecard":
        _log_scorecard(fit, folder)
    (folder / "model_card.md").write_text(model_card(fit))
    mlflow.log_artifact(str(folder / "model_card.md"))
