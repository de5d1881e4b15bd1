"""The reason slots: each row's largest risk-raising contributions, largest first, ties in feature order."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from model.top_reasons import _compiled, top_risk_raising


def slots_by_sorting(row: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The definition, one row at a time: positive contributions by size, then by feature position."""
    raising = [(j, v) for j, v in enumerate(row) if v > 0]
    return sorted(raising, key=lambda item: (-item[1], item[0]))[:n]


def test_slots_match_the_definition_with_ties_negatives_and_short_rows():
    rng = np.random.default_rng(7)
    # Few distinct values, so ties are everywhere; zeros and negatives never count; a row of nothing
    # but non-positive values has empty slots.
    matrix = rng.choice([-2.0, -0.5, 0.0, 0.25, 0.5, 1.0, 3.0], size=(500, 9))
    matrix[3] = -1.0
    matrix[4] = [0.0] * 8 + [0.25]
    features, values = top_risk_raising(matrix, 5)
    assert features.shape == values.shape == (5, 500)
    for r in range(500):
        expected = slots_by_sorting(matrix[r], 5)
        got = [(int(features[k, r]), float(values[k, r])) for k in range(5) if features[k, r] >= 0]
        assert got == expected, r
        assert np.isnan(values[len(expected) :, r]).all()
        assert (features[len(expected) :, r] == -1).all()


def test_a_column_slice_of_pred_contrib_output_gives_the_same_slots():
    # Reasons read the contributions as a view without LightGBM's last (base value) column.
    rng = np.random.default_rng(1)
    full = rng.normal(size=(300, 12))
    features, values = top_risk_raising(full[:, :-1], 3)
    again_features, again_values = top_risk_raising(np.ascontiguousarray(full[:, :-1]), 3)
    assert np.array_equal(features, again_features)
    assert np.array_equal(values, again_values, equal_nan=True)
    assert (features < 11).all()


def _twice(x):
    return 2 * x


def test_compiles_where_no_cache_can_be_written(monkeypatch):
    # A read-only install with no writable home: numba finds nowhere to keep machine code. Importing
    # the scorer must not fail for it; the code is compiled in each process instead.
    monkeypatch.setattr(numba.config, "CACHE_LOCATOR_CLASSES", "IPythonCacheLocator")  # applies only in IPython
    with pytest.raises(RuntimeError, match="no locator"):
        numba.njit(cache=True)(_twice)
    assert _compiled(_twice)(21) == 42
