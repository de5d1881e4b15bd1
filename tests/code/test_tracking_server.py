"""A real `mlflow server` with a PostgreSQL backend store: train, register, promote, load back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from model.registry import connect, load_packaged
from training.config import load_config
from training.promote import promote
from training.tracking import alias_version
from training.train import train_and_register

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(pg_url, tmp_path):
    port = free_port()
    backend = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("mlflow")),
            "server",
            "--backend-store-uri",
            backend,
            "--artifacts-destination",
            (tmp_path / "artifacts").as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("mlflow server exited:\n" + (tmp_path / "server.log").read_text()[-3000:])
            try:
                if requests.get(f"{uri}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise RuntimeError("mlflow server did not answer within 120 s")
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_train_register_promote_and_load_through_a_postgres_backed_server(mlflow_server, feature_table):
    config = load_config(None, target="default_12m")
    first = train_and_register(feature_table, config, uri=mlflow_server, source="sample")
    assert alias_version("tradecredit-default", "champion") == first.model.version == "1"
    second = train_and_register(
        feature_table, config.model_copy(update={"seed": 7}), uri=mlflow_server, source="sample"
    )
    assert alias_version("tradecredit-default", "challenger") == second.model.version == "2"
    decision = promote("tradecredit-default", feature_table, config, mlflow_server)
    assert decision.champion_version == "1" and decision.challenger_version == "2"
    assert set(decision.figures) >= {"champion_auc", "challenger_auc", "challenger_psi"}
    expected = "2" if decision.promoted else "1"
    assert alias_version("tradecredit-default", "champion") == expected
    connect(mlflow_server)
    model, ref = load_packaged("models:/tradecredit-default@champion")
    assert ref.version == expected
    rows = feature_table.tail(50)
    assert ((model.probability(rows) >= 0) & (model.probability(rows) <= 1)).all()
