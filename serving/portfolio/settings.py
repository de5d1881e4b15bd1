"""The portfolio report's settings: one typed, frozen record read from a TOML file at the edge.

Every figure of `serving.portfolio` reads its parameters from here; docs/portfolio.md gives each default
and why it is what it is. A bucket, rule, segment or action named in the file that the report does not
know is refused in one line before anything is computed.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.config_errors import read_settings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def bucket_labels(bounds: tuple[int, ...]) -> tuple[str, ...]:
    """Return the aging buckets' names for upper bounds of days past due: (0, 30) -> current, 1-30, over 30."""
    labels = ["current"]
    for low, high in itertools.pairwise(bounds):
        labels.append(f"{low + 1}-{high}")
    labels.append(f"over {bounds[-1]}")
    return tuple(labels)


def bucket_column(label: str) -> str:
    """Return the column-name form of a bucket: "1-30" -> "1_30", "over 180" -> "over_180"."""
    return label.replace("-", "_").replace(" ", "_")


class Scenario(_Strict):
    """A forward-looking scenario: multipliers of the historical loss rates, with its probability weight."""

    name: str
    weight: float = Field(gt=0, le=1)
    # One multiplier for every bucket, or one per bucket name (buckets not named keep 1.0).
    multiplier: float | dict[str, float] = 1.0

    @field_validator("multiplier")
    @classmethod
    def _non_negative(cls, value):
        values = value.values() if isinstance(value, dict) else [value]
        if any(v < 0 for v in values):
            raise ValueError("multipliers must be 0 or more")
        return value


class ProvisionSettings(_Strict):
    method: Literal["loss_rate", "roll_rate"] = "loss_rate"
    lookback_months: int = Field(36, ge=1, le=120, description="month-ends whose outcome the loss rates are read from")
    outcome_days: int = Field(365, ge=30, description="an amount still unpaid this long after a month-end is lost")
    scenarios: tuple[Scenario, ...] = (Scenario(name="base", weight=1.0),)

    @field_validator("scenarios")
    @classmethod
    def _weights_add_up(cls, value):
        if not value:
            raise ValueError("at least one scenario is needed")
        total = sum(s.weight for s in value)
        if abs(total - 1) > 1e-9:
            raise ValueError(f"scenario weights add up to {total:g}, not 1")
        return value


class ExpectedLossSettings(_Strict):
    lgd: float = Field(0.6, description="loss given default where no segment says otherwise")
    lgd_segment_column: str | None = Field("industry", description="customer column the segments are values of")
    lgd_by_segment: dict[str, float] = Field(default_factory=dict)
    # Basel III / CRR3: 10 % for commitments the lender may cancel at any time, as a trade credit limit is.
    credit_conversion_factor: float = Field(
        0.1, ge=0, le=1, description="share of the unused limit counted as exposure"
    )
    indemnity: float = Field(0.9, ge=0, le=1, description="share of an insured loss the insurer pays")
    insured_limit_column: str = "insured_limit"

    @field_validator("lgd", "credit_conversion_factor", "indemnity")
    @classmethod
    def _share(cls, value, info):
        if not 0 <= value <= 1:
            what = "an LGD" if info.field_name == "lgd" else "a share"
            raise ValueError(f"{value:g} is outside [0, 1]: {what} must lie in [0, 1]")
        return value

    @field_validator("lgd_by_segment")
    @classmethod
    def _lgd_in_unit_interval(cls, value):
        for segment, lgd in value.items():
            if not 0 <= lgd <= 1:
                raise ValueError(f"the LGD of segment {segment!r} is {lgd:g}: an LGD must lie in [0, 1]")
        return value


WATCHLIST_RULES = (
    "grade_down",
    "utilisation",
    "days_late_up",
    "disputes_rising",
    "pd_over",
    "insurer_limit_event",
    "default_or_collections",
)


class WatchlistSettings(_Strict):
    rules: tuple[str, ...] = WATCHLIST_RULES
    grade_notches: int = Field(2, ge=1, description="grade worse by this many notches or more since --compare-to")
    utilisation_levels: tuple[float, ...] = (0.8, 0.9, 1.0)
    days_late_increase: float = Field(15.0, gt=0, description="average days late up by this much or more")
    pd_threshold: float = Field(0.18, gt=0, le=1, description="12-month PD at or above this")
    insurer_event_types: tuple[str, ...] = ("insurer_limit_change", "insurer_limit_cut", "insurer_limit_cancelled")
    default_event_types: tuple[str, ...] = ("default", "insolvency", "write_off", "collections_handover")

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value):
        unknown = [r for r in value if r not in WATCHLIST_RULES]
        if unknown:
            raise ValueError(f"unknown rule {unknown[0]!r}: the rules are {', '.join(WATCHLIST_RULES)}")
        return value

    @field_validator("utilisation_levels")
    @classmethod
    def _levels_rising(cls, value):
        if not value or list(value) != sorted(value) or value[0] <= 0:
            raise ValueError("utilisation_levels must be positive and rising, e.g. [0.8, 0.9, 1.0]")
        return value


DUNNING_ACTIONS = ("reminder", "call", "final notice", "credit hold", "hand over to collections")


class DunningStep(_Strict):
    from_days_overdue: int = Field(ge=1)
    action: str

    @field_validator("action")
    @classmethod
    def _known_action(cls, value):
        if value not in DUNNING_ACTIONS:
            raise ValueError(f"unknown action {value!r}: the actions are {', '.join(DUNNING_ACTIONS)}")
        return value


class WorklistSettings(_Strict):
    ladder: tuple[DunningStep, ...] = (
        DunningStep(from_days_overdue=1, action="reminder"),
        DunningStep(from_days_overdue=15, action="call"),
        DunningStep(from_days_overdue=30, action="final notice"),
        DunningStep(from_days_overdue=60, action="credit hold"),
        DunningStep(from_days_overdue=90, action="hand over to collections"),
    )
    # A customer this risky is called at once, whatever the invoice's days overdue.
    call_from_grade: int = Field(9, ge=1, le=11, description="grades this risky or worse skip the reminder (11: none)")

    @field_validator("ladder")
    @classmethod
    def _rising(cls, value):
        days = [s.from_days_overdue for s in value]
        if not value or days != sorted(set(days)):
            raise ValueError("the dunning ladder's from_days_overdue must rise from step to step")
        return value


class TermsRule(_Strict):
    grades: tuple[str, ...]
    advice: Literal["keep or extend", "keep", "shorten", "cash in advance"]


class TermsSettings(_Strict):
    rules: tuple[TermsRule, ...] = (
        TermsRule(grades=("1", "2", "3", "4"), advice="keep or extend"),
        TermsRule(grades=("5", "6", "7"), advice="keep"),
        TermsRule(grades=("8", "9"), advice="shorten"),
        TermsRule(grades=("10", "D"), advice="cash in advance"),
    )
    shorten_to_days: int = Field(15, ge=0, description="terms advised to grades told to shorten")
    extend_by_days: int = Field(15, ge=0, description="extension a customer told 'keep or extend' may be offered")
    max_terms_days: int = Field(90, ge=0, description="no extension beyond these terms")
    plan_months: int = Field(6, ge=1, le=36, description="instalments of a payment plan")
    max_plan_months: int = Field(12, ge=1, le=60, description="a plan is stretched to this many months at most")
    # A plan takes at most this share of what the customer paid a month over the last year, so that its
    # current invoices can still be paid beside it.
    capacity_share: float = Field(0.25, gt=0, le=1)

    @field_validator("rules")
    @classmethod
    def _known_grades(cls, value):
        known = {str(g) for g in range(1, 11)} | {"D"}
        for rule in value:
            unknown = [g for g in rule.grades if g not in known]
            if unknown:
                raise ValueError(f"unknown grade {unknown[0]!r}: grades are 1 to 10 and D")
        return value

    @model_validator(mode="after")
    def _months_in_order(self):
        if self.plan_months > self.max_plan_months:
            raise ValueError(f"plan_months ({self.plan_months}) is above max_plan_months ({self.max_plan_months})")
        return self


class PortfolioSettings(_Strict):
    # Upper bounds, in days past due, of every bucket but the last: current is "not yet due".
    aging_buckets: tuple[int, ...] = (0, 30, 60, 90, 180)
    trend_months: int = Field(12, ge=1, le=60, description="month-ends the aging and DSO trends cover")
    dso_target_days: float | None = Field(None, gt=0, description="DSO the team aims for; shown beside DSO")
    excel_max_rows: int = Field(
        2_000, ge=1, le=1_048_575, description="rows of a table report.xlsx shows, most important first"
    )
    expected_loss: ExpectedLossSettings = ExpectedLossSettings()
    provision: ProvisionSettings = ProvisionSettings()
    watchlist: WatchlistSettings = WatchlistSettings()
    worklist: WorklistSettings = WorklistSettings()
    terms: TermsSettings = TermsSettings()

    @field_validator("aging_buckets")
    @classmethod
    def _bounds_rising(cls, value):
        if not value or value[0] != 0 or list(value) != sorted(set(value)):
            raise ValueError("aging_buckets must start at 0 (current: not yet due) and rise, e.g. [0, 30, 60, 90, 180]")
        return value

    @model_validator(mode="after")
    def _buckets_named_exist(self):
        known = self.buckets
        for scenario in self.provision.scenarios:
            if isinstance(scenario.multiplier, dict):
                unknown = [b for b in scenario.multiplier if b not in known]
                if unknown:
                    raise ValueError(
                        f"scenario {scenario.name!r} names the bucket {unknown[0]!r}, which the aging buckets "
                        f"do not have ({', '.join(known)})"
                    )
        return self

    @property
    def buckets(self) -> tuple[str, ...]:
        return bucket_labels(self.aging_buckets)


class PortfolioSettingsError(Exception):
    """The portfolio settings file cannot be read or breaks a rule; the message names the file and key."""


def load_portfolio_settings(path: Path | None) -> PortfolioSettings:
    """Return the settings in the TOML file `path`, or the defaults."""
    return PortfolioSettings() if path is None else read_settings(path, PortfolioSettings, PortfolioSettingsError)
