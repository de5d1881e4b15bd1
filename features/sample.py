"""A synthetic B2B accounts-receivable portfolio with a known, hidden default risk.

`generate_portfolio` returns the five ledger tables of the contract (`features.contract`) plus
`_latent_risk`, the generator's own probability that each customer defaults within the next
12 months, per month. That hidden truth is what lets tests and documentation say how good a
model could possibly be (`oracle_auc`). `docs/sample-portfolio.md` tells the generative story;
the constants below are its parameters.

Everything is vectorised numpy over customers x months matrices and over document rows; the only
Python loops run over months or over the (at most three) instalments of a payment, so 100,000
customers and ten million invoices take well under a minute. The output depends on the seed only:
two `numpy.random.Generator`s spawned from it draw, in a fixed order, the hidden world (customers,
latent risk, distress, defaults) and what the ledger shows of it (documents, payments, disputes,
events), so re-tuning behaviour leaves the hidden world as it was; no clock is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import DEFAULT_EVENT_TYPES
from features.ledger_files import to_arrow, write_table, write_tables

LEDGER_TABLES = ("customers", "invoices", "payments", "disputes", "credit_events")
TRUTH_TABLE = "_latent_risk"
TRUTH_FILE = Path("_truth") / "latent_risk.parquet"

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
# Credit-limit changes per month: the credit insurer pools what the customer's other suppliers see, so it
# hears of a distress within weeks and has the limit cut.
P_LIMIT_CHANGE, P_LIMIT_CHANGE_DISTRESS = 0.006, 0.5

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


# --- Helpers -------------------------------------------------------------------------------------

_EPOCH = np.datetime64("1970-01-01", "D")
_NEVER = 1 << 40  # a day that never comes: no default, no resolution


def _day(date: dt.date) -> int:
    return int((np.datetime64(date, "D") - _EPOCH).astype(np.int64))


def _dates(days: np.ndarray) -> np.ndarray:
    """Days since 1970 as datetime64[s]; a huge value means missing (NaT)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[s]")
    out[days >= _NEVER] = np.datetime64("NaT")
    return out


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday: Monday is 0


def _str_series(array: pa.Array) -> pd.Series:
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(array, dtype=dtype), copy=False)


def _ids(prefix: str, n: int, min_digits: int) -> pa.Array:
    """Return prefix + zero-padded 1..n as an Arrow string array, built without Python strings."""
    digits = max(min_digits, len(str(n)))
    width = len(prefix) + digits
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    value = np.arange(1, n + 1, dtype=np.int64)
    for k in range(width - 1, len(prefix) - 1, -1):
        buf[:, k] = 48 + value % 10
        value //= 10
    offsets = np.arange(n + 1, dtype=np.int64) * width
    if offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(buf))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def _take(values: pa.Array, index: np.ndarray) -> pd.Series:
    return _str_series(values.take(pa.array(index, type=pa.int64())))


def _nice(x: np.ndarray) -> np.ndarray:
    """Round to a number a credit team would write: 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8 x 10^k."""
    steps = np.array([1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10])
    scale = 10.0 ** np.floor(np.log10(x))
    m = x / scale
    pick = np.abs(m[:, None] - steps[None, :]).argmin(axis=1)
    return steps[pick] * scale


def _split_cents(total: np.ndarray, parts: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Split amounts in cents into `parts` (2 or 3) positive instalments each; return 3 arrays."""
    w = 0.25 + rng.random((total.size, 3))
    w[parts < 3, 2] = 0.0
    w /= w.sum(axis=1, keepdims=True)
    first = np.maximum(np.floor(total * w[:, 0]).astype(np.int64), 1)
    second = np.where(parts == 3, np.maximum(np.floor(total * w[:, 1]).astype(np.int64), 1), total - first)
    third = np.where(parts == 3, total - first - second, 0)
    return [first, second, third]


@dataclass
class _Months:
    start_day: int
    end_day: int
    first: np.ndarray  # first day of each month (days since 1970), one more than the months
    moy: np.ndarray  # month of year 0-11

    @property
    def count(self) -> int:
        return self.moy.size

    @property
    def length(self) -> np.ndarray:
        return np.diff(self.first)

    def index(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.first, days, side="right") - 1


def _month_grid(config: SampleConfig) -> _Months:
    start_day, end_day = _day(config.start), _day(config.end)
    first_month = np.datetime64(config.start, "M")
    last_month = np.datetime64(config.end - dt.timedelta(days=1), "M")
    count = int((last_month - first_month).astype(np.int64)) + 1
    months = first_month + np.arange(count + 1)
    first = (months.astype("datetime64[D]") - _EPOCH).astype(np.int64)
    moy = (months[:-1].astype(np.int64) % 12).astype(np.int64)
    return _Months(start_day, end_day, first, moy)


# --- The generator -------------------------------------------------------------------------------


def _distress_pd_by_age(max_age: int) -> np.ndarray:
    """P(default within 12 months | distressed for `age` months at a month start), age 0..max_age."""
    age = np.arange(max_age + 1)[:, None]
    d, r = DEFAULT_AFTER[None, :], RECOVERY_AFTER[None, :]
    still_default = P_DEFAULT * (d >= age).mean(axis=1)
    still_recover = (1 - P_DEFAULT) * (r > age).mean(axis=1)
    within = P_DEFAULT * ((d >= age) & (d <= age + 11)).mean(axis=1)
    alive = still_default + still_recover
    return np.where(alive > 0, within / np.where(alive > 0, alive, 1), 0.0)


def _default_within(months: int) -> float:
    """P(the default comes at most `months` months after distress began | it ends in default)."""
    return float((months >= DEFAULT_AFTER).mean())


def generate_portfolio(config: SampleConfig, progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Return the tables customers, invoices, payments, disputes, credit_events (contract columns, typed),
    plus '_latent_risk' (hidden truth, NOT a ledger table): customer_id, month (date, first of month),
    pd_12m_true = the generator's true probability that the customer defaults within the next 12 months
    from that month start."""
    say = progress or (lambda message: None)
    # Two streams from the seed: `world` draws the customers and their hidden risk, distress and default;
    # `rng` everything the ledger shows of them. Re-tuning behaviour leaves the hidden world unchanged.
    # Each stage below draws from them in turn: the order of the stages is the order of the draws.
    world, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(2))
    months = _month_grid(config)

    say(f"customers: {config.customers:,}")
    customers = _customers(config, months, world)
    say(f"latent risk: {months.count} months")
    hidden = _risk_process(customers, months, world, rng)
    say("invoices")
    docs = _invoices(customers, hidden, months, rng)
    say(f"payments for {docs.cust.size:,} documents")
    timing = _payment_days(customers, hidden, docs, months, rng)
    disputed = _disputes(hidden, docs, timing, months, rng)
    paid = _payments(hidden, docs, timing, disputed, months, rng)
    del timing

    say("assembling tables")
    customer_ids = _ids("C", config.customers, 6)
    invoices, payments, disputes = _ledger_tables(customers, docs, paid, disputed, customer_ids, months)
    has_open_balance = paid.has_open_balance
    del docs, paid, disputed  # the largest arrays: one entry per document or payment
    credit_events = _credit_events(customers, hidden, has_open_balance, customer_ids, months, rng)
    customer_table = _customer_table(customers, hidden.risk, customer_ids, rng)
    say("latent risk table")
    latent = _latent_table(config, hidden.pd12, customer_ids, months)
    say("done")
    return {
        "customers": customer_table,
        "invoices": invoices,
        "payments": payments,
        "disputes": disputes,
        "credit_events": credit_events,
        TRUTH_TABLE: latent,
    }


@dataclass(frozen=True)
class _Customers:
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


@dataclass(frozen=True)
class _Hidden:
    """What happened to each customer, month by month: customers x months matrices and per-customer defaults."""

    risk: np.ndarray  # latent risk R at each month
    onset_of: np.ndarray  # onset day of the distress under way in (or beginning during) the month, or _NEVER
    recovery_of: np.ndarray  # the day that distress ends in a recovery, or _NEVER
    pd12: np.ndarray  # true P(default within 12 months) at the month start; NaN before onboarding, after default
    default_month: np.ndarray  # month index of the default (may lie beyond the ledger), or _NEVER
    default_day: np.ndarray  # day of the default inside the ledger, or _NEVER
    event_customer: np.ndarray  # information events: customer,
    event_day: np.ndarray  # day,
    event_kind: np.ndarray  # and kind: 0 collections handover, 1 limit change

    def in_distress(self, cell: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether the customer of each customer-month `cell` is distressed on `day` (a day of that month)."""
        return self.onset_of.ravel()[cell] <= day


@dataclass(frozen=True)
class _Documents:
    """Invoices and stand-alone credit notes, month-major; one entry per document."""

    cust: np.ndarray
    month: np.ndarray
    day: np.ndarray
    cents: np.ndarray
    is_credit_note: np.ndarray


@dataclass(frozen=True)
class _PaymentDays:
    """When each document would be paid in one go, and what distress does to it; one entry per document."""

    day: np.ndarray  # payment day; `_disputes` postpones it for disputed invoices
    distressed: np.ndarray  # the customer is distressed on the payment day
    risk_due: np.ndarray  # latent risk in the month the document falls due
    stall: np.ndarray  # disputed to buy time: the distress began while the invoice was open
    stall_day: np.ndarray  # the day such a dispute opens


@dataclass(frozen=True)
class _Disputes:
    """The disputed invoices and how their disputes end; one entry per dispute, but the credit notes."""

    invoice: np.ndarray  # document index
    opened: np.ndarray
    resolved: np.ndarray
    credited: np.ndarray
    visible: np.ndarray  # opened inside the ledger and before a default
    closed: np.ndarray  # visible and resolved inside the ledger and before a default
    cn_from: np.ndarray  # one per credit note of a credited dispute: the document it credits
    cn_cents: np.ndarray  # and its amount in cents


@dataclass(frozen=True)
class _Payments:
    """The payment rows, instalments and applied credit notes; one entry per row, but the last field."""

    invoice: np.ndarray  # document index (credit notes from disputes numbered after the documents)
    day: np.ndarray
    cents: np.ndarray
    has_open_balance: np.ndarray  # per customer: defaults with an invoice not fully paid


class _DistressStart(NamedTuple):
    """The distress state at the ledger start, one entry per customer."""

    distressed: np.ndarray
    entry: np.ndarray  # month the distress began (0 or negative)
    default_month: np.ndarray
    recover_month: np.ndarray
    onset: np.ndarray  # day the distress began


def _customers(config: SampleConfig, months: _Months, world: np.random.Generator) -> _Customers:
    """Return the customers: who they are, how big, how risky at heart."""
    n = config.customers
    n_ind, n_cty = len(INDUSTRIES), len(COUNTRIES)
    industry = world.choice(n_ind, size=n, p=np.array([i[1] for i in INDUSTRIES]) / sum(i[1] for i in INDUSTRIES))
    country = world.choice(n_cty, size=n, p=np.array([c[1] for c in COUNTRIES]) / sum(c[1] for c in COUNTRIES))
    size_z = world.standard_normal(n)
    revenue = np.maximum(np.round(REVENUE_MEDIAN * np.exp(REVENUE_SIGMA * size_z), -3), 50_000.0)
    share = np.clip(PURCHASE_SHARE_MEDIAN * np.exp(PURCHASE_SHARE_SIGMA * world.standard_normal(n)), 0.001, 0.3)
    purchases = revenue * share  # expected annual sales to this customer
    terms = world.choice(np.array(PAYMENT_TERMS), size=n, p=PAYMENT_TERMS_SHARE)
    is_new = world.random(n) < min(NEW_PER_YEAR * config.years, NEW_MAX)
    tenure = 30 + np.minimum(world.exponential(4 * 365.25, n), 25 * 365).astype(np.int64)
    span = max(months.end_day - 30 - months.start_day, 1)
    joins = months.start_day + (world.random(n) * span).astype(np.int64)
    onboarding = np.where(is_new, joins, months.start_day - tenure)
    onboard_month = np.maximum(months.index(onboarding), 0)
    first_day = np.maximum(onboarding, months.start_day)
    ind_offset = np.array([i[2] for i in INDUSTRIES])[industry]
    cty_offset = np.array([c[2] for c in COUNTRIES])[country]
    base = ind_offset + cty_offset + RISK_SIZE_SLOPE * size_z + RISK_BASE_SIGMA * world.standard_normal(n)
    base += RISK_NEW_CUSTOMER * is_new
    idio_sd = IDIO_SIGMA / np.sqrt(1 - IDIO_PHI**2)
    x = idio_sd * world.standard_normal(n)
    return _Customers(
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


def _hazard_season() -> np.ndarray:
    """Return the seasonal term of the distress hazard, industry x month of year."""
    season = HAZARD_SEASON * np.cos(2 * np.pi * np.arange(12) / 12)
    winter = np.isin(np.arange(12), (0, 1, 11)).astype(float)
    return season[None, :] + np.array([i[6] for i in INDUSTRIES])[:, None] * winter[None, :]


def _initial_distress(
    customers: _Customers,
    months: _Months,
    hazard_season: np.ndarray,
    world: np.random.Generator,
    rng: np.random.Generator,
) -> _DistressStart:
    """Return the distress state at the ledger start, for every customer."""
    # Customers already on the books start in the stationary mix of healthy and distressed states.
    n = customers.industry.size
    distressed = np.zeros(n, dtype=bool)
    entry = np.zeros(n, dtype=np.int64)
    default_month = np.full(n, _NEVER, dtype=np.int64)
    recover_month = np.full(n, _NEVER, dtype=np.int64)
    sojourn = P_DEFAULT * (DEFAULT_AFTER + 1).mean() + (1 - P_DEFAULT) * RECOVERY_AFTER.mean()
    h0 = np.minimum(
        np.exp(HAZARD_BASE + customers.base + customers.idio + hazard_season[customers.industry, months.moy[0]]),
        HAZARD_CAP,
    )
    starts_distressed = ~customers.is_new & (world.random(n) < h0 * sojourn / (1 + h0 * sojourn))
    episodes = [(True, d, d + 1, P_DEFAULT / DEFAULT_AFTER.size) for d in DEFAULT_AFTER]
    episodes += [(False, r, r, (1 - P_DEFAULT) / RECOVERY_AFTER.size) for r in RECOVERY_AFTER]
    weights = np.array([p * ages for _, _, ages, p in episodes])
    pick = world.choice(len(episodes), size=n, p=weights / weights.sum())
    ep_default = np.array([e[0] for e in episodes])[pick]
    ep_length = np.array([e[1] for e in episodes])[pick]
    ep_age = (world.random(n) * np.array([e[2] for e in episodes])[pick]).astype(np.int64)
    distressed[starts_distressed] = True
    entry[starts_distressed] = -ep_age[starts_distressed]
    default_month = np.where(starts_distressed & ep_default, entry + ep_length, default_month)
    recover_month = np.where(starts_distressed & ~ep_default, entry + ep_length, recover_month)
    onset = months.first[0] + np.floor((entry - 1 + rng.random(n)) * 30.44).astype(np.int64)
    return _DistressStart(distressed, entry, default_month, recover_month, onset)


def _recovery_day(months: _Months, default_month: np.ndarray, recover_month: np.ndarray) -> np.ndarray:
    """Return the day a distress ends in a recovery (the first of its month), or _NEVER."""
    n_months = months.count
    inside = (default_month >= _NEVER) & (recover_month <= n_months)
    return np.where(inside, months.first[np.minimum(recover_month, n_months)], _NEVER)


def _risk_process(
    customers: _Customers, months: _Months, world: np.random.Generator, rng: np.random.Generator
) -> _Hidden:
    """Return the hidden history: latent risk and the distress / default process, month by month."""
    industry, onboard_month = customers.industry, customers.onboard_month
    n, n_months = industry.size, months.count
    base, x = customers.base, customers.idio
    macro_sigma = np.array([i[3] for i in INDUSTRIES])
    macro = np.zeros(len(INDUSTRIES))
    common = 0.0
    hazard_season = _hazard_season()
    distress_pd = _distress_pd_by_age(int(DEFAULT_AFTER.max()) + 1)
    risk = np.empty((n, n_months), dtype=np.float64)
    # Behaviour follows the distress from the day it begins: per customer-month, the onset day of the
    # episode under way in (or beginning during) that month, and the day it ends in a recovery.
    onset_of = np.full((n, n_months), _NEVER, dtype=np.int64)
    recovery_of = np.full((n, n_months), _NEVER, dtype=np.int64)
    pd12 = np.full((n, n_months), np.nan, dtype=np.float64)
    handed_over = np.zeros(n, dtype=bool)
    distressed, entry, default_month, recover_month, onset = _initial_distress(
        customers, months, hazard_season, world, rng
    )

    event_customer, event_day, event_kind = [], [], []  # kind 0 handover, 1 limit change
    for m in range(n_months):
        r_now = base + x + macro[industry] + common
        risk[:, m] = r_now
        distressed &= recover_month != m
        alive = (onboard_month <= m) & (default_month >= m)
        onset_of[:, m] = np.where(distressed, onset, _NEVER)
        recovery_of[:, m] = np.where(distressed, _recovery_day(months, default_month, recover_month), _NEVER)
        healthy = alive & ~distressed
        # the truth: probability of default within 12 months, as seen from this month's start
        pd_now = np.where(distressed, distress_pd[np.clip(m - entry, 0, distress_pd.size - 1)], 0.0)
        survive = np.ones(n)
        for k in range(int(DEFAULT_AFTER.min()) + 1):  # a later entry into distress cannot default in time
            var = IDIO_SIGMA**2 * (1 - IDIO_PHI ** (2 * k)) / (1 - IDIO_PHI**2) + k * (
                macro_sigma[industry] ** 2 + COMMON_SIGMA**2
            )
            expected_risk = r_now - (1 - IDIO_PHI**k) * x
            future_season = hazard_season[industry, (months.moy[m] + k) % 12]
            h = np.minimum(np.exp(HAZARD_BASE + expected_risk + future_season + var / 2), HAZARD_CAP)
            pd_now += np.where(healthy, survive * h * P_DEFAULT * _default_within(10 - k), 0.0)
            survive *= 1 - h
        pd12[:, m] = np.where(alive, pd_now, np.nan)
        # information events of the month: a collections handover (from the second month of a distress)
        day = months.first[m] + (rng.random(n) * months.length[m]).astype(np.int64)
        handover = alive & distressed & (m - entry >= 1) & ~handed_over & (rng.random(n) < P_HANDOVER)
        handed_over |= handover
        # end of month: healthy customers may slide into distress
        h = np.minimum(np.exp(HAZARD_BASE + r_now + hazard_season[industry, months.moy[m]]), HAZARD_CAP)
        enters = healthy & (world.random(n) < h)
        ends_in_default = world.random(n) < P_DEFAULT
        length = np.where(ends_in_default, world.choice(DEFAULT_AFTER, n), world.choice(RECOVERY_AFTER, n))
        distressed |= enters
        entry = np.where(enters, m + 1, entry)
        handed_over &= ~enters
        default_month = np.where(enters & ends_in_default, m + 1 + length, default_month)
        recover_month = np.where(enters & ~ends_in_default, m + 1 + length, recover_month)
        # the trouble begins on a day of this month; the truth records it from the next month start
        onset = np.where(enters, months.first[m] + (rng.random(n) * months.length[m]).astype(np.int64), onset)
        onset_of[enters, m] = onset[enters]
        recovery_of[enters, m] = _recovery_day(months, default_month, recover_month)[enters]
        # credit-limit changes: the credit insurer hears of the trouble from the customer's other suppliers
        limit = alive & (rng.random(n) < np.where(onset_of[:, m] <= day, P_LIMIT_CHANGE_DISTRESS, P_LIMIT_CHANGE))
        for kind, mask in ((0, handover), (1, limit)):
            event_customer.append(np.flatnonzero(mask))
            event_day.append(day[mask])
            event_kind.append(np.full(int(mask.sum()), kind))
        x = IDIO_PHI * x + IDIO_SIGMA * world.standard_normal(n)
        macro = macro + macro_sigma * world.standard_normal(len(INDUSTRIES))
        common = common + COMMON_SIGMA * world.standard_normal()

    # The default day: uniform within the default month, inside the ledger.
    in_ledger = default_month < n_months
    dm = np.minimum(default_month, n_months - 1)
    default_day = months.first[dm] + (world.random(n) * months.length[dm]).astype(np.int64)
    default_day = np.where(in_ledger, np.maximum(default_day, customers.first_day), _NEVER)
    default_day = np.where(default_day < months.end_day, default_day, _NEVER)
    return _Hidden(
        risk=risk,
        onset_of=onset_of,
        recovery_of=recovery_of,
        pd12=pd12,
        default_month=default_month,
        default_day=default_day,
        event_customer=np.concatenate(event_customer),
        event_day=np.concatenate(event_day),
        event_kind=np.concatenate(event_kind),
    )


def _invoices(customers: _Customers, hidden: _Hidden, months: _Months, rng: np.random.Generator) -> _Documents:
    """Return the invoices and stand-alone credit notes, month by month."""
    # Invoices: Poisson counts per customer-month, expanded month-major so rows come in date order.
    industry, first_day, default_day = customers.industry, customers.first_day, hidden.default_day
    onset_of = hidden.onset_of
    n, n_months = industry.size, months.count
    rate = INVOICE_RATE * (customers.purchases / (REVENUE_MEDIAN * PURCHASE_SHARE_MEDIAN)) ** INVOICE_RATE_ELASTICITY
    rate = np.minimum(rate * rng.gamma(2.0, 0.5, n), INVOICE_RATE_MAX)
    mean_amount = customers.purchases / 12 / rate
    amps = np.array([i[4] for i in INDUSTRIES])[:, None]
    peaks = np.array([i[5] for i in INDUSTRIES])[:, None] - 1
    sales_season = 1 + amps * np.cos(2 * np.pi * (np.arange(12)[None, :] - peaks) / 12)
    sales_season *= np.where(np.arange(12) == 7, 0.85, 1.0)[None, :]  # August holidays
    active = (customers.onboard_month[:, None] <= np.arange(n_months)[None, :]) & (
        np.minimum(hidden.default_month, _NEVER)[:, None] >= np.arange(n_months)[None, :]
    )
    lam = rate[:, None] * sales_season[industry][:, months.moy] * active
    lam *= np.where(onset_of < _NEVER, 1 + ORDER_SPLIT, 1.0)  # thinned below to the days of the distress
    counts = rng.poisson(lam.T).ravel()  # month-major
    del lam, active
    cell = np.repeat(np.arange(n_months * n, dtype=np.int64), counts)
    inv_month = cell // n
    inv_cust = cell % n
    del cell, counts
    inv_day = months.first[inv_month] + (rng.random(inv_cust.size) * months.length[inv_month]).astype(np.int64)
    wd = _weekday(inv_day)
    inv_day = inv_day - (wd == 5) + (wd == 6)
    inv_day = np.where(inv_day >= months.end_day, inv_day - 2, inv_day)
    keep = (inv_day >= first_day[inv_cust]) & (inv_day < default_day[inv_cust]) & (inv_day < months.end_day)
    inv_cust, inv_month, inv_day = inv_cust[keep], inv_month[keep], inv_day[keep]
    # a distressed customer orders more often, in smaller lots
    inv_cell = inv_cust * n_months + inv_month
    dis_inv = hidden.in_distress(inv_cell, inv_day)
    keep = dis_inv | (onset_of.ravel()[inv_cell] >= _NEVER) | (rng.random(inv_cust.size) * (1 + ORDER_SPLIT) < 1)
    inv_cust, inv_month, inv_day, dis_inv = inv_cust[keep], inv_month[keep], inv_day[keep], dis_inv[keep]
    del keep, inv_cell
    n_inv = inv_cust.size
    amount = mean_amount[inv_cust] * np.exp(
        INVOICE_AMOUNT_SIGMA * rng.standard_normal(n_inv) - INVOICE_AMOUNT_SIGMA**2 / 2
    )
    amount *= np.where(dis_inv, 1 - ORDER_SHRINK, 1.0)
    del dis_inv
    is_credit_note = rng.random(n_inv) < P_CREDIT_NOTE
    amount = np.where(is_credit_note, amount * rng.uniform(0.05, 0.4, n_inv), amount)
    cents = np.maximum(np.round(amount * 100), MIN_AMOUNT * 100).astype(np.int64)
    return _Documents(inv_cust, inv_month, inv_day, cents, is_credit_note)


def _payment_days(
    customers: _Customers, hidden: _Hidden, docs: _Documents, months: _Months, rng: np.random.Generator
) -> _PaymentDays:
    """Return when each document would be paid in one go, and which invoices distress makes disputed."""
    # Payment behaviour: the habit and latent risk in the month the invoice falls due set the day the
    # customer would pay; distress at that day postpones the payment, or holds it back altogether.
    inv_cust, inv_day, is_credit_note, terms = docs.cust, docs.day, docs.is_credit_note, customers.terms
    n, n_months, n_inv = terms.size, months.count, inv_cust.size
    due_day = inv_day + terms[inv_cust]
    due_month = np.minimum(months.index(due_day), n_months - 1)
    risk_due = hidden.risk.ravel()[inv_cust * n_months + due_month]
    early = rng.random(n) < P_EARLY_PAYER
    habit = np.where(early, -rng.uniform(0.4, 0.7, n) * terms, HABIT_MEAN + HABIT_SIGMA * rng.standard_normal(n))
    delay = habit[inv_cust] + DELAY_PER_RISK * risk_due + DELAY_CONVEX * np.maximum(risk_due - 1, 0) ** 2
    delay += DELAY_NOISE * rng.standard_normal(n_inv)
    spell = rng.random(n_inv) < np.minimum(P_LATE_SPELL * np.exp(LATE_SPELL_RISK * risk_due), LATE_SPELL_MAX)
    delay += spell * rng.exponential(LATE_SPELL_DAYS, n_inv)
    delay += 3.0 * np.isin(months.moy[due_month], (7, 11))  # August and December
    pay_day = np.maximum(due_day + np.round(delay).astype(np.int64), inv_day)
    del delay, spell, due_month, due_day
    pay_cell = inv_cust * n_months + np.clip(months.index(pay_day), 0, n_months - 1)
    dis_pay = hidden.in_distress(pay_cell, pay_day)
    postpone = np.round(DISTRESS_DELAY + rng.exponential(DISTRESS_DELAY_DAYS, n_inv)).astype(np.int64)
    pay_day += np.where(dis_pay, postpone, 0)
    del postpone
    # most invoices are not paid at all while the distress lasts: after a recovery, or never
    withheld = dis_pay & ~is_credit_note & (rng.random(n_inv) < P_WITHHOLD)
    catch_up = hidden.recovery_of.ravel()[pay_cell] + rng.integers(0, CATCH_UP_DAYS + 1, n_inv)
    pay_day = np.where(withheld, np.maximum(pay_day, catch_up), pay_day)
    # the distress began while the invoice was open (issued, not yet paid): it may be disputed to buy time
    onset_open = hidden.onset_of.ravel()[pay_cell]
    stall = dis_pay & ~is_credit_note & (onset_open > inv_day) & (rng.random(n_inv) < P_STALL_DISPUTE)
    stall_day = onset_open + rng.integers(0, STALL_DISPUTE_DAYS + 1, n_inv)
    return _PaymentDays(pay_day, dis_pay, risk_due, stall, stall_day)


def _disputes(
    hidden: _Hidden, docs: _Documents, timing: _PaymentDays, months: _Months, rng: np.random.Generator
) -> _Disputes:
    """Return the disputes and their credit notes; postpones disputed invoices' payments in `timing.day`, in place."""
    # Disputes: more for risky customers, and a distressed one disputes what it cannot pay; a dispute
    # would open 2-46 days after the invoice (before it is paid), and the invoice is paid after resolution.
    inv_cust, inv_day, is_credit_note, pay_day = docs.cust, docs.day, docs.is_credit_note, timing.day
    n_months, n_inv, default_day = months.count, inv_cust.size, hidden.default_day
    risk_inv = hidden.risk.ravel()[inv_cust * n_months + docs.month]
    window = np.clip(pay_day - inv_day - 2, 1, 45)
    opened = inv_day + 2 + (rng.random(n_inv) * window).astype(np.int64)
    del window
    dis_open = hidden.in_distress(inv_cust * n_months + np.minimum(months.index(opened), n_months - 1), opened)
    p_dispute = P_DISPUTE * np.exp(DISPUTE_RISK * risk_inv) * np.where(dis_open, 1 + DISPUTE_DISTRESS, 1)
    p_dispute = np.minimum(p_dispute, 0.5)
    is_disputed = ~is_credit_note & (rng.random(n_inv) < p_dispute)
    opened = np.where(timing.stall & ~is_disputed, timing.stall_day, opened)
    disputed = np.flatnonzero(is_disputed | timing.stall)
    opened = opened[disputed]
    del p_dispute, risk_inv, dis_open, is_disputed
    resolved = opened + 7 + rng.exponential(35.0, disputed.size).astype(np.int64)
    credited = rng.random(disputed.size) < P_CREDITED
    pay_day[disputed] = np.maximum(
        pay_day[disputed] + rng.integers(0, 15, disputed.size), resolved + 1 + rng.integers(0, 20, disputed.size)
    )
    d_cust = inv_cust[disputed]
    visible = (opened < months.end_day) & (opened < default_day[d_cust])
    closed = visible & (resolved < months.end_day) & (resolved < default_day[d_cust])
    # a credited dispute brings a credit note on the resolution day
    cn_from = disputed[closed & credited]
    cn_cents = np.maximum(np.round(docs.cents[cn_from] * rng.uniform(0.05, 0.5, cn_from.size)), 1).astype(np.int64)
    return _Disputes(disputed, opened, resolved, credited, visible, closed, cn_from, cn_cents)


def _payments(
    hidden: _Hidden,
    docs: _Documents,
    timing: _PaymentDays,
    disputed: _Disputes,
    months: _Months,
    rng: np.random.Generator,
) -> _Payments:
    """Return the payment rows: instalments of the invoices and the credit notes applied."""
    inv_cust, inv_day, cents, is_credit_note = docs.cust, docs.day, docs.cents, docs.is_credit_note
    n, n_inv, default_day = hidden.risk.shape[0], inv_cust.size, hidden.default_day
    # Instalments: partial payers pay in 2-3 parts, the first on the payment day.
    partial = rng.random(n_inv) < P_PARTIAL + P_PARTIAL_DISTRESS * timing.distressed + 0.02 * np.clip(
        timing.risk_due, 0, 5
    )
    parts = np.where(partial, np.where(rng.random(n_inv) < 0.6, 2, 3), 1)
    del partial
    payable = np.flatnonzero(~is_credit_note)
    parts_p = parts[payable]
    del parts
    split = _split_cents(cents[payable], parts_p, rng)
    split[0] = np.where(parts_p == 1, cents[payable], split[0])
    gaps = 14 + rng.integers(0, 32, (payable.size, 2))
    pay_rows, pay_days, pay_cents = [], [], []
    day = timing.day[payable]
    limit_day = np.minimum(default_day[inv_cust[payable]], months.end_day)
    for j in range(3):
        if j:
            day = day + gaps[:, j - 1]
        wd = _weekday(day)
        paid_on = day + (wd == 5) * 2 + (wd == 6)
        has = (parts_p > j) & (paid_on < limit_day)
        pay_rows.append(payable[has])
        pay_days.append(paid_on[has])
        pay_cents.append(split[j][has])
    del split, gaps, day, limit_day, parts_p, wd, paid_on, has
    pay_inv = np.concatenate(pay_rows)
    pay_day_all = np.concatenate(pay_days)
    pay_cents_all = np.concatenate(pay_cents)
    del pay_rows, pay_days, pay_cents
    paid_cents = np.bincount(pay_inv, weights=pay_cents_all, minlength=n_inv)
    open_at_default = (~is_credit_note) & (paid_cents < cents) & (default_day[inv_cust] < _NEVER)
    has_open_balance = np.bincount(inv_cust[open_at_default], minlength=n) > 0
    del paid_cents, open_at_default

    # A credit note is used up when it is applied against what the customer owes: a payment row on the
    # credit note, as an ERP clears it, within a month of issue and before the ledger ends or a default.
    cn_from, closed, credited, resolved = disputed.cn_from, disputed.closed, disputed.credited, disputed.resolved
    cn_docs = np.concatenate([np.flatnonzero(is_credit_note), n_inv + np.arange(cn_from.size)])
    cn_cust = inv_cust[np.concatenate([np.flatnonzero(is_credit_note), cn_from])]
    applied = np.concatenate([inv_day[is_credit_note], resolved[closed & credited]]) + rng.integers(0, 31, cn_docs.size)
    kept = applied < np.minimum(default_day[cn_cust], months.end_day)
    pay_inv = np.concatenate([pay_inv, cn_docs[kept]])
    pay_day_all = np.concatenate([pay_day_all, applied[kept]])
    pay_cents_all = np.concatenate([pay_cents_all, np.concatenate([cents[is_credit_note], disputed.cn_cents])[kept]])
    return _Payments(pay_inv, pay_day_all, pay_cents_all, has_open_balance)


def _ledger_tables(
    customers: _Customers,
    docs: _Documents,
    paid: _Payments,
    disputed: _Disputes,
    customer_ids: pa.Array,
    months: _Months,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the invoices, payments and disputes tables, each in date order."""
    # Documents in date order; credit notes from disputes are appended, then all are sorted.
    cn_from, closed, credited, resolved = disputed.cn_from, disputed.closed, disputed.credited, disputed.resolved
    doc_cust = np.concatenate([docs.cust, docs.cust[cn_from]])
    doc_day = np.concatenate([docs.day, resolved[closed & credited]])
    doc_cents = np.concatenate([docs.cents, disputed.cn_cents])
    doc_cn = np.concatenate([docs.is_credit_note, np.ones(cn_from.size, dtype=bool)])
    order = _argsort_days(doc_day - months.start_day)
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    invoice_ids = _ids("INV", order.size, 9)
    doc_cust, doc_day, doc_cents, doc_cn = doc_cust[order], doc_day[order], doc_cents[order], doc_cn[order]
    invoices = pd.DataFrame(
        {
            "invoice_id": _str_series(invoice_ids),
            "customer_id": _take(customer_ids, doc_cust),
            "invoice_date": _dates(doc_day),
            "due_date": _dates(doc_day + customers.terms[doc_cust]),
            "amount": doc_cents / 100.0,
            "document_type": _take(pa.array(["invoice", "credit_note"]), doc_cn.astype(np.int64)),
            "currency": _take(pa.array(["EUR"]), np.zeros(order.size, dtype=np.int64)),
        }
    )
    del doc_cust, doc_day, doc_cents, doc_cn, order

    order = _argsort_days(paid.day - months.start_day)
    payments = pd.DataFrame(
        {
            "payment_id": _str_series(_ids("PAY", order.size, 9)),
            "invoice_id": _take(invoice_ids, position[paid.invoice[order]]),
            "payment_date": _dates(paid.day[order]),
            "amount": paid.cents[order] / 100.0,
        }
    )
    del order

    visible, opened = disputed.visible, disputed.opened
    shown = np.flatnonzero(visible)
    shown = shown[np.argsort(opened[shown], kind="stable")]
    disputes = pd.DataFrame(
        {
            "invoice_id": _take(invoice_ids, position[disputed.invoice[shown]]),
            "opened_date": _dates(opened[shown]),
            "resolved_date": _dates(np.where(closed[shown], resolved[shown], _NEVER)),
            "outcome": _take(
                pa.array(["credited", "rejected", None], pa.string()),
                np.where(closed[shown], np.where(credited[shown], 0, 1), 2),
            ),
        }
    )
    return invoices, payments, disputes


def _credit_events(
    customers: _Customers,
    hidden: _Hidden,
    has_open_balance: np.ndarray,
    customer_ids: pa.Array,
    months: _Months,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Return the credit-events table: defaults, write-offs, and the monthly information events."""
    default_day, first_day = hidden.default_day, customers.first_day
    defaulted = np.flatnonzero(default_day < _NEVER)
    kinds = np.array(["default", "insolvency", "write_off", "collections_handover", "limit_change"])
    default_kind = np.where(rng.random(defaulted.size) < P_INSOLVENCY, 1, 0)
    write_off = has_open_balance[defaulted] & (rng.random(defaulted.size) < P_WRITE_OFF)
    write_off_day = default_day[defaulted] + 60 + rng.integers(0, 240, defaulted.size)
    write_off &= write_off_day < months.end_day
    ev_cust = np.concatenate([hidden.event_customer, defaulted, defaulted[write_off]])
    ev_day = np.concatenate([hidden.event_day, default_day[defaulted], write_off_day[write_off]])
    ev_kind = np.concatenate([hidden.event_kind + 3, default_kind, np.full(int(write_off.sum()), 2)])
    ok = (ev_kind < 3) | ((ev_day >= first_day[ev_cust]) & (ev_day < default_day[ev_cust]) & (ev_day < months.end_day))
    ev_cust, ev_day, ev_kind = ev_cust[ok], ev_day[ok], ev_kind[ok]
    order = np.lexsort((ev_kind, ev_cust, ev_day))
    return pd.DataFrame(
        {
            "customer_id": _take(customer_ids, ev_cust[order]),
            "event_date": _dates(ev_day[order]),
            "event_type": _take(pa.array(kinds), ev_kind[order]),
        }
    )


def _customer_table(
    customers: _Customers, risk: np.ndarray, customer_ids: pa.Array, rng: np.random.Generator
) -> pd.DataFrame:
    """Return the customer master: attributes as known at onboarding (or at the ledger start)."""
    c = customers
    n = c.industry.size
    first_month = np.maximum(c.onboard_month, 0)
    risk_known = risk[np.arange(n), first_month]
    rating = np.searchsorted(np.array(RATING_CUTS), risk_known + RATING_NOISE * rng.standard_normal(n))
    unrated = rng.random(n) < P_UNRATED * np.exp(-0.5 * c.size_z)
    rating = np.where(unrated, len(RATINGS), rating)
    estimated_monthly = c.purchases / 12 * np.exp(0.3 * rng.standard_normal(n))
    exposure = estimated_monthly * c.terms / 30 * 1.5 * np.array(RATING_LIMIT_FACTOR)[rating]
    credit_limit = _nice(np.maximum(exposure, 1000.0))
    insured = rng.random(n) < np.array(P_INSURED)[rating]
    insured_limit = np.where(insured, _nice(credit_limit * rng.uniform(0.4, 1.0, n)), np.nan)
    words = pa.array(NAME_WORDS)
    ind_words = [INDUSTRY_WORDS[i[0]] for i in INDUSTRIES]
    flat_ind_words = pa.array([w for ws in ind_words for w in ws])
    ind_word_start = np.cumsum([0] + [len(ws) for ws in ind_words])[:-1]
    ind_word_count = np.array([len(ws) for ws in ind_words])
    flat_suffixes = pa.array([s for cty in COUNTRIES for s in cty[3]])
    suffix_start = np.cumsum([0] + [len(cty[3]) for cty in COUNTRIES])[:-1]
    suffix_count = np.array([len(cty[3]) for cty in COUNTRIES])
    name = pc.binary_join_element_wise(
        words.take(pa.array(rng.integers(0, len(NAME_WORDS), n))),
        flat_ind_words.take(
            pa.array(ind_word_start[c.industry] + (rng.random(n) * ind_word_count[c.industry]).astype(np.int64))
        ),
        flat_suffixes.take(
            pa.array(suffix_start[c.country] + (rng.random(n) * suffix_count[c.country]).astype(np.int64))
        ),
        " ",
    )
    return pd.DataFrame(
        {
            "customer_id": _str_series(customer_ids),
            "name": _str_series(name),
            "country": _take(pa.array([cty[0] for cty in COUNTRIES]), c.country),
            "industry": _take(pa.array([i[0] for i in INDUSTRIES]), c.industry),
            "onboarding_date": _dates(c.onboarding),
            "credit_limit": credit_limit,
            "payment_terms_days": c.terms.astype(np.int32),
            "external_rating": _take(pa.array([*list(RATINGS), "NR"]), rating),
            "annual_revenue": c.revenue,
            "insured_limit": insured_limit,
        }
    )


def _latent_table(config: SampleConfig, pd12: np.ndarray, customer_ids: pa.Array, months: _Months) -> pd.DataFrame:
    """Return the hidden truth, one row per customer and month from onboarding to the default month."""
    cust_idx, month_idx = np.nonzero(~np.isnan(pd12))
    latent = pd.DataFrame(
        {
            "customer_id": _take(customer_ids, cust_idx),
            "month": _dates(months.first[month_idx]),
            "pd_12m_true": pd12[cust_idx, month_idx],
        }
    )
    latent.attrs.update(ledger_start=config.start.isoformat(), ledger_end=config.end.isoformat())
    return latent


def _argsort_days(days: np.ndarray) -> np.ndarray:
    """Stable order by day; days counted from the ledger start fit 16 bits, which numpy radix-sorts."""
    if days.size and days.min() >= -(2**15) and days.max() < 2**15:
        return np.argsort(days.astype(np.int16), kind="stable")
    return np.argsort(days, kind="stable")


# --- Writing -------------------------------------------------------------------------------------


def write_portfolio(tables: dict[str, pd.DataFrame], out_dir: Path, fmt: str = "csv") -> dict[str, int]:
    """Write the ledger tables as out_dir/<table>.csv or .parquet and the hidden truth as
    out_dir/_truth/latent_risk.parquet, each atomically; return rows written per table."""
    out_dir = Path(out_dir)
    written = write_tables({name: tables[name] for name in LEDGER_TABLES}, out_dir, fmt)
    if TRUTH_TABLE in tables:
        target = out_dir / TRUTH_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        table = to_arrow(tables[TRUTH_TABLE])
        write_table(table, target, "parquet")
        written[TRUTH_TABLE] = table.num_rows
    return written


# --- What the truth says -------------------------------------------------------------------------


def _days(values: pd.Series) -> np.ndarray:
    """Dates of any representation (datetime64, date objects, text) as datetime64[D], NaT when missing."""
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def _default_dates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    events = tables["credit_events"]
    defaults = events[events["event_type"].isin(DEFAULT_EVENT_TYPES)]
    return defaults.groupby("customer_id")["event_date"].min()


def _ledger_bounds(tables: dict[str, pd.DataFrame], end: dt.date | None) -> tuple[np.datetime64, np.datetime64]:
    """Return the ledger's first day and the first day after it, as datetime64[D].

    `generate_portfolio` records both in the truth table's `attrs`; without them (a truth table read
    back from disk) the ledger is taken to span the truth table's whole months.
    """
    truth = tables[TRUTH_TABLE]
    months = _days(truth["month"]).astype("datetime64[M]")
    start = truth.attrs.get("ledger_start", months.min() if months.size else None)
    if end is None:
        end = truth.attrs.get("ledger_end", months.max() + 1 if months.size else None)
    if start is None or end is None:
        raise ValueError("the latent-risk table is empty: the ledger span is unknown")
    return np.datetime64(start, "D"), np.datetime64(end, "D")


def oracle_snapshots(tables: dict[str, pd.DataFrame], end: dt.date | None = None) -> pd.DataFrame:
    """Return the monthly snapshots an oracle is scored on: customer_id, month, pd_12m_true, defaults_12m.

    A snapshot is a customer at a month start when the customer has had a document before it and
    has not defaulted before it, for months whose 12-month window ends inside the ledger. `end`
    is the first day after the ledger; by default the month after the last `_latent_risk` month.
    """
    _, end_day = _ledger_bounds(tables, end)
    truth = tables[TRUTH_TABLE]
    month = _days(truth["month"])
    window_end = (month.astype("datetime64[M]") + 12).astype("datetime64[D]")
    inside = window_end <= end_day
    snap = truth.loc[inside, ["customer_id", "month", "pd_12m_true"]].reset_index(drop=True)
    month, window_end = month[inside], window_end[inside]
    first_doc = tables["invoices"].groupby("customer_id")["invoice_date"].min()
    defaults = _default_dates(tables)
    first = _days(first_doc.reindex(snap["customer_id"]))
    default = _days(defaults.reindex(snap["customer_id"]))
    has_default = ~np.isnat(default)
    active = ~np.isnat(first) & (first < month) & (~has_default | (default >= month))
    snap["defaults_12m"] = has_default & (default >= month) & (default < window_end)
    return snap[active].reset_index(drop=True)


def oracle_auc(tables: dict[str, pd.DataFrame]) -> float:
    """Return the ROC AUC of `pd_12m_true` for "defaults within the next 12 months" on monthly snapshots.

    The snapshots are `oracle_snapshots`'. NaN when they hold no default or nothing but defaults
    (a ledger too small or too short to tell).
    """
    from sklearn.metrics import roc_auc_score

    snap = oracle_snapshots(tables)
    if snap["defaults_12m"].nunique() < 2:
        return float("nan")
    return float(roc_auc_score(snap["defaults_12m"], snap["pd_12m_true"]))


def portfolio_rates(tables: dict[str, pd.DataFrame], end: dt.date | None = None) -> dict[str, float]:
    """Return the observed rates the documentation promises.

    - annual_default_rate: customers defaulting / customer-years on the books inside the ledger;
    - paid_late_share / late_over_30_share: among invoices due at least 90 days before the ledger end,
      those settled after the due date (or more than 30 days after), or never settled in the ledger;
    - partial_paid_share: settled invoices paid in more than one payment;
    - credit_note_share: credit notes among documents; dispute_share: disputes per invoice;
    - oracle snapshot facts: mean_pd_12m_true and default_12m_share.
    """
    start_day, end_day = _ledger_bounds(tables, end)
    customers, invoices, payments = tables["customers"], tables["invoices"], tables["payments"]
    defaults = _default_dates(tables)
    onboard = _days(customers["onboarding_date"])
    stop = _days(defaults.reindex(customers["customer_id"]))
    stop = np.where(np.isnat(stop), end_day, stop)
    years = np.clip((stop - np.maximum(onboard, start_day)).astype(np.int64), 0, None).sum() / 365.25

    is_invoice = invoices["document_type"].to_numpy() == "invoice"
    inv = invoices.loc[is_invoice, ["invoice_id", "due_date", "amount"]]
    paid = payments.groupby("invoice_id").agg(
        paid=("amount", "sum"), last=("payment_date", "max"), n=("amount", "size")
    )
    inv = inv.join(paid, on="invoice_id")
    settled = (inv["paid"].fillna(0) >= inv["amount"] - 0.01).to_numpy()
    last = _days(inv["last"])
    due = _days(inv["due_date"])
    mature = due <= end_day - np.timedelta64(90, "D")
    late_days = np.where(settled, (last - due).astype(np.int64) if len(last) else 0, 10**6)
    snap = oracle_snapshots(tables, end)
    return {
        "annual_default_rate": len(defaults) / years if years else float("nan"),
        "paid_late_share": float((late_days[mature] > 0).mean()),
        "late_over_30_share": float((late_days[mature] > 30).mean()),
        "partial_paid_share": float((inv["n"].to_numpy()[settled] > 1).mean()),
        "credit_note_share": float((~is_invoice).mean()),
        "dispute_share": len(tables["disputes"]) / max(int(is_invoice.sum()), 1),
        "invoices_per_customer_year": int(is_invoice.sum()) / years if years else float("nan"),
        "mean_pd_12m_true": float(snap["pd_12m_true"].mean()),
        "default_12m_share": float(snap["defaults_12m"].mean()),
    }
