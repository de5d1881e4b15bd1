"""What the training data itself says about a model's limits: the model card's "Limits" section.

Each note is measured on the feature table a run was given, so the card of a model trained on a ledger
without disputes or credit events, with outcomes still open at its latest dates, or whose default rate
moved between training and test, says so with the figures, instead of a paragraph that fits every model.
"""

from __future__ import annotations

import pandas as pd

from features.catalogue import catalogue
from model.spec import FeatureSpec
from training.dataset import Split

# Where a feature's figures come from, as a credit team names its tables.
SOURCE_TABLES = {
    "disputes_365d": "disputes",
    "events_365d": "credit events",
    "payments_365d": "payments",
    "settled_365d": "settled invoices",
}
# The observed rate moving by this factor between training and test is called drift.
DRIFT_FACTOR = 1.25


def data_notes(table: pd.DataFrame, label: str, spec: FeatureSpec, split: Split) -> list[str]:
    """Return one Markdown bullet per limit the data shows: censored dates, drift, empty sources, attributes."""
    notes = [*_censoring(table, label), *_drift(split, label), *_empty_sources(table, spec)]
    features = catalogue()
    extras = [n for n in spec.names if n not in {f.name for f in features}]
    customer = [f.name for f in features if f.source == "customer" and f.name in spec.names] + extras
    if customer:
        notes.append(
            f"Customer attributes ({', '.join(f'`{n}`' for n in customer)}) are read as they stand in the ledger, "
            "not as they were at each as-of date: where they changed, back-test figures are optimistic."
        )
    return [f"- {n}" for n in notes]


def _censoring(table: pd.DataFrame, label: str) -> list[str]:
    if "in_default_at_as_of" in table.columns:  # already in default: no outcome to wait for
        table = table[~table["in_default_at_as_of"].fillna(False).astype(bool)]
    dates = pd.to_datetime(table["as_of_date"])
    observed = table[label].notna()
    open_dates = sorted(set(dates[~observed].dt.date) - set(dates[observed].dt.date))
    partly = int((~observed & dates.dt.date.isin(set(dates[observed].dt.date))).sum())
    out = []
    if open_dates:
        out.append(
            f"{len(open_dates)} as-of date(s) ({open_dates[0]} to {open_dates[-1]}) have no observed `{label}` yet "
            "(the outcome window runs past the ledger): left out of training and test, so the latest behaviour "
            "the model has seen is older than the ledger."
        )
    if partly:
        out.append(f"{partly:,} rows at labelled dates have no observed outcome (right-censored) and were left out.")
    return out


def _drift(split: Split, label: str) -> list[str]:
    train, test = split.train[label].mean(), split.test[label].mean()
    if not (train > 0 and test > 0) or max(train / test, test / train) < DRIFT_FACTOR:
        return []
    window = "recalibrated on the latest matured window" if split.calibration is not None else "not recalibrated"
    return [
        f"The observed `{label}` rate moved from {train:.2%} in training to {test:.2%} in the test window "
        f"(drift or censoring of the training outcomes); probabilities are {window}."
    ]


def _empty_sources(table: pd.DataFrame, spec: FeatureSpec) -> list[str]:
    empty: dict[str, list[str]] = {}
    for feature in catalogue():
        if feature.name not in spec.names or feature.source not in SOURCE_TABLES:
            continue
        column = table[feature.name]
        if column.dropna().nunique() <= 1:
            empty.setdefault(SOURCE_TABLES[feature.source], []).append(feature.name)
    return [
        f"No information from {source}: {', '.join(f'`{n}`' for n in names)} are empty or constant in this "
        "ledger, so the model cannot use them."
        for source, names in empty.items()
    ]
