"""The parameters of the sample portfolio: `SampleConfig` and the constants of its generative story.

`SampleConfig` says how big a portfolio to draw (customers, years, seed, start); the constants are
the parameters of the story `docs/sample-portfolio.md` tells. The generator's modules read them as
`parameters.NAME` when they run, not when they are imported, so that setting one here (or on
`features.sample`, which passes it on) re-tunes the next `generate_portfolio`: that is how the tests
show that behaviour parameters leave the hidden world unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# --- The portfolio -------------------------------------------------------------------------------

# name, share of customers, risk offset, macro volatility (per month), sales seasonality
# amplitude, peak month of sales (1-12), extra winter hazard.
INDUSTRIES = (
    ("manufacturing", 0.20, 0.00, 0.040, 0.05, 3, 0.00),
    ("wholesale", 0.17, 0.05, 0.040, 0.08, 10, 0.00),
    ("retail", 0.14, 0.25, 0.060, 0.25, 11, 0.00),
    ("construction", 0.12, 0.35, 0.070, 0.30, 6, 0.20),
    ("transport_logistics", 0.10, 0.20, 0.060, 0.10, 10, 0.05),
    ("food_beverage", 0.10, -0.10, 0.030, 0.15, 12, 0.00),
    ("automotive", 0.09, 0.10, 0.060, 0.10, 4, 0.00),
    ("it_services", 0.08, -0.15, 0.045, 0.05, 12, 0.00),
)
# ISO alpha-2 code, share of customers, risk offset, legal-form suffixes.
COUNTRIES = (
    ("DE", 0.22, -0.10, ("GmbH", "AG", "GmbH & Co. KG")),
    ("FR", 0.13, 0.05, ("SAS", "SARL", "SA")),
    ("IT", 0.10, 0.20, ("S.r.l.", "S.p.A.")),
    ("ES", 0.08, 0.15, ("S.L.", "S.A.")),
    ("NL", 0.08, -0.10, ("B.V.", "N.V.")),
    ("BE", 0.05, 0.00, ("BV", "SA", "NV")),
    ("AT", 0.05, -0.10, ("GmbH", "AG")),
    ("PL", 0.07, 0.15, ("Sp. z o.o.", "S.A.")),
    ("SE", 0.04, -0.15, ("AB",)),
    ("GB", 0.08, 0.05, ("Ltd", "PLC")),
    ("CH", 0.04, -0.20, ("AG", "GmbH", "SA")),
    ("US", 0.06, 0.00, ("Inc.", "LLC", "Corp.")),
)
NAME_WORDS = (
    "Alpen",
    "Nord",
    "Sud",
    "Rhein",
    "Atlas",
    "Orion",
    "Delta",
    "Vector",
    "Nova",
    "Global",
    "Euro",
    "Prime",
    "Apex",
    "Blue",
    "Green",
    "Silver",
    "Golden",
    "Baltic",
    "Iberia",
    "Helvetia",
    "Summit",
    "Crown",
    "Pioneer",
    "Unity",
    "Meridian",
    "Falcon",
    "Lumen",
    "Terra",
    "Aqua",
    "Metro",
)
INDUSTRY_WORDS = {
    "manufacturing": ("Industries", "Werke", "Fabrication", "Components", "Machinery", "Metals"),
    "wholesale": ("Trading", "Distribution", "Supply", "Wholesale"),
    "retail": ("Stores", "Retail", "Markets", "Shops"),
    "construction": ("Bau", "Construction", "Builders", "Infra"),
    "transport_logistics": ("Logistics", "Transport", "Freight", "Shipping"),
    "food_beverage": ("Foods", "Beverages", "Farms", "Gourmet"),
    "automotive": ("Automotive", "Motors", "Parts", "Mobility"),
    "it_services": ("Systems", "Software", "Digital", "Tech"),
}
PAYMENT_TERMS = (30, 45, 60, 90)
PAYMENT_TERMS_SHARE = (0.45, 0.20, 0.25, 0.10)

# Size: annual revenue is lognormal; the share of it bought from us is lognormal too.
REVENUE_MEDIAN, REVENUE_SIGMA = 8e6, 1.5
PURCHASE_SHARE_MEDIAN, PURCHASE_SHARE_SIGMA = 0.015, 0.8
# Invoices per active month: RATE * (annual purchases / median) ** RATE_ELASTICITY * Gamma(2)/2.
INVOICE_RATE, INVOICE_RATE_ELASTICITY, INVOICE_RATE_MAX = 2.55, 0.45, 250.0
INVOICE_AMOUNT_SIGMA = 0.85  # log-scale spread of one customer's invoice amounts
MIN_AMOUNT = 5.0
# A share of new customers arrives during the ledger, uniformly: NEW_PER_YEAR per ledger year.
NEW_PER_YEAR, NEW_MAX = 0.10, 0.50

# --- Latent risk ---------------------------------------------------------------------------------
# risk R = base (static) + X (idiosyncratic AR(1)) + industry macro random walk + common random walk.
RISK_BASE_SIGMA = 0.85
RISK_SIZE_SLOPE = -0.20  # bigger customers are safer
RISK_NEW_CUSTOMER = 0.30  # customers onboarded during the ledger are riskier
IDIO_PHI, IDIO_SIGMA = 0.98, 0.10  # slow mean reversion: nearly a random walk over a few years
COMMON_SIGMA = 0.03
HAZARD_SEASON = 0.15  # distress hazard peaks in January
# Monthly hazard of entering distress: min(exp(HAZARD_BASE + R + season), HAZARD_CAP).
HAZARD_BASE, HAZARD_CAP = -6.35, 0.5
# Distress ends in default with P_DEFAULT, DEFAULT_AFTER months after it began (uniform), else
# the customer recovers RECOVERY_AFTER months after it began (uniform).
P_DEFAULT = 0.65
DEFAULT_AFTER = np.arange(5, 13)
RECOVERY_AFTER = np.arange(2, 9)
P_INSOLVENCY = 0.35  # share of defaults recorded as `insolvency` rather than `default`
P_WRITE_OFF = 0.70  # share of defaults with an open balance that are later written off
P_HANDOVER = 0.20  # per distressed month (from the second): debt handed over to collections
# The credit insurer's limit changes per month (`insurer_limit_change` events): it pools what the customer's
# other suppliers see, so it hears of a distress within weeks and has the limit cut.
P_INSURER_LIMIT_CHANGE, P_INSURER_LIMIT_CHANGE_DISTRESS = 0.006, 0.5

# --- Behaviour -----------------------------------------------------------------------------------
# A healthy customer's days after the due date: its habit + DELAY_PER_RISK x risk (+ DELAY_CONVEX x
# (risk - 1)^2 above a risk of 1: the riskiest are habitually slow) + noise, and rarely a late spell.
HABIT_MEAN, HABIT_SIGMA = -3.0, 1.5
P_EARLY_PAYER = 0.12  # pays well before due (e.g. for a discount)
DELAY_PER_RISK, DELAY_CONVEX, DELAY_NOISE = 7.0, 2.0, 1.5
P_LATE_SPELL, LATE_SPELL_RISK, LATE_SPELL_DAYS, LATE_SPELL_MAX = 0.01, 0.5, 10.0, 0.1
# Distress shows from the day it begins (a day of the month before the truth records it). A payment
# that would fall in it comes DISTRESS_DELAY + exponential(DISTRESS_DELAY_DAYS) days later, or, with
# P_WITHHOLD, not at all until the distress ends: CATCH_UP_DAYS after a recovery, never on a default.
DISTRESS_DELAY, DISTRESS_DELAY_DAYS = 30.0, 15.0
P_WITHHOLD, CATCH_UP_DAYS = 0.6, 30
# A distressed customer buys hand to mouth: 1 + ORDER_SPLIT times the orders, each 1 - ORDER_SHRINK the size.
ORDER_SPLIT, ORDER_SHRINK = 1.0, 0.6
P_PARTIAL, P_PARTIAL_DISTRESS = 0.03, 0.45  # invoices paid in instalments; + the second while distressed
# Disputes: P_DISPUTE x exp(DISPUTE_RISK x risk), x (1 + DISPUTE_DISTRESS) while distressed; and invoices
# open when a distress begins are disputed, to buy time, with P_STALL_DISPUTE within STALL_DISPUTE_DAYS.
P_DISPUTE, DISPUTE_RISK, DISPUTE_DISTRESS = 0.013, 0.8, 5.0
P_STALL_DISPUTE, STALL_DISPUTE_DAYS = 0.8, 3
P_CREDITED = 0.45
P_CREDIT_NOTE = 0.018  # stand-alone credit notes (returns, rebates), share of documents
RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
RATING_CUTS = (-2.1, -1.4, -0.55, 0.35, 1.2, 2.0)  # on noisy risk: below the first cut is AAA
RATING_NOISE = 0.4
RATING_LIMIT_FACTOR = (1.2, 1.1, 1.0, 0.9, 0.7, 0.5, 0.25, 0.6)  # by rating, the last for NR
P_UNRATED = 0.10
P_INSURED = (0.75, 0.75, 0.7, 0.65, 0.45, 0.3, 0.1, 0.2)  # by rating, the last for NR


@dataclass(frozen=True)
class SampleConfig:
    """How big a portfolio to draw, from which seed, and from which day."""

    customers: int = 2000
    years: int = 3
    seed: int = 42
    start: dt.date = dt.date(2022, 1, 1)  # first invoice date; the ledger covers [start, start + years)

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("customers must be at least 1")
        if not 1 <= self.years <= 50:
            raise ValueError("years must be between 1 and 50")

    @property
    def end(self) -> dt.date:
        """First day after the ledger: start + years (28 February for a 29 February start)."""
        try:
            return self.start.replace(year=self.start.year + self.years)
        except ValueError:
            return self.start.replace(year=self.start.year + self.years, day=28)
