"""The reason slots: each row's largest risk-raising contributions that may be reasons, largest first, ties in feature order."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from model.top_reasons import _compiled, top_adverse


def top_risk_raising(contributions: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The slots when every present value is adverse: riskier when higher, every value above the reference."""
    columns = contributions.shape[1]
    direction, reference = np.ones(columns, dtype=np.int8), np.full(columns, -np.inf)
    values = np.zeros(contributions.shape)
    return top_adverse(contributions, values, direction, reference, np.zeros(columns), np.zeros(columns, bool), n)


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


def test_only_adverse_values_are_reasons_and_missing_ones_are_one_reason():
    # columns: riskier when higher (reference 10, shown in whole units), safer when higher (reference 0.5,
    # shown in percent), no direction (reference category 2), excluded, and one without a reference
    direction = np.array([1, -1, 0, 1, 1], dtype=np.int8)
    reference, scale = np.array([10.0, 50.0, 2.0, 0.0, np.nan]), np.array([1.0, 100.0, 0.0, 1.0, 1.0])
    excluded = np.array([False, False, False, True, False])
    contributions = np.full((4, 5), 1.0)
    contributions[:, 0] = 3.0
    values = np.array(
        [
            [10.4, 0.496, 2.0, 9.0, 1.0],  # at the reference as shown (10, 50 %, the same category): none adverse
            [11.0, 0.4, 3.0, 9.0, 1.0],  # above, below, different: all three adverse
            [np.nan, np.nan, 1.0, np.nan, 1.0],  # two missing (3 + 1), the excluded one's missing value not counted
            [9.0, 0.9, np.nan, 9.0, 1.0],  # on the safe side: only the missing category, as missing information
        ]
    )
    features, top = top_adverse(contributions, values, direction, reference, scale, excluded, 5)
    slots = [[(int(f), float(v)) for f, v in zip(features[:, r], top[:, r]) if f >= 0] for r in range(4)]
    assert slots == [[], [(0, 3.0), (1, 1.0), (2, 1.0)], [(5, 4.0), (2, 1.0)], [(5, 1.0)]]


def _twice(x):
    return 2 * x


def test_compiles_where_no_cache_can_be_written(monkeypatch):
    # A read-only install with no writable home: numba finds nowhere to keep machine code. Importing
    # the scorer must not fail for it; the code is compiled in each process instead.
    monkeypatch.setattr(numba.config, "CACHE_LOCATOR_CLASSES", "IPythonCacheLocator")  # applies only in IPython
    with pytest.raises(RuntimeError, match="no locator"):
        numba.njit(cache=True)(_twice)
    assert _compiled(_twice)(21) == 42
