"""The one scoring core: batch, API and pages all call `score_features` on the same loaded models.

Per customer and as-of date: `pd_12m` (calibrated), `risk_grade`, `late_payment_prob_90d`, up to five
reason codes from exact TreeSHAP values of the default model, current and recommended credit limit
with the reasons for the change, and the names and versions of the models that produced them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.labels import LabelConfig
from features.ledger import Ledger
from features.pipeline import LedgerFacts, build_feature_table
from model.packaged import PackagedModel
from model.reasons import reason_columns
from model.registry import DEFAULT_MODEL_URI, LATE_MODEL_URI, TrackingError, load_packaged
from serving.limits import LimitPolicy, recommend_limits


@dataclass(frozen=True)
class LoadedModel:
    model: PackagedModel
    name: str
    version: str
    run_id: str


@dataclass(frozen=True)
class ScoringModels:
    default: LoadedModel
    late: LoadedModel | None

    @property
    def label_config(self) -> LabelConfig:
        """Return the label definition the default model was trained with: what `in_default_at_as_of` means."""
        return LabelConfig(**self.default.model.label_definition)

    def describe(self) -> dict:
        """Return names, versions and run ids, as stamped on every score."""
        out = {"default_model": f"{self.default.name}/{self.default.version}"}
        if self.late:
            out["late_payment_model"] = f"{self.late.name}/{self.late.version}"
        return out


def load_scoring_models(default_uri: str = DEFAULT_MODEL_URI, late_uri: str | None = LATE_MODEL_URI) -> ScoringModels:
    """Resolve the model URIs once to concrete versions and load them (the late-payment one is optional)."""
    model, ref = load_packaged(default_uri)
    if model.target != "default_12m":
        raise TrackingError(f"{default_uri} predicts {model.target}, not default_12m")
    late = None
    if late_uri:
        try:
            late_model, late_ref = load_packaged(late_uri)
        except TrackingError:
            if late_uri != LATE_MODEL_URI:
                raise
        else:
            late = LoadedModel(late_model, late_ref.name, late_ref.version, late_ref.run_id)
    return ScoringModels(LoadedModel(model, ref.name, ref.version, ref.run_id), late)


def snapshot(
    ledger: Ledger,
    as_of: dt.date,
    label_config: LabelConfig,
    facts: LedgerFacts | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return the feature rows of every customer at `as_of`, with `in_default_at_as_of` under `label_config`
    (the scoring model's own: `ScoringModels.label_config`; `facts` and `progress`: see `build_feature_table`)."""
    table = build_feature_table(ledger, [as_of], label_config, status_only=True, facts=facts, progress=progress)
    return table.to_pandas()


SCORE_COLUMNS = [
    "customer_id",
    "as_of_date",
    "pd_12m",
    "risk_grade",
    "late_payment_prob_90d",
    "in_default_at_as_of",
    *reason_columns(),
    "current_credit_limit",
    "recommended_credit_limit",
    "limit_change",
    "limit_reasons",
    "model_name",
    "model_version",
    "late_payment_model_name",
    "late_payment_model_version",
]


def score_features(features: pd.DataFrame, models: ScoringModels, policy: LimitPolicy) -> pd.DataFrame:
    """Return one explained, limit-advised score per feature row (columns `SCORE_COLUMNS`)."""
    features = features.reset_index(drop=True)
    prediction = models.default.model.predict(features, explain=True)
    in_default = (
        features["in_default_at_as_of"].fillna(False).astype(bool).to_numpy()
        if "in_default_at_as_of" in features.columns
        else np.zeros(len(features), dtype=bool)
    )
    grades = prediction["risk_grade"].to_numpy()
    n = len(features)
    out = {
        "customer_id": features["customer_id"].astype(str).to_numpy(),
        "as_of_date": features["as_of_date"].to_numpy(),
        "pd_12m": prediction[models.default.model.probability_column].to_numpy(),
        "risk_grade": grades,
        "late_payment_prob_90d": models.late.model.probability(features) if models.late else np.full(n, np.nan),
        "in_default_at_as_of": in_default,
    }
    out.update({column: prediction[column].to_numpy() for column in reason_columns()})
    limits = recommend_limits(features, grades, in_default, policy)
    out.update({column: limits[column].to_numpy() for column in limits.columns})
    out["model_name"], out["model_version"] = [models.default.name] * n, [models.default.version] * n
    out["late_payment_model_name"] = [models.late.name if models.late else None] * n
    out["late_payment_model_version"] = [models.late.version if models.late else None] * n
    return pd.DataFrame(out)[SCORE_COLUMNS]


def score_in_chunks(
    features: pd.DataFrame,
    models: ScoringModels,
    policy: LimitPolicy,
    chunk_size: int = 10_000,
    on_chunk: Callable[[pd.DataFrame], None] | None = None,
) -> int:
    """Score `features` chunk by chunk, handing each scored chunk to `on_chunk`; return rows scored."""
    scored = 0
    for start in range(0, len(features), chunk_size):
        chunk = score_features(features.iloc[start : start + chunk_size], models, policy)
        scored += len(chunk)
        if on_chunk:
            on_chunk(chunk)
    return scored
