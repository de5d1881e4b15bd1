"""Evaluation charts as PNG files: ROC, calibration, feature importance, SHAP summary, gains.

Each function draws one figure, saves it to `path` (creating the folder), closes it and returns the
path, so a training run can log the files as MLflow artifacts and hold no figures in memory.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.ticker as ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import auc as area_under_curve

from training.evaluate import calibration_by_decile, expected_calibration_error

DPI = 120


def _save(fig, path) -> Path:
    """Return the path after saving the figure there (folder created).

    Figures are made as `Figure` objects, not through pyplot: no backend, no display and no registry of
    open figures are involved, so drawing on a server needs no setting made at import.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def _curve_auc(name: str, fpr, tpr) -> float:
    """Return the area under one ROC curve; raise ValueError when fpr is not a non-decreasing 0-to-1 curve."""
    fpr, tpr = np.asarray(fpr, dtype=float), np.asarray(tpr, dtype=float)
    if fpr.shape != tpr.shape or len(fpr) < 2 or np.any(np.diff(fpr) < 0):
        raise ValueError(f"curve {name!r} is not (fpr, tpr) from sklearn.metrics.roc_curve(y, score)[:2]")
    return float(area_under_curve(fpr, tpr))


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], path, title: str = "ROC curve") -> Path:
    """Return the path of a ROC plot of every model in `curves` ({name: (fpr, tpr)}), AUC and Gini in the legend.

    Each curve is what `sklearn.metrics.roc_curve(y, score)[:2]` returns; (y, score) pairs are refused.
    """
    aucs = {name: _curve_auc(name, fpr, tpr) for name, (fpr, tpr) in curves.items()}  # validate before drawing
    fig = Figure(figsize=(6, 6))
    ax = fig.subplots()
    for name, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, lw=1.8, label=f"{name} (AUC {aucs[name]:.3f}, Gini {2 * aucs[name] - 1:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="Random (AUC 0.500)")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), title=title)
    ax.set_xlabel("False positive rate (share of good payers flagged)")
    ax.set_ylabel("True positive rate (share of bad payers caught)")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    return _save(fig, path)


def _calibration_limit(table: pd.DataFrame) -> float:
    """Return the upper axis limit: a little above the largest predicted or observed rate, at most 1."""
    top = float(np.nanmax([table["mean_predicted"].max(), table["observed_rate"].max(), 0.0]))
    # Zoom in on low-default portfolios, where a 0-1 axis would squash every point into a corner.
    return min(1.0, max(top * 1.1, 0.01))


def plot_calibration(y, p, path, title: str = "Calibration by decile") -> Path:
    """Return the path of a reliability diagram (predicted vs observed default rate per decile of p).

    The diagonal is perfect calibration; the panel below is the histogram of p, so a reader sees
    where the portfolio sits. Linear axes, zoomed to the range of the rates.
    """
    table = calibration_by_decile(y, p)
    ece = expected_calibration_error(y, p)
    limit = _calibration_limit(table)
    fig = Figure(figsize=(6, 8))
    ax_cal, ax_hist = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.35})
    ax_cal.plot([0, limit], [0, limit], ls="--", color="grey", lw=1, label="Perfect calibration")
    ax_cal.plot(table["mean_predicted"], table["observed_rate"], marker="o", lw=1.5, label=f"Model (ECE {ece:.4f})")
    ax_cal.set(xlim=(0, limit), ylim=(0, limit), title=title)
    ax_cal.set_xlabel("Mean predicted probability of the bad outcome (per decile)")
    ax_cal.set_ylabel("Observed bad rate (per decile)")
    ax_cal.grid(alpha=0.3)
    ax_cal.legend(loc="upper left", fontsize=9)
    # The histogram keeps its own x range: single accounts reach far beyond the decile means.
    p = np.asarray(p, dtype=float)
    ax_hist.hist(p[np.isfinite(p)], bins=50, color="tab:blue", alpha=0.7)
    ax_hist.set_xlabel("Predicted probability of the bad outcome (every account)")
    ax_hist.set_ylabel("Accounts")
    ax_hist.grid(alpha=0.3)
    return _save(fig, path)


def plot_importance(names, gains, path, top: int = 20, title: str = "Feature importance (total gain)") -> Path:
    """Return the path of a horizontal bar chart of the `top` features by total split gain, largest on top."""
    every = pd.Series(np.asarray(gains, dtype=float), index=list(names)).sort_values(ascending=False)
    order = every.head(top)
    # Shares of the gain over all features, not just the ones shown, so a long tail is not hidden.
    share = order / every.sum() if every.sum() > 0 else order * 0
    fig = Figure(figsize=(7, 0.35 * len(order) + 1.5))
    ax = fig.subplots()
    ax.barh(np.arange(len(order)), order.to_numpy()[::-1], color="tab:blue")
    ax.set_yticks(np.arange(len(order)), labels=list(order.index[::-1]))
    for y, (value, pct) in enumerate(zip(order.to_numpy()[::-1], share.to_numpy()[::-1])):
        ax.text(value, y, f" {pct:.0%}", va="center", fontsize=8)
    ax.set_xlabel("Total gain (loss reduction summed over all splits on the feature)")
    ax.set_title(title)
    ax.margins(x=0.12)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def _numeric_for_colouring(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with categorical/text columns as their codes (NaN for missing), all float.

    shap greys out category and object columns instead of colouring them, so codes keep the colour scale.
    """
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype):
            out[name] = column.to_numpy(dtype=float, na_value=np.nan)
        else:
            codes = pd.Categorical(column).codes.astype(float)
            out[name] = np.where(codes < 0, np.nan, codes)
    return pd.DataFrame(out, index=frame.index)


def plot_shap_summary(
    contributions: np.ndarray,
    frame: pd.DataFrame,
    path,
    top: int = 20,
    max_points: int = 5000,
    seed: int = 0,
    title: str = "What drives the predicted risk (SHAP)",
) -> Path:
    """Return the path of a SHAP beeswarm of the `top` features: one dot per account, coloured by the feature value.

    `contributions` is (n, k) in the model's raw units (log-odds for LightGBM's pred_contrib); the
    (n, k+1) output with the bias column last is accepted too. At most `max_points` rows are drawn,
    sampled with `seed`, because shap places the dots in a Python loop.
    """
    # Deferred: importing shap takes long and only this chart needs it; shap draws through pyplot.
    import matplotlib.pyplot as plt
    import shap

    contributions = np.asarray(contributions, dtype=float)
    if contributions.shape[1] == frame.shape[1] + 1:
        contributions = contributions[:, :-1]  # LightGBM appends the expected value as a last column
    if contributions.shape != frame.shape:
        raise ValueError(f"contributions {contributions.shape} and frame {frame.shape} differ in shape")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(frame), size=min(max_points, len(frame)), replace=False))
    values = _numeric_for_colouring(frame).iloc[rows]
    # shap draws on pyplot's current figure and axes: a fresh figure becomes both (pyplot falls back to
    # a headless backend where there is no display). The explicit rng keeps the dot jitter reproducible.
    fig = plt.figure()
    ax = fig.add_subplot()
    try:
        with warnings.catch_warnings():
            # shap takes nanpercentiles per column for the colour scale; an all-missing column only warns.
            warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)
            shap.summary_plot(contributions[rows], values, max_display=top, show=False, rng=rng)
        ax.set_xlabel("Contribution to the log-odds of the bad outcome (SHAP value)")
        ax.set_title(title)
        return _save(fig, path)
    finally:
        plt.close(fig)  # no figure left in pyplot's registry


def plot_gains(table: pd.DataFrame, path, title: str = "Cumulative gains (capture rate)") -> Path:
    """Return the path of the cumulative capture curve from `gains_table`: share of bads caught vs share reviewed.

    Also drawn: random selection (the diagonal) and a perfect model (every bad ranked first).
    """
    x = np.concatenate([[0.0], table["cumulative_share_of_population"].to_numpy(dtype=float)])
    y = np.concatenate([[0.0], table["cumulative_share_of_positives"].to_numpy(dtype=float)])
    base_rate = table["positives"].sum() / table["n"].sum()
    fig = Figure(figsize=(6, 6))
    ax = fig.subplots()
    ax.plot(x, y, marker="o", lw=1.8, label="Model")
    ax.plot([0, base_rate, 1], [0, 1, 1], ls=":", color="black", lw=1, label="Perfect ranking")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="Random")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), title=title)
    ax.set_xlabel("Share of accounts reviewed, riskiest first")
    ax.set_ylabel("Share of all bad payers caught")
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    return _save(fig, path)
