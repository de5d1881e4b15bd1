"""The one typed training configuration, read from a TOML file at the edge (`--config FILE`).

Every setting has a default here and nowhere else: the trainer reads this object, never a
constant of its own, so a config file is never silently overridden.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from features.config_errors import validation_problems
from features.labels import LabelConfig
from model.registry import registered_name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitSettings(_Strict):
    method: Literal["out_of_time", "customer"] = "out_of_time"
    test_periods: int = Field(3, gt=0, description="latest as-of dates held out as the test set")
    # Early stopping and calibration use customers held out of training (same dates): adjacent months
    # of one customer share most of their outcome window, so an out-of-time validation set next to
    # the training dates would leak and never stop the boosting.
    valid_share: float = Field(0.2, gt=0, lt=1, description="customers held out for early stopping and calibration")
    customer_test_share: float = Field(0.2, gt=0, lt=1, description="with method customer: customers held out as test")


class LightGBMSettings(_Strict):
    # Chosen by measuring AUC against exact-TreeSHAP explanation speed (docs/models.md): shallow trees
    # explain about twice as fast as deep ones for a negligible loss of AUC on payment data.
    num_leaves: int = Field(15, ge=2)
    max_depth: int = Field(5, ge=-1)
    learning_rate: float = Field(0.05, gt=0)
    n_estimators: int = Field(400, gt=0)
    early_stopping_rounds: int = Field(50, gt=0)
    # Stopping on AUC keeps boosting while the ranking improves; on log loss the default model stopped
    # after a dozen trees and tied the riskiest customers on one PD (docs/models.md, "Resolution").
    early_stopping_metric: Literal["binary_logloss", "auc"] = "auc"
    min_child_samples: int = Field(50, ge=1)
    subsample: float = Field(0.8, gt=0, le=1)
    subsample_freq: int = Field(1, ge=0)
    colsample_bytree: float = Field(0.8, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    monotone_constraints: bool = True
    # Up-weight the rare class so trees split on it; calibration maps the scores back to probabilities.
    # "sqrt" weighs positives by sqrt(negatives / positives): full balancing distorts the validation
    # log loss early stopping watches, and stops boosting after a few trees on small portfolios.
    positive_weight: Literal["none", "sqrt", "balanced"] = "sqrt"


class CalibrationSettings(_Strict):
    # Platt keeps the ranking of raw scores intact; isotonic steps tie scores and can cost AUC on small samples.
    method: Literal["isotonic", "platt"] = "platt"
    # "recent": the shape (Platt slope) from the validation customers at the training dates, the level
    # (intercept) refitted on the validation customers' rows of the `recent_periods` latest matured as-of
    # dates: the usual answer to drift and to right-censored training outcomes (docs/models.md,
    # "Calibration"). "validation": both from the validation customers. A customer split, or isotonic,
    # calibrates on validation only.
    window: Literal["recent", "validation"] = "recent"
    recent_periods: int = Field(2, gt=0, description="latest matured as-of dates that set the level")


class PromotionSettings(_Strict):
    max_auc_drop: float = 0.005
    max_psi: float = 0.25


# The company's own credit decisions (its own limit changes, its hand-overs to collections) are not model
# inputs by default: fed back, a cut raises the PD, which brings the next cut (docs/models.md, "Reasons").
OWN_DECISIONS = ("limit_change_count_365d", "collections_handover_count_365d")
# Never given as a reason, though they may stay model inputs: what the customer cannot act on (country,
# industry) and protected attributes under their usual column names (US Reg B 12 CFR 1002.2(z), EU equal
# treatment directives).
REASON_EXCLUDE = (
    *("country", "industry", "race", "colour", "color", "religion", "national_origin", "nationality", "ethnicity"),
    *("sex", "gender", "marital_status", "age", "date_of_birth", "disability", "public_assistance"),
)
# Labels of the customer-table extras of the sample portfolio and the SAP adapter; a config adds to them.
EXTRA_LABELS = {
    "external_rating": {"en": "External rating", "zh": "外部评级", "unit": "category"},
    "annual_revenue": {"en": "Annual revenue (EUR)", "zh": "年营业额（欧元）", "unit": "EUR"},
    "insured_limit": {"en": "Insured limit (EUR)", "zh": "信用保险额度（欧元）", "unit": "EUR"},
    "current_rating": {"en": "Current rating", "zh": "当前评级"},
    "credit_risk_class": {"en": "Credit risk class", "zh": "信用风险等级"},
}


class FeatureLabel(_Strict):
    """How reasons name a customer-table column the feature catalogue does not define."""

    en: str = Field(min_length=1)
    zh: str | None = None  # default: the English label
    unit: Literal["EUR", "days", "count", "share", "ratio", "flag", "category"] | None = None  # how values read


class TrainingConfig(_Strict):
    target: Literal["default_12m", "late_payment_90d"] = "default_12m"
    seed: int = 42
    experiment: str | None = None  # default: tradecredit-<target>
    registered_model: str | None = None  # default: <portfolio>-default / <portfolio>-late-payment
    # One ledger's models apart from another's: names, experiments and champions per portfolio.
    portfolio: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$", description="default: tradecredit")
    labels: LabelConfig = LabelConfig()
    split: SplitSettings = SplitSettings()
    lightgbm: LightGBMSettings = LightGBMSettings()
    calibration: CalibrationSettings = CalibrationSettings()
    promotion: PromotionSettings = PromotionSettings()
    exclude_features: tuple[str, ...] = OWN_DECISIONS
    reason_exclude: tuple[str, ...] = REASON_EXCLUDE
    feature_labels: dict[str, FeatureLabel] = Field(default_factory=dict, validate_default=True)  # over EXTRA_LABELS
    # What is packaged and registered: the booster, or the scorecard challenger (its bins' points as one
    # tree per feature) when it beats the booster out of time (docs/models.md, "The scorecard as the model").
    packaged_model: Literal["lightgbm", "scorecard"] = "lightgbm"
    tune_trials: int = Field(0, ge=0, description="Optuna trials before the final fit; 0 keeps the settings as given")
    monthly_from: dt.date | None = None
    monthly_to: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.monthly_from and self.monthly_to and self.monthly_to < self.monthly_from:
            raise ValueError("monthly_to is before monthly_from")
        return self

    @model_validator(mode="after")
    def _scorecard_calibrated_in_closed_form(self):
        # Its SQL expression is the calibrated probability: isotonic steps have no closed form.
        if self.packaged_model == "scorecard" and self.calibration.method != "platt":
            raise ValueError('packaged_model = "scorecard" needs [calibration] method = "platt" (its SQL expression)')
        return self

    @field_validator("feature_labels", mode="after")
    @classmethod
    def _over_built_in_labels(cls, labels: dict[str, FeatureLabel]) -> dict[str, FeatureLabel]:
        return {**{k: FeatureLabel.model_validate(v) for k, v in EXTRA_LABELS.items()}, **labels}

    @property
    def experiment_name(self) -> str:
        return self.experiment or f"{self.portfolio or 'tradecredit'}-{self.target.replace('_', '-')}"

    @property
    def model_name(self) -> str:
        """Return the registered model name: `registered_model`, else `<portfolio>-default` / `-late-payment`."""
        if self.registered_model:
            return self.registered_model
        return registered_name(self.target, self.portfolio)


class ConfigError(Exception):
    """The configuration file cannot be read or breaks a rule; the message names file and field."""


def load_config(path: Path | None, **overrides) -> TrainingConfig:
    """Return the config in the TOML file `path` (defaults when None), with non-None `overrides` applied."""
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TrainingConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path or 'config'}: {validation_problems(exc)}") from exc
