"""The three kinds of ledger source give the same typed ledger; unreadable sources fail clearly."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import pytest
from helpers import REFERENCE, tiny_frames

from features.load import load_ledger
from features.sources import LedgerSourceError, describe_source

PG_TYPES = {"object": "text", "str": "text", "string": "text", "float64": "double precision", "int64": "integer"}


def write_folder(folder, fmt):
    folder.mkdir()
    for name, frame in tiny_frames().items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def write_duckdb(path):
    con = duckdb.connect(str(path))
    for name, frame in tiny_frames().items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    return path


def write_postgres(url):
    import psycopg

    with psycopg.connect(url) as conn:
        for name, frame in tiny_frames().items():
            columns = []
            for col, dtype in frame.dtypes.items():
                kind = "date" if col.endswith("_date") else PG_TYPES.get(str(dtype), "text")
                columns.append(f'"{col}" {kind}')
            conn.execute(f'CREATE TABLE "{name}" ({", ".join(columns)})')
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False)
            with conn.cursor().copy(f'COPY "{name}" FROM STDIN WITH (FORMAT csv)') as copy:
                copy.write(buffer.getvalue())


def canonical(ledger):
    out = {}
    for name, table in ledger.tables.items():
        frame = table.to_pandas()
        out[name] = frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)
    return out


def assert_same_ledger(left, right):
    a, b = canonical(left), canonical(right)
    assert a.keys() == b.keys()
    for name in a:
        assert [str(t) for t in left[name].schema.types] == [str(t) for t in right[name].schema.types], name
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=True, obj=name)


@pytest.fixture
def csv_ledger(tmp_path):
    ledger, report = load_ledger(write_folder(tmp_path / "csv", "csv"), reference_date=REFERENCE)
    assert not report.has_row_problems
    return ledger


def test_csv_and_parquet_folders_give_the_same_ledger(tmp_path, csv_ledger):
    parquet, _ = load_ledger(write_folder(tmp_path / "pq", "parquet"), reference_date=REFERENCE)
    assert_same_ledger(csv_ledger, parquet)
    assert csv_ledger.frame("customers")["insured_limit"].tolist()[0] == 8000.0


def test_duckdb_file_gives_the_same_ledger(tmp_path, csv_ledger):
    ledger, _ = load_ledger(write_duckdb(tmp_path / "ledger.duckdb"), reference_date=REFERENCE)
    assert_same_ledger(csv_ledger, ledger)


@pytest.mark.postgres
def test_postgres_gives_the_same_ledger(pg_url, csv_ledger):
    write_postgres(pg_url)
    ledger, _ = load_ledger(pg_url, reference_date=REFERENCE)
    assert_same_ledger(csv_ledger, ledger)


def test_postgres_unreachable_is_one_clear_error():
    with pytest.raises(LedgerSourceError, match=r"postgresql://nobody@127.0.0.1:1/x: cannot connect"):
        load_ledger("postgresql://nobody:secret@127.0.0.1:1/x", reference_date=REFERENCE)


def test_missing_path_and_ambiguous_tables(tmp_path):
    with pytest.raises(LedgerSourceError, match="no such folder or file"):
        load_ledger(tmp_path / "nope", reference_date=REFERENCE)
    folder = write_folder(tmp_path / "both", "csv")
    tiny_frames()["invoices"].to_parquet(folder / "invoices.parquet")
    with pytest.raises(LedgerSourceError, match="table invoices is given twice"):
        load_ledger(folder, reference_date=REFERENCE)


def test_password_never_printed():
    assert describe_source("postgresql://alice:s3cret@db:5432/ar") == "postgresql://alice@db:5432/ar"


def test_quarantine_files_account_for_every_row(tmp_path):
    folder = write_folder(tmp_path / "csv", "csv")
    invoices = pd.read_csv(folder / "invoices.csv", dtype=str)
    invoices.loc[1, "amount"] = "-10"
    invoices.to_csv(folder / "invoices.csv", index=False)
    ledger, report = load_ledger(folder, reference_date=REFERENCE, quarantine_dir=tmp_path / "q")
    quarantined = pd.read_csv(tmp_path / "q" / "invoices.csv", dtype=str)
    assert quarantined["source_row"].tolist() == ["2"]
    assert quarantined["reason"].tolist() == ["amount: must be greater than 0"]
    assert quarantined["amount"].tolist() == ["-10"]
    assert report.rows_in["invoices"] == 4 == ledger["invoices"].num_rows + len(quarantined)
    # the dispute on the refused invoice follows it, and nothing else is written
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == ["disputes.csv", "invoices.csv"]
    disputes = pd.read_csv(tmp_path / "q" / "disputes.csv", dtype=str)
    assert disputes["reason"].tolist() == ["invoice_id: unknown invoice_id: not among the accepted invoices"]
