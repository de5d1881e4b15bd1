"""Exposure at the as-of date: what is open, how overdue, how it ages."""

from features.catalogue import NO_DIRECTION, RISKIER_WHEN_HIGHER, Feature

R = RISKIER_WHEN_HIGHER


def _open(name, sql, unit, direction, description, fill="0"):
    return Feature(name, "open_documents", sql, unit, "as_of", direction, description, fill=fill)


def _bucket(name, condition, words):
    return _open(
        name,
        f"sum(open_amount) FILTER (WHERE {condition})",
        "EUR",
        R,
        f"Open amount {words} at as_of (credit notes age by their own due date, so the buckets add up to open_amount).",
    )


FEATURES = [
    _open(
        "open_amount",
        "sum(open_amount)",
        "EUR",
        NO_DIRECTION,
        "Unpaid amount at as_of of documents dated on or before it, net of open credit notes; part-payments made by as_of are deducted.",
    ),
    _open(
        "overdue_amount",
        "sum(open_amount) FILTER (WHERE days_past_due > 0)",
        "EUR",
        R,
        "The part of open_amount whose due date is before as_of.",
    ),
    _bucket("aging_current_amount", "days_past_due <= 0", "not yet due"),
    _bucket("aging_1_30_amount", "days_past_due BETWEEN 1 AND 30", "1 to 30 days past due"),
    _bucket("aging_31_60_amount", "days_past_due BETWEEN 31 AND 60", "31 to 60 days past due"),
    _bucket("aging_61_90_amount", "days_past_due BETWEEN 61 AND 90", "61 to 90 days past due"),
    _bucket("aging_91_180_amount", "days_past_due BETWEEN 91 AND 180", "91 to 180 days past due"),
    _bucket("aging_over_180_amount", "days_past_due > 180", "more than 180 days past due"),
    _open(
        "max_days_past_due_open",
        "greatest(0, max(days_past_due) FILTER (WHERE NOT is_credit_note))",
        "days",
        R,
        "Largest days past due among open invoices at as_of (0 when none is overdue).",
    ),
    _open(
        "amount_weighted_days_past_due_open",
        "sum(greatest(days_past_due, 0) * open_amount) FILTER (WHERE NOT is_credit_note)"
        " / nullif(sum(open_amount) FILTER (WHERE NOT is_credit_note), 0)",
        "days",
        R,
        "Days past due of open invoices, weighted by their open amount (0 = all current).",
        fill=None,
    ),
    _open(
        "open_invoice_count",
        "count(*) FILTER (WHERE NOT is_credit_note)",
        "count",
        NO_DIRECTION,
        "Number of invoices open at as_of.",
    ),
    _open(
        "overdue_invoice_count",
        "count(*) FILTER (WHERE NOT is_credit_note AND days_past_due > 0)",
        "count",
        R,
        "Number of open invoices past their due date at as_of.",
    ),
    _open(
        "part_paid_open_invoice_count",
        "count(*) FILTER (WHERE NOT is_credit_note AND paid_amount > 0)",
        "count",
        R,
        "Open invoices on which some but not all of the amount had been paid by as_of.",
    ),
    _open(
        "open_credit_note_amount",
        "coalesce(-sum(open_amount) FILTER (WHERE is_credit_note), 0)",
        "EUR",
        NO_DIRECTION,
        "Credit notes issued and not yet applied at as_of (a positive number).",
    ),
    _open(
        "disputed_open_amount",
        "sum(open_amount) FILTER (WHERE is_disputed AND NOT is_credit_note)",
        "EUR",
        R,
        "Open amount of invoices under a dispute that is open at as_of.",
    ),
    _open(
        "oldest_open_invoice_age_days",
        "max(age_days) FILTER (WHERE NOT is_credit_note)",
        "days",
        R,
        "Days since the oldest open invoice was issued (empty when nothing is open).",
        fill=None,
    ),
]
