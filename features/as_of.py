"""The one date rule: which as-of dates a ledger can answer for.

A ledger has observed up to its last transaction (an invoice, a payment, a dispute opened or
resolved, a credit event); due dates are promises, not observations, and do not count. An as-of
date before the first invoice has nobody with a history, and one far beyond the last transaction
scores a portfolio nobody has seen for a long time. Features, the batch, training and the API all
refuse the same dates with the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow.compute as pc

from features.ledger import Ledger

# How far beyond its last transaction a ledger may be scored: a year and a day.
MAX_DAYS_AFTER_LEDGER = 366

TRANSACTION_DATES = {
    "invoices": ("invoice_date",),
    "payments": ("payment_date",),
    "disputes": ("opened_date", "resolved_date"),
    "credit_events": ("event_date",),
}


class AsOfOutOfRange(ValueError):
    """The as-of date lies outside what the ledger has observed; the message says which bound and why."""


def _last_transaction_date(ledger: Ledger) -> dt.date | None:
    """Return the ledger's last transaction date: the end of what it has observed (None when empty)."""
    latest = [
        pc.max(ledger[table].column(column)).as_py()
        for table, columns in TRANSACTION_DATES.items()
        for column in columns
        if ledger[table].num_rows
    ]
    latest = [d for d in latest if d is not None]
    return max(latest) if latest else None


@dataclass(frozen=True)
class LedgerSpan:
    """The dates a ledger has observed: from its first invoice to its last transaction."""

    first_invoice: dt.date | None
    last_transaction: dt.date | None

    def check(self, dates: Sequence[dt.date], max_days_after: int = MAX_DAYS_AFTER_LEDGER) -> None:
        """Raise AsOfOutOfRange when a date is before the first invoice or more than `max_days_after` days
        after the last transaction."""
        last, first = self.last_transaction, self.first_invoice
        late = sorted(d for d in dates if last is not None and d > last + dt.timedelta(days=max_days_after))
        early = sorted(d for d in dates if first is not None and d < first)
        if late:
            raise AsOfOutOfRange(
                f"as_of {late[0]}{_more(late)} is more than {max_days_after} days after "
                f"the ledger's last transaction {last}"
            )
        if early:
            raise AsOfOutOfRange(
                f"as_of {early[-1]}{_more(early)} is before the ledger's first invoice {first}: "
                "no customer has a history then"
            )


def ledger_span(ledger: Ledger) -> LedgerSpan:
    """Return the span of dates `ledger` has observed (computed once: it reads every date column)."""
    invoices = ledger["invoices"].column("invoice_date")
    return LedgerSpan(pc.min(invoices).as_py() if len(invoices) else None, _last_transaction_date(ledger))


def _more(dates: Sequence[dt.date]) -> str:
    return f" (and {len(dates) - 1} more)" if len(dates) > 1 else ""
