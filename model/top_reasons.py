"""The largest risk-raising contributions of each row: the one loop of reason assembly compiled (numba).

Picking five of some seventy contributions for each row is a loop over rows; in numpy it takes five
passes over the whole matrix, compiled it is one pass over each row's values, a small part of the
`pred_contrib` call it follows (docs/models.md has the figures). The compiled code is cached on disk
(beside this module where it can be written), so only the first process compiles it.
"""

from __future__ import annotations

import numba
import numpy as np


def top_risk_raising(contributions: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return, per slot and row, the feature and the contribution of the row's `n` largest positive contributions.

    Both arrays are (n, rows), slot 0 the largest; a slot the row has no positive contribution left
    for holds feature -1 and contribution NaN. Of equal contributions the feature listed first
    (lowest column) comes first. Features are int16 where they fit: the callers sort them, and numpy
    sorts 16-bit integers by radix.
    """
    rows, columns = contributions.shape
    features = np.full((rows, n), -1, dtype=np.int16 if columns < 2**15 else np.int32)
    values = np.full((rows, n), np.nan)
    _fill_top(contributions, features, values)
    return np.ascontiguousarray(features.T), np.ascontiguousarray(values.T)


def _compiled(function):
    """Return `function` compiled, its machine code kept on disk where numba finds a writable place."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # a read-only install and home: compile once per process instead
        return numba.njit(nogil=True)(function)


@_compiled
def _fill_top(contributions, features, values):
    n = features.shape[1]
    for r in range(contributions.shape[0]):
        filled = 0
        for j in range(contributions.shape[1]):
            v = contributions[r, j]
            # Only a positive contribution larger than the smallest kept one (when all n are taken) enters.
            if not v > 0 or (filled == n and not v > values[r, n - 1]):
                continue
            # Insert after every kept contribution at least as large: equal ones keep their order.
            pos = filled if filled < n else n - 1
            while pos > 0 and values[r, pos - 1] < v:
                values[r, pos] = values[r, pos - 1]
                features[r, pos] = features[r, pos - 1]
                pos -= 1
            values[r, pos] = v
            features[r, pos] = j
            if filled < n:
                filled += 1
