"""Ratios and trends: derived from other features of the same customer and date."""

from features.catalogue import (
    NO_DIRECTION,
    RISKIER_WHEN_HIGHER,
    SAFER_WHEN_HIGHER,
    Feature,
)

R = RISKIER_WHEN_HIGHER


def _derived(name, sql, unit, window, direction, description):
    return Feature(name, "derived", sql, unit, window, direction, description)


FEATURES = [
    _derived(
        "credit_limit_utilisation",
        "open_amount / nullif(credit_limit, 0)",
        "ratio",
        "as_of",
        R,
        "open_amount / credit_limit; empty when there is no limit.",
    ),
    _derived(
        "credit_limit_headroom",
        "credit_limit - open_amount",
        "EUR",
        "as_of",
        SAFER_WHEN_HIGHER,
        "Credit limit minus open amount (negative when over the limit); empty when there is no limit.",
    ),
    _derived(
        "over_credit_limit",
        "CASE WHEN credit_limit IS NULL THEN NULL WHEN open_amount > credit_limit THEN 1 ELSE 0 END",
        "flag",
        "as_of",
        R,
        "1 when the open amount exceeds the credit limit at as_of.",
    ),
    _derived(
        "dso_90d",
        "open_amount / nullif(invoice_amount_90d, 0) * 90",
        "days",
        "90d",
        R,
        "Days sales outstanding: open_amount / invoice_amount_90d x 90; empty when nothing was invoiced.",
    ),
    _derived(
        "overdue_share",
        "overdue_amount / nullif(open_amount, 0)",
        "share",
        "as_of",
        R,
        "Share of the open amount that is past due.",
    ),
    _derived(
        "share_open_over_60dpd",
        "(aging_61_90_amount + aging_91_180_amount + aging_over_180_amount) / nullif(open_amount, 0)",
        "share",
        "as_of",
        R,
        "Share of the open amount more than 60 days past due.",
    ),
    _derived(
        "days_late_trend_90d",
        "avg_days_late_90d - avg_days_late_prior_275d",
        "days",
        "90d_vs_prior_275d",
        R,
        "Mean days late of the last 90 days minus that of the 275 days before (positive: paying later).",
    ),
    _derived(
        "invoice_amount_trend_90d",
        "(invoice_amount_90d / 90) / nullif(invoice_amount_prior_275d / 275, 0)",
        "ratio",
        "90d_vs_prior_275d",
        NO_DIRECTION,
        "Daily invoiced amount of the last 90 days over that of the 275 days before (1 = steady).",
    ),
    _derived(
        "open_to_annual_sales",
        "open_amount / nullif(invoice_amount_365d, 0)",
        "ratio",
        "365d",
        R,
        "Open amount as a share of the last year's invoicing.",
    ),
    _derived(
        "payment_to_invoice_ratio_90d",
        "payment_amount_90d / nullif(invoice_amount_90d, 0)",
        "ratio",
        "90d",
        SAFER_WHEN_HIGHER,
        "Cash received over amount invoiced in the last 90 days (below 1: the balance grows).",
    ),
]
