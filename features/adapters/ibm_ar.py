"""Adapter for the IBM Watson Analytics sample "Accounts Receivable" (`ibm_ar/WA_Fn-UseC_-Accounts-Receivable.csv`).

One row per invoice, every invoice settled once. Very likely simulated data: use it to exercise the
pipeline, not as evidence of real-world accuracy. See `docs/adapters.md` for the mapping.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.adapters.common import AdapterReport, as_date, as_id, conform, fmt_count

__all__ = ["DEFAULT_FILE", "PAYMENT_TERMS_DAYS", "AdapterReport", "convert"]

DEFAULT_FILE = "WA_Fn-UseC_-Accounts-Receivable.csv"
PAYMENT_TERMS_DAYS = 30  # DueDate is InvoiceDate + 30 days on every row
DATE_FORMAT = "%m/%d/%Y"
DATE_COLUMNS = ("PaperlessDate", "InvoiceDate", "DueDate", "SettledDate")


def _resolve(source: Path) -> Path:
    source = Path(source)
    return source / DEFAULT_FILE if source.is_dir() else source


def convert(source: Path) -> tuple[dict[str, pd.DataFrame], AdapterReport]:
    """Return the contract tables `customers`, `invoices`, `payments` and `disputes`, and the report.

    `source` is the CSV (or the folder holding it).
    """
    path = _resolve(source)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    report = AdapterReport(source=str(path), rows_read=len(raw))
    note = report.note
    note(
        "simulated data (IBM Watson Analytics sample): normal amounts, identical terms, no partial payments; "
        "test the pipeline mechanics with it, not real-world accuracy"
    )

    df = raw.apply(lambda s: s.str.strip())
    dup = int(df.duplicated().sum())
    if dup:
        note(f"{fmt_count(dup)} exact duplicate rows kept (none in the published file; validation rejects repeats)")
    dates = {c: as_date(df[c], DATE_FORMAT) for c in DATE_COLUMNS}
    note(
        "dates parsed as m/d/yyyy; unparseable values kept as empty: "
        + ", ".join(f"{c} {int(v.isna().sum()):,}" for c, v in dates.items())
    )
    amount = pd.to_numeric(df["InvoiceAmount"], errors="coerce").astype("float64")
    note(f"amount = InvoiceAmount: {int(amount.isna().sum()):,} unreadable, {int((amount <= 0).sum()):,} not positive")
    invoice_id = as_id(df["invoiceNumber"])
    note(
        f"invoice_id = invoiceNumber read as text (10-digit zero padding kept); "
        f"{int(invoice_id.duplicated().sum()):,} repeated ids; payment_id = invoice_id + '-P'"
    )
    customer_id = as_id(df["customerID"])

    invoices = conform(
        "invoices",
        pd.DataFrame(
            {
                "invoice_id": invoice_id,
                "customer_id": customer_id,
                "invoice_date": dates["InvoiceDate"],
                "due_date": dates["DueDate"],
                "amount": amount,
                "document_type": "invoice",
            }
        ),
    )
    note("currency left empty: the data does not say (amounts look like one currency)")
    terms = (dates["DueDate"] - dates["InvoiceDate"]).dt.days
    note(
        f"DueDate - InvoiceDate is {PAYMENT_TERMS_DAYS} days on {int((terms == PAYMENT_TERMS_DAYS).sum()):,} "
        f"of {len(df):,} invoices; due_date before invoice_date on {int((terms < 0).sum()):,}"
    )

    payments = conform(
        "payments",
        pd.DataFrame(
            {
                "payment_id": invoice_id + "-P",
                "invoice_id": invoice_id,
                "payment_date": dates["SettledDate"],
                "amount": amount,
            }
        ),
    )
    paid_before = int((dates["SettledDate"] < dates["InvoiceDate"]).sum())
    note(
        f"one payment per invoice at SettledDate for the full InvoiceAmount (every invoice is settled; "
        f"{paid_before:,} settled before their invoice date)"
    )

    disputed = df["Disputed"].str.lower()
    unknown = ~disputed.isin(["yes", "no"])
    if unknown.any():
        note(f"{fmt_count(int(unknown.sum()))} rows with a Disputed value other than Yes/No: treated as not disputed")
    is_disputed = disputed == "yes"
    disputes = conform(
        "disputes",
        pd.DataFrame(
            {
                "invoice_id": invoice_id[is_disputed],
                "opened_date": dates["InvoiceDate"][is_disputed],
                "resolved_date": dates["SettledDate"][is_disputed],
                "outcome": pd.Series(pd.NA, index=df.index[is_disputed], dtype="str"),
            }
        ),
    )
    note(
        f"{fmt_count(int(is_disputed.sum()))} disputes for Disputed == 'Yes': opened_date = invoice date "
        "(the real date is not in the data: a dispute can only be raised after the invoice, so this is the "
        "earliest possible date), resolved_date = SettledDate, outcome empty"
    )
    note(
        "DaysToSettle and DaysLate dropped (derived from the dates; they leak the label); PaperlessBill dropped "
        "(equals InvoiceDate >= PaperlessDate on almost every row)"
    )

    customers = _customers(df, customer_id, dates["PaperlessDate"], report)

    tables = {
        "customers": customers,
        "invoices": invoices.sort_values(["customer_id", "invoice_date", "invoice_id"], kind="stable"),
        "payments": payments.sort_values("invoice_id", kind="stable"),
        "disputes": disputes.sort_values("invoice_id", kind="stable"),
    }
    tables = {name: t.reset_index(drop=True) for name, t in tables.items()}
    report.rows_out = {name: len(t) for name, t in tables.items()}
    return tables, report


def _customers(df: pd.DataFrame, customer_id: pd.Series, paperless: pd.Series, report: AdapterReport) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": customer_id, "country_code": df["countryCode"], "paperless_date": paperless})
    per_customer = frame.groupby("customer_id", sort=True)
    conflicts = {c: int((per_customer[c].nunique(dropna=False) > 1).sum()) for c in ("country_code", "paperless_date")}
    # Constant per customer in this data; if not, the last non-missing value in file order wins.
    customers = per_customer.last().reset_index()
    customers["payment_terms_days"] = pd.array([PAYMENT_TERMS_DAYS] * len(customers), dtype="Int64")
    customers["credit_limit"] = float("nan")
    report.note(
        f"{fmt_count(len(customers))} customers: country_code = countryCode as text (a numeric code, not ISO, "
        f"so country is left empty), paperless_date = PaperlessDate; customers with more than one value: "
        f"country_code {conflicts['country_code']:,}, paperless_date {conflicts['paperless_date']:,}; "
        f"payment_terms_days = {PAYMENT_TERMS_DAYS}; credit_limit, name, industry, onboarding_date empty"
    )
    customers["customer_id"] = customers["customer_id"].astype("str")
    customers["country_code"] = customers["country_code"].astype("str")
    return conform(
        "customers", customers[["customer_id", "payment_terms_days", "credit_limit", "country_code", "paperless_date"]]
    )
