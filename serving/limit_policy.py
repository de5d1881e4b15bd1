"""The credit-limit policy's settings: one typed, frozen record, read from a TOML file at the edge.

`serving.limits.recommend_limits` applies it; docs/limits.md lists the defaults and why they are what
they are (the lateness figures were measured on the demo ledger).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.config_errors import read_settings


class LimitPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # multiplier of expected exposure for grades 1..10
    grade_multipliers: tuple[float, ...] = (1.6, 1.5, 1.4, 1.3, 1.2, 1.0, 0.85, 0.7, 0.5, 0.3)
    max_increase: float = Field(0.5, ge=0, description="one review raises a limit by at most this share")
    max_decrease: float = Field(0.5, ge=0, le=1, description="one review cuts a limit by at most this share")
    # A late payer's exposure grows with its lateness; for a risky customer that must not read as room for more.
    no_raise_from_grade: int = Field(
        8, ge=1, le=11, description="grades this risky or worse keep at most their limit (11: none)"
    )
    rounding: float = Field(1000.0, gt=0, description="limits are rounded to this step, never past the cap")
    never_zero_to_grade: int = Field(
        5, ge=0, le=10, description="a live customer of this grade or safer is never cut to 0 (0: none)"
    )
    dead_band: float = Field(
        0.2, ge=0, lt=1, description="keep the current limit when the figure is within this share of it"
    )
    hold_grade: int = Field(10, ge=1, le=11, description="grades this risky or worse are cut or held (11: none)")
    # The lower edge of grade 10 on the PD master scale (model.grades): on that scale the two rules agree;
    # under another scale the PD threshold still holds.
    hold_pd: float = Field(0.18, gt=0, le=1, description="a 12-month PD at or above this is cut or held")
    hold_action: Literal["cut", "hold"] = Field(
        "cut", description="cut: to the per-review cap; hold: limit 0 for new orders"
    )
    shorten_terms_from_grade: int = Field(
        8, ge=1, le=11, description="grades this risky or worse below the hold are advised shorter terms (11: none)"
    )
    # Measured out of time on the demo ledger (docs/limits.md): expected days late per unit of
    # late-payment probability, and the portfolio's mean days late when there is no late-payment model.
    days_late_per_late_probability: float = Field(
        33.0, ge=0, description="expected days late = P(late payment) x this, when usual lateness is unknown"
    )
    unknown_days_late: float = Field(
        9.0, ge=0, description="days late assumed when lateness is unknown and no late-payment model scored"
    )
    insured_limit_column: str = "insured_limit"
    max_over_insured: float = Field(0.0, ge=0, description="share above the insured limit the company carries itself")
    cut_to_insured: bool = Field(
        False, description="cut a current limit above the insured ceiling toward it (false: only never raise above it)"
    )

    @field_validator("grade_multipliers")
    @classmethod
    def _ten_grades(cls, value):
        if len(value) != 10 or any(v < 0 for v in value):
            raise ValueError("grade_multipliers needs 10 non-negative numbers, one per grade")
        return value

    @model_validator(mode="after")
    def _grades_in_order(self):
        if self.never_zero_to_grade >= self.hold_grade:
            raise ValueError(f"never_zero_to_grade ({self.never_zero_to_grade}) must be below hold_grade")
        return self


class PolicyError(Exception):
    """The limit policy file cannot be read or breaks a rule."""


def load_policy(path: Path | None) -> LimitPolicy:
    """Return the policy in the TOML file `path`, or the defaults."""
    return LimitPolicy() if path is None else read_settings(path, LimitPolicy, PolicyError, whole="policy")
