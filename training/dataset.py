"""Population, feature spec and the split: which rows a model learns from and is judged on.

Rows are snapshots (customer, as_of_date) with an observed label; customers already in default at
as_of are left out. The default split is out of time: the latest as-of dates are the test set, and
no training or validation label window reaches into the test period (an embargo as long as the
label's outcome window), so the test set is truly the future.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.catalogue import catalogue
from features.labels import LABEL_COLUMNS
from features.pipeline import KEYS
from model.spec import FeatureSpec
from training.config import SplitSettings


class DatasetError(Exception):
    """The data cannot train a model: the message says why in one line."""


def feature_spec(table: pd.DataFrame, exclude: tuple[str, ...] = ()) -> FeatureSpec:
    """Return the spec for a feature table: every catalogue feature plus customer extras, minus `exclude`.

    Raises DatasetError when a catalogue feature is missing: a model trained on a partial table would
    silently disagree with the serving pipeline.
    """
    known = {f.name: f for f in catalogue() if not f.intermediate}
    missing = [n for n in known if n not in table.columns and n not in exclude]
    if missing:
        raise DatasetError(f"feature table lacks catalogue columns: {', '.join(missing)}")
    skip = set(KEYS) | set(LABEL_COLUMNS) | set(exclude)
    names = [c for c in table.columns if c not in skip and not c.startswith("label_")]
    categorical = {}
    for name in names:
        is_text = (name in known and known[name].categorical) or (
            name not in known and not pd.api.types.is_numeric_dtype(table[name])
        )
        if is_text:
            categorical[name] = tuple(sorted(table[name].dropna().astype(str).unique()))
    directions = {n: (known[n].direction if n in known else 0) for n in names}
    return FeatureSpec(tuple(names), categorical, directions)


def population(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """Return the rows a model may learn from: label observed, customer not already in default."""
    if label not in table.columns:
        raise DatasetError(f"label column {label!r} is not in the feature table")
    rows = table[table[label].notna()]
    if "in_default_at_as_of" in rows.columns:
        rows = rows[~rows["in_default_at_as_of"].astype(bool)]
    if rows.empty:
        raise DatasetError(f"no rows with an observed {label}: widen the as-of range or check the ledger's dates")
    classes = sorted(rows[label].astype(int).unique())
    if len(classes) < 2:
        hint = ""
        if label == "default_12m" and classes == [0]:
            hint = (
                "; no customer defaults in these rows (a ledger without credit events, such as an SAP FI-AR "
                "extract, has none): the late-payment model (late_payment_90d) can still be trained"
            )
        raise DatasetError(f"{label} has a single class ({classes[0]}) in {len(rows):,} rows: nothing to learn{hint}")
    return rows.assign(**{label: rows[label].astype(int)}).reset_index(drop=True)


@dataclass
class Split:
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    description: dict = field(default_factory=dict)
    # The rows the probabilities are calibrated on: validation customers in the latest matured window
    # (split_out_of_time with recent_calibration), else None and the validation rows calibrate.
    calibration: pd.DataFrame | None = None


def _describe(name: str, part: pd.DataFrame, label: str) -> dict:
    dates = pd.to_datetime(part["as_of_date"])
    return {
        f"{name}_rows": len(part),
        f"{name}_positives": int(part[label].sum()),
        f"{name}_rate": float(part[label].mean()) if len(part) else float("nan"),
        f"{name}_from": str(dates.min().date()) if len(part) else "",
        f"{name}_to": str(dates.max().date()) if len(part) else "",
    }


def _hold_out_customers(rows: pd.DataFrame, share: float, seed: int) -> pd.Series:
    """Return a mask of the rows of a random `share` of customers (every snapshot of a customer together)."""
    customers = np.array(sorted(rows["customer_id"].unique()))
    order = np.random.default_rng(seed).permutation(len(customers))
    chosen = set(customers[order[: max(1, round(len(customers) * share))]])
    return rows["customer_id"].isin(chosen)


def _describe_split(split: Split, label: str, **facts) -> Split:
    split.description = dict(facts)
    for name in ("train", "valid", "test"):
        split.description.update(_describe(name, getattr(split, name), label))
    if split.calibration is not None:
        split.description.update(_describe("calibration", split.calibration, label))
    _check_parts(split, label)
    return split


def split_out_of_time(
    rows: pd.DataFrame,
    label: str,
    settings: SplitSettings,
    embargo_days: int,
    seed: int,
    recent_periods: int = 0,
) -> Split:
    """Return train / valid / test: test is the latest as-of dates; train and valid end `embargo_days` before it.

    Valid holds a share of customers out of the same dates as train (see SplitSettings.valid_share). With
    `recent_periods`, the validation customers' rows of that many latest test dates (the latest matured
    window) are the calibration part, and test keeps the other customers: recalibrated on recent outcomes,
    judged on customers neither the booster nor the calibrator has seen.
    """
    dates = sorted(pd.to_datetime(rows["as_of_date"]).dt.date.unique())
    if len(dates) < settings.test_periods + 1:
        raise DatasetError(
            f"an out-of-time split needs at least {settings.test_periods + 1} as-of dates, got {len(dates)}: "
            "use --monthly over a longer range, or --split customer for a single date"
        )
    test_dates = dates[-settings.test_periods :]
    cutoff = test_dates[0] - dt.timedelta(days=embargo_days)
    fit_dates = [d for d in dates if d <= cutoff]
    if not fit_dates:
        raise DatasetError(
            f"no as-of date is left before the test period ({test_dates[0]}) once the {embargo_days}-day label "
            "window is embargoed: add history or reduce split.test_periods"
        )
    as_of = pd.to_datetime(rows["as_of_date"]).dt.date
    fit = rows[as_of.isin(fit_dates)]
    held_out = _hold_out_customers(fit, settings.valid_share, seed)
    test = rows[as_of.isin(test_dates)]
    split = Split(fit[~held_out], fit[held_out], test)
    if recent_periods:
        validation_customers = rows["customer_id"].isin(set(fit.loc[held_out, "customer_id"]))
        split.calibration = rows[as_of.isin(test_dates[-recent_periods:]) & validation_customers]
        split.test = test[~validation_customers.loc[test.index]]
    return _describe_split(split, label, split_method="out_of_time", embargo_days=embargo_days)


def split_by_customer(rows: pd.DataFrame, label: str, settings: SplitSettings, seed: int) -> Split:
    """Return train / valid / test by customer: every snapshot of a customer lands in one part."""
    in_test = _hold_out_customers(rows, settings.customer_test_share, seed)
    rest = rows[~in_test]
    in_valid = _hold_out_customers(rest, settings.valid_share, seed + 1)
    split = Split(rest[~in_valid], rest[in_valid], rows[in_test])
    return _describe_split(split, label, split_method="customer")


def _check_parts(split: Split, label: str) -> None:
    parts = ("train", "valid", "test", *(("calibration",) if split.calibration is not None else ()))
    for name in parts:
        part = getattr(split, name)
        if part.empty or part[label].nunique() < 2:
            raise DatasetError(
                f"the {name} set has {len(part):,} rows and {int(part[label].sum()) if len(part) else 0} positives: "
                "both classes are needed in every part; add history or customers"
            )
