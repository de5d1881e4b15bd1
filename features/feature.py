"""What a feature is: one record holding everything about it, from its SQL to its reason labels.

A feature is defined once, in a module of `features/definitions/`; the catalogue, the feature
query, the generated docs, the model's monotone constraints and its reason texts in English and
Chinese are all read from that record.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.facts import FACT_COLUMNS

# Where a feature's value comes from. Facts are relations keyed by (customer_key, as_of_date) that
# `features.facts` builds; a feature on a fact is one aggregate or expression over it. `derived`
# features combine other features of the same row; `customer` features read the customer table
# (`c.`) and the population row (`p.`).
SOURCES = (*FACT_COLUMNS, "customer", "derived")
UNITS = ("EUR", "days", "count", "share", "ratio", "flag", "category")
# as_of: a state at the date; 90d, 365d: (as_of - N days, as_of]; prior_275d: the year before the
# last 90 days, (as_of - 365 days, as_of - 90 days]; 90d_vs_prior_275d: the one against the other;
# history: everything up to as_of.
WINDOWS = ("as_of", "90d", "365d", "prior_275d", "90d_vs_prior_275d", "history")

RISKIER_WHEN_HIGHER = 1
SAFER_WHEN_HIGHER = -1
NO_DIRECTION = 0


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One feature: a named, documented SQL expression evaluated per customer and as-of date."""

    name: str
    source: str  # one of SOURCES
    sql: str  # an aggregate over the fact's rows, or an expression over other features for `derived`
    unit: str  # one of UNITS; EUR is the ledger currency
    window: str  # one of WINDOWS
    direction: int  # RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER or NO_DIRECTION: usable as a monotone constraint
    description: str
    label_en: str  # what it measures, as a credit officer reads it in a reason code
    label_zh: str  # the same in Chinese (Simplified)
    # What an empty value means, as a reason reads it ("no invoice paid in the last 90 days"), in English
    # and Chinese: a missing value is worded by this, never as "none". Needed when the feature can be empty.
    missing_en: str | None = None
    missing_zh: str | None = None
    fill: str | None = None  # SQL value when the customer has no rows in the fact (0 for sums and counts)
    categorical: bool = False
    intermediate: bool = False  # computed for the features that read it, not a column of the feature table

    def __post_init__(self) -> None:
        problems = [
            f"unknown source {self.source!r}" * (self.source not in SOURCES),
            f"unknown unit {self.unit!r}" * (self.unit not in UNITS),
            f"unknown window {self.window!r}" * (self.window not in WINDOWS),
            "direction must be 1, -1 or 0"
            * (self.direction not in (RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER, NO_DIRECTION)),
            "a reason label in English and in Chinese is needed" * (not self.label_en or not self.label_zh),
        ]
        if any(problems):
            raise ValueError(f"feature {self.name}: {'; '.join(p for p in problems if p)}")
