"""What validation found: the table and row problems, the report per table and rule, and the errors raised.

`ValidationReport` is what every command prints after reading a ledger; `LedgerError` and
`LedgerRowsError` carry the problems that stop it, already worded for the person who fixes the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from features.ledger import Ledger


@dataclass(frozen=True)
class TableProblem:
    origin: str
    table: str
    column: str | None
    rule: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{self.origin}: {where}: {self.rule}"


@dataclass(frozen=True)
class RowProblem:
    origin: str
    table: str
    row: int
    column: str
    value: str | None
    rule: str

    def __str__(self) -> str:
        return f"{self.origin}, row {self.row}, column {self.column}, value {self.value!r}: {self.rule}"


@dataclass
class ValidationReport:
    source: str
    rows_in: dict[str, int] = field(default_factory=dict)
    rows_accepted: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    # (table, column, rule) -> number of rows breaking it (a row can break several rules)
    rule_counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    examples: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def forget(self, table: str) -> None:
        """Drop what is recorded about `table`, before it is checked again."""
        for counts in (self.rows_in, self.rows_accepted, self.rows_quarantined):
            counts.pop(table, None)
        self.rule_counts = {k: v for k, v in self.rule_counts.items() if k[0] != table}
        self.examples = [e for e in self.examples if e.table != table]

    @property
    def has_row_problems(self) -> bool:
        return any(self.rows_quarantined.values())

    def summary_lines(self) -> list[str]:
        """Return one line per table (rows in, accepted, quarantined) and one per broken rule."""
        lines = [
            f"{name}: {self.rows_in[name]:,} rows in, {self.rows_accepted[name]:,} accepted, "
            f"{self.rows_quarantined[name]:,} quarantined"
            for name in self.rows_in
        ]
        lines += [
            f"  {table}.{column}: {rule}: {count:,} rows" for (table, column, rule), count in self.rule_counts.items()
        ]
        return lines + self.notes


class LedgerError(Exception):
    """The ledger has table-level problems; nothing was accepted."""

    def __init__(self, problems: list[TableProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LedgerRowsError(Exception):
    """Some rows break the contract and quarantine was not allowed."""

    def __init__(self, report: ValidationReport):
        self.report = report
        total = sum(report.rows_quarantined.values())
        lines = [f"{total:,} rows break the ledger contract (use --quarantine DIR to set them aside):"]
        lines += [str(p) for p in report.examples]
        lines += [
            f"{table}.{column}: {rule}: {count:,} rows" for (table, column, rule), count in report.rule_counts.items()
        ]
        super().__init__("\n".join(lines))


@dataclass
class ValidationResult:
    ledger: Ledger
    report: ValidationReport
    quarantine: dict[str, pa.Table]  # per table: the raw row as text, its row number and its reason
