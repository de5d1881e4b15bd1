"""Shared fixtures: a tiny valid ledger written inside the tests, the shared data sets, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pandas as pd
import pytest

from features.labels import LabelConfig
from features.load import load_ledger
from features.pipeline import build_feature_table, month_ends
from features.sample import SampleConfig, generate_portfolio, write_portfolio

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TRADECREDIT_SHARED_DATA", REPO.parent / "shared" / "data"))
PG_ADMIN_URL = os.environ.get("TRADECREDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REFERENCE = dt.date(2025, 1, 1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def tiny_frames() -> dict[str, pd.DataFrame]:
    """Return a small ledger that meets the contract: two customers, four documents."""
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": ["C1", "C2"],
                "name": ["Acme GmbH", "Beta BV"],
                "country": ["DE", "NL"],
                "industry": ["retail", "construction"],
                "onboarding_date": [d("2020-01-01"), d("2021-06-01")],
                "credit_limit": [10_000.0, None],
                "payment_terms_days": [30, 60],
                "external_rating": ["BBB", "B"],
                "insured_limit": [8_000.0, None],
            }
        ),
        "invoices": pd.DataFrame(
            {
                "invoice_id": ["I1", "I2", "I3", "N1"],
                "customer_id": ["C1", "C1", "C2", "C1"],
                "invoice_date": [d("2024-01-01"), d("2024-02-01"), d("2024-01-15"), d("2024-02-10")],
                "due_date": [d("2024-01-31"), d("2024-03-02"), d("2024-03-15"), d("2024-02-10")],
                "amount": [1000.0, 500.0, 2000.0, 100.0],
                "document_type": ["invoice", "invoice", "invoice", "credit_note"],
                "currency": ["EUR"] * 4,
            }
        ),
        "payments": pd.DataFrame(
            {
                "payment_id": ["P1", "P2", "P3"],
                "invoice_id": ["I1", "I1", "I3"],
                "payment_date": [d("2024-02-05"), d("2024-02-20"), d("2024-03-10")],
                "amount": [400.0, 600.0, 2000.0],
            }
        ),
        "disputes": pd.DataFrame(
            {
                "invoice_id": ["I2"],
                "opened_date": [d("2024-02-15")],
                "resolved_date": [None],
                "outcome": [None],
            }
        ),
        "credit_events": pd.DataFrame(
            {"customer_id": ["C2"], "event_date": [d("2024-04-01")], "event_type": ["collections_handover"]}
        ),
    }


@pytest.fixture
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"the public data sets are expected in {SHARED_DATA} (set TRADECREDIT_SHARED_DATA)"
    return SHARED_DATA


@pytest.fixture
def pg_url():
    """Yield the URL of a fresh PostgreSQL database on 127.0.0.1, dropped afterwards."""
    import psycopg

    name = f"tradecredit_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SAMPLE_REFERENCE = dt.date(2027, 6, 1)


@pytest.fixture(scope="session")
def sample_ledger_dir(tmp_path_factory):
    """Return a folder holding a 1,500-customer, 5-year sample ledger as Parquet (truth included)."""
    folder = tmp_path_factory.mktemp("sample") / "ledger"
    write_portfolio(generate_portfolio(SampleConfig(customers=1500, years=5, seed=11)), folder, "parquet")
    return folder


@pytest.fixture(scope="session")
def sample_ledger(sample_ledger_dir):
    return load_ledger(sample_ledger_dir, reference_date=SAMPLE_REFERENCE)[0]


@pytest.fixture(scope="session")
def feature_table(sample_ledger):
    dates = month_ends(dt.date(2022, 6, 1), dt.date(2026, 12, 31))
    return build_feature_table(sample_ledger, dates, LabelConfig()).to_pandas()


@pytest.fixture(scope="session")
def registry(feature_table, tmp_path_factory):
    """Return (tracking URI, default outcome, late-payment outcome): both models trained and champions."""
    from training.config import load_config
    from training.train import train_and_register

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    default = train_and_register(feature_table, load_config(None, target="default_12m"), uri=uri, source="sample")
    late = train_and_register(feature_table, load_config(None, target="late_payment_90d"), uri=uri, source="sample")
    return uri, default, late
