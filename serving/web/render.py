"""Rendering a page: the Jinja2 templates bundled in the package, the words of its language, number formats."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from serving.web import charts
from serving.web.deps import csrf_token, language
from serving.web.i18n import bucket, column, value, word

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value, digits: int = 0) -> str:
    return "–" if _missing(value) else f"{float(value):,.{digits}f}"


def percent(value, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{100 * float(value):.{digits}f} %"


def number(value, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{float(value):,.{digits}f}"


def cell(value, name: str) -> str:
    """Return a table cell's text: amounts with separators, probabilities and shares as percentages."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, float):
        if name.startswith(("pd_", "late_payment_prob", "share", "overdue_share", "utilisation", "cumulative")):
            return percent(value)
        if name.endswith(("_rate",)):
            return percent(value)
        if name.startswith(("avg_days", "dso", "days")):
            return number(value)
        return money(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()[:10]
    return str(value)


for name, function in {"money": money, "percent": percent, "number": number, "cell": cell}.items():
    TEMPLATES.env.filters[name] = function
TEMPLATES.env.globals["charts"] = charts


def url(request: Request, path: str | None = None, **changes) -> str:
    """Return the address of `path` (default: this page) with this page's query and `changes` (None removes)."""
    query = dict(request.query_params)
    query.pop("lang", None)
    for key, change in changes.items():
        if change is None or str(change) == "":  # an undefined template value too
            query.pop(key, None)
        else:
            query[key] = str(change)
    target = path if path is not None else request.url.path
    return f"{target}?{urlencode(query)}" if query else target


def render(request: Request, template: str, status: int = 200, **context) -> Response:
    """Return `template` rendered for `request`: its language, user, CSRF token and address helpers at hand."""
    lang = language(request)
    context.update(
        lang=lang,
        t=lambda key: word(key, lang),
        col=lambda name: column(name, lang),
        bucket_name=lambda label: bucket(label, lang),
        val=lambda text: value(text, lang),
        bucket_names=[bucket(label, lang) for label, _ in context.get("buckets", [])],
        csrf=csrf_token(request),
        url=lambda path=None, **changes: url(request, path, **changes),
        switch_url=url(request, lang="zh" if lang == "en" else "en"),
        path=request.url.path,
    )
    context.setdefault("user", None)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)
