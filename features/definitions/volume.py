"""Trading volume: what was invoiced, how much, on what terms."""

from features.catalogue import NO_DIRECTION, RISKIER_WHEN_HIGHER, Feature


def _issued(name, sql, unit, window, direction, description, fill="0"):
    return Feature(name, "issued_365d", sql, unit, window, direction, description, fill=fill)


FEATURES = [
    _issued("invoice_count_90d", "count(*) FILTER (WHERE NOT is_credit_note AND days_ago < 90)", "count", "90d", NO_DIRECTION,
            "Invoices dated in (as_of - 90 days, as_of]."),
    _issued("invoice_amount_90d", "sum(amount) FILTER (WHERE NOT is_credit_note AND days_ago < 90)", "EUR", "90d", NO_DIRECTION,
            "Amount invoiced in (as_of - 90 days, as_of]."),
    _issued("invoice_count_365d", "count(*) FILTER (WHERE NOT is_credit_note)", "count", "365d", NO_DIRECTION,
            "Invoices dated in (as_of - 365 days, as_of]."),
    _issued("invoice_amount_365d", "sum(amount) FILTER (WHERE NOT is_credit_note)", "EUR", "365d", NO_DIRECTION,
            "Amount invoiced in (as_of - 365 days, as_of]."),
    _issued("invoice_amount_prior_275d", "sum(amount) FILTER (WHERE NOT is_credit_note AND days_ago >= 90)", "EUR",
            "365d", NO_DIRECTION, "Amount invoiced in (as_of - 365 days, as_of - 90 days]: the base of the volume trend."),
    _issued("avg_invoice_amount_365d", "avg(amount) FILTER (WHERE NOT is_credit_note)", "EUR", "365d", NO_DIRECTION,
            "Mean invoice amount over the last year.", fill=None),
    _issued("max_invoice_amount_365d", "max(amount) FILTER (WHERE NOT is_credit_note)", "EUR", "365d", NO_DIRECTION,
            "Largest invoice of the last year.", fill=None),
    _issued("credit_note_amount_365d", "sum(amount) FILTER (WHERE is_credit_note)", "EUR", "365d", RISKIER_WHEN_HIGHER,
            "Amount of credit notes issued in the last year (returns, price disputes)."),
    _issued("credit_note_share_365d",
            "coalesce(sum(amount) FILTER (WHERE is_credit_note), 0) / nullif(sum(amount) FILTER (WHERE NOT is_credit_note), 0)",
            "share", "365d", RISKIER_WHEN_HIGHER,
            "Credit notes as a share of the amount invoiced in the last year.", fill=None),
    _issued("avg_terms_days_365d", "avg(terms_days) FILTER (WHERE NOT is_credit_note)", "days", "365d", NO_DIRECTION,
            "Mean agreed terms (due date minus invoice date) on last year's invoices.", fill=None),
    _issued("active_months_365d", "bit_count(bit_or(CAST(1 AS BIGINT) << (days_ago // 30)) FILTER (WHERE NOT is_credit_note))", "count", "365d",
            NO_DIRECTION, "Thirty-day periods of the last year with at least one invoice (regular trade is 12)."),
]
