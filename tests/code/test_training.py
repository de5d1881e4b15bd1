"""Training end to end on a small sample portfolio: split, model behaviour, MLflow, bad input."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from model.registry import load_packaged
from tradecredit.cli import main
from training.config import load_config
from training.dataset import DatasetError, feature_spec, population, split_out_of_time
from training.fit_all import embargo_days
from training.train import train_and_register


@pytest.fixture
def trained(registry):
    uri, default, _ = registry
    from model.registry import connect

    connect(uri)
    return default, uri, default.fit.config


def test_out_of_time_split_embargoes_the_label_window(feature_table):
    config = load_config(None)
    rows = population(feature_table, "default_12m")
    split = split_out_of_time(rows, "default_12m", config.split, embargo_days(config), config.seed)
    test_start = pd.to_datetime(split.test["as_of_date"]).min()
    for part in (split.train, split.valid):
        latest = pd.to_datetime(part["as_of_date"]).max()
        assert latest + pd.Timedelta(days=365) <= test_start  # no outcome window reaches the test period
    assert not rows["in_default_at_as_of"].any()
    assert not set(split.train["customer_id"]) & set(split.valid["customer_id"])
    assert split.description["test_rows"] == len(split.test)


def test_first_version_is_champion_and_challenger(trained):
    outcome, _uri, _ = trained
    _model, ref = load_packaged("models:/tradecredit-default@champion")
    assert ref.version == outcome.model.version == "1"
    assert load_packaged("models:/tradecredit-default@challenger")[1].version == "1"
    m = outcome.fit.metrics
    assert m["test_auc"] > m["test_baseline_auc"]
    assert 0 < m["test_brier"] < 0.1


def test_pyfunc_gives_the_packaged_model_scores_and_reasons(trained, feature_table):
    import mlflow

    outcome, _, _ = trained
    rows = outcome.fit.split.test.head(20)
    direct = outcome.fit.packaged.predict(rows)
    pyfunc = mlflow.pyfunc.load_model("models:/tradecredit-default@champion")
    inputs = rows[["customer_id", "as_of_date", *outcome.fit.spec.names]].copy()
    inputs["as_of_date"] = inputs["as_of_date"].astype(str)
    served = pyfunc.predict(inputs)
    np.testing.assert_allclose(served["pd_12m"], direct["pd_12m"], rtol=1e-12)
    assert served["reason_1_text_en"].tolist() == direct["reason_1_text_en"].tolist()


def test_explanations_are_exact_and_agree_with_shap(trained):
    import shap

    outcome, _, _ = trained
    packaged = outcome.fit.packaged
    rows = outcome.fit.split.test.head(200)
    explanation = packaged.explain(rows)
    raw = packaged.raw_score(rows)
    np.testing.assert_allclose(explanation.contributions.sum(axis=1) + explanation.base_value, raw, atol=1e-6)
    values = shap.TreeExplainer(packaged.booster).shap_values(packaged.matrix(rows))
    np.testing.assert_allclose(np.asarray(values), explanation.contributions, atol=1e-6)


def test_rising_days_late_never_lowers_the_pd(trained):
    outcome, _, _ = trained
    packaged = outcome.fit.packaged
    rows = outcome.fit.split.test.head(300).copy()
    base = packaged.probability(rows)
    for feature in ("avg_days_late_365d", "max_days_past_due_open", "share_paid_over_30d_late_365d", "overdue_amount"):
        # Only known values rise: a missing value (nothing settled yet) is not "0 days late", and
        # monotone constraints say nothing about the step from missing to known.
        known = rows[feature].notna().to_numpy()
        worse = rows.copy()
        worse[feature] = worse[feature] * 2 + 10
        assert known.sum() > 100
        assert (packaged.probability(worse)[known] >= base[known] - 1e-12).all(), feature


def test_same_seed_same_model(feature_table, tmp_path, trained):
    outcome, _, config = trained
    again = train_and_register(feature_table, config, uri=f"sqlite:///{tmp_path / 'again.db'}", source="sample")
    assert again.fit.metrics == outcome.fit.metrics
    assert again.fit.packaged.booster.model_to_string() == outcome.fit.packaged.booster.model_to_string()


def test_bad_training_input_is_one_line_and_registers_nothing(feature_table, tmp_path):
    features_file = tmp_path / "f.parquet"
    feature_table.to_parquet(features_file)
    single = feature_table.assign(
        default_12m=feature_table["default_12m"].where(feature_table["default_12m"].isna(), 0)
    )
    single.to_parquet(tmp_path / "single.parquet")
    feature_table.drop(columns=["dso_90d"]).to_parquet(tmp_path / "partial.parquet")
    feature_table.assign(default_12m=np.nan).to_parquet(tmp_path / "empty.parquet")
    db = tmp_path / "mlflow.db"
    runner = CliRunner()
    cases = {
        (
            "--features",
            str(features_file),
            "--label",
            "default_12m",
            "--target",
            "bankruptcy",
        ): "Invalid value for '--target'",
        (
            "--features",
            str(tmp_path / "empty.parquet"),
            "--label",
            "default_12m",
        ): "no rows with an observed default_12m",
        ("--features", str(tmp_path / "single.parquet"), "--label", "default_12m"): "has a single class",
        ("--features", str(tmp_path / "partial.parquet"), "--label", "default_12m"): "lacks catalogue columns: dso_90d",
        (
            "--features",
            str(features_file),
            "--label",
            "default_12m",
            "--tracking-uri",
            "http://127.0.0.1:9",
        ): "does not answer",
    }
    for args, message in cases.items():
        result = runner.invoke(
            main,
            ["train", *args, "--tracking-uri", f"sqlite:///{db}"] if "--tracking-uri" not in args else ["train", *args],
        )
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert len([line for line in result.output.strip().splitlines() if line.startswith("Error")]) == 1
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT count(*) FROM model_versions").fetchone()[0] == 0


def test_feature_spec_refuses_a_partial_table(feature_table):
    with pytest.raises(DatasetError, match="lacks catalogue columns: open_amount"):
        feature_spec(feature_table.drop(columns=["open_amount"]))


def test_tuning_logs_each_trial_as_a_nested_run(feature_table, tmp_path):
    import mlflow

    config = load_config(None, target="default_12m", tune_trials=2)
    customers = sorted(feature_table["customer_id"].unique())[:700]  # a smaller table: the trials are what is tested
    table = feature_table[feature_table["customer_id"].isin(customers)]
    outcome = train_and_register(table, config, uri=f"sqlite:///{tmp_path / 'tune.db'}", source="sample")
    assert len(outcome.fit.trials) == 2
    children = mlflow.search_runs(
        experiment_names=[config.experiment_name], filter_string=f"tags.mlflow.parentRunId = '{outcome.run_id}'"
    )
    assert sorted(children["tags.mlflow.runName"]) == ["trial-0", "trial-1"]
    assert "metrics.valid_log_loss" in children.columns
    best = min(outcome.fit.trials, key=lambda t: t["valid_log_loss"])["params"]
    assert outcome.fit.config.lightgbm.num_leaves == best["num_leaves"]
