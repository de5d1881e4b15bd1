"""Judge a probability of default: discrimination, calibration, gains and score stability.

Pure numpy/pandas/scikit-learn, no MLflow: the trainer logs what these functions return. `y` is 1 for
the bad outcome (default, late payment) and 0 otherwise; `p` is the predicted probability of y = 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

LOG_LOSS_CLIP = 1e-6
PSI_EPSILON = 1e-6


def _as_arrays(y, p) -> tuple[np.ndarray, np.ndarray]:
    """Return y and p as flat float arrays of equal length; raise ValueError otherwise."""
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y and p differ in length: {len(y)} != {len(p)}")
    return y, p


def ks_statistic(y, score) -> float:
    """Return the Kolmogorov-Smirnov statistic: the largest gap between the TPR and FPR curves."""
    fpr, tpr, _ = roc_curve(y, score)
    return float(np.max(np.abs(tpr - fpr)))


def _ranking_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Return auc, gini, ks and pr_auc; NaN when y holds a single class, where ranking is undefined."""
    if len(np.unique(y)) < 2:
        return {"auc": np.nan, "gini": np.nan, "ks": np.nan, "pr_auc": np.nan}
    auc = float(roc_auc_score(y, p))
    return {
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks_statistic(y, p),
        "pr_auc": float(average_precision_score(y, p)),
    }


def _probability_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Return the Brier score and the log loss (p clipped so a confident miss costs a finite amount)."""
    if len(y) == 0:
        return {"brier": np.nan, "log_loss": np.nan}
    # Computed by hand rather than with sklearn: its log_loss raises when y holds one class only.
    clipped = np.clip(p, LOG_LOSS_CLIP, 1.0 - LOG_LOSS_CLIP)
    log_loss = -np.mean(y * np.log(clipped) + (1.0 - y) * np.log(1.0 - clipped))
    return {"brier": float(np.mean((p - y) ** 2)), "log_loss": float(log_loss)}


def score_metrics(y, p) -> dict[str, float]:
    """Return auc, gini, ks, pr_auc, brier, log_loss, n, positives and base_rate, all as floats.

    auc, gini, ks and pr_auc are NaN when y holds a single class (a quiet month with no defaults
    should not stop an evaluation report).
    """
    y, p = _as_arrays(y, p)
    n, positives = len(y), float(y.sum())
    return {
        **_ranking_metrics(y, p),
        **_probability_metrics(y, p),
        "n": float(n),
        "positives": positives,
        "base_rate": positives / n if n else np.nan,
    }


def quantile_bins(values, bins: int) -> np.ndarray:
    """Return a 0-based bin index per value, bins of about equal size by ascending value.

    Bins are cut on ranks (ties share their average rank) with duplicate edges dropped, so equal
    values always land in the same bin and heavily tied scores yield fewer than `bins` bins.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, not {bins}")
    ranks = pd.Series(np.asarray(values, dtype=float)).rank(method="average")
    if len(ranks) == 0:
        return np.zeros(0, dtype=int)
    codes = pd.qcut(ranks, bins, labels=False, duplicates="drop")
    # qcut gives NaN when every rank is equal (a constant score): that is one bin.
    return codes.fillna(0).to_numpy(dtype=int)


def calibration_by_decile(y, p, bins: int = 10) -> pd.DataFrame:
    """Return one row per quantile bin of p (1 = lowest risk): bin, n, mean_predicted, observed_rate, abs_gap."""
    y, p = _as_arrays(y, p)
    frame = pd.DataFrame({"bin": quantile_bins(p, bins) + 1, "y": y, "p": p})
    table = frame.groupby("bin", sort=True).agg(
        n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")
    )
    table = table.reset_index()
    table["n"] = table["n"].astype(int)
    table["abs_gap"] = (table["mean_predicted"] - table["observed_rate"]).abs()
    return table[["bin", "n", "mean_predicted", "observed_rate", "abs_gap"]]


def calibration_by_grade(y, p, grades, confidence: float = 0.95) -> pd.DataFrame:
    """Return one row per grade (missing grades as their own row): grade, n, mean_predicted, observed_rate,
    the Jeffreys interval of the observed rate (observed_low, observed_high) and `calibrated`: whether the
    interval holds the mean predicted probability.

    Grades keep their order when `grades` is an ordered pandas Categorical (e.g. AAA to D).
    """
    y, p = _as_arrays(y, p)
    grades = pd.Series(grades).reset_index(drop=True)
    if len(grades) != len(y):
        raise ValueError(f"grades and y differ in length: {len(grades)} != {len(y)}")
    frame = pd.DataFrame({"grade": grades, "y": y, "p": p})
    table = frame.groupby("grade", sort=True, observed=True, dropna=False).agg(
        n=("y", "size"), events=("y", "sum"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")
    )
    table = table.reset_index()
    table["n"] = table["n"].astype(int)
    table["observed_low"], table["observed_high"] = jeffreys_interval(table["events"], table["n"], confidence)
    table["calibrated"] = (table["observed_low"] <= table["mean_predicted"]) & (
        table["mean_predicted"] <= table["observed_high"]
    )
    return table[["grade", "n", "mean_predicted", "observed_rate", "observed_low", "observed_high", "calibrated"]]


def jeffreys_interval(events, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Return the Jeffreys interval (lower, upper) of a binomial rate: Beta(k + 1/2, n - k + 1/2) quantiles,
    with the lower end 0 at no events and the upper end 1 when every trial is one (Brown, Cai & DasGupta 2001)."""
    from scipy.stats import beta

    k, n = np.asarray(events, dtype=float), np.asarray(n, dtype=float)
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, beta.ppf(tail, k + 0.5, n - k + 0.5), 0.0)
        high = np.where(k < n, beta.ppf(1 - tail, k + 0.5, n - k + 0.5), 1.0)
    return low, high


def expected_calibration_error(y, p, bins: int = 10) -> float:
    """Return the n-weighted mean of |mean predicted - observed rate| over quantile bins of p (NaN if empty)."""
    table = calibration_by_decile(y, p, bins)
    if table["n"].sum() == 0:
        return float("nan")
    return float(np.average(table["abs_gap"], weights=table["n"]))


def gains_table(y, score, bins: int = 10) -> pd.DataFrame:
    """Return one row per score bin, riskiest first (bin 1 = highest scores).

    Columns: bin, n, positives, positive_rate, share_of_positives, cumulative_share_of_population,
    cumulative_share_of_positives (the capture rate), lift (bin rate / base rate), cumulative_lift.
    Shares and lifts are NaN when there are no positives.
    """
    y, score = _as_arrays(y, score)
    # Binning the negated score puts the highest scores in bin 1, ties still kept together.
    frame = pd.DataFrame({"bin": quantile_bins(-score, bins) + 1, "y": y})
    table = frame.groupby("bin", sort=True).agg(n=("y", "size"), positives=("y", "sum")).reset_index()
    table["n"], table["positives"] = table["n"].astype(int), table["positives"].round().astype(int)
    total_n, total_pos = table["n"].sum(), table["positives"].sum()
    base_rate = total_pos / total_n if total_n else np.nan
    safe_pos = total_pos if total_pos > 0 else np.nan
    safe_base = base_rate if total_pos > 0 else np.nan
    cum_n, cum_pos = table["n"].cumsum(), table["positives"].cumsum()
    table["positive_rate"] = table["positives"] / table["n"]
    table["share_of_positives"] = table["positives"] / safe_pos
    table["cumulative_share_of_population"] = cum_n / total_n
    table["cumulative_share_of_positives"] = cum_pos / safe_pos
    table["lift"] = table["positive_rate"] / safe_base
    table["cumulative_lift"] = (cum_pos / cum_n) / safe_base
    return table


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return the share of values per bin: len(edges)+1 value bins, then one bin for missing values."""
    index = np.searchsorted(edges, values, side="right")
    index[np.isnan(values)] = len(edges) + 1
    counts = np.bincount(index, minlength=len(edges) + 2).astype(float)
    return counts / counts.sum() if counts.sum() else counts


def psi_from_shares(expected_shares: np.ndarray, actual_shares: np.ndarray) -> float:
    """Return sum((a - e) * ln(a / e)) with empty bins floored at 1e-6 so the log stays finite."""
    e = np.maximum(np.asarray(expected_shares, dtype=float), PSI_EPSILON)
    a = np.maximum(np.asarray(actual_shares, dtype=float), PSI_EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(expected, actual, bins: int = 10) -> float:
    """Return the population stability index of a score, `actual` against the `expected` (reference) sample.

    Bin edges are quantiles of `expected`; values beyond them fall in the end bins, and missing values
    form a bin of their own, so a drift in missingness counts too. Empty bins get a share of 1e-6 so the
    log stays finite. Rules of thumb: < 0.1 stable, 0.1-0.25 some shift, > 0.25 a real shift.
    """
    expected = np.asarray(expected, dtype=float).ravel()
    actual = np.asarray(actual, dtype=float).ravel()
    finite = expected[~np.isnan(expected)]
    if len(finite) == 0 or len(actual) == 0:
        return float("nan")
    # Interior quantiles only: the outer bins are open-ended so out-of-range scores are still counted.
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    return psi_from_shares(bin_shares(expected, edges), bin_shares(actual, edges))


def score_reference(scores, bins: int = 10) -> dict:
    """Return the interior quantile edges and per-bin shares of a score sample, kept in the model bundle
    so later PSI checks (`psi_from_reference`) compare with the same bins `psi` would draw."""
    scores = np.asarray(scores, dtype=float).ravel()
    edges = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    return {"edges": edges.tolist(), "shares": bin_shares(scores, edges)[:-1].tolist()}


def psi_from_reference(reference: dict, actual) -> float:
    """Return the PSI of `actual` against a stored reference {"edges": interior edges, "shares": per bin}.

    The reference is what `score_reference` keeps in the model bundle (len(edges)+1
    shares, no missing bin); missing values in `actual` count against an expected share of zero.
    """
    edges = np.asarray(reference["edges"], dtype=float)
    expected = np.append(np.asarray(reference["shares"], dtype=float), 0.0)
    if len(expected) != len(edges) + 2:
        raise ValueError(f"reference has {len(edges)} edges but {len(expected) - 1} shares; expected {len(edges) + 1}")
    actual = np.asarray(actual, dtype=float).ravel()
    if len(actual) == 0:
        return float("nan")
    return psi_from_shares(expected, bin_shares(actual, edges))
