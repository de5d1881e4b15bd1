"""The largest risk-raising contributions of each row: the one loop of reason assembly compiled (numba).

Picking five of some seventy contributions for each row is a loop over rows; in numpy it takes five
passes over the whole matrix, compiled it is one pass over each row's values, a small part of the
`pred_contrib` call it follows (docs/models.md has the figures). `top_adverse` applies the reason
rules (`model.reason_rules`) in the same pass, so no masked copy of the contributions is made. The
compiled code is cached on disk (beside this module where it can be written), so only the first
process compiles it.
"""

from __future__ import annotations

import numba
import numpy as np


def top_adverse(
    contributions: np.ndarray,
    values: np.ndarray,
    direction: np.ndarray,
    reference: np.ndarray,
    scale: np.ndarray,
    excluded: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return per slot and row (slot-major) the feature and the contribution of the `n` largest positive
    contributions that may be reasons, largest first, ties in column order (-1 and NaN: an empty slot).

    Per column j of the model matrix `values`: an excluded column is never a reason; a present value
    is one only when it lies on the risky side of `reference[j]` (compared as shown: rounded to
    `rint(value * scale[j])` when the scale is positive): above it for `direction` +1, below for -1,
    different from it for 0, never when the reference is NaN. The positive contributions of missing
    values are summed into one more column, feature index `values.shape[1]` in the result: one reason.
    """
    rows, columns = contributions.shape
    features = np.full((rows, n), -1, dtype=np.int16 if columns < 2**15 - 1 else np.int32)
    top = np.full((rows, n), np.nan)
    _fill_top_adverse(contributions, values, direction, reference, scale, excluded, features, top)
    return np.ascontiguousarray(features.T), np.ascontiguousarray(top.T)


def _compiled(function):
    """Return `function` compiled, its machine code kept on disk where numba finds a writable place."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # a read-only install and home: compile once per process instead
        return numba.njit(nogil=True)(function)


@_compiled
def _keep(features, values, r, filled, j, v):
    """Keep contribution `v` of feature `j` among row r's `filled` largest; return how many are kept now."""
    n = features.shape[1]
    # Only a positive contribution larger than the smallest kept one (when all n are taken) enters.
    if not v > 0 or (filled == n and not v > values[r, n - 1]):
        return filled
    # Insert after every kept contribution at least as large: equal ones keep their order.
    pos = filled if filled < n else n - 1
    while pos > 0 and values[r, pos - 1] < v:
        values[r, pos] = values[r, pos - 1]
        features[r, pos] = features[r, pos - 1]
        pos -= 1
    values[r, pos] = v
    features[r, pos] = j
    return filled + 1 if filled < n else filled


@_compiled
def _fill_top_adverse(contributions, values, direction, reference, scale, excluded, features, top):
    columns = contributions.shape[1]
    for r in range(contributions.shape[0]):
        filled = 0
        missing = 0.0
        for j in range(columns):
            c = contributions[r, j]
            if excluded[j] or not c > 0:
                continue
            x = values[r, j]
            if np.isnan(x):
                missing += c
                continue
            ref = reference[j]
            if np.isnan(ref):
                continue
            key = np.rint(x * scale[j]) if scale[j] > 0 else x
            d = direction[j]
            if (d > 0 and key > ref) or (d < 0 and key < ref) or (d == 0 and key != ref):
                filled = _keep(features, top, r, filled, j, c)
        _keep(features, top, r, filled, columns, missing)
