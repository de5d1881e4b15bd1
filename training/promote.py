"""Promotion: move `champion` to the challenger only if it behaves and is at least as good on recent data.

The challenger must first pass the behaviour checks (`training.behaviour_checks`: directional,
invariance, reproducibility) on the recent rows. Then both versions score the same recent
out-of-time rows. The challenger wins when its AUC is not lower
than the champion's by more than `max_auc_drop`, its calibration error is no worse, and its scores'
PSI against the reference kept in its bundle (its own test-set scores) is under `max_psi`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model import registry
from training import tracking
from training.behaviour_checks import behaviour_checks, failures
from training.config import PromotionSettings, TrainingConfig
from training.dataset import population
from training.evaluate import (
    expected_calibration_error,
    psi_from_reference,
    score_metrics,
)

# Two calibration errors this close are equal: the difference is sampling noise on a few thousand rows.
ECE_TOLERANCE = 0.001


@dataclass
class PromotionDecision:
    model_name: str
    champion_version: str | None
    challenger_version: str
    promoted: bool
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)


def recent_rows(table: pd.DataFrame, label: str, periods: int) -> pd.DataFrame:
    """Return the labelled rows of the latest `periods` as-of dates."""
    rows = population(table, label)
    dates = sorted(rows["as_of_date"].unique())[-periods:]
    return rows[rows["as_of_date"].isin(dates)]


def compare(
    champion, challenger, rows: pd.DataFrame, label: str, settings: PromotionSettings
) -> tuple[bool, list[str], dict]:
    """Return (challenger wins, reasons, figures) for two packaged models on the same rows."""
    y = rows[label].to_numpy()
    p_champion, p_challenger = champion.probability(rows), challenger.probability(rows)
    figures = {
        "champion_auc": score_metrics(y, p_champion)["auc"],
        "challenger_auc": score_metrics(y, p_challenger)["auc"],
        "champion_ece": expected_calibration_error(y, p_champion),
        "challenger_ece": expected_calibration_error(y, p_challenger),
        "challenger_psi": psi_from_reference(challenger.bundle["score_reference"], p_challenger),
        "rows": float(len(rows)),
        "positives": float(y.sum()),
    }
    reasons = []
    if figures["challenger_auc"] < figures["champion_auc"] - settings.max_auc_drop:
        reasons.append(
            f"AUC {figures['challenger_auc']:.4f} is more than {settings.max_auc_drop} below the champion's {figures['champion_auc']:.4f}"
        )
    if figures["challenger_ece"] > figures["champion_ece"] + ECE_TOLERANCE:
        reasons.append(
            f"calibration error {figures['challenger_ece']:.4f} is worse than the champion's {figures['champion_ece']:.4f}"
        )
    if not figures["challenger_psi"] < settings.max_psi:
        reasons.append(
            f"PSI {figures['challenger_psi']:.3f} against its reference scores is not under {settings.max_psi}"
        )
    return not reasons, reasons or ["at least as good as the champion on every check"], figures


def promote(model_name: str, table: pd.DataFrame, config: TrainingConfig, uri: str) -> PromotionDecision:
    """Compare challenger with champion on recent rows of `table`, move champion if it wins, log the decision."""
    import mlflow

    registry.connect(uri)
    challenger_version = tracking.alias_version(model_name, registry.CHALLENGER)
    if challenger_version is None:
        raise registry.TrackingError(f"{model_name} has no '{registry.CHALLENGER}' version: train one first")
    champion_version = tracking.alias_version(model_name, registry.CHAMPION)
    if champion_version == challenger_version:
        return PromotionDecision(
            model_name, champion_version, challenger_version, False, ["challenger is already champion"]
        )
    challenger, challenger_ref = registry.load_packaged(f"models:/{model_name}/{challenger_version}")
    label = challenger.target
    rows = recent_rows(table, label, config.split.test_periods)
    registry.check_columns(challenger_ref, challenger.spec.names, rows.columns, "this feature table")
    misbehaves = failures(behaviour_checks(challenger, rows))
    if misbehaves:
        return PromotionDecision(model_name, champion_version, challenger_version, False, misbehaves)
    if champion_version is None:
        tracking.set_alias(model_name, registry.CHAMPION, challenger_version)
        return PromotionDecision(
            model_name, None, challenger_version, True, ["there was no champion; the behaviour checks pass"]
        )
    champion, champion_ref = registry.load_packaged(f"models:/{model_name}/{champion_version}")
    registry.check_columns(champion_ref, champion.spec.names, rows.columns, "this feature table")
    wins, reasons, figures = compare(champion, challenger, rows, label, config.promotion)
    decision = PromotionDecision(model_name, champion_version, challenger_version, wins, reasons, figures)
    experiment = tracking.experiment_id(config.experiment_name, uri)
    with mlflow.start_run(experiment_id=experiment, run_name=f"promotion-{model_name}-v{challenger_version}"):
        mlflow.log_metrics({k: float(v) for k, v in figures.items() if np.isfinite(v)})
        mlflow.set_tags(
            {
                "kind": "promotion",
                "model": model_name,
                "champion_version": champion_version,
                "challenger_version": challenger_version,
                "promoted": str(wins),
                "reasons": "; ".join(reasons),
            }
        )
    if wins:
        tracking.set_alias(model_name, registry.CHAMPION, challenger_version)
    return decision
