"""The one scoring core: batch, API and pages all call `score_features` on the same loaded models.

Per customer and as-of date: `pd_12m` (calibrated) and `risk_grade` from the default model,
`late_payment_prob_90d` and `late_payment_grade` from the late-payment model, up to five reason codes from
exact TreeSHAP values (of the default model, else of the late-payment model), current and recommended
credit limit with the reasons for the change, and the names and versions of the models that produced them.
A ledger scores with the models it supports: default only, late-payment only, or both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import ValidationError

from features.catalogue import catalogue
from features.labels import LabelConfig, default_status_from_facts
from features.ledger import Ledger
from features.pipeline import LedgerFacts, customer_extras, features_from_facts, silent
from model.packaged import PackagedModel
from model.reasons import reason_columns
from model.registry import (
    DEFAULT_MODEL_URI,
    LATE_MODEL_URI,
    ModelRef,
    TrackingError,
    check_columns,
    load_packaged,
    model_uri_or_none,
)
from serving.limits import LimitPolicy, recommend_limits
from serving.score_row import SCORE_COLUMNS, grade_labels

# How each edge leaves a model out, named in the messages that say which model can still be used.
CLI_SWITCHES = {"default_12m": "--model none", "late_payment_90d": "--late-model none"}
ROLE_NAMES = {"default_12m": "default model", "late_payment_90d": "late-payment model"}


@dataclass(frozen=True)
class LoadedModel:
    model: PackagedModel
    ref: ModelRef  # the registry version: name, version, run and lineage tags

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def version(self) -> str:
        return self.ref.version

    @property
    def run_id(self) -> str:
        return self.ref.run_id

    @property
    def stamp(self) -> str:
        """Return NAME/VERSION, as stamped on scores, manifests and responses."""
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class ScoringModels:
    """The models a portfolio is scored with: a default model, a late-payment model, or both."""

    default: LoadedModel | None
    late: LoadedModel | None
    # What `in_default_at_as_of` means: the label definition of the default model, else of the late-payment one.
    label_config: LabelConfig
    notes: tuple[str, ...] = ()  # what an operator should know about the pair, one line each

    def __post_init__(self):
        if self.default is None and self.late is None:
            raise ValueError("ScoringModels needs a default or a late-payment model")

    @property
    def primary(self) -> LoadedModel:
        """Return the model whose reasons a score gives: the default model, else the late-payment model."""
        return self.default or self.late  # type: ignore[return-value]  # one is set (__post_init__)

    def describe(self) -> dict[str, str | None]:
        """Return NAME/VERSION of each model, None for a model left out: which models scored."""
        return {
            "default_model": self.default.stamp if self.default else None,
            "late_payment_model": self.late.stamp if self.late else None,
        }


def load_scoring_models(
    default_uri: str | None = DEFAULT_MODEL_URI,
    late_uri: str | None = LATE_MODEL_URI,
    switches: dict[str, str] = CLI_SWITCHES,
) -> ScoringModels:
    """Resolve the model URIs once to concrete versions and load them; return the pair.

    Either may be None or "none" (left out), not both. The late-payment champion under its default name
    is optional when a default model is loaded. A URI that cannot be used raises TrackingError in one line
    naming it and, when the other model loads, how to score with that one alone (`switches`).
    """
    uris = {"default_12m": model_uri_or_none(default_uri), "late_payment_90d": model_uri_or_none(late_uri)}
    if not any(uris.values()):
        raise TrackingError(
            f"no model to score with: {switches['default_12m']} and {switches['late_payment_90d']} leave both "
            "out; keep at least one"
        )
    loaded: dict[str, LoadedModel] = {}
    problems: dict[str, TrackingError] = {}
    for target, uri in uris.items():
        if uri is not None:
            try:
                loaded[target] = _load(uri, target)
            except TrackingError as exc:
                problems[target] = exc
    late_problem = problems.get("late_payment_90d")
    if uris["late_payment_90d"] == LATE_MODEL_URI and "default_12m" in loaded and type(late_problem) is TrackingError:
        del problems["late_payment_90d"]  # no late-payment champion registered: the default model scores alone
    if problems:
        target, message = next((t, str(e)) for t, e in problems.items())
        usable = [t for t in loaded if t != target]
        if usable:
            message += (
                f"; the {ROLE_NAMES[usable[0]]} {uris[usable[0]]} loads: score with it alone ({switches[target]})"
            )
        elif len(problems) > 1:
            message += f"; the {ROLE_NAMES[next(t for t in problems if t != target)]} cannot be used either"
        raise TrackingError(message)
    labels = {target: _label_config(uris[target], m) for target, m in loaded.items()}
    notes = []
    if len(labels) == 2 and labels["default_12m"] != labels["late_payment_90d"]:
        differ = [
            k for k, v in labels["default_12m"].model_dump().items() if getattr(labels["late_payment_90d"], k) != v
        ]
        notes.append(
            "the default and late-payment models were trained under different label definitions (they differ in "
            f"{', '.join(differ)}): in_default_at_as_of follows the default model's"
        )
    return ScoringModels(
        loaded.get("default_12m"),
        loaded.get("late_payment_90d"),
        labels.get("default_12m") or labels["late_payment_90d"],
        tuple(notes),
    )


class WrongTarget(TrackingError):
    """A registered model predicts another target than the one it is given for."""


def _load(uri: str, target: str) -> LoadedModel:
    """Return the model behind `uri`, checked to predict `target`."""
    model, ref = load_packaged(uri)
    if model.target != target:
        raise WrongTarget(f"{uri} predicts {model.target}, not {target}: it cannot be the {ROLE_NAMES[target]}")
    return LoadedModel(model, ref)


def check_models_fit(models: ScoringModels, ledger: Ledger) -> None:
    """Raise TrackingError in one line when a model needs a feature column this ledger cannot give (a
    customer column of the ledger it was trained on, a feature of another tradecredit version)."""
    available = {f.name for f in catalogue()} | set(customer_extras(ledger))
    for loaded in (models.default, models.late):
        if loaded:
            check_columns(loaded.ref, loaded.model.spec.names, available, f"the ledger {ledger.source}")


def _label_config(uri: str | None, model: LoadedModel) -> LabelConfig:
    """Return the label definition `model` was saved with."""
    try:
        return LabelConfig.model_validate(model.model.label_definition)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise TrackingError(
            f"{uri} ({model.stamp}): its saved label definition is not understood "
            f"({'.'.join(map(str, problem['loc']))}: {problem['msg']}); retrain it with this version of tradecredit"
        ) from None


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
    """Return one explained, limit-advised score per feature row (columns `SCORE_COLUMNS`).

    Reasons come from the default model, else from the late-payment model. A customer in default at
    as_of gets grade "D", PD 1 and limit 0. The limit policy reads the PD grade, or the late-payment
    grade when there is no default model (the limit reasons then say so).
    """
    features = features.reset_index(drop=True)
    n = len(features)
    prediction = models.primary.model.predict(features, explain=True)
    in_default = (
        features["in_default_at_as_of"].fillna(False).astype(bool).to_numpy()
        if "in_default_at_as_of" in features.columns
        else np.zeros(n, dtype=bool)
    )
    pd_grades = late_grades = None
    pd_12m, late_prob = np.full(n, np.nan), np.full(n, np.nan)
    if models.default:
        pd_12m, pd_grades = prediction["pd_12m"].to_numpy(), prediction["risk_grade"].to_numpy()
    if models.late:
        late = prediction if models.default is None else models.late.model.predict(features, explain=False)
        late_prob, late_grades = late["late_payment_prob_90d"].to_numpy(), late["risk_grade"].to_numpy()
    out = {
        "customer_id": features["customer_id"].astype(str).to_numpy(),
        "as_of_date": features["as_of_date"].to_numpy(),
        "pd_12m": np.where(in_default, 1.0, pd_12m),
        "risk_grade": grade_labels(pd_grades, in_default),
        "late_payment_prob_90d": late_prob,
        # "D" is a status, so a customer in default has it even without a default model; a late-payment grade
        # needs the late-payment model.
        "late_payment_grade": grade_labels(late_grades, in_default) if models.late else np.full(n, None),
        "in_default_at_as_of": in_default,
    }
    out.update({column: prediction[column].to_numpy() for column in reason_columns()})
    # The integer grade the limit policy reads: the PD grade, else (no default model) the late-payment grade.
    grades = prediction["risk_grade"].to_numpy()
    limits = recommend_limits(
        features,
        grades,
        pd_12m,
        in_default,
        policy,
        late_payment_prob=late_prob,
        late_payment_grades=not models.default,
    )
    out.update({column: limits[column].to_numpy() for column in limits.columns})
    out["model_name"] = [models.default.name if models.default else None] * n
    out["model_version"] = [models.default.version if models.default else None] * n
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


def score_all(
    facts: LedgerFacts,
    as_of: dt.date,
    models: ScoringModels,
    policy: LimitPolicy,
    *,
    chunk_size: int = 10_000,
    progress=None,
    steps: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return the explained, limit-advised scores of every customer of `facts`' ledger at `as_of` (SCORE_COLUMNS).

    `facts` stays open for the caller (the portfolio report reads the same settled ledger); `progress` is a
    tqdm-like factory, `steps` is told each step.
    """
    features = snapshot(facts.ledger, as_of, models.label_config, facts=facts, progress=steps)
    if steps:
        steps(f"scoring {len(features):,} customers")
    bar = progress(total=len(features), unit="customers", desc="scoring") if progress else None
    parts: list[pd.DataFrame] = []

    def keep(chunk: pd.DataFrame) -> None:
        parts.append(chunk)
        if bar:
            bar.update(len(chunk))

    score_in_chunks(features, models, policy, chunk_size, keep)
    if bar:
        bar.close()
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCORE_COLUMNS)
