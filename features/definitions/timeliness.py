"""Payment timeliness: how late settled invoices were paid.

`settled_365d` has one row per customer and as-of date with the window totals over the invoices
settled in the year (`features.facts`); these features are expressions over that row.
"""

from features.catalogue import RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER, Feature

R = RISKIER_WHEN_HIGHER


def _settled(name, sql, unit, window, direction, description, fill=None):
    return Feature(name, "settled_365d", sql, unit, window, direction, description, fill=fill)


FEATURES = [
    _settled(
        "avg_days_late_365d",
        "days_late_365d / nullif(settled_count_365d, 0)",
        "days",
        "365d",
        R,
        "Mean of max(0, settlement date - due date) over invoices settled in (as_of - 365 days, as_of]; empty when none settled.",
    ),
    _settled(
        "share_paid_over_30d_late_365d",
        "over_30d_late_count_365d / nullif(settled_count_365d, 0)",
        "share",
        "365d",
        R,
        "Among invoices settled in the last year, the share settled more than 30 days after due.",
    ),
    _settled(
        "share_paid_late_365d",
        "late_count_365d / nullif(settled_count_365d, 0)",
        "share",
        "365d",
        R,
        "Among invoices settled in the last year, the share settled after the due date.",
    ),
    _settled(
        "share_paid_early_365d",
        "early_count_365d / nullif(settled_count_365d, 0)",
        "share",
        "365d",
        SAFER_WHEN_HIGHER,
        "Among invoices settled in the last year, the share settled before the due date.",
    ),
    _settled(
        "p90_days_late_365d",
        "p90_days_late_365d",
        "days",
        "365d",
        R,
        "90th percentile of days late over invoices settled in the last year.",
    ),
    _settled(
        "max_days_late_365d",
        "max_days_late_365d",
        "days",
        "365d",
        R,
        "Most days late of any invoice settled in the last year.",
    ),
    _settled(
        "amount_weighted_days_late_365d",
        "late_amount_365d / nullif(settled_amount_365d, 0)",
        "days",
        "365d",
        R,
        "Days beyond terms weighted by invoice amount, over invoices settled in the last year.",
    ),
    # The sample standard deviation from exact integer sums: a float online update would depend on
    # the order threads combine rows in.
    _settled(
        "stddev_days_late_365d",
        "sqrt(CAST(settled_count_365d * days_after_due_squared_365d - days_after_due_365d * days_after_due_365d"
        " AS DOUBLE) / nullif(settled_count_365d * (settled_count_365d - 1), 0))",
        "days",
        "365d",
        R,
        "Spread of settlement date minus due date over the last year: low means a regular payer.",
    ),
    _settled(
        "avg_days_to_pay_365d",
        "days_to_pay_365d / nullif(settled_count_365d, 0)",
        "days",
        "365d",
        R,
        "Mean days from invoice date to settlement over invoices settled in the last year.",
    ),
    _settled(
        "settled_invoice_count_365d",
        "settled_count_365d",
        "count",
        "365d",
        SAFER_WHEN_HIGHER,
        "Invoices settled in the last year: the evidence behind the timeliness features.",
        fill="0",
    ),
    _settled(
        "share_settled_in_instalments_365d",
        "instalment_count_365d / nullif(settled_count_365d, 0)",
        "share",
        "365d",
        R,
        "Among invoices settled in the last year, the share paid in more than one instalment.",
    ),
    _settled(
        "avg_days_late_90d",
        "days_late_90d / nullif(settled_count_90d, 0)",
        "days",
        "90d",
        R,
        "Mean days late over invoices settled in (as_of - 90 days, as_of].",
    ),
    _settled(
        "avg_days_late_prior_275d",
        "days_late_prior_275d / nullif(settled_count_prior_275d, 0)",
        "days",
        "365d",
        R,
        "Mean days late over invoices settled in (as_of - 365 days, as_of - 90 days]: the base of the trend.",
    ),
    _settled(
        "share_paid_over_30d_late_90d",
        "over_30d_late_count_90d / nullif(settled_count_90d, 0)",
        "share",
        "90d",
        R,
        "Among invoices settled in the last 90 days, the share settled more than 30 days after due.",
    ),
]
