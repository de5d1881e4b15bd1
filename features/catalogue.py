"""What a feature is, and the catalogue of all of them (generated docs and `tradecredit features --list`)."""

from __future__ import annotations

from dataclasses import dataclass

# Where a feature's value comes from. Facts are relations keyed by (customer_id, as_of_date) that
# `features.facts` builds; a feature on a fact is one aggregate over it. `derived` features combine
# other features of the same row; `customer` features read the customer table.
FACTS = ("open_documents", "issued_365d", "settled_365d", "payments_365d", "disputes_365d", "events_365d", "history")
SOURCES = (*FACTS, "customer", "derived")

RISKIER_WHEN_HIGHER = 1
SAFER_WHEN_HIGHER = -1
NO_DIRECTION = 0


@dataclass(frozen=True)
class Feature:
    """One feature: a named, documented SQL expression evaluated per customer and as-of date."""

    name: str
    source: str  # one of SOURCES
    sql: str  # an aggregate over the fact's rows, or an expression over other features for `derived`
    unit: str  # EUR (ledger currency), days, count, share (0-1), ratio, flag, category
    window: str  # as_of (a state at the date), 90d, 365d, 90d_vs_prior_275d, history (everything up to as_of)
    direction: int  # RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER or NO_DIRECTION: usable as a monotone constraint
    description: str
    fill: str | None = None  # SQL value when the customer has no rows in the fact (0 for sums and counts)
    categorical: bool = False

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"feature {self.name}: unknown source {self.source!r}")
        if self.direction not in (RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER, NO_DIRECTION):
            raise ValueError(f"feature {self.name}: direction must be 1, -1 or 0")


def catalogue() -> list[Feature]:
    """Return every feature definition, in catalogue order; names are unique."""
    from features.definitions import (
        behaviour,
        exposure,
        static,
        timeliness,
        trends,
        volume,
    )

    features = [
        *exposure.FEATURES,
        *volume.FEATURES,
        *timeliness.FEATURES,
        *behaviour.FEATURES,
        *trends.FEATURES,
        *static.FEATURES,
    ]
    names = [f.name for f in features]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"feature names defined twice: {', '.join(duplicates)}")
    return features


DIRECTION_WORDS = {RISKIER_WHEN_HIGHER: "higher is riskier", SAFER_WHEN_HIGHER: "higher is safer", NO_DIRECTION: "-"}


def render_catalogue_markdown() -> str:
    """Return the catalogue as a Markdown table (the body of docs/features.md's catalogue section)."""
    lines = ["| feature | unit | window | risk direction | description |", "|---|---|---|---|---|"]
    for f in catalogue():
        lines.append(f"| `{f.name}` | {f.unit} | {f.window} | {DIRECTION_WORDS[f.direction]} | {f.description} |")
    return "\n".join(lines) + "\n"
