"""The REST API in a real uvicorn process on 127.0.0.1: auth, readiness, bad input, agreement with batch."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from model.registry import connect
from serving.limits import LimitPolicy
from serving.scoring import load_scoring_models, score_features, snapshot

KEY = "test-key-0123456789abcdef"
AS_OF = "2026-06-30"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api(registry, sample_ledger_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": registry[0],
        "TRADECREDIT_API_KEYS": KEY,
        "TRADECREDIT_LEDGER": str(sample_ledger_dir),
        "TRADECREDIT_AUDIT_LOG": str(folder / "audit.jsonl"),
        "TRADECREDIT_REFERENCE_DATE": "2027-06-01",
    }
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("tradecredit")), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        saw_not_ready = False
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, (folder / "server.log").read_text()[-3000:]
            try:
                response = requests.get(f"{base}/ready", timeout=2)
            except requests.RequestException:
                time.sleep(0.2)
                continue
            if response.status_code == 200:
                break
            assert response.status_code == 503 and response.json()["status"] == "loading"
            saw_not_ready = True
            time.sleep(0.2)
        else:
            raise AssertionError("the API never became ready:\n" + (folder / "server.log").read_text()[-3000:])
        yield base, folder, saw_not_ready
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


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
    audit = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()]
    assert {a["customer_id"] for a in audit if a["request_id"] == "req-1"} == set(ids)
    assert all(a["model"] == "tradecredit-default/1" for a in audit)


def test_model_endpoint_lists_both_models(api):
    base, _, _ = api
    body = requests.get(f"{base}/v1/model", headers=headers()).json()
    assert [m["name"] for m in body["models"]] == ["tradecredit-default", "tradecredit-late-payment"]
    assert "avg_days_late_365d" in body["models"][0]["features"]
    assert requests.get(f"{base}/openapi.json").json()["paths"]["/v1/scores"]["post"]
