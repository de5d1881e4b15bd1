"""The portfolio page and the customer list behind its numbers."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from serving.portfolio.report import PortfolioError
from serving.portfolio.settings import bucket_column, bucket_labels
from serving.web.deps import Refused, as_of_date, current_user, language, pages
from serving.web.i18n import bucket, column
from serving.web.render import render
from serving.web.state import CUSTOMER_LIST
from serving.web.tables import export, from_request
from serving.web.users import User

router = APIRouter(include_in_schema=False)


def date_context(request: Request, user: User) -> dict:
    """Return what every page of a date shows: the user, the date, the dates to choose from, the date's data."""
    source = pages(request)
    as_of = as_of_date(request, source)
    try:
        data = source.at(as_of)
    except PortfolioError as exc:  # e.g. nothing open at the date: said on the page, in one line
        raise Refused(422, str(exc)) from None
    return {"user": user, "as_of": as_of, "dates": source.dates(), "data": data, "source": source}


@router.get("/")
def portfolio_page(request: Request, user: User = Depends(current_user)) -> Response:
    context = date_context(request, user)
    data, settings = context["data"], context["source"].settings
    labels = bucket_labels(settings.aging_buckets)
    overview = data.overview
    total, by_grade, trend, dso_trend = (overview[k] for k in ("aging_total", "by_grade", "aging_trend", "dso_trend"))
    as_of, lang = context["as_of"], language(request)
    return render(
        request,
        "portfolio.html",
        **context,
        totals=data.report.totals,
        notes=data.report.notes,
        buckets=[(label, bucket_column(label)) for label in labels],
        aging_total=total,
        by_grade=by_grade,
        grade_links=[f"/customers?as_of={as_of}&grade={g['key']}" for g in by_grade],
        bucket_amounts=[total[f"amount_{bucket_column(label)}"] for label in labels],
        # Current items are in no queue: their list is the customers'.
        bucket_links=[
            f"/customers?as_of={as_of}" if i == 0 else f"/worklist?as_of={as_of}&bucket={quote(label)}"
            for i, label in enumerate(labels)
        ],
        loss_total=overview["loss_total"],
        trend_labels=[str(d) for d in trend["month_end"]],
        trend_series={bucket(label, lang): trend[f"amount_{bucket_column(label)}"].tolist() for label in labels},
        dso_trend=dso_trend.to_dict("records"),
        dso_labels=[str(d) for d in dso_trend["month_end"]],
        dso_series={column(c, lang): dso_trend[c].tolist() for c in ("dso_countback", "dso_3m")},
        days_format="{:.1f}".format,
        matrix=data.table("provision_matrix").to_dict("records"),
        top=data.top_exposures.to_dict("records"),
        herfindahl=data.herfindahl,
        watchlist_size=len(data.table("watchlist")),
    )


@router.get("/customers")
def customers_page(request: Request, user: User = Depends(current_user)) -> Response:
    """The customers found by id or name (?q=), or those of a grade (?grade=): the list behind a grade's count."""
    context = date_context(request, user)
    frame = context["data"].customers
    query = request.query_params.get("q", "").strip()[:100]
    grade = request.query_params.get("grade")
    if query:
        frame = frame[frame["search_text"].str.contains(query.lower(), regex=False)]
        exact = frame[frame["customer_id"] == query]
        if len(exact) == 1 and not grade and "format" not in request.query_params:
            return _redirect(f"/customers/{query}", context)
    if grade:
        frame = frame[frame["risk_grade"].astype(str) == grade]
    table = from_request(request.query_params, frame, CUSTOMER_LIST, "customers", ("open_receivables", True))
    if isinstance(table, Response):
        return table
    return render(request, "customers.html", **context, table=table, q=query, grade=grade)


def _redirect(target: str, context: dict) -> Response:
    from fastapi.responses import RedirectResponse

    return RedirectResponse(f"{target}?as_of={context['as_of']}", status_code=303)


@router.get("/tables/{name}.{fmt}")
def report_table(request: Request, name: str, fmt: str, user: User = Depends(current_user)) -> Response:
    """Download one of the date's portfolio tables whole (aging, dso, expected_loss, provision_matrix, ...)."""
    context = date_context(request, user)
    tables = context["data"].report.tables
    if name not in tables or fmt not in ("csv", "xlsx"):
        raise Refused(
            404, f"there is no table {name[:40]!r} as {fmt[:10]!r}: tables are {', '.join(tables)}; csv or xlsx"
        )
    frame = tables[name]
    return export(frame, list(frame.columns), f"{name}-{context['as_of']}", fmt)
