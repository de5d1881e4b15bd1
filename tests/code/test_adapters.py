"""The real-data adapters (docs/adapters.md) on the two public data sets in ../shared/data.

The data sets are never copied into the repo: they are read from `TRADECREDIT_SHARED_DATA`
(default ../shared/data next to the repo, see tests/helpers.py). Expected values were derived from the
raw files and checked by hand; a few are recomputed here from the raw file with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import REFERENCE, SHARED_DATA

from features import ledger_files
from features.adapters import common, ibm_ar, sap_ar
from features.adapters.common import AdapterReport, write_tables

pytestmark = pytest.mark.realdata

SAP_ZIP = SHARED_DATA / "sap_ar_payments" / "full_dataset.zip"
IBM_CSV = SHARED_DATA / "ibm_ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"
SAP_SHA256 = "6b2754ba138733fa48e449b7bd7944155e013d5bd8ecdfdbc1d776907377cea3"
IBM_SHA256 = "f5d488eaa4c1cc843b478b6f1068c553c5394aab4b64d587e4b9ad811d845c19"

CONTRACT_COLUMNS = {
    "customers": [
        "customer_id",
        "name",
        "country",
        "industry",
        "onboarding_date",
        "credit_limit",
        "payment_terms_days",
    ],
    "invoices": ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "document_type", "currency"],
    "payments": ["payment_id", "invoice_id", "payment_date", "amount"],
    "disputes": ["invoice_id", "opened_date", "resolved_date", "outcome"],
}
DATE_COLUMNS = {
    "onboarding_date",
    "invoice_date",
    "due_date",
    "payment_date",
    "opened_date",
    "resolved_date",
    "paperless_date",
}
ID_COLUMNS = {"customer_id", "invoice_id", "payment_id"}


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sap() -> tuple[dict[str, pd.DataFrame], AdapterReport]:
    assert SAP_ZIP.is_file(), f"{SAP_ZIP} is missing (set TRADECREDIT_SHARED_DATA to the shared data folder)"
    return sap_ar.convert(SAP_ZIP)


@pytest.fixture(scope="module")
def ibm() -> tuple[dict[str, pd.DataFrame], AdapterReport]:
    assert IBM_CSV.is_file(), f"{IBM_CSV} is missing (set TRADECREDIT_SHARED_DATA to the shared data folder)"
    return ibm_ar.convert(IBM_CSV)


def test_the_data_sets_are_the_documented_files():
    # Every count below is for these exact files (see their SOURCE.txt).
    assert sha256(SAP_ZIP) == SAP_SHA256
    assert sha256(IBM_CSV) == IBM_SHA256


# ---------------------------------------------------------------------------------------------- typing


@pytest.mark.parametrize("dataset", ["sap", "ibm"])
def test_tables_are_typed_and_keyed(dataset, request):
    tables, report = request.getfixturevalue(dataset)
    assert set(tables) == ({"customers", "invoices", "payments"} | ({"disputes"} if dataset == "ibm" else set()))
    assert report.rows_out == {name: len(frame) for name, frame in tables.items()}
    for name, frame in tables.items():
        assert list(frame.columns[: len(CONTRACT_COLUMNS[name])]) == CONTRACT_COLUMNS[name]
        for col in frame.columns:
            if col in DATE_COLUMNS:
                assert pd.api.types.is_datetime64_dtype(frame[col]), (name, col)
                present = frame[col].dropna()
                assert (present == present.dt.normalize()).all(), (name, col)
            elif col in ID_COLUMNS:
                assert pd.api.types.is_string_dtype(frame[col]), (name, col)
                assert frame[col].notna().all(), (name, col)
            elif col in ("amount", "credit_limit"):
                assert frame[col].dtype == "float64", (name, col)
    assert tables["customers"]["customer_id"].is_unique
    assert tables["invoices"]["invoice_id"].is_unique
    assert tables["payments"]["payment_id"].is_unique
    assert tables["invoices"]["customer_id"].isin(tables["customers"]["customer_id"]).all()
    assert tables["payments"]["invoice_id"].isin(tables["invoices"]["invoice_id"]).all()
    assert (tables["invoices"]["amount"] > 0).all() and (tables["payments"]["amount"] > 0).all()
    assert tables["customers"]["credit_limit"].isna().all()
    assert str(tables["customers"]["payment_terms_days"].dtype) == "Int64"


# ---------------------------------------------------------------------------------------------- SAP


def test_sap_counts(sap):
    tables, report = sap
    assert report.rows_read == 266_093
    assert report.rows_out == {"customers": 22_997, "invoices": 250_993, "payments": 250_993}
    assert tables["invoices"]["document_type"].value_counts().to_dict() == {"invoice": 240_654, "credit_note": 10_339}
    assert (tables["invoices"]["currency"] == "EUR").all()
    # 266,093 - 2,400 duplicates - 5,698 payment differences - 1,838 down payment requests
    #         - 64 third-party advances - 6 incoming payments - 5,094 zero-value = 250,993
    text = "\n".join(report.notes)
    for expected in (
        "2,400 exact duplicate rows dropped",
        "5,698 'Payment difference' rows dropped",
        "1,838 'Down payment request' rows dropped",
        "64 'advances Third Party' rows dropped",
        "6 'Incoming payment' rows dropped",
        "5,094 zero-value rows dropped (not receivables): Invoice 4,843, Credit memo 250, Reverse credit memo 1",
        "63,166 documents moved, 50,545 because DATUM fell after the due date and 37,762 because it fell after "
        "the payment date (25,141 both); 40,071 now carry the due date, 23,095 the payment date (paid before due); "
        "median move 5 days, 6,361 moved by more than 31 days",
        "due_date falls in DATUM's own month for 175,304 documents, in the month before for 44,972 and in a later "
        "month for 26,942",
        "repairs the month bucketing of the extract, not the business facts",
        "70 customers whose every item was dropped",
        "payment_terms_days left empty for all customers",
        "would be 0 days for 5,274 of 22,936 customers",
        "ZTERM (148 keys on invoices)",
        "survivorship",
    ):
        assert expected in text
    assert tables["customers"]["payment_terms_days"].isna().all()


def test_sap_document_dates_are_bounded_by_due_and_payment_dates(sap):
    """invoice_date = min(DATUM, DUE_DATE, PAYMENT_DATE), recomputed from the raw file; no date is out of order."""
    invoices = sap[0]["invoices"]
    payments = sap[0]["payments"].merge(invoices[["invoice_id", "invoice_date"]], on="invoice_id")
    assert (invoices["due_date"] < invoices["invoice_date"]).sum() == 0
    assert (payments["payment_date"] < payments["invoice_date"]).sum() == 0
    # every date parsed
    assert invoices[["invoice_date", "due_date"]].notna().all().all()
    assert payments["payment_date"].notna().all()

    raw = pd.read_csv(SAP_ZIP, dtype=str, keep_default_na=False, low_memory=False)
    raw = raw.assign(invoice_id=sap_ar._row_keys(raw, list(raw.columns))).drop_duplicates("invoice_id")
    raw = raw.set_index("invoice_id").loc[invoices["invoice_id"]]
    datum = pd.to_datetime(raw["DATUM"], format="%Y-%m-%d").to_numpy()
    due = pd.to_datetime(raw["DUE_DATE"], format="%Y-%m-%d").to_numpy()
    paid = pd.to_datetime(raw["PAYMENT_DATE"], format="%Y%m%d").to_numpy()
    expected = pd.DataFrame({"d": datum, "u": due, "p": paid}).min(axis=1)
    assert (invoices["invoice_date"].to_numpy() == expected.to_numpy()).all()
    moved = invoices["invoice_date"].to_numpy() != datum
    assert (moved.sum(), (due < datum).sum(), (paid < datum).sum()) == (63_166, 50_545, 37_762)


def _raw_sap_rows(customers: set[str]) -> tuple[list[str], list[list[str]]]:
    with zipfile.ZipFile(SAP_ZIP) as archive, archive.open("training_data.csv") as member:
        reader = csv.reader(io.TextIOWrapper(member, encoding="utf-8", newline=""))
        header = next(reader)
        kunnr = header.index("KUNNR")
        return header, [row for row in reader if row[kunnr] in customers]


# Hand-checked from the raw rows: (invoice_date, due_date, amount, document_type, payment_date).
SAP_EXPECTED = {
    # 15 rows: one exact duplicate (81 EUR, 2018-03-01) and one zero-value invoice dropped; 2 credit memos;
    # two invoices with DATUM 2019-03-01 were cleared on 2019-02-20, which becomes their invoice_date.
    "17656": [
        ("2018-03-01", "2018-03-07", 29.0, "invoice", "2018-03-07"),
        ("2018-03-01", "2018-03-07", 81.0, "invoice", "2018-03-07"),
        ("2018-11-02", "2018-11-29", 8.0, "invoice", "2018-11-29"),
        ("2019-01-02", "2019-01-12", 133.0, "invoice", "2019-01-11"),
        ("2019-02-01", "2019-02-03", 13.0, "invoice", "2019-02-01"),
        ("2019-02-01", "2019-02-15", 34.0, "invoice", "2019-02-15"),
        ("2019-02-01", "2019-03-20", 133.0, "credit_note", "2019-02-20"),
        ("2019-02-01", "2019-03-20", 59.0, "credit_note", "2019-02-20"),
        ("2019-02-20", "2019-03-08", 102.0, "invoice", "2019-02-20"),
        ("2019-02-20", "2019-03-08", 13.0, "invoice", "2019-02-20"),
        ("2019-03-01", "2019-03-20", 100.0, "invoice", "2019-03-20"),
        ("2019-04-01", "2019-04-06", 13.0, "invoice", "2019-04-05"),
        ("2019-04-01", "2019-04-21", 94.0, "invoice", "2019-04-18"),
    ],
    # 7 rows: the 528 EUR payment difference dropped; two invoices with DATUM 2019-03-01 were due on 2019-01-06,
    # which becomes their invoice_date.
    "10178": [
        ("2018-01-02", "2018-01-13", 910.0, "invoice", "2018-01-15"),
        ("2018-03-01", "2018-03-16", 261.0, "invoice", "2018-03-16"),
        ("2018-07-02", "2018-07-12", 497.0, "invoice", "2018-11-05"),
        ("2018-09-03", "2018-10-25", 39.0, "credit_note", "2018-11-05"),
        ("2019-01-06", "2019-01-06", 510.0, "invoice", "2019-01-08"),
        ("2019-01-06", "2019-01-06", 90.0, "invoice", "2019-01-08"),
    ],
    # 6 rows: a down payment request (2,394 EUR) and a payment difference (4,196 EUR) dropped; the invoice with
    # DATUM 2018-06-01 was cleared on 2018-05-29, which becomes its invoice_date.
    "1229": [
        ("2018-01-02", "2018-01-30", 233.0, "invoice", "2018-02-01"),
        ("2018-05-29", "2018-06-28", 3502.0, "invoice", "2018-05-29"),
        ("2018-07-02", "2018-08-20", 101.0, "invoice", "2018-09-26"),
        ("2018-08-01", "2018-08-20", 243.0, "credit_note", "2018-09-26"),
    ],
}
# country, current_rating, credit_risk_class (payment_terms_days is empty for every SAP customer)
SAP_CUSTOMERS = {
    "17656": ("SE", "R5-", "2"),
    "10178": ("NO", "R8+", "3"),
    "1229": ("DK", "R7+", "2"),
}


@pytest.mark.parametrize("customer", sorted(SAP_EXPECTED))
def test_sap_hand_checked_customers(sap, customer):
    tables, _ = sap
    invoices = tables["invoices"][tables["invoices"]["customer_id"] == customer]
    docs = invoices.merge(tables["payments"], on="invoice_id", suffixes=("", "_paid"))
    assert len(docs) == len(invoices)  # one payment per document, for its full amount
    assert (docs["amount"] == docs["amount_paid"]).all()
    got = Counter(
        (
            r.invoice_date.date().isoformat(),
            r.due_date.date().isoformat(),
            r.amount,
            r.document_type,
            r.payment_date.date().isoformat(),
        )
        for r in docs.itertuples()
    )
    assert got == Counter(SAP_EXPECTED[customer])

    row = tables["customers"].set_index("customer_id").loc[customer]
    assert (row["country"], row["current_rating"], row["credit_risk_class"]) == SAP_CUSTOMERS[customer]
    assert pd.isna(row["payment_terms_days"])


def test_sap_ids_follow_the_documented_scheme(sap):
    """invoice_id = KUNNR + '-' + 16 hex of SHA-1 over the raw field texts joined by U+001F, recomputed with csv."""
    header, rows = _raw_sap_rows({"10178"})
    posting = header.index("TBSLT_LTEXT")
    expected = {
        row[header.index("KUNNR")] + "-" + hashlib.sha1("\x1f".join(row).encode("utf-8")).hexdigest()[:16]
        for row in rows
        if row[posting] != "Payment difference"
    }
    got = set(sap[0]["invoices"].loc[lambda f: f["customer_id"] == "10178", "invoice_id"])
    assert got == expected
    assert "10178-5b41a64589b04ae7" in got  # the 910 EUR partial bill of 2018-01-02: pinned, must never change
    payments = sap[0]["payments"]
    assert (payments["payment_id"] == payments["invoice_id"] + "-P").all()


def test_sap_ids_are_deterministic_and_do_not_depend_on_row_order(sap, tmp_path):
    again, report = sap_ar.convert(SAP_ZIP.parent)  # the folder works too
    assert (report.rows_out, report.notes) == (sap[1].rows_out, sap[1].notes)
    for name in sap[0]:
        pd.testing.assert_frame_equal(again[name], sap[0][name])

    # The same rows, reversed and without the rest of the file, get the same ids.
    header, rows = _raw_sap_rows(set(SAP_EXPECTED))
    subset = tmp_path / "subset.csv"
    with subset.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(reversed(rows))
    small, _ = sap_ar.convert(subset)
    full = sap[0]["invoices"]
    assert set(small["invoices"]["invoice_id"]) == set(full.loc[full["customer_id"].isin(SAP_EXPECTED), "invoice_id"])


# ---------------------------------------------------------------------------------------------- IBM


def test_ibm_counts(ibm):
    tables, report = ibm
    assert report.rows_read == 2_466
    assert report.rows_out == {"customers": 100, "invoices": 2_466, "payments": 2_466, "disputes": 561}
    assert (tables["invoices"]["document_type"] == "invoice").all()
    assert tables["invoices"]["currency"].isna().all()
    assert tables["invoices"]["invoice_id"].str.fullmatch(r"\d{10}").all()  # zero padding kept
    assert (tables["customers"]["payment_terms_days"] == 30).all()
    assert tables["customers"]["country"].isna().all()  # the numeric codes are not ISO
    assert sorted(tables["customers"]["country_code"].unique()) == ["391", "406", "770", "818", "897"]
    assert tables["disputes"]["outcome"].isna().all()
    assert "561 disputes" in "\n".join(report.notes)


def _raw_ibm() -> list[dict[str, str]]:
    with IBM_CSV.open(newline="", encoding="ascii") as f:
        return list(csv.DictReader(f))


def _iso(us_date: str) -> str:
    return dt.datetime.strptime(us_date, "%m/%d/%Y").date().isoformat()


@pytest.mark.parametrize("customer", ["0379-NEVHP", "8976-AMJEO", "9322-YCTQO"])
def test_ibm_customers_match_the_raw_file(ibm, customer):
    tables, _ = ibm
    raw = [r for r in _raw_ibm() if r["customerID"] == customer]
    invoices = tables["invoices"][tables["invoices"]["customer_id"] == customer]
    got = {
        r.invoice_id: (r.invoice_date.date().isoformat(), r.due_date.date().isoformat(), r.amount)
        for r in invoices.itertuples()
    }
    assert got == {
        r["invoiceNumber"]: (_iso(r["InvoiceDate"]), _iso(r["DueDate"]), float(r["InvoiceAmount"])) for r in raw
    }
    payments = tables["payments"].set_index("invoice_id").loc[sorted(got)]
    paid = zip(payments.index, payments["payment_date"], payments["amount"])
    assert {i: (p.date().isoformat(), a) for i, p, a in paid} == {
        r["invoiceNumber"]: (_iso(r["SettledDate"]), float(r["InvoiceAmount"])) for r in raw
    }
    disputes = tables["disputes"][tables["disputes"]["invoice_id"].isin(got)]
    assert {
        (r.invoice_id, r.opened_date.date().isoformat(), r.resolved_date.date().isoformat())
        for r in disputes.itertuples()
    } == {(r["invoiceNumber"], _iso(r["InvoiceDate"]), _iso(r["SettledDate"])) for r in raw if r["Disputed"] == "Yes"}
    row = tables["customers"].set_index("customer_id").loc[customer]
    assert row["country_code"] == raw[0]["countryCode"]
    assert row["paperless_date"].date().isoformat() == _iso(raw[0]["PaperlessDate"])


def test_ibm_hand_checked_rows(ibm):
    tables, _ = ibm
    inv = tables["invoices"].set_index("invoice_id")
    # first data row of the file: 391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,...
    assert inv.loc["0000611365", ["customer_id", "invoice_date", "due_date", "amount"]].tolist() == [
        "0379-NEVHP",
        ts("2013-01-02"),
        ts("2013-02-01"),
        55.94,
    ]
    pay = tables["payments"].set_index("payment_id")
    assert pay.loc["0000611365-P", ["invoice_id", "payment_date", "amount"]].tolist() == [
        "0000611365",
        ts("2013-01-15"),
        55.94,
    ]
    # second row is disputed: 406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,3/3/2013,...
    dispute = tables["disputes"].set_index("invoice_id").loc["0007900770"]
    assert (dispute["opened_date"], dispute["resolved_date"]) == (ts("2013-01-26"), ts("2013-03-03"))
    customer = tables["customers"].set_index("customer_id").loc["8976-AMJEO"]
    assert (customer["country_code"], customer["paperless_date"]) == ("406", ts("2012-03-03"))


def test_ibm_ids_are_deterministic(ibm):
    again, _ = ibm_ar.convert(IBM_CSV.parent)
    for name in ibm[0]:
        pd.testing.assert_frame_equal(again[name], ibm[0][name])


# ---------------------------------------------------------------------------------------------- writing


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_tables_round_trip(ibm, tmp_path, fmt):
    tables, _ = ibm
    counts = write_tables(tables, tmp_path, fmt)
    assert counts == {name: len(frame) for name, frame in tables.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{name}.{fmt}" for name in tables)  # no temp files
    for name, frame in tables.items():
        path = tmp_path / f"{name}.{fmt}"
        dates = [c for c in frame.columns if c in DATE_COLUMNS]
        if fmt == "csv":
            back = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
            for c in dates:
                present = back[c].dropna()
                assert present.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (name, c)  # ISO dates
                back[c] = pd.to_datetime(back[c], format="%Y-%m-%d")
            for c in frame.columns:
                if frame[c].dtype.kind in "fi" or str(frame[c].dtype) == "Int64":
                    back[c] = pd.to_numeric(back[c]).astype(frame[c].dtype)
        else:
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            assert all(str(schema.field(c).type) == "date32[day]" for c in dates)
            back = pd.read_parquet(path)
            for c in dates:
                back[c] = pd.to_datetime(back[c])
        pd.testing.assert_frame_equal(back, frame, check_dtype=False, check_exact=False)


def test_write_tables_is_atomic_and_replaces_the_other_format(ibm, tmp_path, monkeypatch):
    tables, _ = ibm
    write_tables(tables, tmp_path, "csv")
    before = (tmp_path / "invoices.csv").read_bytes()

    def boom(table, path, *args, **kwargs):
        Path(path).write_text("half a file")
        raise OSError("disk full")

    monkeypatch.setattr(ledger_files.pacsv, "write_csv", boom)
    with pytest.raises(OSError, match="disk full"):
        write_tables({"invoices": tables["invoices"].head(3)}, tmp_path, "csv")
    monkeypatch.undo()
    assert (tmp_path / "invoices.csv").read_bytes() == before  # the old table is intact
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the temp file is gone

    write_tables(tables, tmp_path, "parquet")  # a ledger folder may hold each table once
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{name}.parquet" for name in tables)
    with pytest.raises(ValueError, match="format"):
        write_tables(tables, tmp_path, "xlsx")


def test_write_tables_leaves_exactly_the_ledger_just_written(ibm, tmp_path):
    """An earlier ledger's tables are removed (whatever their format); files that are not ledger tables stay."""
    tables, _ = ibm
    write_tables(tables, tmp_path, "csv")  # customers, invoices, payments, disputes
    (tmp_path / "credit_events.csv.gz").write_bytes(b"")
    (tmp_path / "README.txt").write_text("kept")
    (tmp_path / "invoices_old.csv").write_text("kept: not a table name")
    (tmp_path / "disputes.json").write_text("kept: not a ledger suffix")
    (tmp_path / "payments.parquet").mkdir()  # not a file: left alone

    counts = write_tables({name: tables[name] for name in ("customers", "invoices")}, tmp_path, "parquet")
    assert counts == {"customers": 100, "invoices": 2_466}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.txt",
        "customers.parquet",
        "disputes.json",
        "invoices.parquet",
        "invoices_old.csv",
        "payments.parquet",
    ]

    # A write that fails part-way removes nothing: the earlier tables are still there.
    write_tables(tables, tmp_path / "again", "csv")
    with pytest.raises(ValueError, match="not a table name"):
        write_tables({"customers": tables["customers"], "bad name": tables["invoices"]}, tmp_path / "again", "csv")
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(f"{name}.csv" for name in tables)


def test_clean_country():
    values, blank, invalid = common.clean_country(pd.Series(["se", " NL", "", "UK", "XX", "GB"]))
    assert values.tolist()[:2] == ["SE", "NL"] and values.tolist()[-1] == "GB"
    assert values.isna().tolist() == [False, False, True, True, True, False]
    assert (blank, invalid) == (1, 2)
    assert len(common.ISO_COUNTRIES) == 249


# ---------------------------------------------------------------------------------------------- validation


def test_converted_ledgers_validate(sap, ibm, tmp_path):
    """Both ledgers pass the contract's checks; with its document dates bounded, no SAP row is quarantined."""
    from features.sources import read_raw_ledger
    from features.validate import validate_ledger

    write_tables(ibm[0], tmp_path / "ibm", "csv")
    result = validate_ledger(
        read_raw_ledger(tmp_path / "ibm"), source="ibm", reference_date=REFERENCE, allow_quarantine=False
    )
    assert result.report.rows_accepted == {"customers": 100, "invoices": 2_466, "payments": 2_466, "disputes": 561}

    write_tables(sap[0], tmp_path / "sap", "parquet")
    result = validate_ledger(
        read_raw_ledger(tmp_path / "sap"), source="sap", reference_date=REFERENCE, allow_quarantine=False
    )
    report = result.report
    assert report.rows_accepted == {"customers": 22_997, "invoices": 250_993, "payments": 250_993}
    assert report.rows_quarantined == {"customers": 0, "invoices": 0, "payments": 0}
    assert report.rule_counts == {}
