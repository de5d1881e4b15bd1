"""The hidden world's customers: who they are, how big, how risky at heart.

They are the first draws from the `world` stream, so that re-tuning how the ledger shows them
leaves them as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sample import parameters
from features.sample.days import Months
from features.sample.parameters import SampleConfig


@dataclass(frozen=True)
class Customers:
    """Who the customers are, as the world drew them; one entry per customer."""

    industry: np.ndarray  # index into INDUSTRIES
    country: np.ndarray  # index into COUNTRIES
    size_z: np.ndarray  # standard normal behind the revenue
    revenue: np.ndarray
    purchases: np.ndarray  # expected annual sales to this customer
    terms: np.ndarray  # payment terms in days
    is_new: np.ndarray  # onboarded during the ledger
    onboarding: np.ndarray  # day
    onboard_month: np.ndarray  # month index, 0 for customers already on the books
    first_day: np.ndarray  # first day the customer can have a document: onboarding or the ledger start
    base: np.ndarray  # static part of the latent risk
    idio: np.ndarray  # idiosyncratic AR(1) part of the latent risk at the ledger start


def draw_customers(config: SampleConfig, months: Months, world: np.random.Generator) -> Customers:
    """Return the customers: who they are, how big, how risky at heart."""
    n = config.customers
    n_ind, n_cty = len(parameters.INDUSTRIES), len(parameters.COUNTRIES)
    industry = world.choice(
        n_ind, size=n, p=np.array([i[1] for i in parameters.INDUSTRIES]) / sum(i[1] for i in parameters.INDUSTRIES)
    )
    country = world.choice(
        n_cty, size=n, p=np.array([c[1] for c in parameters.COUNTRIES]) / sum(c[1] for c in parameters.COUNTRIES)
    )
    size_z = world.standard_normal(n)
    revenue = np.maximum(np.round(parameters.REVENUE_MEDIAN * np.exp(parameters.REVENUE_SIGMA * size_z), -3), 50_000.0)
    share = np.clip(
        parameters.PURCHASE_SHARE_MEDIAN * np.exp(parameters.PURCHASE_SHARE_SIGMA * world.standard_normal(n)),
        0.001,
        0.3,
    )
    purchases = revenue * share  # expected annual sales to this customer
    terms = world.choice(np.array(parameters.PAYMENT_TERMS), size=n, p=parameters.PAYMENT_TERMS_SHARE)
    is_new = world.random(n) < min(parameters.NEW_PER_YEAR * config.years, parameters.NEW_MAX)
    tenure = 30 + np.minimum(world.exponential(4 * 365.25, n), 25 * 365).astype(np.int64)
    span = max(months.end_day - 30 - months.start_day, 1)
    joins = months.start_day + (world.random(n) * span).astype(np.int64)
    onboarding = np.where(is_new, joins, months.start_day - tenure)
    onboard_month = np.maximum(months.index(onboarding), 0)
    first_day = np.maximum(onboarding, months.start_day)
    ind_offset = np.array([i[2] for i in parameters.INDUSTRIES])[industry]
    cty_offset = np.array([c[2] for c in parameters.COUNTRIES])[country]
    base = (
        ind_offset
        + cty_offset
        + parameters.RISK_SIZE_SLOPE * size_z
        + parameters.RISK_BASE_SIGMA * world.standard_normal(n)
    )
    base += parameters.RISK_NEW_CUSTOMER * is_new
    idio_sd = parameters.IDIO_SIGMA / np.sqrt(1 - parameters.IDIO_PHI**2)
    x = idio_sd * world.standard_normal(n)
    return Customers(
        industry=industry,
        country=country,
        size_z=size_z,
        revenue=revenue,
        purchases=purchases,
        terms=terms,
        is_new=is_new,
        onboarding=onboarding,
        onboard_month=onboard_month,
        first_day=first_day,
        base=base,
        idio=x,
    )
