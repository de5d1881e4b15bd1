"""The watchlist and the collections worklist, as the portfolio report made them, filtered and sorted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from serving.portfolio.aging import group_order
from serving.portfolio.settings import bucket_labels
from serving.web.deps import current_user, language
from serving.web.render import render
from serving.web.routes.portfolio import date_context
from serving.web.state import DatePages
from serving.web.tables import TableView, from_request
from serving.web.users import User

router = APIRouter(include_in_schema=False)

WATCHLIST = [
    "customer_id",
    "name",
    "risk_grade",
    "late_payment_grade",
    "pd_12m",
    "exposure",
    "utilisation",
    "avg_days_late_365d",
    "open_disputes",
    "rule_count",
    "rule_details",
]
WORKLIST = [
    "rank",
    "invoice_id",
    "customer_id",
    "name",
    "due_date",
    "days_overdue",
    "open_amount",
    "late_payment_prob_90d",
    "cash_at_risk",
    "expected_loss",
    "risk_grade",
    "suggested_action",
]
REASONS = [f"reason_{i}_text_en" for i in (1, 2, 3)]


def with_reasons(table: TableView, data: DatePages, lang: str) -> TableView:
    """Return the page's rows, each with its customer's top three reasons in the page's language."""
    for row in table.rows:
        row["reasons"] = data.reasons.get(row["customer_id"], {}).get(lang, [])
    return table


@router.get("/watchlist")
def watchlist_page(request: Request, user: User = Depends(current_user)) -> Response:
    context = date_context(request, user)
    data = context["data"]
    frame = data.table("watchlist")
    rules = [
        c.removeprefix("rule_")
        for c in frame.columns
        if c.startswith("rule_") and c not in ("rule_count", "rule_details")
    ]
    rule, grade = request.query_params.get("rule"), request.query_params.get("grade")
    if rule in rules:
        frame = frame[frame[f"rule_{rule}"]]
    if grade:
        frame = frame[frame["risk_grade"].astype(str) == grade]
    table = from_request(request.query_params, frame, [*WATCHLIST, *REASONS], "watchlist", ("rule_count", True))
    if isinstance(table, Response):
        return table
    grades = sorted(data.table("watchlist")["risk_grade"].dropna().astype(str).unique(), key=group_order)
    return render(
        request,
        "watchlist.html",
        **context,
        table=with_reasons(table, data, language(request)),
        columns=WATCHLIST,
        rules=rules,
        rule=rule,
        grades=grades,
        grade=grade,
    )


@router.get("/worklist")
def worklist_page(request: Request, user: User = Depends(current_user)) -> Response:
    """The collections queue, or the disputes queue (?queue=disputes); ?bucket= and ?customer= narrow it."""
    context = date_context(request, user)
    data, settings = context["data"], context["source"].settings
    queue = "disputes" if request.query_params.get("queue") == "disputes" else "collections"
    counts = {name: len(part) for name, part in data.queues.items()}
    frame = data.queues.get(queue, data.table("worklist").iloc[:0])
    labels = bucket_labels(settings.aging_buckets)
    bucket = request.query_params.get("bucket")
    if bucket in labels[1:]:
        frame = frame[frame["aging_bucket"] == bucket]
    customer = request.query_params.get("customer")
    if customer:
        frame = frame[frame["customer_id"] == customer]
    table = from_request(request.query_params, frame, WORKLIST, f"worklist-{queue}", ("rank", False))
    if isinstance(table, Response):
        return table
    return render(
        request,
        "worklist.html",
        **context,
        table=table,
        queue=queue,
        counts=counts,
        bucket_choices=labels[1:],
        bucket=bucket,
        customer=customer,
    )
