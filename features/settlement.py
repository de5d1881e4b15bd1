"""Each document's settlement from the payments applied to it, computed over dense integer keys.

`features.facts.documents` defines the two tables (`DOCUMENTS`, `MULTI_DAY_PAYMENTS`) in SQL, and that
definition is what another engine (Spark) runs. The embedded build makes the same tables here instead:
a document's `invoice_row` is a small integer (its source row), so what was paid on it, how often and
from when to when can be added up by indexing arrays with it, where SQL needs a hash aggregate over
every payment and a hash join back to the documents (docs/features.md has the figures).
`tests/code/test_settlement.py` holds the two to the same rows and types.

Amounts are handled as integer cents: DuckDB turns them into DECIMAL(18, 2) as the SQL does, and the
sums and comparisons here are on the unscaled integers, exact as the DECIMAL arithmetic is. They go
back to DuckDB as Arrow's 8-byte decimal, whose values are those very integers: nothing is rounded twice
and nothing is widened to 16 bytes on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import SETTLEMENT_TOLERANCE
from features.facts.documents import AMOUNT

_ARROW_AMOUNT = pa.decimal64(18, 2)  # `AMOUNT` in Arrow
_TOLERANCE_CENTS = round(SETTLEMENT_TOLERANCE * 100)


def settle_documents(con: duckdb.DuckDBPyConnection, invoices: pa.Table, payments: pa.Table) -> None:
    """Create the tables `documents` and `multi_day_payments` in `con` from the ledger's `invoices` and
    `payments` (`Ledger.with_keys`).

    The same tables, column for column and type for type, as `facts.DOCUMENTS` and
    `facts.MULTI_DAY_PAYMENTS`: per document its settlement date (the first payment day on which the
    payments cover its amount, within the tolerance), the number of payment days that took, what
    was paid in all, how many payments and the first and last payment day; and for documents paid
    on several days, one row per payment day. The documents are stored in customer order.
    """
    keys = _numbers(invoices.column("invoice_row"))
    customers = _numbers(invoices.column("customer_row"))
    is_credit_note = _numbers(pc.equal(invoices.column("document_type"), "credit_note"))
    document_cents = _cents(con, invoices)
    payment_keys, payment_days = _numbers(payments.column("invoice_row")), _numbers(payments.column("payment_date"))
    payment_cents = _cents(con, payments)
    # NumPy lets go of the GIL while it sorts, adds up and gathers: the customer order is sorted
    # beside the settlement, and the columns are put in that order two at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Stored in customer order: the features add documents up per customer, and DuckDB's hash
        # aggregates run about twice as fast when a customer's rows come together (docs/features.md
        # has the figures). Settled in ledger
        # order all the same: payments come in about the invoices' order, and adding them up in it
        # is faster.
        sorting = pool.submit(np.argsort, customers, kind="stable")
        settled, daily = _settlement(keys, document_cents, payment_keys, payment_days, payment_cents)
        del payment_keys, payment_days, payment_cents  # the payments' own arrays, not needed any more
        order = sorting.result()
        ledger_order = {
            "invoice_row": keys,
            "customer_key": customers,
            "invoice_date": _numbers(invoices.column("invoice_date")),
            "due_date": _numbers(invoices.column("due_date")),
            "amount": document_cents,
            "is_credit_note": is_credit_note,
            **settled,
        }
        del settled, document_cents
        # A column in ledger order is let go of once it is in customer order (but for the keys and
        # the credit-note flag, which the payment days read next): both copies of every column at
        # once would add half a gigabyte to the peak for 10M documents.
        names = list(ledger_order)
        in_order = dict(zip(names, pool.map(lambda name: ledger_order.pop(name)[order], names)))
    staged = pa.table({name: _column(name, in_order) for name in _COLUMNS})
    _store(con, "documents", staged)
    rows = daily["document"]
    staged = pa.table(
        {
            "invoice_row": keys[rows],
            "customer_key": customers[rows],
            "is_credit_note": is_credit_note[rows],
            "payment_date": _array(pa.date32(), daily["payment_date"]),
            "amount": _amounts(daily["amount"]),
            "payment_count": daily["payment_count"],
        }
    )
    _store(con, "multi_day_payments", staged)
    # Arrow's allocator keeps what the conversions above freed (a third of a gigabyte for 10M
    # invoices) for reuse that will not come: the rest of the build allocates in DuckDB.
    pa.default_memory_pool().release_unused()


_STAGED = "settlement_staged"


@contextmanager
def _staged(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    """Register `table` in `con` for the block and yield the name it goes by there."""
    con.register(_STAGED, table)
    try:
        yield _STAGED
    finally:
        con.unregister(_STAGED)


def _store(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Create the table `name` in `con` from the Arrow table `table`."""
    with _staged(con, table) as staged:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM {staged}")


def _cents(con: duckdb.DuckDBPyConnection, table: pa.Table) -> np.ndarray:
    """Return the `amount` column of `table` in int64 cents, rounded as SQL's cast to DECIMAL(18, 2) rounds it."""
    with _staged(con, table.select(["amount"])) as staged:
        query = f"SELECT CAST(CAST(amount AS {AMOUNT}) * 100 AS BIGINT) FROM {staged}"
        return con.sql(query).to_arrow_table().column(0).to_numpy()


def _settlement(
    keys: np.ndarray,
    document_cents: np.ndarray,
    payment_keys: np.ndarray,
    day: np.ndarray,
    cents: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Return (the settlement columns of the documents, row for row with `keys`, and the masks of where
    they are known, `is_settled` and `has_payments`; the payment days of documents paid on several
    days: `document`, the position of each day's document in `keys`, `payment_date`, `amount` (cents)
    and `payment_count`).

    `keys` are the documents' `invoice_row`, `payment_keys` those of the documents the payments are
    applied to; payment days are days since 1970, amounts int64 cents.
    """
    n = len(keys)
    position = np.full(int(keys.max()) + 1 if n else 0, -1, dtype=np.int32)
    position[keys] = np.arange(n, dtype=np.int32)
    if len(payment_keys) and payment_keys.max() >= len(position):
        raise ValueError("a payment refers to a document the ledger does not hold")
    on = position[payment_keys]
    if len(on) and on.min() < 0:
        raise ValueError("a payment refers to a document the ledger does not hold")

    paid = np.zeros(n, dtype=np.int64)
    np.add.at(paid, on, cents)
    count = np.bincount(on, minlength=n).astype(np.int32)
    first = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(first, on, day)
    last = np.full(n, np.iinfo(np.int32).min, dtype=np.int32)
    np.maximum.at(last, on, day)
    has_payments = count > 0
    several_days = has_payments & (first < last)

    # Paid on one day: settled that day if what was paid covers the amount.
    is_settled = has_payments & ~several_days & (paid >= document_cents - _TOLERANCE_CENTS)
    settled_day = np.where(is_settled, first, 0).astype(np.int32)
    days_to_settle = is_settled.astype(np.int32)

    # Paid on several days: settled on the first day whose running total covers the amount.
    chosen = np.flatnonzero(several_days[on])
    daily = _payment_days(on[chosen], day[chosen], cents[chosen])
    document, running, rank = daily["document"], daily.pop("running"), daily.pop("rank")
    covered = np.flatnonzero(running >= document_cents[document] - _TOLERANCE_CENTS)
    if len(covered):
        first_cover = covered[np.r_[True, document[covered[1:]] != document[covered[:-1]]]]
        settled_on = document[first_cover]
        settled_day[settled_on] = daily["payment_date"][first_cover]
        days_to_settle[settled_on] = rank[first_cover]
        is_settled[settled_on] = True

    settled: dict[str, np.ndarray] = {
        "settled_date": settled_day,
        "payment_days_to_settle": days_to_settle,
        "paid": paid,
        "payment_count": count,
        "first_payment_date": first,
        "last_payment_date": last,
        "is_settled": is_settled,
        "has_payments": has_payments,
    }
    return settled, daily


def _payment_days(document: np.ndarray, day: np.ndarray, cents: np.ndarray) -> dict[str, np.ndarray]:
    """Return payments summed per document and day, in document then date order: `document`,
    `payment_date`, `amount` (cents), `payment_count`, the running total over the document's days
    (`running`) and the day's number among them (`rank`, from 1)."""
    order = np.argsort(
        (document.astype(np.int64) << 32) | (day.astype(np.int64) - np.iinfo(np.int32).min), kind="stable"
    )
    document, day, cents = document[order], day[order], cents[order]
    new_day = np.ones(len(document), dtype=bool)
    new_day[1:] = (document[1:] != document[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new_day)
    document, day = document[starts], day[starts]
    cents = np.add.reduceat(cents, starts) if len(starts) else cents[:0]
    count = np.diff(np.append(starts, len(new_day)))
    new_document = np.ones(len(document), dtype=bool)
    new_document[1:] = document[1:] != document[:-1]
    document_start = np.flatnonzero(new_document)
    days = np.diff(np.append(document_start, len(document)))
    total = np.cumsum(cents)
    running = total - np.repeat(total[document_start] - cents[document_start], days)
    rank = np.arange(1, len(document) + 1) - np.repeat(document_start, days)
    return {
        "document": document,
        "payment_date": day,
        "amount": cents,
        "payment_count": count.astype(np.int64),
        "running": running,
        "rank": rank.astype(np.int32),
    }


# The columns of `documents`, in order, with their Arrow types (None: as NumPy gives them) and the mask
# of where each is known (None: everywhere).
_COLUMNS: dict[str, tuple[pa.DataType | None, str | None]] = {
    "invoice_row": (None, None),
    "customer_key": (None, None),
    "invoice_date": (pa.date32(), None),
    "due_date": (pa.date32(), None),
    "amount": (_ARROW_AMOUNT, None),
    "is_credit_note": (None, None),
    "settled_date": (pa.date32(), "is_settled"),
    "payment_days_to_settle": (pa.int32(), "is_settled"),
    "paid": (_ARROW_AMOUNT, "has_payments"),
    "payment_count": (pa.int32(), "has_payments"),
    "first_payment_date": (pa.date32(), "has_payments"),
    "last_payment_date": (pa.date32(), "has_payments"),
}


def _column(name: str, columns: dict[str, np.ndarray]) -> pa.Array | np.ndarray:
    """Return the `documents` column `name` from its values in `columns`, missing where its mask there is False."""
    type, mask = _COLUMNS[name]
    values, valid = columns[name], None if mask is None else columns[mask]
    if type is None:
        return values
    return _amounts(values, valid) if type == _ARROW_AMOUNT else _array(type, values, valid)


def _amounts(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Return int64 cents as DECIMAL(18, 2), missing where `valid` is False."""
    values = pa.py_buffer(np.ascontiguousarray(cents, dtype=np.int64))
    return pa.Array.from_buffers(_ARROW_AMOUNT, len(cents), [_validity(valid), values])


def _array(type: pa.DataType, values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Return 4-byte `values` (days since 1970 for a date32) as an Arrow array, missing where `valid` is False."""
    return pa.Array.from_buffers(type, len(values), [_validity(valid), pa.py_buffer(np.ascontiguousarray(values))])


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    return None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    """Return a column without missing values as a NumPy array; dates as int32 days since 1970."""
    if column.null_count:
        # Validation lets none through: a ledger built around it is not one the settlement can read.
        raise ValueError(
            f"{column.null_count:,} missing values in a column settlement reads: validate the ledger first"
        )
    if pa.types.is_date32(column.type):
        column = column.cast(pa.int32())
    return column.to_numpy()
