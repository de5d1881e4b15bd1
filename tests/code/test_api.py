"""The REST API in a real uvicorn process on 127.0.0.1: auth, readiness, bad input, agreement with batch."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import requests
from helpers import served

from model.registry import connect
from serving.limits import LimitPolicy
from serving.scoring import load_scoring_models, score_features, snapshot

KEY = "test-key-0123456789abcdef"
AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def api(registry, sample_ledger_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": registry[0],
        "TRADECREDIT_API_KEYS": KEY,
        "TRADECREDIT_LEDGER": str(sample_ledger_dir),
        "TRADECREDIT_AUDIT_LOG": "audit/scores.jsonl",  # relative to where the server starts: made absolute once
        "TRADECREDIT_REFERENCE_DATE": "2027-06-01",
    }
    with served(env, folder) as (base, saw_not_ready):
        yield base, folder, saw_not_ready


def headers(key=KEY):
    return {"X-API-Key": key}


def test_health_and_readiness(api):
    base, _, saw_not_ready = api
    assert requests.get(f"{base}/health").json() == {"status": "alive"}
    ready = requests.get(f"{base}/ready").json()
    assert ready["status"] == "ready" and ready["model_version"] == "tradecredit-default/1"
    assert saw_not_ready  # /ready said 503 while the models were loading


def test_keys_are_required(api):
    base, _, _ = api
    body = {"customer_ids": ["C000001"], "as_of": AS_OF}
    assert requests.post(f"{base}/v1/scores", json=body).status_code == 401
    assert requests.post(f"{base}/v1/scores", json=body, headers=headers("wrong-key-0123456789")).status_code == 401
    assert requests.get(f"{base}/v1/model").status_code == 401


def test_bad_input_is_4xx_with_a_message(api):
    base, _, _ = api
    cases = [
        {"customer_ids": [], "as_of": AS_OF},
        {"customer_ids": ["C000001"], "as_of": "2026-13-01"},
        {"customer_ids": ["C000001"]},
        {"customer_ids": "C000001", "as_of": AS_OF},
        {"customer_ids": ["C000001"], "as_of": AS_OF, "extra": 1},
        {"customer_ids": ["C000001"], "as_of": "2099-01-01"},
    ]
    for body in cases:
        response = requests.post(f"{base}/v1/scores", json=body, headers=headers())
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json()["detail"], body
    response = requests.post(
        f"{base}/v1/scores", data="{not json", headers={**headers(), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    missing = requests.get(f"{base}/v1/customers/NOPE/score", params={"as_of": AS_OF}, headers=headers())
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]


def test_api_equals_batch_and_is_audited(api, registry, sample_ledger):
    base, folder, _ = api
    connect(registry[0])
    models = load_scoring_models()
    features = snapshot(sample_ledger, pd.Timestamp(AS_OF).date(), models.label_config)
    ids = features["customer_id"].head(5).tolist()
    expected = score_features(features.head(5), models, LimitPolicy()).set_index("customer_id")
    response = requests.post(
        f"{base}/v1/scores",
        json={"customer_ids": [*ids, "NOPE"], "as_of": AS_OF},
        headers={**headers(), "X-Request-ID": "req-1"},
    )
    assert response.status_code == 200
    assert response.headers["X-Model-Version"] == "tradecredit-default/1"
    body = response.json()
    assert body["not_found"] == ["NOPE"] and body["model_version"] == "tradecredit-default/1"
    for score in body["scores"]:
        row = expected.loc[score["customer_id"]]
        assert score["pd_12m"] == pytest.approx(row["pd_12m"], rel=1e-12)
        assert score["risk_grade"] == row["risk_grade"]
        assert score["credit_limit"]["recommended"] == row["recommended_credit_limit"]
        assert [r["feature"] for r in score["reasons"]] == [
            row[f"reason_{i}_feature"] for i in range(1, 6) if isinstance(row[f"reason_{i}_feature"], str)
        ]
    single = requests.get(f"{base}/v1/customers/{ids[0]}/score", params={"as_of": AS_OF}, headers=headers()).json()
    assert single["scores"][0] == body["scores"][0]
    audit = [json.loads(line) for line in (folder / "audit" / "scores.jsonl").read_text().splitlines()]
    assert {a["customer_id"] for a in audit if a["request_id"] == "req-1"} == set(ids)
    assert all(a["model"] == "tradecredit-default/1" for a in audit)


def test_model_endpoint_lists_both_models(api):
    base, _, _ = api
    body = requests.get(f"{base}/v1/model", headers=headers()).json()
    assert [m["name"] for m in body["models"]] == ["tradecredit-default", "tradecredit-late-payment"]
    assert "avg_days_late_365d" in body["models"][0]["features"]
    assert requests.get(f"{base}/openapi.json").json()["paths"]["/v1/scores"]["post"]


def test_startup_names_the_models_and_the_absolute_audit_log(api):
    _, folder, _ = api
    log = (folder / "server.log").read_text()
    assert f"audit log: {(folder / 'audit' / 'scores.jsonl').resolve()}" in log
    assert "scoring with default_model tradecredit-default/1, late_payment_model tradecredit-late-payment/1" in log


def test_customers_in_default_are_served_as_grade_d(api, registry, sample_ledger):
    base, _, _ = api
    features = snapshot(sample_ledger, pd.Timestamp(AS_OF).date(), load_scoring_models().label_config)
    gone = features.loc[features["in_default_at_as_of"], "customer_id"].head(5).tolist()
    assert gone
    body = requests.post(f"{base}/v1/scores", json={"customer_ids": gone, "as_of": AS_OF}, headers=headers()).json()
    assert {s["risk_grade"] for s in body["scores"]} == {"D"} and {s["pd_12m"] for s in body["scores"]} == {1.0}
    assert {s["credit_limit"]["recommended"] for s in body["scores"]} == {0.0}
    schema = requests.get(f"{base}/openapi.json").json()["components"]["schemas"]["CustomerScore"]["properties"]
    assert {"type": "string"} in schema["risk_grade"]["anyOf"]


def test_a_late_payment_model_alone_is_ready_and_serves_without_pd(registry, sample_ledger_dir, tmp_path):
    from fastapi.testclient import TestClient

    from serving.api.main import create_app
    from serving.api.settings import ApiSettings

    settings = ApiSettings(
        ledger=str(sample_ledger_dir),
        api_keys=KEY,
        model_uri="none",
        tracking_uri=registry[0],
        audit_log=tmp_path / "audit.jsonl",
        reference_date="2027-06-01",
    )
    with TestClient(create_app(settings, load_in_background=False)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["model_version"] == "tradecredit-late-payment/1"
        models = client.get("/v1/model", headers=headers()).json()
        assert [m["target"] for m in models["models"]] == ["late_payment_90d"]
        customer = next(iter(client.app.state.service.scored(pd.Timestamp(AS_OF).date()).position))
        first = client.get(f"/v1/customers/{customer}/score", params={"as_of": AS_OF}, headers=headers())
        score = first.json()["scores"][0]
    assert first.headers["X-Model-Version"] == "tradecredit-late-payment/1"
    assert score["pd_12m"] is None and score["model_name"] is None and score["reasons"]
    assert score["late_payment_grade"] in {str(g) for g in range(1, 11)} or score["risk_grade"] == "D"
    audited = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[0])
    assert audited["model"] is None and audited["late_payment_model"] == "tradecredit-late-payment/1"


def test_serve_refuses_an_audit_log_it_cannot_write_in_one_line(sample_ledger_dir, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tradecredit.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("a file where the log's folder should be")
    env = {"TRADECREDIT_API_KEYS": KEY, "TRADECREDIT_AUDIT_LOG": "taken/scores.jsonl"}
    result = CliRunner(env=env).invoke(main, ["serve", "--ledger", str(sample_ledger_dir)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: audit log {tmp_path.resolve() / 'taken' / 'scores.jsonl'}: cannot be written (")
    both_none = CliRunner(env={**env, "TRADECREDIT_MODEL_URI": "none", "TRADECREDIT_LATE_MODEL_URI": "none"})
    result = both_none.invoke(main, ["serve", "--ledger", str(sample_ledger_dir)])
    assert result.output.strip().splitlines() == [
        "Error: settings: TRADECREDIT_MODEL_URI and TRADECREDIT_LATE_MODEL_URI are both none: no model to score with"
    ]
