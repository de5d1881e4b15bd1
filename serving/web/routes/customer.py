"""The explained customer: scores and their history, reasons, open items, payments, disputes, advice, decisions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from serving.audit import AuditLogError
from serving.decisions import DecisionError
from serving.portfolio.settings import bucket_column, bucket_labels
from serving.web.deps import Refused, check_csrf, current_user, language
from serving.web.i18n import column
from serving.web.render import render
from serving.web.routes.lists import WORKLIST
from serving.web.routes.portfolio import date_context
from serving.web.users import User

router = APIRouter(include_in_schema=False)
PAYMENTS_LISTED = 24


def _customer(request: Request, customer_id: str, user: User) -> dict:
    """Return the date's context with the customer's score row; raise Refused (404) for an unknown customer."""
    context = date_context(request, user)
    scores = context["data"].scores
    if customer_id not in scores.index:
        raise Refused(404, f"customer {customer_id[:80]!r} has no invoice on or before {context['as_of']}")
    context["score"] = scores.loc[customer_id].to_dict()
    context["customer_id"] = customer_id
    return context


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer_id: str, user: User = Depends(current_user)) -> Response:
    context = _customer(request, customer_id, user)
    details = _details(request, context)
    lang = language(request)
    history = details["history"]
    row = details["aging_row"]
    return render(
        request,
        "customer.html",
        **context,
        **details,
        waterfall_steps=[(r[f"text_{lang}"], r["contribution"]) for r in details["reasons"]],
        history_series={
            column("pd_12m", lang): [h["pd_12m"] for h in history],
            column("late_payment_prob_90d", lang): [h["late_payment_prob_90d"] for h in history],
        },
        open_amounts=[row[f"amount_{name}"] for _, name in details["buckets"]] if row else [],
        signed="{:+.3f}".format,
        pct=lambda v: f"{100 * v:.2f} %",
        days_format="{:.0f}".format,
    )


def _details(request: Request, context: dict) -> dict:
    data, customer_id, source = context["data"], context["customer_id"], context["source"]
    row, loss, terms = (
        data.of("aging", customer_id),
        data.of("expected_loss", customer_id),
        data.of("terms", customer_id),
    )
    labels = bucket_labels(source.settings.aging_buckets)
    paid = data.detail.paid_of(customer_id)
    return {
        "aging_row": row.iloc[0].to_dict() if len(row) else None,
        "buckets": [(label, bucket_column(label)) for label in labels],
        "loss": loss.iloc[0].to_dict() if len(loss) else None,
        "terms": terms.iloc[0].to_dict() if len(terms) else None,
        "overdue": data.of("worklist", customer_id).sort_values("rank").to_dict("records"),
        "overdue_columns": [c for c in WORKLIST if c not in ("customer_id", "name")],
        "paid": paid.to_dict("records"),
        "paid_listed": paid.tail(PAYMENTS_LISTED).iloc[::-1].to_dict("records"),
        "disputes": data.detail.disputes_of(customer_id).iloc[::-1].to_dict("records"),
        "history": source.history_of(customer_id, [context["score"]]).to_dict("records"),
        "watch": data.of("watchlist", customer_id).to_dict("records"),
        "decisions": request.app.state.decisions.of_customer(customer_id)[:20],
        "reasons": [
            {k: context["score"][f"reason_{i}_{k}"] for k in ("feature", "value", "contribution", "text_en", "text_zh")}
            for i in range(1, 6)
            if isinstance(context["score"].get(f"reason_{i}_feature"), str)
        ],
    }


@router.get("/customers/{customer_id}/what-if")
def what_if_page(request: Request, customer_id: str, user: User = Depends(current_user)) -> Response:
    """The smallest change in the customer's payments that moves it up a grade or restores its limit, found by
    adding simulated payments to its ledger and scoring it again with the same features and models."""
    from serving.whatif import WhatIfError, what_if

    context = _customer(request, customer_id, user)
    service, state = context["source"].service, request.app.state
    try:
        result = what_if(
            service.ledger, customer_id, context["as_of"], service.models, service.policy, state.reference_date
        )
    except WhatIfError as exc:
        raise Refused(422, str(exc)) from None
    return render(request, "whatif.html", **context, result=result)


@router.post("/customers/{customer_id}/decisions")
async def record_decision(
    request: Request, customer_id: str, form: dict = Depends(check_csrf), user: User = Depends(current_user)
) -> Response:
    """Record a credit officer's decision on the customer's advice at the page's date; back to the page."""
    if not user.may("credit_officer"):
        raise Refused(403, f"{user.name} is a {user.role}: only a credit officer or an admin records decisions")
    context = _customer(request, customer_id, user)
    limit_text = form.get("limit", "").replace(",", "").strip()
    try:
        limit = float(limit_text) if limit_text else None
    except ValueError:
        raise Refused(422, f"limit {limit_text[:40]!r} is not an amount") from None
    try:
        request.app.state.decisions.record(
            score=context["score"],
            decision=form.get("decision", ""),
            user=user.name,
            at=request.app.state.clock().isoformat(),
            reason=form.get("reason", ""),
            limit=limit,
        )
    except DecisionError as exc:
        raise Refused(422, str(exc)) from None
    except AuditLogError as exc:
        raise Refused(503, str(exc)) from None
    return RedirectResponse(f"/customers/{customer_id}?as_of={context['as_of']}&recorded=1", status_code=303)
