"""Request and response bodies of the REST API: explicit models, never raw dicts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, create_model

from serving.score_row import api_fields


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[str] = Field(min_length=1, description="customers to score")
    as_of: dt.date = Field(description="score as known on this date (YYYY-MM-DD)")


# The score's parts, derived from the score row (`serving.score_row.SCORE_ROW`).
Reason = create_model("Reason", **api_fields("reasons"))
LimitAdvice = create_model("LimitAdvice", **api_fields("credit_limit"))


class CustomerScore(create_model("ScoreFields", **api_fields(None))):  # type: ignore[misc]
    reasons: list[Reason]
    credit_limit: LimitAdvice


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
