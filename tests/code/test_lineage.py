"""Registry lineage: names per portfolio, tags on every version, feature-set guard, one-line mismatches."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from mlflow import MlflowClient

from model.registry import TrackingError
from training.config import load_config
from training.lineage import Lineage, lineage_of_file, stamp_ledger
from training.promote import promote
from training.train import train_and_register


@pytest.fixture
def portfolio_registry(feature_table, tmp_path):
    """Return (tracking URI, outcome, lineage): one late-payment model of portfolio "north" registered."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    lineage = Lineage("ledger", "ledgers/north", "ledgers/north", "abc123def4567890")
    config = load_config(None, target="late_payment_90d", portfolio="north")
    outcome = train_and_register(feature_table, config, uri=uri, source="ledgers/north", lineage=lineage)
    return uri, outcome, lineage


def test_a_portfolio_has_its_own_names_and_every_version_says_where_it_came_from(portfolio_registry):
    _uri, outcome, _ = portfolio_registry
    assert outcome.model.name == "north-late-payment"
    tags = MlflowClient().get_model_version("north-late-payment", outcome.model.version).tags
    assert tags["ledger_digest"] == "abc123def4567890" and tags["ledger_source"] == "ledgers/north"
    assert tags["source_kind"] == "ledger" and len(tags["feature_set_digest"]) == 16
    assert json.loads(tags["label_definition"])["late_threshold_days"] == 30
    split = outcome.fit.split.description
    assert tags["training_dates"] == f"{split['train_from']} to {split['train_to']}"
    run = MlflowClient().get_run(outcome.run_id)
    assert run.info.run_name == f"north-late_payment_90d-to-{split['test_to']}"  # ledger, target and date


def test_another_feature_set_is_refused_as_challenger_unless_meant(portfolio_registry, feature_table):
    uri, outcome, lineage = portfolio_registry
    config = load_config(
        None,
        target="late_payment_90d",
        portfolio="north",
        exclude_features=(*load_config(None).exclude_features, "dso_90d"),
    )
    with pytest.raises(TrackingError) as refused:
        train_and_register(feature_table, config, uri=uri, source="ledgers/north", lineage=lineage)
    message = str(refused.value)
    assert "\n" not in message and "gone: dso_90d" in message and "--new-feature-set" in message
    meant = train_and_register(
        feature_table, config, uri=uri, source="ledgers/north", lineage=lineage, new_feature_set=True
    )
    assert meant.model.version == str(int(outcome.model.version) + 1)


def test_promote_names_the_missing_columns_and_the_ledger_the_model_was_trained_on(portfolio_registry, feature_table):
    uri, _, _ = portfolio_registry
    config = load_config(None, target="late_payment_90d", portfolio="north")
    # The version is champion and challenger: promote still checks it can score the rows it is given.
    MlflowClient().delete_registered_model_alias("north-late-payment", "champion")
    with pytest.raises(TrackingError) as refused:
        promote("north-late-payment", feature_table.drop(columns=["dso_90d"]), config, uri)
    message = str(refused.value)
    assert "\n" not in message and "dso_90d" in message and "ledgers/north" in message


def test_a_feature_file_carries_its_ledger(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "features.parquet"
    pq.write_table(stamp_ledger(pa.table({"customer_id": ["C1"]}), "ledgers/sap", "0123456789abcdef"), path)
    lineage = lineage_of_file(path, pq.read_schema(path))
    assert (lineage.kind, lineage.ledger_source, lineage.ledger_digest) == (
        "features file",
        "ledgers/sap",
        "0123456789abcdef",
    )
    assert lineage.ledger_name == "sap"
