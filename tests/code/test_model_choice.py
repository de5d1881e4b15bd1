"""A ledger scores with the models it supports: default only, late-payment only, or both.

Batch, API settings and pyfunc alike; a model that cannot be used is one line naming it and the model
that still can; `score` exits 3 when more customers are skipped than the operator allows.
"""

from __future__ import annotations

import datetime as dt
import signal

import mlflow
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from features.labels import LabelConfig
from model.packaged import PackagedModel
from model.registry import TrackingError, connect
from serving.api.settings import ApiSettings
from serving.limits import LimitPolicy
from serving.scoring import load_scoring_models, score_features, snapshot
from tradecredit.cli import main

AS_OF = dt.date(2026, 6, 30)
GRADES = {str(g) for g in range(1, 11)}


@pytest.fixture
def store(registry):
    connect(registry[0])
    return registry[0]


@pytest.fixture
def cli(store):
    """Return a function running `tradecredit ARGS` in-process on the test registry; SIGTERM is restored after."""
    previous = signal.getsignal(signal.SIGTERM)  # `score` turns SIGTERM into an interrupt for its clean-up
    runner = CliRunner(env={"MLFLOW_TRACKING_URI": store})
    yield lambda *args: runner.invoke(main, list(args))
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def features(store, sample_ledger):
    return snapshot(sample_ledger, AS_OF, LabelConfig()).head(300)


def test_the_late_payment_model_alone_scores_with_its_own_reasons_grade_and_pyfunc(store, features):
    late_only, both = load_scoring_models("none"), load_scoring_models()
    assert late_only.default is None and late_only.label_config == LabelConfig()
    assert late_only.describe() == {"default_model": None, "late_payment_model": "tradecredit-late-payment/1"}
    scores = score_features(features, late_only, LimitPolicy())
    live = scores[~scores["in_default_at_as_of"]]
    assert live["pd_12m"].isna().all() and live["risk_grade"].isna().all() and scores["model_name"].isna().all()
    assert set(live["late_payment_grade"]) <= GRADES and live["reason_1_feature"].notna().all()
    # the same late-payment figures as when it scores beside the default model
    with_default = score_features(features, both, LimitPolicy())
    np.testing.assert_allclose(scores["late_payment_prob_90d"], with_default["late_payment_prob_90d"], rtol=1e-12)
    assert scores["late_payment_grade"].tolist() == with_default["late_payment_grade"].tolist()
    # its reasons and grade are what its pyfunc gives anyone
    inputs = features.drop(columns=["in_default_at_as_of"]).assign(as_of_date=lambda f: f["as_of_date"].astype(str))
    served = mlflow.pyfunc.load_model("models:/tradecredit-late-payment@champion").predict(inputs)
    np.testing.assert_allclose(served["late_payment_prob_90d"], scores["late_payment_prob_90d"], rtol=1e-12)
    assert served["reason_1_text_en"].tolist() == scores["reason_1_text_en"].tolist()
    assert served["risk_grade"].astype(str)[live.index].tolist() == live["late_payment_grade"].tolist()
    # the limit advice is set on the late-payment grade, and its reasons say so
    for reasons, grade in zip(live["limit_reasons"], live["late_payment_grade"]):
        assert reasons.startswith(f"late-payment grade {grade} used (no default model)"), reasons


def test_the_default_model_alone_has_no_late_payment_figures(store, features):
    default_only = load_scoring_models(late_uri="none")
    assert default_only.describe() == {"default_model": "tradecredit-default/1", "late_payment_model": None}
    scores = score_features(features, default_only, LimitPolicy())
    assert scores["late_payment_prob_90d"].isna().all() and scores["late_payment_grade"].isna().all()
    assert scores["late_payment_model_name"].isna().all() and scores["pd_12m"].between(0, 1).all()
    assert not scores["limit_reasons"].str.contains("late-payment grade").any()


def test_models_trained_under_different_label_definitions_say_so(store, monkeypatch):
    from serving import scoring

    real = scoring.load_packaged

    def late_model_under_dpd(uri):
        model, ref = real(uri)
        if model.target == "late_payment_90d":
            labels = {**model.bundle["labels"], "default_definition": "events_or_dpd"}
            model = PackagedModel(model.booster, {**model.bundle, "labels": labels})
        return model, ref

    monkeypatch.setattr(scoring, "load_packaged", late_model_under_dpd)
    both = load_scoring_models()
    assert both.label_config == LabelConfig()  # in_default_at_as_of means what the default model learnt
    assert len(both.notes) == 1 and "differ in default_definition" in both.notes[0]
    alone = load_scoring_models("none")
    assert alone.label_config.default_definition == "events_or_dpd" and not alone.notes


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--model", "none", "--late-model", "none"), ["no model to score with", "--model none and --late-model none"]),
        (
            ("--model", "models:/tradecredit-nope@champion"),
            [
                "models:/tradecredit-nope@champion: not found in the registry",
                "the late-payment model models:/tradecredit-late-payment@champion loads: score with it alone (--model none)",
            ],
        ),
        (
            ("--late-model", "models:/tradecredit-default@champion"),
            [
                "models:/tradecredit-default@champion predicts default_12m, not late_payment_90d",
                "the default model models:/tradecredit-default@champion loads: score with it alone (--late-model none)",
            ],
        ),
        (
            ("--model", "models:/tradecredit-late-payment@champion", "--late-model", "none"),
            ["predicts late_payment_90d, not default_12m: it cannot be the default model"],
        ),
    ],
)
def test_a_model_that_cannot_be_used_is_one_line_naming_it_and_what_still_works(
    cli, sample_ledger_dir, tmp_path, args, says
):
    out = tmp_path / "scores.parquet"
    result = cli("score", "--ledger", str(sample_ledger_dir), "--as-of", AS_OF.isoformat(), "--out", str(out), *args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert all(words in lines[0] for words in says), lines[0]
    assert "Traceback" not in result.output and not out.exists()


def test_without_a_late_payment_champion_the_default_model_scores_alone(store, monkeypatch):
    from serving import scoring

    absent = "models:/tradecredit-late-payment@nobody"
    monkeypatch.setattr(scoring, "LATE_MODEL_URI", absent)  # the default URI, as if no champion were registered
    assert load_scoring_models(late_uri=absent).late is None
    with pytest.raises(TrackingError, match="@nobody: not found in the registry"):
        load_scoring_models("none", absent)  # asked for alone, it must be there


def test_api_settings_leave_a_model_out_with_none_but_not_both(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = {"ledger": "ledger", "api_keys": "k" * 16}
    late_only = ApiSettings(**base, model_uri="none")
    assert late_only.model_uri is None and late_only.late_model_uri == "models:/tradecredit-late-payment@champion"
    assert ApiSettings(**base, late_model_uri="None").late_model_uri is None
    assert late_only.audit_log == tmp_path.resolve() / "audit" / "scores.jsonl"  # absolute, resolved once
    with pytest.raises(ValidationError, match="both none: no model to score with"):
        ApiSettings(**base, model_uri="none", late_model_uri="none")


def test_score_exits_3_when_more_customers_are_skipped_than_allowed(cli, sample_ledger_dir, tmp_path):
    early = "2023-01-31"  # customers onboarded later have no invoice yet: skipped
    out = tmp_path / "scores.parquet"
    base = ["score", "--ledger", str(sample_ledger_dir), "--as-of", early, "--out", str(out)]
    strict = cli(*base, "--reference-date", "2027-06-01")
    manifest = pd.read_json(out.with_name("scores.parquet.manifest.json"), typ="series")
    skipped = sum(manifest["skipped"].values())
    assert skipped / manifest["customers_in"] > 0.05  # above the default threshold
    assert strict.exit_code == 3, strict.output
    assert "customers skipped, more than --max-skipped-share 5.0%: exit status 3" in strict.output
    assert len(pd.read_parquet(out)) == manifest["scored"]  # the scores are written all the same
    tolerant = cli(*base, "--reference-date", "2027-06-01", "--max-skipped-share", "0.9")
    assert tolerant.exit_code == 0, tolerant.output


def test_quarantined_customers_count_as_skipped(store, sample_ledger, tmp_path):
    from serving.batch import run_batch

    models = load_scoring_models()
    result = run_batch(
        sample_ledger, AS_OF, models, LimitPolicy(), tmp_path / "s.parquet", quarantined={"customers": 7}
    )
    assert result.skipped["customer row quarantined"] == 7
    assert result.rows_in == sample_ledger["customers"].num_rows + 7 == result.scored + sum(result.skipped.values())


def test_a_ledger_without_a_column_the_model_needs_is_one_line_naming_it_and_the_training_ledger(
    cli, sample_ledger_dir, tmp_path
):
    import shutil

    import pyarrow.parquet as pq

    other = tmp_path / "other-ledger"
    shutil.copytree(sample_ledger_dir, other)
    customers = pq.read_table(other / "customers.parquet")
    pq.write_table(customers.drop_columns(["external_rating"]), other / "customers.parquet")
    out = tmp_path / "scores.parquet"
    result = cli("score", "--ledger", str(other), "--as-of", AS_OF.isoformat(), "--out", str(out))
    assert result.exit_code == 1, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1 and "Traceback" not in result.output and not out.exists(), result.output
    assert "tradecredit-default version 1 needs columns" in error[0] and "(external_rating)" in error[0], error[0]
    assert str(other) in error[0] and "it was trained on sample" in error[0], error[0]
