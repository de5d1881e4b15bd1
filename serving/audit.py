"""Append-only audit log of every score served: one JSON line per customer score.

`JsonLines` is the append-only file underneath, which the pages' sign-in audit and decisions log share.

The path is resolved once, when the log is opened at start-up, to an absolute path: every message
(the start-up line, a write that fails) names that path, whatever directory the process runs in.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pandas as pd

from model.reasons import MAX_REASONS


class AuditLogError(Exception):
    """The audit log cannot be written; the message names its absolute path and why, in one line."""


def _optional(value):
    return None if value is None or pd.isna(value) else value


class JsonLines:
    """An append-only file of JSON lines, opened (made absolute, its folder made, touched) once, at start-up."""

    def __init__(self, path: Path, what: str):
        """Open `path` for appending; raise AuditLogError naming `what` and the path if it cannot be written."""
        self.path, self.what = Path(path).expanduser().resolve(), what
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise AuditLogError(f"{what} {self.path}: cannot be written ({exc.strerror or exc})") from None

    def append(self, records: list[dict]) -> None:
        """Append one line per record, on disk before it returns; raise AuditLogError when that fails."""
        lines = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)
        try:
            with self._lock, self.path.open("a", encoding="utf-8") as out:
                out.write(lines)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise AuditLogError(f"{self.what} {self.path}: write failed ({exc.strerror or exc})") from None

    def read(self) -> list[dict]:
        """Return every record, oldest first."""
        with self._lock, self.path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines]


class AuditLog:
    def __init__(self, path: Path):
        """Open the log at `path` (made absolute once, here) for appending; raise AuditLogError if it cannot be."""
        self._file = JsonLines(path, "audit log")
        self.path = self._file.path

    def record(self, request_id: str, scores: list[dict], at: str) -> None:
        """Append one line per score record: request, customer, as_of, model versions, score, reasons, limit advice.

        Raises AuditLogError when the line cannot be written: a score that is not audited is not served.
        """
        self._file.append([self._entry(request_id, row, at) for row in scores])

    @staticmethod
    def _entry(request_id: str, row: dict, at: str) -> dict:
        """Return the audit record of one score row."""

        def model(name: str, version: str):
            return f"{row[name]}/{row[version]}" if isinstance(row[name], str) else None

        return {
            "request_id": request_id,
            "logged_at": at,
            "customer_id": row["customer_id"],
            "as_of_date": str(row["as_of_date"]),
            "model": model("model_name", "model_version"),
            "late_payment_model": model("late_payment_model_name", "late_payment_model_version"),
            "pd_12m": _optional(row["pd_12m"]),
            "risk_grade": row["risk_grade"],
            "late_payment_prob_90d": _optional(row["late_payment_prob_90d"]),
            "late_payment_grade": row["late_payment_grade"],
            "reasons": [
                row[f"reason_{i}_feature"]
                for i in range(1, MAX_REASONS + 1)
                if isinstance(row[f"reason_{i}_feature"], str)
            ],
            "current_credit_limit": _optional(row["current_credit_limit"]),
            "recommended_credit_limit": row["recommended_credit_limit"],
        }
