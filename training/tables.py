"""The tables a model is trained and judged on: built from a ledger, or read from a prepared feature file.

A prepared file says which label definition its labels follow (`features.labels`); a config whose
`[labels]` section says otherwise is refused, as the model would be saved with a definition its
labels do not have, and scored under it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from features.as_of import ledger_span
from features.labels import LABEL_COLUMNS, LabelConfig, label_definition_of, labelled_features
from features.ledger import Ledger
from features.pipeline import month_ends
from training.config import TrainingConfig
from training.dataset import DatasetError
from training.lineage import Lineage, lineage_of_file


def default_monthly_range(ledger: Ledger) -> list[dt.date]:
    """Return month ends from six months after the first invoice to the last date the ledger records."""
    span = ledger_span(ledger)
    first, last = span.first_invoice, span.last_transaction
    if first is None or last is None or first + dt.timedelta(days=182) >= last:
        raise DatasetError(f"the ledger spans {first} to {last}: too short to train on")
    return month_ends(first + dt.timedelta(days=182), last)


def table_from_ledger(
    ledger: Ledger,
    config: TrainingConfig,
    dates: Sequence[dt.date] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return the labelled feature table of `ledger` under the config's label definition.

    As-of dates: `dates`, else the config's monthly range, else `default_monthly_range`.
    """
    if config.target == "default_12m" and (missing := missing_default_events(ledger, config.labels)):
        raise DatasetError(f"ledger {ledger.source}: {missing}; {WHAT_STILL_TRAINS}")
    if not dates:
        if config.monthly_from and config.monthly_to:
            dates = month_ends(config.monthly_from, config.monthly_to)
        else:
            dates = default_monthly_range(ledger)
    if progress:
        progress(f"{len(dates)} monthly as-of dates from {dates[0]} to {dates[-1]}")
    return labelled_features(ledger, dates, config.labels, progress=progress).to_pandas()


# What a ledger without defaults can still train.
WHAT_STILL_TRAINS = (
    "the late-payment model can still be trained (--target late_payment_90d), or default defined by days past due "
    '([labels] default_definition = "events_or_dpd")'
)


def missing_default_events(ledger: Ledger, labels: LabelConfig) -> str | None:
    """Return, in words, why no customer of `ledger` can default under `labels` (None when one can).

    Under the "events" definition a default is a credit event of a default type; a ledger with no
    credit_events table (an SAP FI-AR extract has none) or none of those types has no default to learn.
    """
    if labels.default_definition != "events":
        return None
    types = ", ".join(labels.default_event_types)
    events = ledger["credit_events"]
    if events.num_rows == 0:
        return f"default_12m cannot be labelled: the table credit_events is missing or empty (defaults are events of type {types})"
    if not set(events.column("event_type").unique().to_pylist()) & set(labels.default_event_types):
        return f"default_12m cannot be labelled: credit_events.event_type holds no default type ({types})"
    return None


def table_from_file(path: Path, label: str, config: TrainingConfig) -> tuple[pd.DataFrame, Lineage]:
    """Return the feature table in the Parquet file `path`, its outcome column `label` standing as the target,
    and its lineage (the ledger it was built from, as its metadata says).

    Raises DatasetError when the column is missing or the file's labels follow another definition
    than the config's.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({exc})") from None
    if label not in table.column_names:
        raise DatasetError(f"{path}: no column {label!r}")
    saved = label_definition_of(table)
    if label in LABEL_COLUMNS and saved is not None and saved != config.labels:
        different = sorted(k for k, v in saved.model_dump().items() if getattr(config.labels, k) != v)
        raise DatasetError(
            f"{path}: its labels were built with another label definition than the config's [labels] "
            f"(differs in {', '.join(different)}): rebuild it with `tradecredit features --with-labels --config FILE`"
        )
    frame = table.to_pandas()
    if label != config.target:
        # the modeller's own outcome column stands in for the target's
        frame = frame.drop(columns=[config.target], errors="ignore").rename(columns={label: config.target})
    return frame, lineage_of_file(path, table.schema)
