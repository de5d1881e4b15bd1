"""The label definition travels: features, training and scoring use the one a model was trained with.

Default status at as_of sets a customer's recommended limit to zero, so a model trained with
"events or 90 days past due" must be scored under that definition, not under the default one.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from helpers import REFERENCE

from features.labels import LabelConfig, label_definition_of, labelled_features
from features.pipeline import LedgerFacts, month_ends
from tradecredit.cli import main

EVENTS_OR_DPD = LabelConfig(default_definition="events_or_dpd", default_dpd_threshold=90)
AS_OF = dt.date(2026, 6, 30)

CONFIG = """
[labels]
default_definition = "events_or_dpd"
default_dpd_threshold = 90

[lightgbm]
n_estimators = 40
"""


def status_under(ledger, config: LabelConfig):
    from features.labels import default_status_from_facts

    with LedgerFacts(ledger) as facts:
        return default_status_from_facts(facts.at([AS_OF]), config).column(0).to_pylist()


def test_a_model_trained_under_another_definition_is_scored_under_it(sample_ledger, tmp_path):
    from model.registry import connect
    from serving.scoring import load_scoring_models, snapshot
    from training.config import load_config
    from training.train import train_and_register

    (tmp_path / "train.toml").write_text(CONFIG)
    config = load_config(tmp_path / "train.toml", target="default_12m")
    assert config.labels == EVENTS_OR_DPD
    table = labelled_features(sample_ledger, month_ends(dt.date(2023, 6, 1), dt.date(2026, 6, 30)), config.labels)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    outcome = train_and_register(table.to_pandas(), config, uri=uri, source="sample")
    connect(uri)

    models = load_scoring_models(outcome.model.uri, late_uri=None)
    assert models.label_config == EVENTS_OR_DPD
    scored = snapshot(sample_ledger, AS_OF, models.label_config)["in_default_at_as_of"].tolist()
    under_events_or_dpd, under_events = (
        status_under(sample_ledger, EVENTS_OR_DPD),
        status_under(sample_ledger, LabelConfig()),
    )
    assert scored == under_events_or_dpd
    assert sum(under_events_or_dpd) > sum(under_events)  # the two definitions part on this portfolio


def test_features_command_labels_under_the_config_and_says_so(sample_ledger_dir, tmp_path):
    (tmp_path / "train.toml").write_text(CONFIG)
    out = tmp_path / "features.parquet"
    args = ["features", "--ledger", str(sample_ledger_dir), "--as-of", "2025-06-30", "--with-labels"]
    args += ["--reference-date", str(REFERENCE), "--out", str(out), "--config", str(tmp_path / "train.toml")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert label_definition_of(pq.read_table(out)) == EVENTS_OR_DPD


def test_training_refuses_a_table_labelled_under_another_definition(sample_ledger, tmp_path):
    from training.config import load_config
    from training.dataset import DatasetError
    from training.tables import table_from_file

    path = tmp_path / "features.parquet"
    pq.write_table(labelled_features(sample_ledger, [AS_OF], LabelConfig()), path)
    (tmp_path / "train.toml").write_text(CONFIG)
    with pytest.raises(DatasetError, match=r"another label definition .*differs in default_definition\)"):
        table_from_file(path, "default_12m", load_config(tmp_path / "train.toml"))
    assert len(table_from_file(path, "default_12m", load_config(None))[0]) > 0
