"""What the tests share: paths, the reference date, a date helper and the small ledgers they build."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from features.validate import frames_to_raw, validate_ledger

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TRADECREDIT_SHARED_DATA", REPO.parent / "shared" / "data"))
PG_ADMIN_URL = os.environ.get("TRADECREDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# The one reference date of the tests: every ledger they build or generate lies before it.
REFERENCE = dt.date(2027, 6, 1)


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


def make_ledger(
    invoices,
    payments=(),
    *,
    customers=None,
    disputes=(),
    events=(),
):
    """Return a validated Ledger.

    invoices: (invoice_id, customer_id, invoice_date, due_date, amount[, document_type])
    payments: (invoice_id, payment_date, amount); ids are numbered in order
    customers: (customer_id, credit_limit, onboarding_date); default: every customer invoiced, no limit
    disputes: (invoice_id, opened_date, resolved_date or None)
    events: (customer_id, event_date, event_type)
    """
    invoice_rows = [tuple(row) + ("invoice",) * (6 - len(row)) for row in invoices]
    if customers is None:
        customers = [(c, None, None) for c in sorted({row[1] for row in invoice_rows})]
    frames = {
        "customers": pd.DataFrame(
            {
                "customer_id": [c[0] for c in customers],
                "credit_limit": pd.array([c[1] for c in customers], dtype="Float64"),
                "onboarding_date": [d(c[2]) if c[2] else None for c in customers],
            }
        ),
        "invoices": invoice_frame(invoices),
        **activity_frames(payments, disputes, events),
    }
    return validate_ledger(
        frames_to_raw(frames), source="test", reference_date=REFERENCE, allow_quarantine=False
    ).ledger


def invoice_frame(invoices) -> pd.DataFrame:
    """Return the invoices table of rows (invoice_id, customer_id, invoice_date, due_date, amount[, document_type])."""
    rows = [tuple(row) + ("invoice",) * (6 - len(row)) for row in invoices]
    return pd.DataFrame(
        {
            "invoice_id": [r[0] for r in rows],
            "customer_id": [r[1] for r in rows],
            "invoice_date": [d(r[2]) for r in rows],
            "due_date": [d(r[3]) for r in rows],
            "amount": [float(r[4]) for r in rows],
            "document_type": [r[5] for r in rows],
        }
    )


def activity_frames(payments=(), disputes=(), events=()) -> dict[str, pd.DataFrame]:
    """Return the payments, disputes and credit_events tables of a literal ledger.

    payments: (invoice_id, payment_date, amount), ids numbered in order; disputes: (invoice_id, opened_date,
    resolved_date or None); events: (customer_id, event_date, event_type)
    """
    return {
        "payments": pd.DataFrame(
            {
                "payment_id": [f"P{i}" for i in range(len(payments))],
                "invoice_id": [p[0] for p in payments],
                "payment_date": [d(p[1]) for p in payments],
                "amount": [float(p[2]) for p in payments],
            }
        ).astype({"invoice_id": object, "payment_id": object}),
        "disputes": pd.DataFrame(
            {
                "invoice_id": [x[0] for x in disputes],
                "opened_date": [d(x[1]) for x in disputes],
                "resolved_date": [d(x[2]) if x[2] else None for x in disputes],
            }
        ).astype({"invoice_id": object}),
        "credit_events": pd.DataFrame(
            {
                "customer_id": [e[0] for e in events],
                "event_date": [d(e[1]) for e in events],
                "event_type": [e[2] for e in events],
            }
        ).astype({"customer_id": object, "event_type": object}),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(env: dict[str, str], folder: Path, timeout: float = 180) -> Iterator[tuple[str, bool]]:
    """Run `tradecredit serve` on a free port of 127.0.0.1 in `folder` with `env` until it is ready; yield
    (its base URL, whether /ready said "loading" first), and stop it afterwards. Its log is `folder/server.log`."""
    import requests

    port = free_port()
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("tradecredit")), "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        saw_not_ready = False
        deadline = time.monotonic() + timeout
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
            raise AssertionError("the server never became ready:\n" + (folder / "server.log").read_text()[-3000:])
        yield base, saw_not_ready
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
