"""One customer's ledger as a credit officer reads it: the invoices it paid and how late, and its disputes.

`customer_detail` reads them for every customer at once, from the settled documents the report's ledger
facts hold, and keeps them sorted by customer, so that one customer's rows are a slice. Point in time: an
invoice counts as paid only when its settlement date is on or before the as-of date, a dispute only when
it was opened by then (and it is open when not resolved by then).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.pipeline import LedgerFacts
from serving.portfolio.open_items import record_ids

PAID_COLUMNS = ["invoice_id", "invoice_date", "due_date", "settled_date", "days_late", "amount"]
DISPUTE_COLUMNS = ["invoice_id", "opened_date", "resolved_date", "outcome", "amount", "is_open"]


@dataclass(frozen=True)
class CustomerDetail:
    as_of: dt.date
    paid: pd.DataFrame  # PAID_COLUMNS and customer_id, by customer then settlement date
    disputes: pd.DataFrame  # DISPUTE_COLUMNS and customer_id, by customer then opened date
    _paid_rows: dict[str, tuple[int, int]]
    _dispute_rows: dict[str, tuple[int, int]]

    def paid_of(self, customer_id: str) -> pd.DataFrame:
        """Return the invoices `customer_id` paid within the window, oldest settlement first."""
        start, stop = self._paid_rows.get(customer_id, (0, 0))
        return self.paid.iloc[start:stop][PAID_COLUMNS]

    def disputes_of(self, customer_id: str) -> pd.DataFrame:
        """Return the disputes `customer_id` raised by the as-of date, oldest first."""
        start, stop = self._dispute_rows.get(customer_id, (0, 0))
        return self.disputes.iloc[start:stop][DISPUTE_COLUMNS]


def customer_detail(facts: LedgerFacts, as_of: dt.date, months: int = 24) -> CustomerDetail:
    """Return every customer's paid invoices (settled in the `months` up to `as_of`) and disputes at `as_of`."""
    since = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
    paid = facts.con.execute(
        """SELECT c.customer_id, d.invoice_row, d.invoice_date, d.due_date, d.settled_date,
                  CAST(date_diff('day', d.due_date, d.settled_date) AS INTEGER) AS days_late,
                  CAST(d.amount AS DOUBLE) AS amount
           FROM documents d JOIN customer_keys c ON c.customer_key = d.customer_key
           WHERE NOT d.is_credit_note AND d.settled_date <= ? AND d.settled_date > ?
           ORDER BY c.customer_id, d.settled_date, d.invoice_row""",
        [as_of, since],
    ).df()
    for column in ("invoice_date", "due_date", "settled_date"):
        paid[column] = pd.to_datetime(paid[column]).dt.date
    paid.insert(1, "invoice_id", record_ids(facts.ledger, "invoices", paid.pop("invoice_row").to_numpy()))
    disputes = _disputes(facts, as_of)
    return CustomerDetail(as_of, paid, disputes, _runs(paid["customer_id"]), _runs(disputes["customer_id"]))


def _disputes(facts: LedgerFacts, as_of: dt.date) -> pd.DataFrame:
    ledger = facts.ledger
    disputes = ledger.frame("disputes")
    invoices = ledger["invoices"].select(["invoice_id", "customer_id", "amount"]).to_pandas()
    frame = disputes.merge(invoices, on="invoice_id", how="inner")
    opened = pd.to_datetime(frame["opened_date"]).dt.date
    frame = frame[opened <= as_of].copy()
    resolved = pd.to_datetime(frame["resolved_date"]).dt.date
    known = resolved.notna() & (resolved <= as_of)
    # A resolution dated after the as-of date was not known then: the dispute was open.
    frame["resolved_date"] = resolved.where(known, None)
    frame["outcome"] = frame["outcome"].where(known, None)
    frame["opened_date"] = pd.to_datetime(frame["opened_date"]).dt.date
    frame["is_open"] = ~known
    frame = frame.sort_values(["customer_id", "opened_date", "invoice_id"], kind="stable").reset_index(drop=True)
    return frame[["customer_id", *DISPUTE_COLUMNS]]


def _runs(sorted_ids: pd.Series) -> dict[str, tuple[int, int]]:
    """Return, for ids sorted into runs, each id's (first row, row after its last)."""
    values = sorted_ids.to_numpy()
    if not len(values):
        return {}
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    stops = np.r_[starts[1:], len(values)]
    return {str(values[s]): (int(s), int(e)) for s, e in zip(starts, stops)}
