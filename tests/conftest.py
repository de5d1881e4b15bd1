"""Shared fixtures: the shared data sets, PostgreSQL, a sample ledger, its features and two trained models.

`tests/data` runs on any ledger (`--ledger SRC`), `tests/model` on any registered model (`--model-uri URI`,
with `--tracking-uri`); without them, on the sample ledger and the model trained on it here.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from helpers import PG_ADMIN_URL, REFERENCE, SHARED_DATA

from features.labels import LabelConfig, labelled_features
from features.load import load_ledger
from features.pipeline import month_ends
from features.sample import SampleConfig, generate_portfolio, write_portfolio


def pytest_addoption(parser):
    group = parser.getgroup("tradecredit")
    group.addoption("--ledger", metavar="SRC", help="tests/data: the ledger to check (folder, DuckDB file, URL)")
    group.addoption("--reference-date", metavar="DATE", help="with --ledger: the date bounding its dates")
    group.addoption("--model-uri", metavar="URI", help="tests/model: the registered model to check")
    group.addoption("--tracking-uri", metavar="URI", help="with --model-uri: its tracking store")
    group.addoption("--as-of", metavar="DATE", help="tests/model: the as-of date of the rows scored")


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


@pytest.fixture(scope="session")
def sample_ledger_dir(tmp_path_factory):
    """Return a folder holding a 1,500-customer, 5-year sample ledger as Parquet (truth included)."""
    folder = tmp_path_factory.mktemp("sample") / "ledger"
    write_portfolio(generate_portfolio(SampleConfig(customers=1500, years=5, seed=11)), folder, "parquet")
    return folder


@pytest.fixture(scope="session")
def sample_ledger(sample_ledger_dir):
    return load_ledger(sample_ledger_dir, reference_date=REFERENCE)[0]


@pytest.fixture(scope="session")
def feature_table(sample_ledger):
    dates = month_ends(dt.date(2022, 6, 1), dt.date(2026, 12, 31))
    return labelled_features(sample_ledger, dates, LabelConfig()).to_pandas()


@pytest.fixture(scope="session")
def registry(feature_table, tmp_path_factory):
    """Return (tracking URI, default outcome, late-payment outcome): both models trained and champions."""
    from training.config import load_config
    from training.train import train_and_register

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    default = train_and_register(feature_table, load_config(None, target="default_12m"), uri=uri, source="sample")
    late = train_and_register(feature_table, load_config(None, target="late_payment_90d"), uri=uri, source="sample")
    return uri, default, late


CHROMIUM = Path(os.environ.get("TRADECREDIT_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser():
    """Yield one headless Chromium for the whole run: Debian's, driven by Playwright (which downloads none)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        # Without the background-networking switches Chromium keeps dialling out of this closed network.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()
