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
from pydantic import ValidationError

from features.labels import LabelConfig, default_status_from_facts
from features.ledger import Ledger
from features.pipeline import LedgerFacts, features_from_facts, silent
from model.packaged import PackagedModel
from model.reasons import reason_columns
from model.registry import DEFAULT_MODEL_URI, LATE_MODEL_URI, TrackingError, load_packaged
from serving.limits import LimitPolicy, recommend_limits
from serving.score_row import SCORE_COLUMNS


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
    # The label definition the default model was trained with: what `in_default_at_as_of` means.
    label_config: LabelConfig

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
    try:
        labels = LabelConfig.model_validate(model.label_definition)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise TrackingError(
            f"{ref.uri}: its saved label definition is not understood ({'.'.join(map(str, problem['loc']))}: "
            f"{problem['msg']}); retrain it with this version of tradecredit"
        ) from None
    return ScoringModels(LoadedModel(model, ref.name, ref.version, ref.run_id), late, labels)


def snapshot(
    ledger: Ledger,
    as_of: dt.date,
    label_config: LabelConfig,
    facts: LedgerFacts | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return the feature rows of every customer at `as_of`, with `in_default_at_as_of` under `label_config`
    (the scoring model's own: `ScoringModels.label_config`). `facts`, when given, must hold `ledger`: its
    ledger facts are reused and it stays open."""
    report = progress or silent
    if facts is not None and facts.ledger is not ledger:
        raise ValueError("the prepared ledger facts belong to another ledger")
    own = facts is None
    facts = facts or LedgerFacts(ledger, progress=report)
    try:
        con = facts.at([as_of])
        # Read before the features use the facts up; it looks at nothing dated after as_of.
        status = default_status_from_facts(con, label_config)
        report("aggregating features")
        table = features_from_facts(con, ledger, last_use=own)
    finally:
        if own:
            facts.close()
    return table.append_column("in_default_at_as_of", status.column(0)).to_pandas()


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
