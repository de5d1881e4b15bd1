"""The behaviour checks find a misbehaving model, and `promote` will not make one champion."""

from __future__ import annotations

import copy

import numpy as np

from training.behaviour_checks import CheckResult, behaviour_checks, directional, failures, invariance


def test_a_model_that_rewards_late_payment_fails_the_directional_check(registry):
    _, default, _ = registry
    model, rows = default.fit.packaged, default.fit.split.test.head(300)
    assert not failures(directional(model, rows))
    broken = copy.copy(model)
    broken.probability = lambda frame: model.probability(frame) / (1 + frame["avg_days_late_365d"].fillna(0).to_numpy())
    assert [r.name for r in directional(broken, rows) if not r.passed] == ["directional: avg_days_late_365d"]


def test_a_model_whose_score_depends_on_its_company_fails_the_invariance_check(registry):
    _, default, _ = registry
    model, rows = default.fit.packaged, default.fit.split.test.head(300)
    assert not failures(invariance(model, rows))
    broken = copy.copy(model)
    broken.probability = lambda frame: model.probability(frame) * (1 + 1e-9 * np.arange(len(frame)))
    assert {r.name for r in invariance(broken, rows) if not r.passed} == {"invariance: row order"}


def test_promote_keeps_the_champion_when_the_challenger_misbehaves(feature_table, tmp_path, monkeypatch):
    from model.registry import connect
    from training import promote as promotion
    from training.config import load_config
    from training.tracking import alias_version
    from training.train import train_and_register

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = load_config(None, target="default_12m")
    config = config.model_copy(update={"lightgbm": config.lightgbm.model_copy(update={"n_estimators": 30})})
    train_and_register(feature_table, config, uri=uri, source="sample")
    train_and_register(feature_table, config.model_copy(update={"seed": 7}), uri=uri, source="sample")
    real = behaviour_checks

    def one_failing(model, rows):
        return [*real(model, rows), CheckResult("invariance: customer id", False, "ids replaced")]

    monkeypatch.setattr(promotion, "behaviour_checks", one_failing)
    decision = promotion.promote("tradecredit-default", feature_table, config, uri)
    connect(uri)
    assert not decision.promoted
    assert decision.reasons == ["invariance: customer id failed (ids replaced)"]
    assert alias_version("tradecredit-default", "champion") == "1"
