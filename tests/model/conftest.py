"""The model under test: `--model-uri URI` (with `--tracking-uri`, rows from `--ledger` at `--as-of`), else
the default model trained on the sample ledger by the session's registry fixture, on its test rows."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(scope="session")
def model_under_test(request, registry):
    """Return (packaged model, feature rows it can score, what it is)."""
    uri = request.config.getoption("--model-uri")
    if not uri:
        _, default, _ = registry
        return default.fit.packaged, default.fit.split.test.head(400).reset_index(drop=True), "the sample model"
    from helpers import REFERENCE

    from features.load import load_ledger
    from features.pipeline import build_features, month_ends
    from model.registry import connect, load_packaged, tracking_uri

    connect(tracking_uri(request.config.getoption("--tracking-uri")))
    model, ref = load_packaged(uri)
    source = request.config.getoption("--ledger")
    if not source:
        pytest.fail("--model-uri needs --ledger SRC: the rows to score")
    ledger = load_ledger(source, reference_date=REFERENCE)[0]
    text = request.config.getoption("--as-of")
    dates = ledger["invoices"].column("invoice_date").to_pandas()
    as_of = dt.date.fromisoformat(text) if text else month_ends(dates.min(), dates.max())[-1]
    rows = build_features(ledger, [as_of]).to_pandas()
    return model, rows, f"{ref.name}/{ref.version}"


@pytest.fixture(scope="session")
def portfolio_under_test(request, model_under_test, registry):
    """Return (packaged model, every customer's feature row at one as-of date, what it is)."""
    model, rows, what = model_under_test
    if request.config.getoption("--model-uri"):
        return model, rows, what
    test = registry[1].fit.split.test
    latest = test[test["as_of_date"] == test["as_of_date"].max()].reset_index(drop=True)
    return model, latest, what
