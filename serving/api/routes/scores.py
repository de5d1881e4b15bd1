"""Scores: many customers at once, or one."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status

from features.as_of import AsOfOutOfRange
from serving.api.deps import get_service, get_settings, require_api_key
from serving.api.schemas import (
    CustomerScore,
    ErrorBody,
    LimitAdvice,
    Reason,
    ScoreRequest,
    ScoreResponse,
)
from serving.api.settings import ApiSettings
from serving.audit import AuditLogError
from serving.score_row import SCORE_ROW, api_value
from serving.service import ScoringService

router = APIRouter(
    prefix="/v1",
    tags=["scores"],
    dependencies=[Depends(require_api_key)],
    responses={401: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)


def to_customer_score(row: dict) -> CustomerScore:
    """Return the API's score of one score row (`SCORE_ROW`): reasons in filled slots, the limit advice apart."""
    top = {c.name: api_value(c, row[c.name]) for c in SCORE_ROW if c.group is None}
    limit = {c.api_name or c.name: api_value(c, row[c.name]) for c in SCORE_ROW if c.group == "credit_limit"}
    slots: dict[int, dict] = {}
    for c in SCORE_ROW:
        if c.group == "reasons":
            slots.setdefault(c.slot, {})[c.api_name or c.name] = api_value(c, row[c.name])
    reasons = [Reason(**slot) for slot in slots.values() if slot["feature"] is not None]  # filled slots only
    return CustomerScore(**top, reasons=reasons, credit_limit=LimitAdvice(**limit))


def _score(
    request: Request, service: ScoringService, customer_ids: list[str], as_of: dt.date, request_id: str
) -> ScoreResponse:
    try:
        scores, missing = service.score(customer_ids, as_of)
    except AsOfOutOfRange as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    if scores:
        try:
            request.app.state.audit.record(request_id, scores, request.app.state.clock().isoformat())
        except AuditLogError as exc:  # a score that is not audited is not served
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    return ScoreResponse(
        request_id=request_id,
        model_version=request.app.state.model_version,
        scores=[to_customer_score(r) for r in scores],
        not_found=missing,
    )


@router.post("/scores", response_model=ScoreResponse, responses={422: {"model": ErrorBody}})
def post_scores(
    body: ScoreRequest,
    request: Request,
    service: ScoringService = Depends(get_service),
    settings: ApiSettings = Depends(get_settings),
    x_request_id: str | None = Header(default=None),
) -> ScoreResponse:
    """Score customers as known on `as_of`, from the configured ledger."""
    if len(body.customer_ids) > settings.max_customers_per_request:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"at most {settings.max_customers_per_request} customers per request"
        )
    return _score(request, service, body.customer_ids, body.as_of, x_request_id or uuid.uuid4().hex)


@router.get("/customers/{customer_id}/score", response_model=ScoreResponse, responses={404: {"model": ErrorBody}})
def get_customer_score(
    customer_id: str,
    request: Request,
    as_of: dt.date | None = Query(
        default=None, description="default: the configured date, else the ledger's last date"
    ),
    service: ScoringService = Depends(get_service),
    settings: ApiSettings = Depends(get_settings),
    x_request_id: str | None = Header(default=None),
) -> ScoreResponse:
    """Score one customer."""
    when = as_of or settings.default_as_of or service.span.last_transaction
    if when is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the ledger has no dated rows: pass ?as_of=")
    response = _score(request, service, [customer_id], when, x_request_id or uuid.uuid4().hex)
    if not response.scores:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"customer {customer_id!r} has no invoice on or before {when}")
    return response
