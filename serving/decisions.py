"""The decisions log: what a credit officer decided on a customer's advice, append-only, one JSON line each.

A decision accepts the advised limit and terms or overrides them with a reason. Each line carries who
decided, when (the clock the caller is given), the as-of date and the model versions of the advice, and
the advice itself, so an auditor can replay why a limit is what it is. Lines are only ever appended.
"""

from __future__ import annotations

import math
from pathlib import Path

from serving.audit import JsonLines

DECISIONS = ("accept", "override")
MAX_REASON_LENGTH = 500


class DecisionError(ValueError):
    """A decision is refused; the message names the field and the rule."""


class DecisionsLog:
    def __init__(self, path: Path):
        """Open the log at `path` for appending; raise AuditLogError if it cannot be written."""
        self._file = JsonLines(path, "decisions log")
        self.path = self._file.path

    def record(
        self, *, score: dict, decision: str, user: str, at: str, reason: str = "", limit: float | None = None
    ) -> dict:
        """Append the decision on `score` (a score row); return the line written.

        An override needs a reason and may set its own limit (0 or more); an acceptance takes the advised limit.
        """
        reason = " ".join(reason.split())
        if decision not in DECISIONS:
            raise DecisionError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
        if decision == "override" and not reason:
            raise DecisionError("an override needs a reason")
        if len(reason) > MAX_REASON_LENGTH:
            raise DecisionError(f"the reason has {len(reason)} characters: at most {MAX_REASON_LENGTH}")
        if limit is not None and (not math.isfinite(limit) or limit < 0):
            raise DecisionError(f"limit {limit}: must be a finite amount of 0 or more")
        advised = float(score["recommended_credit_limit"])
        entry = {
            "decided_at": at,
            "user": user,
            "customer_id": score["customer_id"],
            "as_of_date": str(score["as_of_date"]),
            "decision": decision,
            "reason": reason,
            "advised_limit": advised,
            "decided_limit": advised if decision == "accept" or limit is None else float(limit),
            "current_limit": _number(score["current_credit_limit"]),
            "terms_advice": score["terms_advice"] or "",
            "risk_grade": score["risk_grade"],
            "model": _model(score, "model_name", "model_version"),
            "late_payment_model": _model(score, "late_payment_model_name", "late_payment_model_version"),
        }
        self._file.append([entry])
        return entry

    def of_customer(self, customer_id: str) -> list[dict]:
        """Return the customer's decisions, newest first."""
        return [entry for entry in self._file.read() if entry["customer_id"] == customer_id][::-1]


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _model(score: dict, name: str, version: str) -> str | None:
    return f"{score[name]}/{score[version]}" if isinstance(score.get(name), str) else None
