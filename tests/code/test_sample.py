"""The synthetic portfolio: deterministic, inside the contract, with the rates the documentation states."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from features.contract import DEFAULT_EVENT_TYPES, SETTLEMENT_TOLERANCE
from features.sample import (
    LEDGER_TABLES,
    TRUTH_FILE,
    TRUTH_TABLE,
    SampleConfig,
    generate_portfolio,
    oracle_auc,
    oracle_snapshots,
    portfolio_rates,
    write_portfolio,
)
from features.validate import frames_to_raw, validate_ledger

SMALL = SampleConfig(customers=300, years=2, seed=7)
# large enough for stable rates (checked over 20 seeds: every rate stays inside its range), still fast
RATES = SampleConfig(customers=1500, years=3, seed=42)


@pytest.fixture(scope="module")
def small():
    return generate_portfolio(SMALL)


@pytest.fixture(scope="module")
def portfolio():
    return generate_portfolio(RATES)


def day(values) -> np.ndarray:
    return pd.Series(values).to_numpy().astype("datetime64[D]")


def test_same_seed_gives_identical_tables_and_another_seed_differs(small):
    again = generate_portfolio(SMALL)
    assert set(again) == set(LEDGER_TABLES) | {TRUTH_TABLE}
    for name in again:
        pd.testing.assert_frame_equal(again[name], small[name])
    other = generate_portfolio(SampleConfig(customers=300, years=2, seed=8))
    assert not other["invoices"]["amount"].equals(small["invoices"]["amount"])
    assert not other["customers"]["annual_revenue"].equals(small["customers"]["annual_revenue"])


def test_progress_is_reported():
    messages = []
    generate_portfolio(SampleConfig(customers=20, years=1), progress=messages.append)
    assert messages and messages[-1] == "done"


def test_columns_and_types_follow_the_contract(small):
    customers, invoices = small["customers"], small["invoices"]
    assert list(customers.columns) == [
        "customer_id",
        "name",
        "country",
        "industry",
        "onboarding_date",
        "credit_limit",
        "payment_terms_days",
        "external_rating",
        "annual_revenue",
        "insured_limit",
    ]
    assert list(invoices.columns) == [
        "invoice_id",
        "customer_id",
        "invoice_date",
        "due_date",
        "amount",
        "document_type",
        "currency",
    ]
    assert list(small["payments"].columns) == ["payment_id", "invoice_id", "payment_date", "amount"]
    assert list(small["disputes"].columns) == ["invoice_id", "opened_date", "resolved_date", "outcome"]
    assert list(small["credit_events"].columns) == ["customer_id", "event_date", "event_type"]
    assert list(small[TRUTH_TABLE].columns) == ["customer_id", "month", "pd_12m_true"]
    for name, frame in small.items():
        for column in frame.columns:
            if column.endswith("_date") or column == "month":
                assert pd.api.types.is_datetime64_dtype(frame[column]), (name, column)
    assert customers["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert customers["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert customers["industry"].nunique() == 8 and customers["country"].nunique() == 12
    assert set(customers["payment_terms_days"]) <= {30, 45, 60, 90}
    assert (customers["credit_limit"] >= 0).all()
    assert pd.api.types.is_numeric_dtype(customers["annual_revenue"])
    assert 0.3 < customers["insured_limit"].notna().mean() < 0.7
    assert set(invoices["document_type"]) == {"invoice", "credit_note"}
    assert set(invoices["currency"]) == {"EUR"}
    # The sample's limit decisions are the credit insurer's (it hears of a distress from other suppliers):
    # `insurer_limit_change`. The company's own `limit_change` is never drawn, so its own decisions are
    # no truth signal a model could feed back on.
    assert set(small["credit_events"]["event_type"]) <= {
        "default",
        "insolvency",
        "write_off",
        "collections_handover",
        "insurer_limit_change",
    }
    assert set(small["disputes"]["outcome"].dropna()) <= {"credited", "rejected"}


def test_ids_are_unique_and_references_resolve(small):
    customers, invoices, payments = small["customers"], small["invoices"], small["payments"]
    assert customers["customer_id"].is_unique
    assert invoices["invoice_id"].is_unique
    assert payments["payment_id"].is_unique
    assert invoices["customer_id"].isin(customers["customer_id"]).all()
    assert payments["invoice_id"].isin(invoices["invoice_id"]).all()
    assert small["disputes"]["invoice_id"].isin(invoices["invoice_id"]).all()
    assert small["credit_events"]["customer_id"].isin(customers["customer_id"]).all()


def test_amounts_and_dates_are_consistent(portfolio):
    end = np.datetime64(RATES.end, "D")
    start = np.datetime64(RATES.start, "D")
    invoices, payments = portfolio["invoices"], portfolio["payments"]
    terms = invoices["customer_id"].map(portfolio["customers"].set_index("customer_id")["payment_terms_days"])
    inv_day, due_day = day(invoices["invoice_date"]), day(invoices["due_date"])
    assert (due_day >= inv_day).all()
    assert ((due_day - inv_day).astype(int) == terms.to_numpy()).all()
    assert (inv_day >= start).all() and (inv_day < end).all()
    for frame in (invoices, payments):
        assert (frame["amount"] > 0).all()
        assert np.allclose(frame["amount"], frame["amount"].round(2), rtol=0, atol=1e-9)
    # credit notes are smaller, and applied whole (one application row) within a month of issue
    is_note = invoices["document_type"] == "credit_note"
    assert invoices.loc[is_note, "amount"].median() < invoices.loc[~is_note, "amount"].median()
    notes = invoices[is_note].merge(payments, on="invoice_id", suffixes=("", "_applied"))
    assert len(notes) > 0.8 * is_note.sum()
    assert notes["invoice_id"].is_unique
    assert np.allclose(notes["amount"], notes["amount_applied"])
    lag = (pd.to_datetime(notes["payment_date"]) - pd.to_datetime(notes["invoice_date"])).dt.days
    assert lag.between(0, 30).all()

    joined = payments.merge(
        invoices[["invoice_id", "customer_id", "invoice_date", "amount"]], on="invoice_id", suffixes=("", "_invoice")
    )
    assert (day(joined["payment_date"]) >= day(joined["invoice_date"])).all(), "a payment before its invoice"
    assert (day(joined["payment_date"]) < end).all(), "a payment after the ledger end"
    totals = joined.groupby("invoice_id").agg(paid=("amount", "sum"), amount=("amount_invoice", "first"))
    assert (totals["paid"] <= totals["amount"] + SETTLEMENT_TOLERANCE).all()

    events = portfolio["credit_events"]
    defaults = events[events["event_type"].isin(DEFAULT_EVENT_TYPES)].groupby("customer_id")["event_date"].min()
    default_of_payment = day(joined["customer_id"].map(defaults))
    assert not (default_of_payment <= day(joined["payment_date"])).any(), "a payment on or after the default"
    default_of_invoice = day(invoices["customer_id"].map(defaults))
    assert not (default_of_invoice <= inv_day).any(), "an invoice on or after the default"
    assert (day(events["event_date"]) < end).all()
    write_offs = events[events["event_type"] == "write_off"]
    assert (day(write_offs["event_date"]) > day(write_offs["customer_id"].map(defaults))).all()

    disputes = portfolio["disputes"]
    opened, resolved = day(disputes["opened_date"]), day(disputes["resolved_date"])
    assert (opened >= day(disputes["invoice_id"].map(invoices.set_index("invoice_id")["invoice_date"]))).all()
    assert (opened < end).all()
    closed = ~np.isnat(resolved)
    assert (resolved[closed] >= opened[closed]).all() and (resolved[closed] < end).all()
    assert (disputes["outcome"].notna().to_numpy() == closed).all()


def test_open_invoices_remain_at_default_and_at_the_ledger_end(portfolio):
    invoices, payments = portfolio["invoices"], portfolio["payments"]
    paid = payments.groupby("invoice_id")["amount"].sum()
    open_ = invoices[(invoices["document_type"] == "invoice")]
    open_ = open_[open_["invoice_id"].map(paid).fillna(0) < open_["amount"] - SETTLEMENT_TOLERANCE]
    events = portfolio["credit_events"]
    defaulted = set(events.loc[events["event_type"].isin(("default", "insolvency")), "customer_id"])
    assert open_["customer_id"].isin(defaulted).any(), "defaulted customers leave unpaid invoices"
    assert (~open_["customer_id"].isin(defaulted)).any(), "invoices still open at the ledger end"
    assert set(events.loc[events["event_type"] == "write_off", "customer_id"]) <= defaulted


def test_rates_fall_in_the_documented_ranges(portfolio):
    rates = portfolio_rates(portfolio)
    assert 0.01 <= rates["annual_default_rate"] <= 0.04
    assert 0.30 <= rates["paid_late_share"] <= 0.50
    assert 0.05 <= rates["late_over_30_share"] <= 0.10
    assert 0.02 <= rates["credit_note_share"] <= 0.04
    assert 0.02 <= rates["dispute_share"] <= 0.05
    assert 0.02 <= rates["partial_paid_share"] <= 0.08
    assert 28 <= rates["invoices_per_customer_year"] <= 50
    # the truth is calibrated: mean predicted and observed 12-month default rates agree
    assert rates["mean_pd_12m_true"] == pytest.approx(rates["default_12m_share"], rel=0.2)
    events = portfolio["credit_events"]["event_type"].value_counts()
    for kind in ("default", "insolvency", "write_off", "collections_handover", "insurer_limit_change"):
        assert events.get(kind, 0) > 0, kind
    assert "limit_change" not in events


def test_behaviour_deteriorates_before_default(portfolio):
    invoices, payments, events = portfolio["invoices"], portfolio["payments"], portfolio["credit_events"]
    defaults = events[events["event_type"].isin(("default", "insolvency"))].groupby("customer_id")["event_date"].min()
    settled = payments.groupby("invoice_id").agg(last=("payment_date", "max"), parts=("amount", "size"))
    inv = invoices[invoices["document_type"] == "invoice"].join(settled, on="invoice_id")
    inv = inv[inv["last"].notna()]
    late = (day(inv["last"]) - day(inv["due_date"])).astype(int)
    to_default = (inv["customer_id"].map(defaults) - inv["due_date"]).dt.days.to_numpy(dtype=float, na_value=np.nan)
    before = (to_default >= 0) & (to_default <= 180)
    healthy = np.isnan(to_default)
    assert late[before].mean() > late[healthy].mean() + 15
    parts = inv["parts"].to_numpy()
    assert (parts[before] > 1).mean() > 3 * (parts[healthy] > 1).mean()
    assert (late[healthy] < 0).mean() > 0.2, "early payers exist"

    # a distressed customer holds most invoices back and disputes what it cannot pay
    docs = invoices[invoices["document_type"] == "invoice"].join(settled, on="invoice_id")
    paid = payments.groupby("invoice_id")["amount"].sum()
    is_settled = (docs["invoice_id"].map(paid).fillna(0) >= docs["amount"] - SETTLEMENT_TOLERANCE).to_numpy()
    to_default = (docs["customer_id"].map(defaults) - docs["due_date"]).dt.days.to_numpy(dtype=float, na_value=np.nan)
    before = (to_default >= 0) & (to_default <= 180)
    mature = np.isnan(to_default) & (day(docs["due_date"]) < np.datetime64(RATES.end, "D") - np.timedelta64(180, "D"))
    assert is_settled[before].mean() < 0.5 and is_settled[mature].mean() > 0.95
    disputed = docs["invoice_id"].isin(portfolio["disputes"]["invoice_id"]).to_numpy()
    assert disputed[before].mean() > 4 * disputed[np.isnan(to_default)].mean()


def test_behaviour_parameters_leave_the_hidden_world_unchanged(small, monkeypatch):
    from features.sample import parameters

    monkeypatch.setattr(parameters, "P_WITHHOLD", 0.1)
    monkeypatch.setattr(parameters, "P_STALL_DISPUTE", 0.0)
    monkeypatch.setattr(parameters, "DELAY_PER_RISK", 3.0)
    other = generate_portfolio(SMALL)
    pd.testing.assert_frame_equal(other[TRUTH_TABLE], small[TRUTH_TABLE])
    pd.testing.assert_frame_equal(
        other["customers"][["customer_id", "country", "industry", "onboarding_date"]],
        small["customers"][["customer_id", "country", "industry", "onboarding_date"]],
    )

    def default_dates(tables):
        events = tables["credit_events"]
        return events[events["event_type"].isin(DEFAULT_EVENT_TYPES)].groupby("customer_id")["event_date"].min()

    pd.testing.assert_series_equal(default_dates(other), default_dates(small))
    assert not other["payments"]["payment_date"].reset_index(drop=True).equals(small["payments"]["payment_date"])


def test_oracle_auc_and_truth(portfolio, small):
    truth = portfolio[TRUTH_TABLE]
    assert truth["pd_12m_true"].between(0, 1).all()
    assert (day(truth["month"]).astype("datetime64[M]").astype("datetime64[D]") == day(truth["month"])).all()
    snapshots = oracle_snapshots(portfolio)
    last_month = np.datetime64(RATES.end, "M") - 12
    assert (day(snapshots["month"]) <= last_month.astype("datetime64[D]")).all()
    assert 0.85 < oracle_auc(portfolio) < 0.99
    assert np.isnan(oracle_auc(generate_portfolio(SampleConfig(customers=5, years=1))))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_portfolio_round_trips_and_leaves_no_temp_files(small, tmp_path, fmt):
    out = tmp_path / "ledger"
    rows = write_portfolio(small, out, fmt)
    assert rows == {name: len(frame) for name, frame in small.items()}
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{t}.{fmt}" for t in LEDGER_TABLES] + ["_truth"])
    assert [p.name for p in (out / "_truth").iterdir()] == [TRUTH_FILE.name]
    for name in LEDGER_TABLES:
        path = out / f"{name}.{fmt}"
        table = pacsv.read_csv(path) if fmt == "csv" else pq.read_table(path)
        assert table.num_rows == rows[name]
        assert table.column_names == list(small[name].columns)
    assert pq.read_table(out / TRUTH_FILE).num_rows == rows[TRUTH_TABLE]
    if fmt == "csv":
        header, first = (out / "invoices.csv").read_text().splitlines()[:2]
        invoice_date = first.split(",")[header.split(",").index('"invoice_date"')]
        assert dt.date.fromisoformat(invoice_date) == small["invoices"]["invoice_date"].iloc[0].date()
    # writing again replaces the files in place
    assert write_portfolio(small, out, fmt) == rows
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_write_portfolio_rejects_an_unknown_format(small, tmp_path):
    with pytest.raises(ValueError, match="format"):
        write_portfolio(small, tmp_path, "xlsx")


def test_sample_passes_ledger_validation_without_quarantine(small, tmp_path):
    ledger = {name: small[name] for name in LEDGER_TABLES}
    result = validate_ledger(frames_to_raw(ledger), source="sample", reference_date=SMALL.end, allow_quarantine=False)
    assert result.report.rows_in == result.report.rows_accepted
    assert not any(result.report.rows_quarantined.values())
    from features.load import load_ledger

    write_portfolio(small, tmp_path, "csv")
    loaded, report = load_ledger(tmp_path, reference_date=SMALL.end)
    assert not any(report.rows_quarantined.values())
    assert loaded.row_counts == {name: len(small[name]) for name in LEDGER_TABLES}
