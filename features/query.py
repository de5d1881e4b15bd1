"""The feature query compiler: the catalogue's definitions turned into the SQL of the feature table.

The table is built in two parts. The window part reads the features on keyed facts straight off
`windows` (`features.facts`), which holds the population's own columns and is sorted as the feature
table is. The joined part aggregates each row fact, joins the aggregates, the customer table and the
window part's derived inputs onto the population, and computes the customer and derived features.
Intermediate features are computed for the features that read them and left out of the output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from features.facts import KEYED_FACT_COLUMNS, KEYED_TABLE, ROW_FACT_COLUMNS
from features.feature import Feature

# The name the window part of the feature table is registered under for the joined part to read,
# and its column of row numbers, with which the two parts are put in the same order.
WINDOW_FEATURES = "window_features"
WINDOW_ROW = "window_row"


def output_features(features: Sequence[Feature]) -> list[Feature]:
    """Return the features that are columns of the feature table: all but the intermediate ones."""
    return [f for f in features if not f.intermediate]


def as_double(feature: Feature, expression: str | None = None) -> str:
    """Return the output column of `feature`: every numeric feature is a DOUBLE, one type for models and
    their signatures whatever the SQL gave; categorical ones keep their text."""
    if feature.categorical:
        return feature.name
    return f"CAST({expression or feature.name} AS DOUBLE) AS {feature.name}"


def filled(feature: Feature, expression: str) -> str:
    """Return `expression` as the column `feature`, its fill (the value when nothing counted) put in for missing."""
    value = f"coalesce({expression}, {feature.fill})" if feature.fill is not None else expression
    return f"{value} AS {feature.name}"


def exact_input(name: str) -> str:
    """Return the column under which the window part hands a derived feature's input on before its DOUBLE cast."""
    return f"__exact_{name}"


def names_read(features: Sequence[Feature]) -> set[str]:
    """Return every name the SQL of `features` mentions (columns and features among them)."""
    return {w for f in features for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f.sql)}


def window_inputs(features: Sequence[Feature]) -> list[Feature]:
    """Return the features on keyed facts that derived features are computed from."""
    words = names_read([f for f in features if f.source == "derived"])
    return [f for f in features if f.source in KEYED_FACT_COLUMNS and f.name in words]


def window_features_query(features: Sequence[Feature]) -> str:
    """Return the SQL of the window part: the population's columns and the features on keyed facts, one row
    per population row, in the order of `windows` (that of the feature table).

    The derived features' inputs are handed on as they are (`exact_input`) as well, so derived values
    do not depend on the DOUBLE cast.
    """
    keyed = [f for f in features if f.source in KEYED_FACT_COLUMNS]
    columns = ", ".join(filled(f, f.sql) for f in keyed)
    outputs = [as_double(f) for f in output_features(keyed)]
    outputs += [f"{f.name} AS {exact_input(f.name)}" for f in window_inputs(features)]
    return (
        f"WITH p AS (SELECT customer_id, customer_order, customer_key, as_of_date, first_invoice_date, {columns} "
        f"FROM {KEYED_TABLE}) "
        f"SELECT customer_id, as_of_date, customer_order, customer_key, first_invoice_date, {', '.join(outputs)} FROM p"
    )


def row_fact_features(features: Sequence[Feature]) -> dict[str, list[Feature]]:
    """Return the features on each row fact (several rows per customer and as-of date), by fact."""
    return {fact: on_fact for fact in ROW_FACT_COLUMNS if (on_fact := [f for f in features if f.source == fact])}


def row_fact_query(relation: str, on_relation: Sequence[Feature]) -> str:
    """Return the SQL of the features on one row fact: its rows aggregated per customer and as-of date."""
    expressions = ", ".join(f"{f.sql} AS {f.name}" for f in on_relation)
    return f"SELECT customer_key, as_of_date, {expressions} FROM {relation} GROUP BY customer_key, as_of_date"


def aggregated_table(relation: str) -> str:
    """Return the name of the table a row fact's features are aggregated into."""
    return f"{relation}_features"


def joined_features_query(features: Sequence[Feature], extras: Sequence[str] = ()) -> str:
    """Return the SQL of the joined part of the feature table, on the window part registered as
    `WINDOW_FEATURES` (with its row numbers in `WINDOW_ROW`) and the row facts' aggregates (in the tables
    `aggregated_table` names): row-fact, customer and derived features and customer extras, sorted by
    as_of_date then customer_order, with `WINDOW_ROW` to put the window part in the same order.
    """
    joins = []
    base_columns = [f"p.{exact_input(f.name)} AS {f.name}" for f in window_inputs(features)]
    for relation, on_relation in row_fact_features(features).items():
        table = aggregated_table(relation)
        joins.append(
            f"LEFT JOIN {table} ON {table}.customer_key = p.customer_key AND {table}.as_of_date = p.as_of_date"
        )
        base_columns += [filled(f, f"{table}.{f.name}") for f in on_relation]
    base_columns += [f"{f.sql} AS {f.name}" for f in features if f.source == "customer"]
    base_columns += [f'c."{name}" AS "{name}"' for name in extras]
    outer = [
        as_double(f, f.sql if f.source == "derived" else None)
        for f in output_features(features)
        if f.source not in KEYED_FACT_COLUMNS
    ]
    outer += [f'"{name}"' for name in extras]
    return (
        f"WITH base AS (SELECT p.{WINDOW_ROW}, p.customer_order, p.as_of_date, {', '.join(base_columns)} "
        f"FROM {WINDOW_FEATURES} p LEFT JOIN customers c ON c.customer_row = p.customer_key {' '.join(joins)}) "
        f"SELECT {WINDOW_ROW}, {', '.join(outer)} FROM base ORDER BY as_of_date, customer_order"
    )
