"""Credit-limit advice: a documented, configurable policy, vectorised over the portfolio.

1. Anchor on expected exposure: average monthly sales over the last year times (terms + usual
   lateness) / 30 days. That is the balance a customer runs when it trades as it has.
2. Scale by risk grade: safe grades get headroom above that, risky grades less than it.
3. Respect an insured limit when the customer table gives one (`insured_limit`).
4. Never raise the limit of a customer in a risky grade, however large its exposure has grown.
5. Cap how far one review may move an existing limit, up or down.
6. Zero for a customer in default.
Each recommendation lists the inputs that drove it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_TERMS_DAYS = 30


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
    rounding: float = Field(1000.0, gt=0, description="recommended limits are rounded down to this step")
    insured_limit_column: str = "insured_limit"
    max_over_insured: float = Field(0.0, ge=0, description="share above the insured limit the company carries itself")
    cap_moves_in_default: bool = False  # a customer in default goes to 0 at once

    @field_validator("grade_multipliers")
    @classmethod
    def _ten_grades(cls, value):
        if len(value) != 10 or any(v < 0 for v in value):
            raise ValueError("grade_multipliers needs 10 non-negative numbers, one per grade")
        return value


class PolicyError(Exception):
    """The limit policy file cannot be read or breaks a rule."""


def load_policy(path: Path | None) -> LimitPolicy:
    """Return the policy in the TOML file `path`, or the defaults."""
    if path is None:
        return LimitPolicy()
    try:
        return LimitPolicy.model_validate(tomllib.loads(Path(path).read_text()))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise PolicyError(
            f"{path}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from exc


def _money(value: float) -> str:
    return f"{value:,.0f}"


def recommend_limits(
    features: pd.DataFrame, grades: np.ndarray, in_default: np.ndarray, policy: LimitPolicy
) -> pd.DataFrame:
    """Return current_credit_limit, recommended_credit_limit and limit_reasons for each feature row."""
    n = len(features)
    monthly_sales = features["invoice_amount_365d"].fillna(0).to_numpy(float) / 12
    terms = features["payment_terms_days"].astype(float).fillna(features["avg_terms_days_365d"].astype(float))
    terms = terms.fillna(DEFAULT_TERMS_DAYS).to_numpy(float)
    lateness = features["avg_days_late_365d"].astype(float).fillna(0).to_numpy(float)
    exposure = monthly_sales * (terms + lateness) / 30
    multiplier = np.asarray(policy.grade_multipliers)[np.clip(grades, 1, 10) - 1]
    target = exposure * multiplier
    reasons = [
        [
            f"expected exposure {_money(e)} (monthly sales {_money(s)} x ({t:.0f} days terms + {late:.0f} days usual lateness) / 30)",
            f"grade {g}: x{m:g}",
        ]
        for e, s, t, late, g, m in zip(exposure, monthly_sales, terms, lateness, grades, multiplier)
    ]
    if policy.insured_limit_column in features.columns:
        insured = pd.to_numeric(features[policy.insured_limit_column], errors="coerce").to_numpy(float)
        ceiling = insured * (1 + policy.max_over_insured)
        bound = ~np.isnan(ceiling) & (target > ceiling)
        target = np.where(bound, ceiling, target)
        for i in np.flatnonzero(bound):
            reasons[i].append(f"held at the insured limit {_money(insured[i])}")
    current = pd.to_numeric(features["credit_limit"], errors="coerce").to_numpy(float)
    has_current = ~np.isnan(current)
    held = has_current & (np.asarray(grades) >= policy.no_raise_from_grade) & (target > current)
    target = np.where(held, current, target)
    for i in np.flatnonzero(held):
        reasons[i].append(f"no raise at grade {policy.no_raise_from_grade} or worse: kept at the current limit")
    upper = np.where(has_current, current * (1 + policy.max_increase), np.inf)
    lower = np.where(has_current, current * (1 - policy.max_decrease), 0.0)
    capped_up, capped_down = has_current & (target > upper), has_current & (target < lower)
    target = np.clip(target, lower, upper)
    for i in np.flatnonzero(capped_up):
        reasons[i].append(f"raise capped at +{policy.max_increase:.0%} of the current limit per review")
    for i in np.flatnonzero(capped_down):
        reasons[i].append(f"cut capped at -{policy.max_decrease:.0%} of the current limit per review")
    recommended = np.where(held, current, np.floor(target / policy.rounding) * policy.rounding)
    defaulted = np.asarray(in_default, dtype=bool)
    recommended = np.where(defaulted, 0.0, recommended)
    for i in np.flatnonzero(defaulted):
        reasons[i] = ["customer is in default: no further credit"]
    return (
        pd.DataFrame(
            {
                "current_credit_limit": current,
                "recommended_credit_limit": recommended,
                "limit_change": recommended - np.where(has_current, current, 0.0),
                "limit_reasons": ["; ".join(r) for r in reasons],
            },
            index=features.index,
        ).reset_index(drop=True)
        if n
        else pd.DataFrame(columns=["current_credit_limit", "recommended_credit_limit", "limit_change", "limit_reasons"])
    )
