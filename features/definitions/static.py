"""Who the customer is: attributes from the customer table and the age of the relationship.

The customer table carries no history, so these are taken as they stand in the ledger. Customer
columns outside the contract (ratings, ratios, insured limits) are added to the feature table by
the pipeline, numeric as numeric and text as categorical.
"""

from features.catalogue import NO_DIRECTION, SAFER_WHEN_HIGHER, Feature

FEATURES = [
    Feature(
        "credit_limit",
        "customer",
        "c.credit_limit",
        "EUR",
        "as_of",
        NO_DIRECTION,
        "Credit limit on the customer record; empty when none is set.",
    ),
    Feature(
        "payment_terms_days",
        "customer",
        "c.payment_terms_days",
        "days",
        "as_of",
        NO_DIRECTION,
        "Standard payment terms on the customer record.",
    ),
    Feature(
        "customer_tenure_days",
        "customer",
        "greatest(0, date_diff('day', coalesce(least(c.onboarding_date, p.first_invoice_date), p.first_invoice_date), p.as_of_date))",
        "days",
        "history",
        SAFER_WHEN_HIGHER,
        "Days from onboarding (or the first invoice when earlier or no onboarding date is given) to as_of.",
    ),
    Feature(
        "industry",
        "customer",
        "c.industry",
        "category",
        "as_of",
        NO_DIRECTION,
        "Industry on the customer record.",
        categorical=True,
    ),
    Feature(
        "country",
        "customer",
        "c.country",
        "category",
        "as_of",
        NO_DIRECTION,
        "Country on the customer record.",
        categorical=True,
    ),
]
