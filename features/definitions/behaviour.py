"""Behaviour beyond timeliness: payments, disputes, credit events, and the customer's whole history.

`payments_365d` and `history` have one row per customer and as-of date (`features.facts`): features
on them are expressions over that row; `disputes_365d` and `events_365d` have one row per dispute or
event and as-of date, and features on them are aggregates.
"""

from features.catalogue import (
    NO_DIRECTION,
    RISKIER_WHEN_HIGHER,
    Feature,
)

R = RISKIER_WHEN_HIGHER

FEATURES = [
    Feature(
        "payment_count_90d",
        "payments_365d",
        "payment_count_90d",
        "count",
        "90d",
        NO_DIRECTION,
        "Payments received in (as_of - 90 days, as_of].",
        fill="0",
    ),
    Feature(
        "payment_amount_90d",
        "payments_365d",
        "payment_amount_90d",
        "EUR",
        "90d",
        NO_DIRECTION,
        "Cash received in (as_of - 90 days, as_of].",
        fill="0",
    ),
    Feature(
        "payment_count_365d",
        "payments_365d",
        "payment_count_365d",
        "count",
        "365d",
        NO_DIRECTION,
        "Payments received in (as_of - 365 days, as_of].",
        fill="0",
    ),
    Feature(
        "dispute_count_365d",
        "disputes_365d",
        "count(*)",
        "count",
        "365d",
        R,
        "Disputes opened in (as_of - 365 days, as_of].",
        fill="0",
    ),
    Feature(
        "dispute_count_90d",
        "disputes_365d",
        "count(*) FILTER (WHERE days_ago < 90)",
        "count",
        "90d",
        R,
        "Disputes opened in (as_of - 90 days, as_of].",
        fill="0",
    ),
    Feature(
        "disputed_amount_365d",
        "disputes_365d",
        "sum(amount)",
        "EUR",
        "365d",
        R,
        "Amount of the documents disputed in the last year.",
        fill="0",
    ),
    Feature(
        "collections_handover_count_365d",
        "events_365d",
        "count(*) FILTER (WHERE event_type = 'collections_handover')",
        "count",
        "365d",
        R,
        "Hand-overs to collections in the last year.",
        fill="0",
    ),
    Feature(
        "limit_change_count_365d",
        "events_365d",
        "count(*) FILTER (WHERE event_type = 'limit_change')",
        "count",
        "365d",
        NO_DIRECTION,
        "Credit-limit changes in the last year.",
        fill="0",
    ),
    Feature(
        "days_since_last_payment",
        "history",
        "date_diff('day', last_payment_date, as_of_date)",
        "days",
        "history",
        R,
        "Days from the last payment received (on or before as_of) to as_of; empty if it never paid.",
    ),
    Feature(
        "days_since_last_invoice",
        "history",
        "date_diff('day', last_invoice_date, as_of_date)",
        "days",
        "history",
        NO_DIRECTION,
        "Days from the last invoice (on or before as_of) to as_of.",
    ),
    Feature(
        "max_days_late_ever",
        "history",
        "max_days_late_ever",
        "days",
        "history",
        R,
        "Most days late of any invoice settled on or before as_of, over the whole relationship.",
    ),
    Feature(
        "share_paid_over_30d_late_ever",
        "history",
        "settled_over_30d_late_count_ever / nullif(settled_count_ever, 0)",
        "share",
        "history",
        R,
        "Share of all invoices settled on or before as_of that were settled more than 30 days late.",
    ),
]
