"""The REST API app: wires settings, routers and the background model loading."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.routes import health, model, scores
from serving.api.settings import ApiSettings
from serving.audit import AuditLog, AuditLogError
from serving.web.app import add_pages, open_page_stores, start_pages

# uvicorn's own server log: these lines go where its start-up lines go, with its format.
log = logging.getLogger("uvicorn.error")
# How the API's settings leave a model out, named when the other model can still be used.
SETTINGS_SWITCHES = {"default_12m": "TRADECREDIT_MODEL_URI=none", "late_payment_90d": "TRADECREDIT_LATE_MODEL_URI=none"}


def load_service(settings: ApiSettings):
    """Return a ready ScoringService (ledger validated, models resolved and loaded, warm-up passed) and the
    date requests without one are answered for."""
    from features.load import load_ledger
    from model.registry import connect, tracking_uri
    from serving.limits import load_policy
    from serving.scoring import load_scoring_models
    from serving.service import ScoringService

    policy = load_policy(settings.limit_policy)
    connect(tracking_uri(settings.tracking_uri))
    models = load_scoring_models(settings.model_uri, settings.late_model_uri, SETTINGS_SWITCHES)
    log.info("scoring with %s", ", ".join(f"{k} {v or 'none'}" for k, v in models.describe().items()))
    for note in models.notes:
        log.warning(note)
    ledger, _ = load_ledger(settings.ledger, reference_date=settings.reference_date or dt.date.today())
    service = ScoringService(ledger, models, policy)
    as_of = default_as_of(settings, service)
    if as_of is None:
        raise RuntimeError(f"the ledger {settings.ledger} has no dated rows: there is nothing to score")
    first = list(service.scored(as_of).position)[:1]  # warm-up: the whole date scored and explained
    scored, _ = service.score(first, as_of)
    if first and len(scored) != 1:
        raise RuntimeError("warm-up prediction returned no score")
    return service, as_of


def default_as_of(settings: ApiSettings, service) -> dt.date | None:
    """Return the date a request without one is answered for: the configured date, else the ledger's last."""
    return settings.default_as_of or service.span.last_transaction


def create_app(
    settings: ApiSettings | None = None, clock: Callable[[], dt.datetime] | None = None, load_in_background: bool = True
) -> FastAPI:
    """Return the app. Settings default to the environment, read when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings or ApiSettings()
        app.state.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        app.state.service, app.state.load_error, app.state.model_version = None, None, None
        try:
            app.state.audit = AuditLog(app.state.settings.audit_log)
            open_page_stores(app, app.state.settings)
        except AuditLogError as exc:  # nothing is served unaudited: /ready says why
            app.state.load_error = str(exc)
            log.error(app.state.load_error)
            yield
            return
        log.info("audit log: %s", app.state.audit.path)

        def load():
            try:
                service, as_of = load_service(app.state.settings)
                start_pages(app, service, app.state.settings, as_of)
            except Exception as exc:  # reported by /ready and logged in one line; the process stays up to say why
                app.state.load_error = f"{type(exc).__name__}: {exc}"
                log.error("models not loaded: %s", app.state.load_error)
                return
            app.state.model_version = service.models.primary.stamp
            app.state.service = service
            log.info("ready: %s", app.state.model_version)
            # The API answers from here on; the pages' figures of the default date are built now rather than
            # on the first page asked for, which would otherwise wait for them.
            try:
                app.state.pages.at(as_of)
            except Exception as exc:  # the page that asks for the date says why again
                log.error("pages of %s not prepared: %s: %s", as_of, type(exc).__name__, exc)
                return
            log.info("pages ready for %s", as_of)

        if load_in_background:
            threading.Thread(target=load, name="load-models", daemon=True).start()
        else:
            load()
        yield

    app = FastAPI(
        title="tradecredit",
        summary="Explained trade-credit risk scores and credit-limit advice",
        version="1",
        lifespan=lifespan,
    )

    add_pages(app, settings)
    app.add_middleware(ModelVersionHeader)
    app.include_router(health.router)
    app.include_router(scores.router)
    app.include_router(model.router)
    return app


class ModelVersionHeader:
    """Stamp X-Model-Version on every HTTP response once models are loaded.

    Plain ASGI rather than `@app.middleware("http")`: that wraps each request in extra tasks and streams,
    which cost more than the lookup a cached score is.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            version = getattr(scope["app"].state, "model_version", None) if "app" in scope else None
            if message["type"] == "http.response.start" and version:
                message["headers"] = [*message.get("headers", []), (b"x-model-version", version.encode())]
            await send(message)

        await self.app(scope, receive, stamped)
