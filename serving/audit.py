"""Append-only audit log of every score served: one JSON line per customer score."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pandas as pd

from model.reasons import MAX_REASONS


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def record(self, request_id: str, scores: list[dict], at: str) -> None:
        """Append one line per score record: request, customer, as_of, model version, score, reasons, limit advice."""
        lines = []
        for row in scores:
            lines.append(
                json.dumps(
                    {
                        "request_id": request_id,
                        "logged_at": at,
                        "customer_id": row["customer_id"],
                        "as_of_date": str(row["as_of_date"]),
                        "model": f"{row['model_name']}/{row['model_version']}",
                        "late_payment_model": f"{row['late_payment_model_name']}/{row['late_payment_model_version']}"
                        if isinstance(row["late_payment_model_name"], str)
                        else None,
                        "pd_12m": row["pd_12m"],
                        "risk_grade": int(row["risk_grade"]),
                        "late_payment_prob_90d": None
                        if pd.isna(row["late_payment_prob_90d"])
                        else row["late_payment_prob_90d"],
                        "reasons": [
                            row[f"reason_{i}_feature"]
                            for i in range(1, MAX_REASONS + 1)
                            if isinstance(row[f"reason_{i}_feature"], str)
                        ],
                        "current_credit_limit": None
                        if pd.isna(row["current_credit_limit"])
                        else row["current_credit_limit"],
                        "recommended_credit_limit": row["recommended_credit_limit"],
                    },
                    sort_keys=True,
                )
            )
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
