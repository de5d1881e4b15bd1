"""The scorecard as the packaged model: one LightGBM tree per feature, whose leaves are its bins' points.

Written as a booster, the scorecard scores, explains, serves and travels through the registry with
the same code as the gradient-boosted model. TreeSHAP of an additive model is exact and simple: a
feature's contribution is its bin's weight less the training average of its weights, so the reasons
of a scorecard are its points read against the average customer. Each tree first sends a missing
value (or, for a category, one unseen in training: the model matrix holds both as NaN) to the
feature's missing bin, then splits the values at the bin edges; the leaves carry the logistic
regression's weights, the first tree its intercept too, and the training counts of each bin (at
least 1, so an empty bin divides nothing by zero) weight the expected value. A tree's gain is the
spread of its feature's weights over the training rows (count-weighted variance), so importance
plots rank features by how much of the score they move.

`points_table` and `sql_expression` give a credit committee the same model as a table of points and
as one SQL expression (the calibrated probability) to score a ledger in its own database.
"""

from __future__ import annotations

import itertools
import json
import math

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.calibration import ScoreCalibrator
from model.spec import FeatureSpec
from training.challenger import BinnedLogisticScorecard, category_codes, numeric_codes

# Points on the usual scale: 600 at odds of 50 to 1 against the event, 20 points to double the odds.
BASE_POINTS, BASE_ODDS, POINTS_TO_DOUBLE = 600.0, 50.0, 20.0
_LOWEST = -np.finfo(np.float64).max


def scorecard_booster(scorecard: BinnedLogisticScorecard, spec: FeatureSpec, x_train: pd.DataFrame) -> lgb.Booster:
    """Return a booster whose raw score is the scorecard's log-odds on the model matrix of `spec`."""
    weights = scorecard.coef_
    trees: list[str] = []
    for j, name in enumerate(spec.names):
        bins = _bins(scorecard, spec, name, x_train[name])
        counts = np.maximum(bins["counts"], 1)
        values = weights[scorecard.offsets_[j] : scorecard.offsets_[j + 1]]
        values = values + (float(scorecard.intercept_) if j == 0 else 0.0)
        trees.append(
            _tree_text(len(trees), j, bins["thresholds"], bins["value_bins"], bins["missing_bin"], values, counts)
        )
    header = [
        "tree",
        "version=v4",
        "num_class=1",
        "num_tree_per_iteration=1",
        "label_index=0",
        f"max_feature_idx={len(spec.names) - 1}",
        "objective=binary sigmoid:1",
        "feature_names=" + " ".join(spec.names),
        "feature_infos=" + " ".join("none" for _ in spec.names),
        "",
    ]
    categories = [list(spec.categorical[n]) for n in spec.names if n in spec.categorical]
    text = "\n".join([*header, *trees, "end of trees", "", f"pandas_categorical:{json.dumps(categories)}", ""])
    return lgb.Booster(model_str=text)


def _bins(scorecard: BinnedLogisticScorecard, spec: FeatureSpec, name: str, train: pd.Series) -> dict:
    """Return, for one feature, the split thresholds on its model-matrix value, the scorecard bin of
    each value interval, its missing bin and the training count of every bin."""
    if name in scorecard.edges_:
        edges = scorecard.edges_[name]
        # An edge belongs to the bin above it; LightGBM sends x <= threshold left: the double below the edge.
        thresholds = [float(np.nextafter(e, -np.inf)) for e in edges]
        value_bins = list(range(len(edges) + 1))
        codes = numeric_codes(train.to_numpy(dtype=np.float64, na_value=np.nan), edges)
        missing_bin, width = len(edges) + 1, len(edges) + 2
    else:
        known = scorecard.categories_[name]
        declared = pd.Series(pd.Categorical(list(spec.categorical[name]), categories=list(spec.categorical[name])))
        # Model-matrix code c (the c-th declared category) falls in the scorecard's bin of that category.
        # A column that never held a category has no code but NaN: one leaf ("other") stands in for values.
        value_bins = list(category_codes(declared, known)) or [len(known)]
        thresholds = [c + 0.5 for c in range(len(value_bins) - 1)]
        codes = category_codes(train, known)
        missing_bin, width = len(known) + 1, len(known) + 2
    return {
        "thresholds": thresholds,
        "value_bins": value_bins,
        "missing_bin": missing_bin,
        "counts": np.bincount(codes, minlength=width),
    }


def _tree_text(
    index: int,
    feature: int,
    thresholds: list[float],
    value_bins: list[int],
    missing_bin: int,
    values: np.ndarray,
    counts: np.ndarray,
) -> str:
    """Return one tree in LightGBM's text format: root NaN -> missing leaf, else a balanced split on thresholds."""
    leaves: list[int] = [missing_bin]  # leaf k holds scorecard bin leaves[k]
    nodes: list[dict] = []

    def build(lo: int, hi: int) -> int:
        """Return the child reference (node index, or ~leaf) of the subtree over value intervals lo..hi."""
        if lo == hi:
            leaves.append(value_bins[lo])
            return ~(len(leaves) - 1)
        node = len(nodes)
        mid = (lo + hi) // 2
        nodes.append({"threshold": thresholds[mid], "decision": 0})
        nodes[node]["left"] = build(lo, mid)
        nodes[node]["right"] = build(mid + 1, hi)
        return node

    nodes.append({"threshold": _LOWEST, "decision": 10, "left": ~0})  # NaN missing type, default left
    nodes[0]["right"] = build(0, len(value_bins) - 1)
    leaf_value = np.array([values[b] for b in leaves])
    leaf_count = np.array([counts[b] for b in leaves])

    def under(ref: int) -> tuple[float, float]:
        """Return (count, count x value) of the leaves below a child reference."""
        if ref < 0:
            return float(leaf_count[~ref]), float(leaf_count[~ref] * leaf_value[~ref])
        left, right = under(nodes[ref]["left"]), under(nodes[ref]["right"])
        return left[0] + right[0], left[1] + right[1]

    sums = [under(k) for k in range(len(nodes))]
    mean = sums[0][1] / sums[0][0]
    gains = [0.0] * len(nodes)
    gains[0] = float(np.sum(leaf_count * (leaf_value - mean) ** 2) / sums[0][0])

    def row(values) -> str:
        return " ".join(repr(float(v)) if isinstance(v, float) else str(v) for v in values)

    return "\n".join(
        [
            f"Tree={index}",
            f"num_leaves={len(leaves)}",
            "num_cat=0",
            "split_feature=" + " ".join(str(feature) for _ in nodes),
            "split_gain=" + row(gains),
            "threshold=" + row([n["threshold"] for n in nodes]),
            "decision_type=" + " ".join(str(n["decision"]) for n in nodes),
            "left_child=" + " ".join(str(n["left"]) for n in nodes),
            "right_child=" + " ".join(str(n["right"]) for n in nodes),
            "leaf_value=" + row([float(v) for v in leaf_value]),
            "leaf_weight=" + row([float(c) for c in leaf_count]),
            "leaf_count=" + " ".join(str(int(c)) for c in leaf_count),
            "internal_value=" + row([s[1] / s[0] for s in sums]),
            "internal_weight=" + row([s[0] for s in sums]),
            "internal_count=" + " ".join(str(int(s[0])) for s in sums),
            "is_linear=0",
            "shrinkage=1",
            "",
            "",
        ]
    )


def points_factor() -> tuple[float, float]:
    """Return (factor, offset): points = offset - factor x log-odds of the event."""
    factor = POINTS_TO_DOUBLE / math.log(2.0)
    return factor, BASE_POINTS - factor * math.log(BASE_ODDS)


def points_table(scorecard: BinnedLogisticScorecard, spec: FeatureSpec) -> pd.DataFrame:
    """Return the scorecard as points: per feature and bin the condition, its log-odds weight and its
    points (more points, less risk), and first the base points every customer starts from."""
    factor, offset = points_factor()
    weights = scorecard.coef_
    rows = [{"feature": "(base)", "bin": "", "weight": float(scorecard.intercept_)}]
    for j, name in enumerate(spec.names):
        for k, condition in enumerate(_conditions(scorecard, name)):
            rows.append({"feature": name, "bin": condition, "weight": float(weights[scorecard.offsets_[j] + k])})
    table = pd.DataFrame(rows)
    table["points"] = -factor * table["weight"]
    table.loc[0, "points"] = offset - factor * table.loc[0, "weight"]
    table["points"] = table["points"].round(1) + 0.0  # + 0.0: no "-0.0" points
    return table


def _conditions(scorecard: BinnedLogisticScorecard, name: str) -> list[str]:
    """Return the condition of each of a feature's bins, in bin order, as the table and the SQL read it."""
    if name in scorecard.edges_:
        edges = [f"{e:.12g}" for e in scorecard.edges_[name]]
        if not edges:
            return ["any value", "missing"]
        between = [f">= {lo} and < {hi}" for lo, hi in itertools.pairwise(edges)]
        return [f"< {edges[0]}", *between, f">= {edges[-1]}", "missing"]
    return [*(f"= '{c}'" for c in scorecard.categories_[name]), "other category", "missing"]


def sql_expression(scorecard: BinnedLogisticScorecard, spec: FeatureSpec, calibrator: ScoreCalibrator) -> str:
    """Return one SQL expression of the feature columns: the calibrated probability the packaged scorecard gives.

    Platt calibration only (the default): isotonic steps have no closed form to write in SQL.
    """
    if calibrator.method != "platt":
        raise ValueError('the SQL expression needs Platt calibration ([calibration] method = "platt")')
    weights = scorecard.coef_
    terms = [f"{float(scorecard.intercept_)!r}"]
    for j, name in enumerate(spec.names):
        w = [
            float(weights[scorecard.offsets_[j] + k]) for k in range(scorecard.offsets_[j + 1] - scorecard.offsets_[j])
        ]
        column = f'"{name}"'
        if name in scorecard.edges_:
            edges = scorecard.edges_[name]
            cases = [f"WHEN {column} < {float(e)!r} THEN {w[k]!r}" for k, e in enumerate(edges)]
            terms.append(f"CASE WHEN {column} IS NULL THEN {w[-1]!r} {' '.join(cases)} ELSE {w[len(edges)]!r} END")
        else:
            known = scorecard.categories_[name]
            # A category the model was never told of is missing to it; a declared one unseen in training is "other".
            declared = ", ".join(_quoted(c) for c in spec.categorical[name])
            cases = [f"WHEN {column} = {_quoted(c)} THEN {w[k]!r}" for k, c in enumerate(known)]
            terms.append(
                f"CASE WHEN {column} IS NULL OR {column} NOT IN ({declared}) THEN {w[-1]!r} "
                f"{' '.join(cases)} ELSE {w[len(known)]!r} END"
            )
    log_odds = "\n  + ".join(terms)
    return f"1.0 / (1.0 + exp(-({calibrator.coef_!r} * (\n  {log_odds}\n) + {calibrator.intercept_!r})))"


def _quoted(value) -> str:
    """Return a text as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
