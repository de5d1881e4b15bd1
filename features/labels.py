"""Outcome labels: the only code that looks past the as-of date.

- `default_12m`: the customer defaults in (as_of, as_of + horizon]. Default is a credit event of a
  default type (`events`), or that or an invoice reaching N days past due unpaid (`events_or_dpd`).
- `late_payment_90d`: an invoice due in (as_of, as_of + window] is settled more than `threshold` days
  after due, or is still open `threshold` days after due. Empty when no invoice falls due in the window.
- `in_default_at_as_of`: the customer had already defaulted on or before as_of (training leaves them out).

A label whose outcome window is not fully inside the observed ledger is empty, never 0: the
observation end is the last date the ledger records anything, unless given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from features.as_of import TRANSACTION_DATES
from features.contract import DEFAULT_EVENT_TYPES
from features.ledger import Ledger
from features.pipeline import LedgerFacts, Progress, features_from_facts, silent


class LabelConfig(BaseModel):
    """The label definition: declared here once, read from a config's `[labels]` section, saved with every
    model, and used by scoring for `in_default_at_as_of`, so a model is scored under its own definition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_definition: Literal["events", "events_or_dpd"] = "events"
    default_event_types: tuple[str, ...] = DEFAULT_EVENT_TYPES
    default_dpd_threshold: int = Field(90, gt=0)
    default_horizon_months: int = Field(12, gt=0)
    late_window_days: int = Field(90, gt=0)
    late_threshold_days: int = Field(30, gt=0)


LABEL_COLUMNS = ("default_12m", "late_payment_90d", "in_default_at_as_of")
# The schema metadata key of a labelled feature table that holds its label definition (JSON).
LABEL_DEFINITION_KEY = b"label_definition"


def observation_end(con) -> dt.date:
    """Return the ledger's last transaction date (`features.as_of.TRANSACTION_DATES`): the end of what it observed."""
    latest = " UNION ALL ".join(
        f"SELECT max({column}) AS d FROM {table}" for table, columns in TRANSACTION_DATES.items() for column in columns
    )
    return con.sql(f"SELECT max(d) FROM ({latest})").fetchall()[0][0]


def default_dates_sql(config: LabelConfig) -> str:
    """Return SQL giving each customer's first default date under the configured definition."""
    types = ", ".join("'" + t.replace("'", "''") + "'" for t in config.default_event_types)
    events = f"SELECT customer_row AS customer_key, event_date AS default_date FROM credit_events WHERE event_type IN ({types})"
    if config.default_definition == "events_or_dpd":
        n = config.default_dpd_threshold
        # An invoice reaches N days past due on due_date + N if it is not settled by then.
        events += (
            f" UNION ALL SELECT customer_key, CAST(due_date + INTERVAL {n} DAY AS DATE) FROM documents"
            f" WHERE NOT is_credit_note AND (settled_date IS NULL OR settled_date > due_date + INTERVAL {n} DAY)"
        )
    return f"SELECT customer_key, min(default_date) AS default_date FROM ({events}) GROUP BY customer_key"


def build_labels(ledger: Ledger, as_of_dates: Sequence[dt.date], config: LabelConfig = LabelConfig()) -> pa.Table:
    """Return `customer_id`, `as_of_date` and the label columns for the feature population."""
    with LedgerFacts(ledger) as facts:
        return labels_from_facts(facts.at(as_of_dates), config)


def labelled_features(
    ledger: Ledger,
    as_of_dates: Sequence[dt.date],
    config: LabelConfig = LabelConfig(),
    *,
    progress: Progress | None = None,
) -> pa.Table:
    """Return the feature table with the label columns appended, under the label definition `config`.

    The point-in-time facts are built once and serve both: the labels are read first, as the features
    use the facts up. The schema metadata holds the observation end and the label definition.
    """
    report = progress or silent
    with LedgerFacts(ledger, progress=report) as facts:
        con = facts.at(as_of_dates)
        report("deriving labels")
        labels = labels_from_facts(con, config)
        report("aggregating features")
        features = features_from_facts(con, ledger, last_use=True)
    if not labels.column("customer_id").equals(features.column("customer_id")):
        raise RuntimeError("labels and features came out in different row orders")
    for name in LABEL_COLUMNS:
        features = features.append_column(name, labels.column(name))
    return features.replace_schema_metadata(labels.schema.metadata)


def label_definition_of(table: pa.Table) -> LabelConfig | None:
    """Return the label definition a labelled feature table was built under (None when it does not say)."""
    saved = (table.schema.metadata or {}).get(LABEL_DEFINITION_KEY)
    return LabelConfig.model_validate_json(saved) if saved else None


def default_status_from_facts(con, config: LabelConfig) -> pa.Table:
    """Return `in_default_at_as_of` per feature row.

    Whether the first default date is on or before as_of is known at as_of (an event dated by then, or
    an invoice unpaid N days after a due date that is itself by then), so scoring may use it too.
    """
    return con.sql(
        f"""SELECT coalesce(x.default_date <= p.as_of_date, false) AS in_default_at_as_of
        FROM population p LEFT JOIN ({default_dates_sql(config)}) x ON x.customer_key = p.customer_key
        ORDER BY p.as_of_date, p.customer_order"""
    ).to_arrow_table()


def labels_from_facts(con, config: LabelConfig) -> pa.Table:
    """Return the labels from a connection `LedgerFacts.at` prepared, in feature-row order."""
    end = observation_end(con)
    h, w, t = config.default_horizon_months, config.late_window_days, config.late_threshold_days
    # Invoices that can only be judged `threshold` days after due must fall due by end - threshold;
    # settled_date beyond the observation end does not exist in the ledger, so open means unpaid.
    query = f"""
    WITH defaults AS ({default_dates_sql(config)}),
    late AS (
        SELECT p.customer_key, p.as_of_date,
               max(CASE WHEN d.settled_date IS NULL OR d.settled_date > d.due_date + INTERVAL {t} DAY THEN 1 ELSE 0 END) AS late
        FROM population p JOIN documents d ON d.customer_key = p.customer_key AND NOT d.is_credit_note
         AND d.due_date > p.as_of_date AND d.due_date <= p.as_of_date + INTERVAL {w} DAY
        GROUP BY p.customer_key, p.as_of_date
    )
    SELECT p.customer_id, p.as_of_date,
           CASE WHEN x.default_date IS NOT NULL AND x.default_date <= p.as_of_date THEN NULL
                WHEN p.as_of_date + INTERVAL {h} MONTH > DATE '{end}' THEN NULL
                WHEN x.default_date <= p.as_of_date + INTERVAL {h} MONTH THEN 1 ELSE 0 END AS default_12m,
           CASE WHEN p.as_of_date + INTERVAL {w + t} DAY > DATE '{end}' THEN NULL ELSE l.late END AS late_payment_90d,
           coalesce(x.default_date <= p.as_of_date, false) AS in_default_at_as_of
    FROM population p
    LEFT JOIN defaults x ON x.customer_key = p.customer_key
    LEFT JOIN late l ON l.customer_key = p.customer_key AND l.as_of_date = p.as_of_date
    ORDER BY p.as_of_date, p.customer_order
    """
    table = con.sql(query).to_arrow_table()
    return table.replace_schema_metadata({"observation_end": str(end), LABEL_DEFINITION_KEY: config.model_dump_json()})
