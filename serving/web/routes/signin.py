"""Sign-in and sign-out of people (the API keeps its keys): a users file, Argon2 hashes, a signed session."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from serving.web.deps import check_csrf, csrf_token
from serving.web.render import render

router = APIRouter(include_in_schema=False)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    # Only a path of this site: an address elsewhere ("//host", "/\\host", which browsers read as "//host")
    # would make the sign-in page an open redirect.
    return target if target and re.match(r"/(?![/\\])", target) else "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None):
    csrf_token(request)
    return render(request, "login.html", next=_safe_next(next), no_users=not request.app.state.users.users())


@router.post("/login")
async def login(request: Request, form: dict = Depends(check_csrf)):
    state = request.app.state
    name, password = form.get("username", "")[:64], form.get("password", "")[:1024]
    target = _safe_next(form.get("next"))
    now, client = state.clock(), _client(request)
    if state.signins.blocked(name, client, now):
        state.signins.audit("blocked", name, client, now)
        return render(request, "login.html", status=429, next=target, error="too_many")
    user = state.users.authenticate(name, password) if name and password else None
    if user is None:
        state.signins.failed(name, client, now)
        state.signins.audit("refused", name, client, now)
        return render(request, "login.html", status=401, next=target, error="wrong_password")
    state.signins.succeeded(name, client)
    state.signins.audit("signed_in", name, client, now)
    lang = request.session.get("lang")
    request.session.clear()  # a new session on sign-in: a token planted before it is worth nothing after
    request.session.update({"user": user.name, **({"lang": lang} if lang else {})})
    csrf_token(request)
    return RedirectResponse(target, status_code=303)


@router.get("/logout")
def logout_page(request: Request):
    return render(request, "logout.html", user=None)


@router.post("/logout")
async def logout(request: Request, form: dict = Depends(check_csrf)):
    name = request.session.get("user")
    if isinstance(name, str):
        request.app.state.signins.audit("signed_out", name, _client(request), request.app.state.clock())
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/login?signed_out=1", status_code=303)
