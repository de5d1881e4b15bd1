"""Credit-limit and terms advice: a documented, configurable policy, vectorised over the portfolio.

1. Anchor on expected exposure: the larger of the sales-based balance (monthly sales over the last
   year x (terms + usual lateness) / 30 days) and the peak balance of the last year. Unknown lateness
   comes from the late-payment model, else from a policy default.
2. Scale by risk grade: safe grades get headroom above that, risky grades less than it.
3. Respect an insured limit when the customer table gives one (`insured_limit`): no raise above it.
4. Never raise the limit of a customer in a risky grade, however large its exposure has grown.
5. Hold: from the hold grade or PD on, cut to the per-review cap (or put on hold) and advise cash in advance.
6. Dead band: keep the current limit when the figure is close to it.
7. Cap how far one review may move an existing limit, up or down.
8. Round to the step toward the capped figure, never past the cap; never to zero for safe grades.
9. Zero for a customer in default.
Each recommendation names every rule that moved it (`limit_reasons`) and gives terms advice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.limit_policy import LimitPolicy, PolicyError, load_policy

__all__ = ["LIMIT_COLUMNS", "LimitPolicy", "PolicyError", "load_policy", "recommend_limits"]

DEFAULT_TERMS_DAYS = 30
PEAK_BALANCE_COLUMN = "peak_open_amount_365d"
CASH_IN_ADVANCE, SHORTEN_TERMS = "cash in advance", "shorten terms"
LIMIT_COLUMNS = ["current_credit_limit", "recommended_credit_limit", "limit_change", "limit_reasons", "terms_advice"]


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _days(value: float) -> str:
    return f"{value:.0f} day" + ("" if round(value) == 1 else "s")


def _lateness(features: pd.DataFrame, late_payment_prob, policy: LimitPolicy) -> tuple[np.ndarray, list[str | None]]:
    """Return usual days late per row and, where it was unknown, the sentence saying where it came from."""
    known = pd.to_numeric(features["avg_days_late_365d"], errors="coerce").to_numpy(float)
    p = np.full(len(features), np.nan) if late_payment_prob is None else np.asarray(late_payment_prob, float)
    unknown = np.isnan(known)
    from_model = unknown & ~np.isnan(p)
    days = np.where(
        unknown, np.where(from_model, p * policy.days_late_per_late_probability, policy.unknown_days_late), known
    )
    k = policy.days_late_per_late_probability
    notes: list[str | None] = [None] * len(features)
    for i in np.flatnonzero(unknown):
        notes[i] = (
            f"usual lateness unknown: {_days(days[i])} expected from the late-payment model "
            f"({p[i]:.0%} chance of paying more than 30 days late x {k:g} days)"
            if from_model[i]
            else f"usual lateness unknown and no late-payment score: {_days(days[i])} assumed (policy default)"
        )
    return days, notes


def _expected_exposure(features: pd.DataFrame, late_payment_prob, policy: LimitPolicy):
    """Return (expected exposure, reasons per row): the larger of the sales-based balance and the peak
    balance of the last year (the balance at the as-of date when the peak is not in the feature table)."""
    monthly_sales = features["invoice_amount_365d"].fillna(0).to_numpy(float) / 12
    terms = features["payment_terms_days"].astype(float).fillna(features["avg_terms_days_365d"].astype(float))
    terms = terms.fillna(DEFAULT_TERMS_DAYS).to_numpy(float)
    lateness, notes = _lateness(features, late_payment_prob, policy)
    from_sales = monthly_sales * (terms + lateness) / 30
    column = PEAK_BALANCE_COLUMN if PEAK_BALANCE_COLUMN in features.columns else "open_amount"
    balance_name = "peak balance of the last year" if column == PEAK_BALANCE_COLUMN else "balance at the as-of date"
    balance = pd.to_numeric(features[column], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
    by_balance = balance > from_sales
    exposure = np.maximum(from_sales, balance)
    reasons = []
    for e, s, t, late, b, by_b, note in zip(exposure, monthly_sales, terms, lateness, balance, by_balance, notes):
        sales = f"monthly sales {_money(s)} x ({_days(t)} terms + {_days(late)} usual lateness) / 30"
        reasons.append(
            [
                *([note] if note else []),
                f"expected exposure {_money(e)}: the {balance_name} (sales-based figure "
                f"{_money(s * (t + late) / 30)}: {sales})"
                if by_b
                else f"expected exposure {_money(e)} from sales ({sales}; {balance_name} {_money(b)})",
            ]
        )
    return exposure, reasons


def _bounded_figure(figure, current, ceiling, grades, hold, policy: LimitPolicy) -> dict[str, np.ndarray]:
    """Return the figure after the insured ceiling, the no-raise rule, the dead band and the per-review cap
    (a hold row goes to the cap), with a mask of the rows each step moved (`figure` the result)."""
    has = ~np.isnan(current)
    # Unless the policy cuts to the insured cover, a limit already above it is kept from rising, not cut to
    # it: the uninsured excess is the company's own earlier decision, not news about the customer.
    out = {"above_insured": has & (current > ceiling) & ~policy.cut_to_insured}
    ceiling = np.where(out["above_insured"], current, ceiling)
    out["insured"] = ~hold & (figure > ceiling)
    figure = np.minimum(figure, ceiling)
    out["no_raise"] = ~hold & has & (grades >= policy.no_raise_from_grade) & (figure > current)
    figure = np.where(out["no_raise"], current, figure)
    # A limit above the insured one is never kept for being close to the figure.
    near = np.abs(figure - current) <= policy.dead_band * current
    out["band"], out["band_figure"] = ~hold & has & (figure != current) & (current <= ceiling) & near, figure
    figure = np.where(out["band"], current, figure)
    upper = np.where(has, current * (1 + policy.max_increase), np.inf)
    out["lower"] = lower = np.where(has, current * (1 - policy.max_decrease), 0.0)
    out["capped_up"], out["capped_down"] = ~hold & (figure > upper), ~hold & (figure < lower)
    out["figure"] = np.where(hold, lower, np.clip(figure, lower, upper))
    return out


def _round_toward_cap(target, current, lower, step) -> tuple[np.ndarray, np.ndarray]:
    """Return (`target` on the step, `target` itself with float noise removed). A first limit and a raise
    round down (a raise never below the current limit); a cut rounds down unless that passes the cap
    `lower`, then up, never to the current limit or above it (such a cut is no cut: the limit is kept)."""
    # A figure a hair off the step (10,000 x 0.7) is on it: no rounding reason for float noise.
    on_step = np.round(target / step) * step
    target = np.where(np.abs(target - on_step) < 1e-6 * step, on_step, target)
    down, up = np.floor(target / step) * step, np.ceil(target / step) * step
    cut_to = np.where(down >= lower - 1e-6 * step, down, np.minimum(up, current))
    kept = np.where(target > current, np.maximum(down, current), np.where(target < current, cut_to, current))
    return np.where(np.isnan(current), down, kept), target


def _recommended(steps, current, grades, hold, defaulted, policy: LimitPolicy) -> np.ndarray:
    """Return the recommended limits: the bounded figure rounded toward the cap, a hold row cut (or held at 0),
    a safe grade never cut to 0, a customer in default at 0; add the masks of what rounding did to `steps`."""
    has, step = ~np.isnan(current), policy.rounding
    recommended, figure = _round_toward_cap(steps["figure"], current, steps["lower"], step)
    steps["figure"] = figure
    # A hold-grade cut the step would undo (a limit of one step) goes to the exact capped figure.
    steps["exact"] = exact = hold & has & (recommended >= current) & (steps["lower"] < current)
    recommended = np.where(exact, figure, recommended)
    recommended = np.where(hold & ((policy.hold_action == "hold") | ~has), 0.0, recommended)
    protected = ~hold & ~defaulted & (grades <= policy.never_zero_to_grade) & (recommended == 0)
    steps["protected"] = protected = protected & np.where(has, current > 0, figure > 0)
    recommended = np.where(protected, np.where(has, np.minimum(current, step), step), recommended)
    moved = ~hold & ~protected
    steps["cut_kept"] = moved & has & (figure < current) & (recommended == current)
    steps["raise_kept"] = moved & has & (figure > current) & (recommended == current)
    steps["rounded_down"] = moved & (recommended < figure) & ~steps["raise_kept"]
    steps["rounded_up"] = moved & (recommended > figure) & (recommended < current)
    return np.where(defaulted, 0.0, recommended)


def _hold_reason(policy: LimitPolicy, grade: int, pd_12m: float, has_limit: bool, exact: bool, up: bool) -> str:
    """Return the sentence of a customer at or past the hold line: what was done to its limit."""
    # Without a default model there is no PD: the grade the policy reads is the late-payment one.
    pd_text = "" if np.isnan(pd_12m) else f", PD {pd_12m:.1%}"
    line = f"grade {grade}{pd_text}: at or past the hold line (grade {policy.hold_grade} or PD {policy.hold_pd:.0%})"
    if not has_limit:
        return f"{line}, no credit limit opened"
    if policy.hold_action == "hold":
        return f"{line}, on hold: limit 0 for new orders"
    step = _money(policy.rounding)
    how = f", not rounded to the {step} step, which would undo the cut" if exact else ""
    how += f", rounded up to the {step} step" if up and not exact else ""
    return f"{line}, cut by the -{policy.max_decrease:.0%} per-review cap{how}"


def _explain(reasons, steps, recommended, current, ceiling, grades, pd_12m, hold, policy: LimitPolicy) -> None:
    """Append to each row's reasons a sentence for every step that moved its figure."""
    up, down, grid = f"+{policy.max_increase:.0%}", f"-{policy.max_decrease:.0%}", _money(policy.rounding)
    figure, has = steps["figure"], ~np.isnan(current)
    texts = {
        "insured": lambda i: (
            f"no raise above the insured limit {_money(ceiling[i])}: kept at the current limit"
            if steps["above_insured"][i]
            else f"figure brought down to the insured limit {_money(ceiling[i])}"
        ),
        "no_raise": lambda i: f"no raise at grade {policy.no_raise_from_grade} or worse: kept at the current limit",
        "band": lambda i: (
            f"figure {_money(steps['band_figure'][i])} within {policy.dead_band:.0%} of the current limit: kept"
        ),
        "capped_up": lambda i: f"raise capped at {up} of the current limit per review",
        "capped_down": lambda i: f"cut capped at {down} of the current limit per review",
        "rounded_down": lambda i: f"rounded down to the {grid} step",
        "rounded_up": lambda i: f"rounded up to the {grid} step: rounding down would cut more than {down}",
        "cut_kept": lambda i: f"a cut to {_money(figure[i])} rounds up to the current limit at the {grid} step: kept",
        "raise_kept": lambda i: (
            f"a raise to {_money(figure[i])} rounds down to the current limit at the {grid} step: kept"
        ),
        "protected": lambda i: (
            f"grade {policy.never_zero_to_grade} or better is never given 0: {_money(recommended[i])} instead"
        ),
    }
    for name, text in texts.items():
        for i in np.flatnonzero(steps[name]):
            reasons[i].append(text(i))
    for i in np.flatnonzero(hold):
        up_rounded = recommended[i] > figure[i]
        reasons[i].append(_hold_reason(policy, grades[i], pd_12m[i], has[i], steps["exact"][i], up_rounded))


def recommend_limits(
    features: pd.DataFrame,
    grades: np.ndarray,
    pd_12m: np.ndarray,
    in_default: np.ndarray,
    policy: LimitPolicy,
    late_payment_prob: np.ndarray | None = None,
    late_payment_grades: bool = False,
) -> pd.DataFrame:
    """Return `LIMIT_COLUMNS` for each feature row: current and recommended limit, the change, the reasons
    (every rule that moved the figure) and terms advice ("cash in advance", "shorten terms" or empty).

    `late_payment_prob` (P(an invoice due in the next 90 days is paid more than 30 days late)) fills in
    usual lateness where the feature table has none; without it the policy's `unknown_days_late` does.
    `late_payment_grades`: the grades are the late-payment model's (no default model), as the reasons say first.
    """
    grades, pd_12m = np.asarray(grades, dtype=int), np.asarray(pd_12m, dtype=float)
    defaulted = np.asarray(in_default, dtype=bool)
    exposure, reasons = _expected_exposure(features, late_payment_prob, policy)
    multiplier = np.asarray(policy.grade_multipliers)[np.clip(grades, 1, 10) - 1]
    for i, (g, m) in enumerate(zip(grades, multiplier)):
        if late_payment_grades:
            reasons[i].insert(0, f"late-payment grade {g} used (no default model)")
        reasons[i].append(f"grade {g}: x{m:g}")
    ceiling = np.full(len(features), np.inf)
    if policy.insured_limit_column in features.columns:
        insured = pd.to_numeric(features[policy.insured_limit_column], errors="coerce").to_numpy(float)
        ceiling = np.where(np.isnan(insured), np.inf, insured * (1 + policy.max_over_insured))
    current = pd.to_numeric(features["credit_limit"], errors="coerce").to_numpy(float)
    hold = ~defaulted & ((grades >= policy.hold_grade) | (pd_12m >= policy.hold_pd))
    steps = _bounded_figure(exposure * multiplier, current, ceiling, grades, hold, policy)
    recommended = _recommended(steps, current, grades, hold, defaulted, policy)
    _explain(reasons, steps, recommended, current, ceiling, grades, pd_12m, hold, policy)
    for row in np.flatnonzero(defaulted):
        reasons[row] = ["customer is in default: no further credit"]
    advice = np.full(len(features), None, dtype=object)
    advice[grades >= policy.shorten_terms_from_grade] = SHORTEN_TERMS
    advice[hold | defaulted] = CASH_IN_ADVANCE
    return pd.DataFrame(
        {
            "current_credit_limit": current,
            "recommended_credit_limit": recommended,
            "limit_change": recommended - np.where(np.isnan(current), 0.0, current),
            "limit_reasons": ["; ".join(r) for r in reasons],
            "terms_advice": advice,
        },
        columns=LIMIT_COLUMNS,
    )
