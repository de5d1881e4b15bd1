"""Check raw ledger tables against the contract; return a typed ledger and quarantine what is bad.

Two kinds of problem:
- table problems (a missing table or required column, several currencies): nothing can be trusted,
  `LedgerError` lists them all, one line each;
- row problems (a bad value, a duplicate id, an unknown parent, dates out of order): the row is either
  reported (`LedgerRowsError`, with the first offending rows and the count per rule) or, when the
  caller accepts quarantine, set aside with its reason. Always rows in = accepted + quarantined.

The rules run as one set-based DuckDB query per table, never a loop over rows.
Parents are checked before children: a payment for an invoice that was quarantined is itself
quarantined, because its invoice is not in the accepted ledger.

The package: `report` (problems, report, errors, result), `rules` (the checks), `sql` (quoting and
typing casts the rules share with the runner) and `runner` (`validate_ledger`).
"""

from features.contract import TABLES_BY_NAME
from features.validate.report import (
    LedgerError,
    LedgerRowsError,
    RowProblem,
    TableProblem,
    ValidationReport,
    ValidationResult,
)
from features.validate.runner import frames_to_raw, validate_ledger

__all__ = [
    "TABLES_BY_NAME",
    "LedgerError",
    "LedgerRowsError",
    "RowProblem",
    "TableProblem",
    "ValidationReport",
    "ValidationResult",
    "frames_to_raw",
    "validate_ledger",
]
