"""The catalogue of all features (the feature query, generated docs and `tradecredit features --list`).

Every feature's SQL is bound against the columns its source declares (`features.facts.FACT_COLUMNS`,
the customer table of the contract, the other features) when the catalogue is first built, so a
definition that reads a column its fact does not have fails there, naming the feature, not deep
inside a feature build.
"""

from __future__ import annotations

import functools

import duckdb

from features.contract import TABLES_BY_NAME
from features.definitions import behaviour, exposure, static, timeliness, trends, volume
from features.duckdb_connection import connect
from features.facts import FACT_COLUMNS, FACT_KEYS
from features.feature import NO_DIRECTION, RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER, Feature

DIRECTION_WORDS = {RISKIER_WHEN_HIGHER: "higher is riskier", SAFER_WHEN_HIGHER: "higher is safer", NO_DIRECTION: "-"}
INTERMEDIATE_NOTE = " (Intermediate: not a column of the feature table.)"


@functools.cache
def catalogue() -> tuple[Feature, ...]:
    """Return every feature definition, in catalogue order; names are unique and every SQL binds to its source."""
    features = (
        *exposure.FEATURES,
        *volume.FEATURES,
        *timeliness.FEATURES,
        *behaviour.FEATURES,
        *trends.FEATURES,
        *static.FEATURES,
    )
    names = [f.name for f in features]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"feature names defined twice: {', '.join(duplicates)}")
    check_sources(features)
    return features


def check_sources(features: tuple[Feature, ...]) -> None:
    """Raise ValueError naming the first feature whose SQL does not bind to the columns of its source."""
    with connect() as con:
        for fact, columns in FACT_COLUMNS.items():
            con.execute(_empty_table(fact, {**FACT_KEYS, **columns}))
        con.execute(_empty_table("c", {c.name: c.type for c in TABLES_BY_NAME["customers"].columns}))
        con.execute(_empty_table("p", {**FACT_KEYS, "first_invoice_date": "DATE"}))
        others = {f.name: "VARCHAR" if f.categorical else "DOUBLE" for f in features if f.source != "derived"}
        con.execute(_empty_table("derived", others))
        for f in features:
            relation = "c, p" if f.source == "customer" else f.source
            try:
                con.execute(f"SELECT {f.sql} FROM {relation}")
            except duckdb.Error as exc:
                first_line = str(exc).splitlines()[0]
                raise ValueError(f"feature {f.name}: its sql does not read from {f.source}: {first_line}") from None


def _empty_table(name: str, columns: dict[str, str]) -> str:
    return f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})"


def render_catalogue_markdown() -> str:
    """Return the catalogue as a Markdown table (the body of docs/features.md's catalogue section)."""
    lines = ["| feature | unit | window | risk direction | description |", "|---|---|---|---|---|"]
    for f in catalogue():
        description = f.description + INTERMEDIATE_NOTE * f.intermediate
        lines.append(f"| `{f.name}` | {f.unit} | {f.window} | {DIRECTION_WORDS[f.direction]} | {description} |")
    return "\n".join(lines) + "\n"
