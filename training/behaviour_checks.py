"""Behaviour checks of a trained model: what it must do whatever its AUC, before it may become champion.

- directional: a feature made worse (higher where higher is riskier, lower where higher is safer)
  never lowers the probability;
- invariance: a row's score depends on its own features only, not on its id, its date's spelling,
  or the other rows scored with it;
- reproducibility: the same rows scored twice give the same probabilities, grades and reasons, to the bit;
- resolution: the riskiest rows of one as-of date carry enough distinct probabilities to be called in order.

`tradecredit promote` runs them on the challenger; `tests/model` runs them on any registered model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.packaged import PackagedModel

# Probabilities equal within this are equal: a monotone model's step can round either way by an ulp.
TOLERANCE = 1e-12
# A check needs this many rows with a known value of the feature to mean anything.
MIN_KNOWN = 20
# The riskiest customers a collections team calls first, and how many distinct probabilities they need
# (issue: a model stopped after a dozen trees gave 15 of the 20 riskiest one PD, leaving no order to call in).
RESOLUTION_TOP = 100
RESOLUTION_MIN_SHARE = 0.8


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


def expected_directions(model: PackagedModel) -> dict[str, int]:
    """Return {feature: +1 (riskier when higher) or -1 (safer when higher)} the model is held to.

    Those the booster was trained monotone in; a model trained without constraints is held to the
    directions its feature spec records (the catalogue's), which it may then be found to break.
    """
    constraints = model.booster.params.get("monotone_constraints")
    if isinstance(constraints, str):
        constraints = [int(c) for c in constraints.split(",")]
    if constraints:
        return {n: int(c) for n, c in zip(model.spec.names, constraints) if int(c) != 0}
    return {n: int(c) for n, c in model.spec.directions.items() if int(c) != 0}


def directional(model: PackagedModel, rows: pd.DataFrame) -> list[CheckResult]:
    """Return one result per feature with a direction: made worse, the probability must not fall."""
    base = model.probability(rows)
    results = []
    for name, direction in expected_directions(model).items():
        known = rows[name].notna().to_numpy()
        if known.sum() < MIN_KNOWN:
            continue
        worse = rows.copy()
        # Only known values move: missing (nothing observed) is not the lowest value of a feature.
        worse[name] = worse[name] + direction * (worse[name].abs() + 10)
        moved = model.probability(worse)
        bad = int((moved[known] - base[known] < -TOLERANCE).sum())
        results.append(
            CheckResult(f"directional: {name}", bad == 0, f"{bad} of {int(known.sum())} rows went the wrong way")
        )
    return results


def invariance(model: PackagedModel, rows: pd.DataFrame) -> list[CheckResult]:
    """Return the results of scoring rows under other ids and in another order and company."""
    base = model.probability(rows)
    renamed = rows.assign(customer_id=[f"X{i:07d}" for i in range(len(rows))])
    order = np.random.default_rng(0).permutation(len(rows))
    shuffled = np.empty(len(rows))
    shuffled[order] = model.probability(rows.iloc[order])
    half = len(rows) // 2
    alone = model.probability(rows.iloc[:half])
    return [
        CheckResult("invariance: customer id", bool(np.array_equal(model.probability(renamed), base)), "ids replaced"),
        CheckResult("invariance: row order", bool(np.array_equal(shuffled, base)), "rows shuffled"),
        CheckResult("invariance: batch", bool(np.array_equal(alone, base[:half])), "half the rows scored alone"),
    ]


def reproducibility(model: PackagedModel, rows: pd.DataFrame) -> list[CheckResult]:
    """Return the result of scoring the same rows twice, reasons included."""
    first, second = model.predict(rows, explain=True), model.predict(rows, explain=True)
    same = first.equals(second)
    return [CheckResult("reproducibility", same, "scored twice" + ("" if same else ": the outputs differ"))]


def resolution(model: PackagedModel, rows: pd.DataFrame) -> list[CheckResult]:
    """Return the result of ranking the riskiest live rows of the latest as-of date: at least
    RESOLUTION_MIN_SHARE of the RESOLUTION_TOP highest probabilities must differ (rounded to 1e-6)."""
    latest = rows
    if "as_of_date" in rows.columns:
        latest = rows[pd.to_datetime(rows["as_of_date"]) == pd.to_datetime(rows["as_of_date"]).max()]
    if "in_default_at_as_of" in latest.columns:
        latest = latest[~latest["in_default_at_as_of"].fillna(False).astype(bool)]
    top = np.sort(model.probability(latest))[::-1][:RESOLUTION_TOP]
    if len(top) < RESOLUTION_TOP // 2:
        return []  # too few customers for the top of the list to mean anything
    distinct, needed = len(np.unique(np.round(top, 6))), int(np.ceil(RESOLUTION_MIN_SHARE * len(top)))
    return [
        CheckResult(
            "resolution", distinct >= needed, f"{distinct} distinct probabilities among the {len(top)} riskiest rows"
        )
    ]


def behaviour_checks(model: PackagedModel, rows: pd.DataFrame) -> list[CheckResult]:
    """Return every check's result on `rows` (feature rows the model can score)."""
    return [
        *directional(model, rows),
        *invariance(model, rows),
        *reproducibility(model, rows),
        *resolution(model, rows),
    ]


def failures(results: list[CheckResult]) -> list[str]:
    """Return one line per failed check."""
    return [f"{r.name} failed ({r.detail})" for r in results if not r.passed]
