"""The score row, declared once: its columns, their Arrow types and meaning, and where the API puts them.

The batch's Parquet schema, the scoring core's column order, the API's response model and the
mapping from a row to a response are all derived from `SCORE_ROW`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from model.grades import DEFAULT_GRADE  # the grade of a customer in default: "D"
from model.reasons import MAX_REASONS, REASON_PARTS


@dataclass(frozen=True)
class ScoreColumn:
    name: str
    arrow_type: pa.DataType
    nullable: bool
    description: str
    # Where the API response holds it: top level (None), one of `reasons`, or `credit_limit`, under `api_name`.
    group: str | None = None
    api_name: str | None = None
    slot: int = 0  # of a reason: its rank, 1 the largest

    @property
    def python_type(self) -> type:
        return _PYTHON_TYPES[str(self.arrow_type)]


_PYTHON_TYPES = {"string": str, "date32[day]": dt.date, "double": float, "int64": int, "bool": bool}

_REASON_PARTS = {
    "feature": (pa.string(), False, "the feature behind the reason"),
    "value": (pa.string(), True, "its value at as_of, formatted by unit; empty when missing"),
    "contribution": (pa.float64(), False, "SHAP contribution to the raw (log-odds) score; positive raises risk"),
    "text_en": (pa.string(), False, "the reason in English"),
    "text_zh": (pa.string(), False, "the reason in Chinese (Simplified)"),
}
if tuple(_REASON_PARTS) != REASON_PARTS:
    raise ImportError("the score row's reason parts are not the model's")

SCORE_ROW: tuple[ScoreColumn, ...] = (
    ScoreColumn("customer_id", pa.string(), False, "the customer scored"),
    ScoreColumn("as_of_date", pa.date32(), False, "scored as known on this date"),
    ScoreColumn(
        "pd_12m",
        pa.float64(),
        True,
        "calibrated probability of default within 12 months; 1 in default; empty without a default model",
    ),
    ScoreColumn(
        "risk_grade",
        pa.string(),
        True,
        'PD master scale grade "1" (safest) to "10", "D" in default; empty without a default model',
    ),
    ScoreColumn("late_payment_prob_90d", pa.float64(), True, "probability of paying an invoice due in 90 days late"),
    ScoreColumn(
        "late_payment_grade",
        pa.string(),
        True,
        'late-payment scale grade "1" to "10", "D" in default; empty without that model',
    ),
    ScoreColumn("in_default_at_as_of", pa.bool_(), False, "in default by as_of, under the model's label definition"),
    *(
        ScoreColumn(f"reason_{i}_{part}", kind, True, words, "reasons", part, i)
        for i in range(1, MAX_REASONS + 1)
        for part, (kind, _, words) in _REASON_PARTS.items()
    ),
    ScoreColumn("current_credit_limit", pa.float64(), True, "credit limit on record", "credit_limit", "current"),
    ScoreColumn("recommended_credit_limit", pa.float64(), False, "advised limit", "credit_limit", "recommended"),
    ScoreColumn("limit_change", pa.float64(), False, "advised minus current", "credit_limit", "change"),
    ScoreColumn("limit_reasons", pa.string(), False, "why the advice differs", "credit_limit", "reasons"),
    ScoreColumn(
        "terms_advice", pa.string(), True, "cash in advance, shorten terms, or empty", "credit_limit", "terms_advice"
    ),
    ScoreColumn("model_name", pa.string(), True, "registered default model; empty when scored without one"),
    ScoreColumn("model_version", pa.string(), True, "its version"),
    ScoreColumn("late_payment_model_name", pa.string(), True, "registered late-payment model"),
    ScoreColumn("late_payment_model_version", pa.string(), True, "its version"),
)

SCORE_COLUMNS = [c.name for c in SCORE_ROW]
SCORE_SCHEMA = pa.schema([pa.field(c.name, c.arrow_type) for c in SCORE_ROW])


def api_fields(group: str | None) -> dict[str, Any]:
    """Return {API name: (type, pydantic Field)} of the columns in `group` (top level: None), for `create_model`.

    A reason's parts are declared once for all slots: only a filled slot becomes a reason, and in it
    only the value may be empty.
    """
    from pydantic import Field

    columns = [c for c in SCORE_ROW if c.group == group]
    if group == "reasons":
        columns = [c for c in columns if c.slot == 1]
    fields: dict[str, Any] = {}
    for c in columns:
        optional = c.nullable and not (group == "reasons" and c.api_name != "value")
        kind = c.python_type | None if optional else c.python_type
        fields[c.api_name or c.name] = (kind, Field(description=c.description))
    return fields


def grade_labels(grades: np.ndarray | None, in_default: np.ndarray) -> np.ndarray:
    """Return each row's grade as shown: "1".."10", DEFAULT_GRADE in default, None without grades (no such model)."""
    shown = (
        np.full(len(in_default), None, dtype=object)
        if grades is None
        else np.asarray(grades).astype(str).astype(object)
    )
    shown[np.asarray(in_default, dtype=bool)] = DEFAULT_GRADE
    return shown


def api_value(column: ScoreColumn, value):
    """Return a stored score value as the API gives it: missing (None or NaN) as None, flags as bool."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return column.python_type(value) if column.python_type in (int, bool) else value
