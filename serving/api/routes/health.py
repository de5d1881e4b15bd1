"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from serving.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process answers."""
    return Health(status="alive")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def ready(request: Request, response: Response) -> Readiness:
    """Models and explainers are loaded and a warm-up prediction passed; 503 until then."""
    state = request.app.state
    if state.service is None:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Readiness(status="failed" if state.load_error else "loading", detail=state.load_error)
    return Readiness(status="ready", model_version=state.model_version)
