"""Adapter for the anonymised SAP FI-AR line items with payment dates (`sap_ar_payments/full_dataset.zip`).

Every source row is a cleared customer line item. The adapter maps posting-key texts to document
types, drops what is not a receivable, synthesises stable document keys, bounds the month-bucketed
document date by the due and clearing dates, and emits one clearing payment per kept item.
See `docs/adapters.md` for the mapping and every decision, with counts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from features.adapters.common import (
    AdapterReport,
    as_date,
    as_id,
    clean_country,
    conform,
    fmt_count,
)

__all__ = ["DEFAULT_FILE", "DOCUMENT_TYPES", "DROPPED_POSTING_KEYS", "AdapterReport", "convert"]

DEFAULT_FILE = "full_dataset.zip"
CURRENCY = "EUR"

# Posting-key text (TBSLT_LTEXT) -> contract document type. Debit keys are receivables (invoice),
# credit keys reduce them (credit_note).
DOCUMENT_TYPES = {
    "Invoice": "invoice",
    "Reverse credit memo": "invoice",  # debit: cancels a credit memo, the amount is owed again
    "Credit memo": "credit_note",
    "Reverse invoice": "credit_note",  # credit: cancels (part of) an invoice
}
# Posting-key texts that are not trade receivables, with the reason (for the report).
DROPPED_POSTING_KEYS = {
    "Payment difference": "clearing artefacts, not receivables granted credit",
    "Down payment request": "noted items (special G/L), the final invoice bills the amount again",
    "advances Third Party": "special G/L advances, not trade invoices",
    "Incoming payment": "cash lines that cannot be linked to the invoice they pay",
}

_ID_HASH_CHARS = 16


def _resolve(source: Path) -> Path:
    source = Path(source)
    return source / DEFAULT_FILE if source.is_dir() else source


def _row_keys(raw: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable key per source row: the customer number and a SHA-1 of the row's raw field texts.

    The text of every field, as written in the file, joined in file order. It depends on nothing but
    the row itself (not on row order, pandas version or the other rows), so it is the same on every run
    and survives a re-extract that adds or removes other rows.
    """
    joined = raw[columns[0]].str.cat([raw[c] for c in columns[1:]], sep="\x1f")
    digests = [hashlib.sha1(text.encode("utf-8")).hexdigest()[:_ID_HASH_CHARS] for text in joined]
    return raw["KUNNR"].str.strip() + "-" + pd.Series(digests, index=raw.index, dtype="str")


# A repaired document date further than this before DATUM is more than month bucketing explains.
_BUCKET_DAYS = 31


def _bound_document_dates(df: pd.DataFrame, report: AdapterReport) -> pd.Series:
    """invoice_date = min(DATUM, DUE_DATE, PAYMENT_DATE): the document date the row can support.

    DATUM is a month bucket, not the document date. An item that was really issued and then paid was
    issued on or before its due date and on or before its clearing, so where DATUM falls after either,
    DATUM is wrong and the earlier of the two is the best date the row supports. This repairs the
    extract's coarseness, not the business facts: the real date is unknown and probably earlier still.
    A missing DATUM stays missing (not invented from the other dates) for validation to reject.
    """
    note = report.note
    datum, due, paid = df["invoice_date"], df["due_date"], df["payment_date"]
    note(
        f"DATUM holds only {datum.nunique()} distinct dates, each the first working day of a month: "
        "it is a month bucket of the extract, not the document date"
    )
    # Where the bucket sits relative to the document says in which direction the real date lies.
    months_apart = _month_number(due) - _month_number(datum)
    note(
        f"due_date falls in DATUM's own month for {fmt_count(int((months_apart == 0).sum()))} documents, in the "
        f"month before for {fmt_count(int((months_apart == -1).sum()))} and in a later month for "
        f"{fmt_count(int((months_apart > 0).sum()))}: were DATUM the start of the document's month no due date would "
        "precede it, so the bucket often lies after the document (it looks more like the month after it)"
    )

    due_before = due < datum
    paid_before = paid < datum
    bounded = datum.where(~due_before, due)
    bounded = bounded.where(~(paid < bounded), paid)
    moved = bounded != datum
    to_due = moved & (bounded == due)
    moved_days = (datum - bounded).dt.days
    note(
        f"invoice_date = min(DATUM, DUE_DATE, PAYMENT_DATE) (a document is issued no later than it falls due or is "
        f"cleared; this repairs the month bucketing of the extract, not the business facts): "
        f"{fmt_count(int(moved.sum()))} documents moved, {fmt_count(int(due_before.sum()))} because DATUM fell after "
        f"the due date and {fmt_count(int(paid_before.sum()))} because it fell after the payment date "
        f"({fmt_count(int((due_before & paid_before).sum()))} both); {fmt_count(int(to_due.sum()))} now carry the due "
        f"date, {fmt_count(int((moved & ~to_due).sum()))} the payment date (paid before due); "
        f"median move {int(moved_days[moved].median()) if moved.any() else 0} days, "
        f"{fmt_count(int((moved_days > _BUCKET_DAYS).sum()))} moved by more than {_BUCKET_DAYS} days "
        "(more than a month bucket explains; repaired all the same)"
    )
    note(
        "invoice_date is therefore best read as an upper bound on the real document date: days from invoice_date "
        "to payment are lower bounds (off by up to a month); days late (payment_date - due_date) are exact"
    )
    return bounded


def _month_number(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month


def _mode(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Most frequent non-missing value per key; ties go to the smallest value (deterministic)."""
    frame = pd.DataFrame({"key": keys, "value": values}).dropna()
    counts = frame.groupby(["key", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("key").set_index("key")["value"]


def convert(source: Path) -> tuple[dict[str, pd.DataFrame], AdapterReport]:
    """Return the contract tables `customers`, `invoices` and `payments`, and the report.

    `source` is the zip (or the CSV inside it, or the folder holding `full_dataset.zip`).
    """
    path = _resolve(source)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, low_memory=False)
    report = AdapterReport(source=str(path), rows_read=len(raw))
    note = report.note
    note(
        f"survivorship: all {fmt_count(len(raw))} source rows are CLEARED items (every row has a PAYMENT_DATE); "
        "open and never-paid items are absent, so there are no defaults or write-offs and no credit_events table. "
        "Only late-payment modelling is meaningful on this data."
    )

    # 1. exact duplicates
    dup = raw.duplicated(keep="first")
    df = raw.loc[~dup].copy()
    note(
        f"{fmt_count(int(dup.sum()))} exact duplicate rows dropped (first occurrence kept). Caution: GJAHR2 looks like "
        f"uniform noise, and {fmt_count(int(df.drop(columns='GJAHR2').duplicated().sum()))} further rows are identical "
        "to another except for GJAHR2; these are kept, so the duplicates may be distinct same-valued items."
    )

    # 2. posting keys
    posting = df["TBSLT_LTEXT"].str.strip()
    counts = posting.value_counts()
    for text, reason in DROPPED_POSTING_KEYS.items():
        if counts.get(text, 0):
            note(f"{fmt_count(int(counts[text]))} '{text}' rows dropped: {reason}")
    unknown = ~posting.isin(DOCUMENT_TYPES) & ~posting.isin(DROPPED_POSTING_KEYS)
    if unknown.any():
        note(
            f"{fmt_count(int(unknown.sum()))} rows with an unknown posting-key text dropped: "
            + ", ".join(f"{k!r} {v:,}" for k, v in posting[unknown].value_counts().items())
        )
    kept = posting.isin(DOCUMENT_TYPES)
    df = df.loc[kept].copy()
    df["document_type"] = posting[kept].map(DOCUMENT_TYPES)
    note(
        "posting keys mapped (counts before the zero-value drop): "
        + ", ".join(
            f"'{t}' {fmt_count(int(counts.get(t, 0)))} -> {d}" for t, d in DOCUMENT_TYPES.items() if counts.get(t, 0)
        )
    )

    # 3. amounts
    amount = pd.to_numeric(df["VALUE_EUR"].str.strip(), errors="coerce").astype("float64")
    bad_amount = amount.isna()
    if bad_amount.any():
        note(f"{fmt_count(int(bad_amount.sum()))} rows with an unreadable VALUE_EUR kept with an empty amount")
    zero = amount == 0
    by_type = df.loc[zero, "TBSLT_LTEXT"].value_counts()
    note(
        f"{fmt_count(int(zero.sum()))} zero-value rows dropped (not receivables): "
        + ", ".join(f"{k} {v:,}" for k, v in by_type.items())
    )
    negative = amount < 0
    if negative.any():
        note(f"{fmt_count(int(negative.sum()))} rows with a negative VALUE_EUR kept (validation rejects them)")
    df = df.loc[~zero].copy()
    df["amount"] = amount[~zero]

    # 4. dates
    df["invoice_date"] = as_date(df["DATUM"], "%Y-%m-%d")
    df["due_date"] = as_date(df["DUE_DATE"], "%Y-%m-%d")
    df["payment_date"] = as_date(df["PAYMENT_DATE"], "%Y%m%d")
    unparsed = {c: int(df[c].isna().sum()) for c in ("invoice_date", "due_date", "payment_date")}
    note(
        "dates parsed (DATUM, DUE_DATE as YYYY-MM-DD, PAYMENT_DATE as YYYYMMDD): unparseable values kept as empty: "
        + ", ".join(f"{c} {n:,}" for c, n in unparsed.items())
    )
    doc_date = pd.to_datetime(pd.to_numeric(df["DOCUMENT_DATE"], errors="coerce"), unit="us", errors="coerce")
    mismatch = int((doc_date.dt.normalize() != df["invoice_date"]).sum())
    note(f"DOCUMENT_DATE (epoch microseconds) differs from DATUM in {fmt_count(mismatch)} rows; DATUM is used")
    df["invoice_date"] = _bound_document_dates(df, report)

    # 5. keys
    df["invoice_id"] = _row_keys(df, list(raw.columns))
    if df["invoice_id"].duplicated().any():  # would need a hash collision on distinct rows
        raise RuntimeError("synthesised invoice_id is not unique")
    note(
        f"invoice_id synthesised as '<KUNNR>-<first {_ID_HASH_CHARS} hex of SHA-1 of the raw row>' "
        "(no document number in the data); payment_id = invoice_id + '-P'"
    )
    df["customer_id"] = as_id(df["KUNNR"].str.strip())

    invoices = conform(
        "invoices",
        df.assign(currency=CURRENCY)[
            ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "document_type", "currency"]
        ],
    )
    payments = conform(
        "payments",
        pd.DataFrame(
            {
                "payment_id": df["invoice_id"] + "-P",
                "invoice_id": df["invoice_id"],
                "payment_date": df["payment_date"],
                "amount": df["amount"],
            }
        ),
    )
    note(
        f"one payment per kept document at PAYMENT_DATE for its full amount ({fmt_count(len(payments))}); "
        "for credit notes it is the clearing that used them up, not cash"
    )

    customers = _customers(raw.loc[~dup], df, report)

    order_inv = ["customer_id", "invoice_date", "invoice_id"]
    invoices = invoices.sort_values(order_inv, kind="stable").reset_index(drop=True)
    payments = payments.sort_values(["invoice_id"], kind="stable").reset_index(drop=True)
    tables = {"customers": customers, "invoices": invoices, "payments": payments}
    report.rows_out = {name: len(t) for name, t in tables.items()}
    return tables, report


def _customers(deduped: pd.DataFrame, docs: pd.DataFrame, report: AdapterReport) -> pd.DataFrame:
    """One row per KUNNR that has at least one kept document."""
    note = report.note
    all_customers = deduped["KUNNR"].str.strip()
    ids = pd.Index(sorted(docs["customer_id"].unique()), name="customer_id")
    left_out = all_customers.nunique() - len(ids)
    note(f"{fmt_count(left_out)} customers whose every item was dropped are left out of customers")

    master = deduped.assign(KUNNR=all_customers)
    master = master[master["KUNNR"].isin(ids)]
    keys = master["KUNNR"]

    country_raw = _mode(master["KNA1_LAND1"].str.strip().replace("", pd.NA), keys).reindex(ids)
    country, blank, invalid = clean_country(country_raw.fillna(""))
    n_conflict = int((master.groupby("KUNNR")["KNA1_LAND1"].nunique() > 1).sum())
    note(
        f"country = KNA1_LAND1 (ISO alpha-2): {blank:,} customers blank, {invalid:,} not an ISO code "
        f"(both left empty), {n_conflict:,} customers with more than one value (most frequent used)"
    )

    rating = _mode(master["CURRENTRATING"].str.strip().replace("", pd.NA), keys).reindex(ids)
    ctlpc_num = pd.to_numeric(master["CTLPC"].str.strip().replace("", pd.NA), errors="coerce")
    ctlpc = ctlpc_num.map(lambda v: pd.NA if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
    risk = _mode(ctlpc, keys).reindex(ids)
    n_risk_conflict = int((ctlpc_num.groupby(keys).nunique() > 1).sum())
    note(
        f"current_rating = CURRENTRATING ({fmt_count(int(rating.isna().sum()))} customers empty), "
        f"credit_risk_class = CTLPC as text ({fmt_count(int(risk.isna().sum()))} empty, "
        f"{n_risk_conflict:,} customers with different classes across company codes: most frequent, "
        "ties to the smallest); "
        "both are the value at extract time, i.e. after the documents (look-ahead for back-tests)"
    )

    _terms_note(docs, report)
    note("credit_limit left empty (no credit limits in the data); name, industry, onboarding_date empty")

    customers = pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype="str"),
            "country": country.astype("str").to_numpy(),
            "current_rating": rating.astype("str").to_numpy(),
            "credit_risk_class": risk.astype("str").to_numpy(),
        }
    )
    customers["credit_limit"] = float("nan")
    return conform("customers", customers)  # payment_terms_days comes out empty, see _terms_note


def _terms_note(docs: pd.DataFrame, report: AdapterReport) -> None:
    """Explain why payment_terms_days is left empty, with the counts that decided it.

    The terms are due date minus real document date, and the real date is known only to within a month:
    the error is as large as the terms themselves (invoices fall due a median 13 days after DATUM).
    With the repaired dates the per-customer mode is 0 wherever the due date became the document date,
    which is an artefact.
    ZTERM is a terms key without its day table, and one key's due - DATUM offsets spread over more than
    a month, so the data cannot translate a key into days either.
    """
    inv = docs[docs["document_type"] == "invoice"]
    days = (inv["due_date"] - inv["invoice_date"]).dt.days
    known = days.notna()
    repaired_mode = _mode(days[known].astype("int64"), inv.loc[known, "customer_id"])
    report.note(
        "payment_terms_days left empty for all customers: the document date is known only to within a month, "
        "so due_date - invoice_date is off by as much as the terms; over the repaired dates the most frequent value "
        f"would be 0 days for {fmt_count(int((repaired_mode == 0).sum()))} of {fmt_count(len(repaired_mode))} "
        f"customers (where the due date became the document date); ZTERM ({inv['ZTERM'].str.strip().nunique()} keys "
        "on invoices) has no day table and a key's due dates do not sit at a fixed distance from DATUM, so it is not "
        "used either"
    )
