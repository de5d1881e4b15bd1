"""Who the customer is: attributes from the customer table and the age of the relationship.

The customer table carries no history, so these are taken as they stand in the ledger. Customer
columns outside the contract (ratings, ratios, insured limits) are added to the feature table by
the pipeline, numeric as numeric and text as categorical.
"""

from features.feature import NO_DIRECTION, SAFER_WHEN_HIGHER, Feature

FEATURES = [
    Feature(
        name="credit_limit",
        source="customer",
        sql="c.credit_limit",
        unit="EUR",
        window="as_of",
        direction=NO_DIRECTION,
        description="Credit limit on the customer record; empty when none is set.",
        label_en="Credit limit (EUR)",
        label_zh="信用额度（欧元）",
        missing_en="no credit limit set",
        missing_zh="未设定信用额度",
    ),
    Feature(
        name="payment_terms_days",
        source="customer",
        sql="c.payment_terms_days",
        unit="days",
        window="as_of",
        direction=NO_DIRECTION,
        description="Standard payment terms on the customer record.",
        label_en="Standard payment terms (days)",
        label_zh="标准付款账期（天）",
        missing_en="no standard payment terms on the customer record",
        missing_zh="客户档案中无标准付款账期",
    ),
    Feature(
        name="customer_tenure_days",
        source="customer",
        sql="greatest(0, date_diff('day', coalesce(least(c.onboarding_date, p.first_invoice_date), p.first_invoice_date), p.as_of_date))",
        unit="days",
        window="history",
        direction=SAFER_WHEN_HIGHER,
        description="Days from onboarding (or the first invoice when earlier or no onboarding date is given) to as_of.",
        label_en="Length of the relationship (days)",
        label_zh="合作时长（天）",
    ),
    Feature(
        name="industry",
        source="customer",
        sql="c.industry",
        unit="category",
        window="as_of",
        direction=NO_DIRECTION,
        description="Industry on the customer record.",
        label_en="Industry",
        label_zh="行业",
        categorical=True,
    ),
    Feature(
        name="country",
        source="customer",
        sql="c.country",
        unit="category",
        window="as_of",
        direction=NO_DIRECTION,
        description="Country on the customer record.",
        label_en="Country",
        label_zh="国家/地区",
        categorical=True,
    ),
]
