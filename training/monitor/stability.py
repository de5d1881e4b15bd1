"""Stability: PSI of the score and CSI of every feature against the model's out-of-time reference.

The reference is taken at training from the out-of-time test rows, the most recent the model saw, and
kept in the model's bundle: per feature the interior quantile edges of its values (one bin per category
for a categorical feature) and the share of rows in each bin, a last bin holding missing values. A
later population is put in the same bins; PSI = sum((a - e) * ln(a / e)), empty bins floored at 1e-6.
Bands as the industry reads them: under 0.1 stable, 0.1 to 0.25 watch, over 0.25 act.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.spec import FeatureSpec
from training.evaluate import bin_shares, psi_from_reference, psi_from_shares

WATCH, ACT = 0.1, 0.25


def band(value: float) -> str:
    """Return the PSI band: stable (< 0.1), watch (0.1-0.25) or act (> 0.25); unknown when NaN."""
    if np.isnan(value):
        return "unknown"
    return "stable" if value < WATCH else "watch" if value <= ACT else "act"


def feature_reference(matrix: np.ndarray, spec: FeatureSpec, units: dict[str, str], bins: int = 10) -> dict[str, dict]:
    """Return per feature {"edges", "shares"} of the model matrix `matrix` (`FeatureSpec.array`): quantile
    bins of a number (whole weeks for a count of days), one bin per category of a categorical feature;
    the last share is of missing values."""
    reference = {}
    for j, name in enumerate(spec.names):
        values = matrix[:, j]
        if name in spec.categorical:
            # Category codes 0..k-1: an edge between each pair puts every category in its own bin.
            edges = np.arange(len(spec.categorical[name]) - 1) + 0.5
        else:
            finite = values[~np.isnan(values)]
            interior = np.linspace(0.0, 1.0, bins + 1)[1:-1]
            edges = np.quantile(finite, interior) if len(finite) else np.array([])
            if units.get(name) == "days":
                # Invoices and payments follow the working week: "days since the last payment" at a Tuesday
                # month-end has no 2 or 3, at a Monday no 1 or 2. Bins of whole weeks hold the same customers
                # whatever the weekday, so a month-end's weekday is not read as drift.
                edges = np.ceil(edges / 7) * 7
            edges = np.unique(edges)
        reference[name] = {"edges": edges.tolist(), "shares": bin_shares(values, edges).tolist()}
    return reference


def stability_table(
    reference: dict[str, dict], score_reference: dict, matrix: np.ndarray, scores: np.ndarray, spec: FeatureSpec
) -> pd.DataFrame:
    """Return one row for the score (`feature` "score") and one per feature: psi and band, largest first."""
    rows = [{"feature": "score", "psi": psi_from_reference(score_reference, scores)}]
    for j, name in enumerate(spec.names):
        ref = reference[name]
        edges = np.asarray(ref["edges"], dtype=float)
        rows.append({"feature": name, "psi": psi_from_shares(ref["shares"], bin_shares(matrix[:, j], edges))})
    table = pd.DataFrame(rows)
    table["band"] = [band(v) for v in table["psi"]]
    order = np.r_[0, 1 + np.argsort(-table["psi"].to_numpy()[1:], kind="stable")]
    return table.iloc[order].reset_index(drop=True)
