"""Trading volume: what was invoiced, how much, on what terms.

`issued_365d` has one row per customer and as-of date with the window totals (`features.facts`);
these features are expressions over that row.
"""

from features.catalogue import NO_DIRECTION, RISKIER_WHEN_HIGHER, Feature


def _issued(name, sql, unit, window, direction, description, fill="0"):
    return Feature(name, "issued_365d", sql, unit, window, direction, description, fill=fill)


FEATURES = [
    _issued(
        "invoice_count_90d",
        "invoice_count_90d",
        "count",
        "90d",
        NO_DIRECTION,
        "Invoices dated in (as_of - 90 days, as_of].",
    ),
    _issued(
        "invoice_amount_90d",
        "invoice_amount_90d",
        "EUR",
        "90d",
        NO_DIRECTION,
        "Amount invoiced in (as_of - 90 days, as_of].",
    ),
    _issued(
        "invoice_count_365d",
        "invoice_count_365d",
        "count",
        "365d",
        NO_DIRECTION,
        "Invoices dated in (as_of - 365 days, as_of].",
    ),
    _issued(
        "invoice_amount_365d",
        "invoice_amount_365d",
        "EUR",
        "365d",
        NO_DIRECTION,
        "Amount invoiced in (as_of - 365 days, as_of].",
    ),
    _issued(
        "invoice_amount_prior_275d",
        "invoice_amount_prior_275d",
        "EUR",
        "365d",
        NO_DIRECTION,
        "Amount invoiced in (as_of - 365 days, as_of - 90 days]: the base of the volume trend.",
    ),
    _issued(
        "avg_invoice_amount_365d",
        "invoice_amount_365d / nullif(invoice_count_365d, 0)",
        "EUR",
        "365d",
        NO_DIRECTION,
        "Mean invoice amount over the last year.",
        fill=None,
    ),
    _issued(
        "max_invoice_amount_365d",
        "max_invoice_amount_365d",
        "EUR",
        "365d",
        NO_DIRECTION,
        "Largest invoice of the last year.",
        fill=None,
    ),
    _issued(
        "credit_note_amount_365d",
        "credit_note_amount_365d",
        "EUR",
        "365d",
        RISKIER_WHEN_HIGHER,
        "Amount of credit notes issued in the last year (returns, price disputes).",
    ),
    _issued(
        "credit_note_share_365d",
        "credit_note_amount_365d / nullif(invoice_amount_365d, 0)",
        "share",
        "365d",
        RISKIER_WHEN_HIGHER,
        "Credit notes as a share of the amount invoiced in the last year.",
        fill=None,
    ),
    _issued(
        "avg_terms_days_365d",
        "terms_days_365d / nullif(invoice_count_365d, 0)",
        "days",
        "365d",
        NO_DIRECTION,
        "Mean agreed terms (due date minus invoice date) on last year's invoices.",
        fill=None,
    ),
    _issued(
        "active_months_365d",
        "active_months_365d",
        "count",
        "365d",
        NO_DIRECTION,
        "Thirty-day periods of the last year with at least one invoice (regular trade is 12).",
    ),
]
