"""The typed ledger every stage works on, once it has passed validation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from features.contract import TABLES


class _HashingWriter:
    """A write-only file that feeds what is written to a hash instead of keeping it."""

    def __init__(self, sha: hashlib._Hash):
        self.sha, self.position, self.closed = sha, 0, False

    def write(self, data) -> int:
        self.sha.update(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def hash_stream(sha: hashlib._Hash, table: pa.Table) -> None:
    """Feed `table`'s Arrow IPC stream to `sha` as it is written, never holding the stream whole."""
    sink = pa.PythonFile(_HashingWriter(sha), mode="w")
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


@dataclass(frozen=True)
class Ledger:
    """Contract tables as typed Arrow tables; optional tables absent from the source are empty.

    `keys` holds, per table and row for row, the integer keys validation gave its records
    (`features.contract.record_keys`): `invoice_row` stands for an invoice, `customer_row` for a
    customer, in the table itself and in the tables that refer to it. Joining and grouping on them
    is cheaper than on the text ids; they mean nothing outside this ledger.
    """

    tables: dict[str, pa.Table]
    source: str
    keys: dict[str, pa.Table]

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]

    def with_keys(self, name: str) -> pa.Table:
        """Return one table with its integer key columns after its own."""
        table = self.tables[name]
        for key in self.keys[name].column_names:
            table = table.append_column(key, self.keys[name].column(key))
        return table

    def frame(self, name: str) -> pd.DataFrame:
        """Return one table as a pandas DataFrame."""
        return self.tables[name].to_pandas()

    @property
    def row_counts(self) -> dict[str, int]:
        return {t.name: self.tables[t.name].num_rows for t in TABLES}

    @property
    def customer_extra_columns(self) -> list[str]:
        """Return the customer columns the contract does not name (ratings, ratios, insured limits ...)."""
        known = {c.name for c in TABLES[0].columns}
        return [c for c in self.tables["customers"].column_names if c not in known]

    def digest(self) -> str:
        """Return a short digest of the ledger's tables: the same source read again, the same digest.

        SHA-256 over each table's name and its Arrow IPC stream. The stream follows the tables' layout
        in memory as well as their values (a record batch per chunk, validity bitmaps where the reader
        made them), so the same rows read from another kind of source may give another digest. The
        stream is hashed as it is written, never held whole: a copy of a large ledger's stream is gigabytes.
        """
        sha = hashlib.sha256()
        for spec in TABLES:
            sha.update(spec.name.encode())
            hash_stream(sha, self.tables[spec.name])
        return sha.hexdigest()[:16]
