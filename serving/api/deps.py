"""Dependencies injected into routes: settings, the scoring service, API-key auth."""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from serving.api.settings import ApiSettings
from serving.service import ScoringService

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="one of TRADECREDIT_API_KEYS")


# Async because they only read state: FastAPI would run a plain `def` dependency in a worker thread.
async def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


async def require_api_key(
    key: str | None = Depends(api_key_header), settings: ApiSettings = Depends(get_settings)
) -> None:
    """Refuse the request (401) unless it carries a configured key; keys are compared in constant time."""
    if key is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in settings.api_keys):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or unknown API key (header X-API-Key)")


async def get_service(request: Request) -> ScoringService:
    """Return the loaded scoring service, or 503 while models are still loading."""
    state = request.app.state
    if state.service is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, state.load_error or "models are still loading")
    return state.service
