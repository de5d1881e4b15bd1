"""The feature record and the catalogue: what a definition must say, and the columns it may read."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import d

from features.catalogue import catalogue, check_sources
from features.facts import FACT_KEYS, KEYED_FACT_COLUMNS, KEYED_TABLE, ROW_FACT_COLUMNS
from features.feature import RISKIER_WHEN_HIGHER, Feature
from features.pipeline import LedgerFacts

GOOD = Feature(
    name="dispute_count_30d",
    source="disputes_365d",
    sql="count(*) FILTER (WHERE days_ago < 30)",
    unit="count",
    window="90d",
    direction=RISKIER_WHEN_HIGHER,
    description="Disputes opened in (as_of - 30 days, as_of].",
    label_en="Disputes in the last 30 days",
    label_zh="过去30天争议数",
    fill="0",
)


def test_declared_fact_columns_are_those_of_the_built_relations(sample_ledger):
    with LedgerFacts(sample_ledger) as facts:
        con = facts.at([d("2025-06-30"), d("2025-12-31")])
        for fact, columns in ROW_FACT_COLUMNS.items():
            built = {name: kind for name, kind, *_ in con.sql(f"DESCRIBE {fact}").fetchall()}
            assert built == {**FACT_KEYS, **columns}, fact
        windows = {name: kind for name, kind, *_ in con.sql(f"DESCRIBE {KEYED_TABLE}").fetchall()}
        for fact, columns in KEYED_FACT_COLUMNS.items():
            assert {c: windows.get(c) for c in columns} == columns, fact


def test_a_definition_that_reads_a_column_its_fact_lacks_fails_naming_the_feature():
    check_sources((*catalogue(), GOOD))
    wrong = dataclasses.replace(GOOD, name="dispute_amount_30d", sql="sum(open_amount) FILTER (WHERE days_ago < 30)")
    with pytest.raises(ValueError, match=r"feature dispute_amount_30d: .*disputes_365d.*open_amount"):
        check_sources((*catalogue(), wrong))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"window": "275d"}, "unknown window '275d'"),
        ({"source": "invoices"}, "unknown source 'invoices'"),
        ({"label_zh": ""}, "a reason label in English and in Chinese is needed"),
        ({"direction": 2}, "direction must be 1, -1 or 0"),
    ],
)
def test_a_record_that_breaks_a_rule_is_refused_when_defined(change, problem):
    with pytest.raises(ValueError, match=f"feature dispute_count_30d: {problem}"):
        dataclasses.replace(GOOD, **change)


def test_every_feature_is_defined_once_with_a_window_that_says_what_it_spans():
    names = [f.name for f in catalogue()]
    assert len(names) == len(set(names))
    for f in catalogue():
        if f.name.endswith("_prior_275d"):
            assert f.window == "prior_275d", f.name
        elif f.name.endswith(("_90d", "_365d")) and f.window != "90d_vs_prior_275d":
            assert f.name.endswith(f"_{f.window}"), f.name
