"""Request and response bodies of the REST API: explicit models, never raw dicts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[str] = Field(min_length=1, description="customers to score")
    as_of: dt.date = Field(description="score as known on this date (YYYY-MM-DD)")


class Reason(BaseModel):
    feature: str
    value: str | None
    contribution: float = Field(description="SHAP contribution to the raw (log-odds) score; positive raises risk")
    text_en: str
    text_zh: str


class LimitAdvice(BaseModel):
    current: float | None
    recommended: float
    change: float
    reasons: str


class CustomerScore(BaseModel):
    customer_id: str
    as_of_date: dt.date
    pd_12m: float = Field(description="calibrated probability of default within 12 months")
    risk_grade: int = Field(ge=1, le=10, description="master scale grade, 1 safest")
    late_payment_prob_90d: float | None
    in_default_at_as_of: bool
    reasons: list[Reason]
    credit_limit: LimitAdvice
    model_name: str
    model_version: str
    late_payment_model_name: str | None
    late_payment_model_version: str | None


class ScoreResponse(BaseModel):
    request_id: str
    model_version: str
    scores: list[CustomerScore]
    not_found: list[str] = Field(description="ids with no invoice on or before as_of (or unknown)")


class ModelDescription(BaseModel):
    name: str
    version: str
    run_id: str
    target: str
    features: list[str]


class ModelsResponse(BaseModel):
    model_version: str
    models: list[ModelDescription]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    model_version: str | None = None
    detail: str | None = None


class ErrorBody(BaseModel):
    detail: str
