"""The ledger under test: `--ledger SRC` (validated as `tradecredit validate` does), else the sample ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import REFERENCE


@pytest.fixture(scope="session")
def ledger_under_test(request, sample_ledger):
    """Return (ledger, where it came from)."""
    source = request.config.getoption("--ledger")
    if not source:
        return sample_ledger, "the sample ledger"
    from features.load import load_ledger

    text = request.config.getoption("--reference-date")
    reference = dt.date.fromisoformat(text) if text else REFERENCE
    return load_ledger(source, reference_date=reference)[0], source
