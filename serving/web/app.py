"""The pages in the API's app: session, bundled assets, routes, error pages, and what they read at start-up."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from serving.api.settings import ApiSettings
from serving.decisions import DecisionsLog
from serving.portfolio.settings import load_portfolio_settings
from serving.service import ScoringService
from serving.web.deps import Refused, SignInRequired, current_user
from serving.web.routes import customer, lists, portfolio, signin
from serving.web.signin import SignInGuard
from serving.web.state import PortfolioPages
from serving.web.users import UsersFile

SESSION_HOURS = 8
# Paths that are the API's: errors there stay JSON whatever the client accepts.
API_PREFIXES = ("/v1", "/health", "/ready", "/docs", "/redoc", "/openapi.json")


def add_pages(app: FastAPI, settings: ApiSettings | None) -> None:
    """Add the pages to `app`: the signed session cookie, /static, the page routes and their error pages."""
    configured = settings.session_secret if settings else os.environ.get("TRADECREDIT_SESSION_SECRET")
    secret = configured or secrets.token_urlsafe(48)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="tradecredit_session",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=bool(settings and settings.secure_cookies),
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    for module in (signin, portfolio, lists, customer):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(StarletteHTTPException, _not_found_page)


def open_page_stores(app: FastAPI, settings: ApiSettings) -> None:
    """Open the users file, the sign-in audit and the decisions log; AuditLogError when one cannot be written."""
    app.state.users = UsersFile(settings.users_file)
    app.state.signins = SignInGuard(settings.audit_log.with_name("signins.jsonl"))
    app.state.decisions = DecisionsLog(settings.decisions_log or settings.audit_log.with_name("decisions.jsonl"))
    app.state.pages = None


def start_pages(app: FastAPI, service: ScoringService, settings: ApiSettings, as_of: dt.date) -> None:
    """Make the pages' data source once the scoring service is ready (`as_of`: the default date)."""
    app.state.reference_date = settings.reference_date or dt.date.today()
    app.state.pages = PortfolioPages(
        service, load_portfolio_settings(settings.portfolio_config), settings.score_history, as_of
    )


async def _sign_in(request: Request, exc: Exception):
    from serving.web.render import render, url

    if request.method == "GET":
        return RedirectResponse(f"/login?next={_quote(url(request))}", status_code=303)
    return render(request, "error.html", status=401, message="sign in first", title="sign_in")


async def _refused(request: Request, exc: Exception):
    from serving.web.render import render

    assert isinstance(exc, Refused)
    if exc.status == 503:
        return render(request, "error.html", status=503, message=None, title="loading")
    titles = {404: "not_found", 403: "forbidden"}
    return render(
        request, "error.html", status=exc.status, message=exc.message, title=titles.get(exc.status), user=_user(request)
    )


async def _not_found_page(request: Request, exc: Exception):
    """An HTML page for a browser's unknown address; the API's JSON body for the API's paths and clients."""
    from serving.web.render import render

    assert isinstance(exc, StarletteHTTPException)
    wants_html = "text/html" in request.headers.get("accept", "")
    if exc.status_code != 404 or not wants_html or request.url.path.startswith(API_PREFIXES):
        return await http_exception_handler(request, exc)
    message = f"{request.url.path[:200]} is not a page"
    return render(request, "error.html", status=404, message=message, title="not_found", user=_user(request))


def _user(request: Request):
    """Return the signed-in user, or None: an error page shows the navigation to those who may use it."""
    try:
        return current_user(request)
    except SignInRequired:
        return None


def _quote(target: str) -> str:
    from urllib.parse import quote

    return quote(target, safe="/")
