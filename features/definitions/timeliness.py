"""Payment timeliness: how late settled invoices were paid."""

from features.catalogue import RISKIER_WHEN_HIGHER, SAFER_WHEN_HIGHER, Feature

R = RISKIER_WHEN_HIGHER


def _settled(name, sql, unit, window, direction, description, fill=None):
    return Feature(name, "settled_365d", sql, unit, window, direction, description, fill=fill)


def _recent(sql: str) -> str:
    return sql.replace("(WHERE ", "(WHERE days_ago < 90 AND ") if "FILTER" in sql else f"{sql} FILTER (WHERE days_ago < 90)"


FEATURES = [
    _settled("avg_days_late_365d", "avg(days_late)", "days", "365d", R,
             "Mean of max(0, settlement date - due date) over invoices settled in (as_of - 365 days, as_of]; empty when none settled."),
    _settled("share_paid_over_30d_late_365d", "avg(CASE WHEN days_late > 30 THEN 1.0 ELSE 0.0 END)", "share", "365d", R,
             "Among invoices settled in the last year, the share settled more than 30 days after due."),
    _settled("share_paid_late_365d", "avg(CASE WHEN days_late > 0 THEN 1.0 ELSE 0.0 END)", "share", "365d", R,
             "Among invoices settled in the last year, the share settled after the due date."),
    _settled("share_paid_early_365d", "avg(CASE WHEN days_after_due < 0 THEN 1.0 ELSE 0.0 END)", "share", "365d",
             SAFER_WHEN_HIGHER, "Among invoices settled in the last year, the share settled before the due date."),
    _settled("p90_days_late_365d", "quantile_cont(days_late, 0.9)", "days", "365d", R,
             "90th percentile of days late over invoices settled in the last year."),
    _settled("max_days_late_365d", "max(days_late)", "days", "365d", R,
             "Most days late of any invoice settled in the last year."),
    _settled("amount_weighted_days_late_365d", "sum(days_late * amount) / nullif(sum(amount), 0)", "days", "365d", R,
             "Days beyond terms weighted by invoice amount, over invoices settled in the last year."),
    # The sample standard deviation from exact integer sums: a float online update would depend on
    # the order threads combine rows in.
    _settled("stddev_days_late_365d",
             "sqrt(CAST(count(*) * sum(days_after_due * days_after_due) - sum(days_after_due) * sum(days_after_due)"
             " AS DOUBLE) / nullif(count(*) * (count(*) - 1), 0))", "days", "365d", R,
             "Spread of settlement date minus due date over the last year: low means a regular payer."),
    _settled("avg_days_to_pay_365d", "avg(days_to_pay)", "days", "365d", R,
             "Mean days from invoice date to settlement over invoices settled in the last year."),
    _settled("settled_invoice_count_365d", "count(*)", "count", "365d", SAFER_WHEN_HIGHER,
             "Invoices settled in the last year: the evidence behind the timeliness features.", fill="0"),
    _settled("share_settled_in_instalments_365d", "avg(CASE WHEN payment_days_to_settle > 1 THEN 1.0 ELSE 0.0 END)",
             "share", "365d", R, "Among invoices settled in the last year, the share paid in more than one instalment."),
    _settled("avg_days_late_90d", _recent("avg(days_late)"), "days", "90d", R,
             "Mean days late over invoices settled in (as_of - 90 days, as_of]."),
    _settled("avg_days_late_prior_275d", "avg(days_late) FILTER (WHERE days_ago >= 90)", "days", "365d", R,
             "Mean days late over invoices settled in (as_of - 365 days, as_of - 90 days]: the base of the trend."),
    _settled("share_paid_over_30d_late_90d", _recent("avg(CASE WHEN days_late > 30 THEN 1.0 ELSE 0.0 END)"), "share",
             "90d", R, "Among invoices settled in the last 90 days, the share settled more than 30 days after due."),
]
