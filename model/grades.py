"""The risk-grade master scales: grade g holds probabilities up to the g-th upper bound.

Grade 1 is the safest. Bands are roughly geometric, as rating scales are, so each grade is about
1.6-1.8 times as risky as the one before; the top band is open-ended.
"""

from __future__ import annotations

import numpy as np

# 12-month probability of default.
PD_MASTER_SCALE = (0.0025, 0.005, 0.0085, 0.014, 0.024, 0.04, 0.065, 0.11, 0.18, 1.0)
# Probability that an invoice due in the next 90 days is paid more than 30 days late.
LATE_PAYMENT_SCALE = (0.02, 0.04, 0.07, 0.10, 0.15, 0.22, 0.30, 0.40, 0.55, 1.0)

SCALES = {"default_12m": PD_MASTER_SCALE, "late_payment_90d": LATE_PAYMENT_SCALE}
# The grade of a customer in default at the as-of date, after the scale's grades: PD 1, limit 0.
DEFAULT_GRADE = "D"


def grade_rank(grade) -> int | None:
    """Return a grade's place on the scale: "1".."10" as numbers, DEFAULT_GRADE after them; None for no grade."""
    text = str(grade)
    if text.isdigit():
        return int(text)
    return len(PD_MASTER_SCALE) + 1 if text == DEFAULT_GRADE else None


def assign_grades(probabilities: np.ndarray, upper_bounds: tuple[float, ...]) -> np.ndarray:
    """Return the grade (1 = safest) of each probability: the first band whose upper bound it does not exceed."""
    bounds = np.asarray(upper_bounds, dtype=float)
    if np.any(np.diff(bounds) <= 0) or bounds[-1] < 1.0:
        raise ValueError("grade bounds must increase and the last must be 1.0")
    return np.searchsorted(bounds, np.asarray(probabilities, dtype=float), side="left") + 1


def scale_table(upper_bounds: tuple[float, ...]) -> list[dict]:
    """Return the scale as rows (grade, from, to) for docs and model cards."""
    lower = (0.0, *tuple(upper_bounds[:-1]))
    return [{"grade": g + 1, "from": lo, "to": hi} for g, (lo, hi) in enumerate(zip(lower, upper_bounds))]
