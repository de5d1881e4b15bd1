"""What every page depends on: the signed-in user, the CSRF token, the language, the as-of date, the data.

The session is Starlette's signed cookie (HttpOnly, SameSite=Lax): it holds the user's name, the
language and the CSRF token of the session, nothing else. A form posts the token back; a post without
it, or with another session's, is refused before anything is done.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from fastapi import Request

from serving.web.i18n import LANGUAGES
from serving.web.state import PortfolioPages
from serving.web.users import User


class SignInRequired(Exception):
    """No signed-in user: a page redirects to the sign-in page, a form post is refused."""


class Refused(Exception):
    """The request is refused with `status` and a one-line message shown on the error page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def language(request: Request) -> str:
    """Return the page language: ?lang= (remembered in the session), else the session's, else English."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session["lang"] = asked
    found = request.session.get("lang")
    return found if found in LANGUAGES else "en"


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> dict[str, str]:
    """Return the posted form once its CSRF token matches the session's; raise Refused (403) otherwise."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    expected = request.session.get("csrf")
    sent = fields.get("csrf_token", "")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Refused(403, "the form's security token is missing or out of date: reload the page and try again")
    return fields


def current_user(request: Request) -> User:
    """Return the signed-in user (still in the users file, with the role it has there); raise SignInRequired."""
    name = request.session.get("user")
    user = request.app.state.users.find(name) if isinstance(name, str) else None
    if user is None:
        request.session.pop("user", None)
        raise SignInRequired()
    return user


def pages(request: Request) -> PortfolioPages:
    """Return the pages' data source, or raise Refused (503) while the models load."""
    found = getattr(request.app.state, "pages", None)
    if found is None:
        raise Refused(503, request.app.state.load_error or "loading")
    return found


def as_of_date(request: Request, source: PortfolioPages) -> dt.date:
    """Return the page's as-of date: ?as_of=, else the service's default date; Refused (422) when not a date."""
    asked = request.query_params.get("as_of")
    if not asked:
        return source.default_as_of
    try:
        day = dt.date.fromisoformat(asked)
    except ValueError:
        raise Refused(422, f"as_of {asked[:40]!r} is not a date (YYYY-MM-DD)") from None
    try:
        source.service.span.check([day])
    except ValueError as exc:
        raise Refused(422, str(exc)) from None
    return day
