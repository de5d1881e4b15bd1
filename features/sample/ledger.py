"""What the ledger records of the hidden history, as arrays: documents, payment days, disputes, payments.

Invoices are Poisson counts per customer-month; a payment day follows the customer's habit and
latent risk, and distress postpones or withholds it; a dispute postpones it too; partial payers
pay in instalments, and credit notes are applied as payment rows. All of it draws from the `rng`
stream, in the order `generate_portfolio` calls these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sample import parameters
from features.sample.days import NEVER, Months, weekday
from features.sample.history import HiddenHistory
from features.sample.world import Customers


@dataclass(frozen=True)
class Documents:
    """Invoices and stand-alone credit notes, month-major; one entry per document."""

    cust: np.ndarray
    month: np.ndarray
    day: np.ndarray
    cents: np.ndarray
    is_credit_note: np.ndarray


@dataclass(frozen=True)
class PaymentDays:
    """When each document would be paid in one go, and what distress does to it; one entry per document."""

    day: np.ndarray  # payment day; `draw_disputes` postpones it for disputed invoices
    distressed: np.ndarray  # the customer is distressed on the payment day
    risk_due: np.ndarray  # latent risk in the month the document falls due
    stall: np.ndarray  # disputed to buy time: the distress began while the invoice was open
    stall_day: np.ndarray  # the day such a dispute opens


@dataclass(frozen=True)
class Disputes:
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
class Payments:
    """The payment rows, instalments and applied credit notes; one entry per row, but the last field."""

    invoice: np.ndarray  # document index (credit notes from disputes numbered after the documents)
    day: np.ndarray
    cents: np.ndarray
    has_open_balance: np.ndarray  # per customer: defaults with an invoice not fully paid


def _split_cents(total: np.ndarray, parts: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Split amounts in cents into `parts` (2 or 3) positive instalments each; return 3 arrays."""
    w = 0.25 + rng.random((total.size, 3))
    w[parts < 3, 2] = 0.0
    w /= w.sum(axis=1, keepdims=True)
    first = np.maximum(np.floor(total * w[:, 0]).astype(np.int64), 1)
    second = np.where(parts == 3, np.maximum(np.floor(total * w[:, 1]).astype(np.int64), 1), total - first)
    third = np.where(parts == 3, total - first - second, 0)
    return [first, second, third]


def draw_invoices(customers: Customers, hidden: HiddenHistory, months: Months, rng: np.random.Generator) -> Documents:
    """Return the invoices and stand-alone credit notes, month by month."""
    # Invoices: Poisson counts per customer-month, expanded month-major so rows come in date order.
    industry, first_day, default_day = customers.industry, customers.first_day, hidden.default_day
    onset_of = hidden.onset_of
    n, n_months = industry.size, months.count
    rate = (
        parameters.INVOICE_RATE
        * (customers.purchases / (parameters.REVENUE_MEDIAN * parameters.PURCHASE_SHARE_MEDIAN))
        ** parameters.INVOICE_RATE_ELASTICITY
    )
    rate = np.minimum(rate * rng.gamma(2.0, 0.5, n), parameters.INVOICE_RATE_MAX)
    mean_amount = customers.purchases / 12 / rate
    amps = np.array([i[4] for i in parameters.INDUSTRIES])[:, None]
    peaks = np.array([i[5] for i in parameters.INDUSTRIES])[:, None] - 1
    sales_season = 1 + amps * np.cos(2 * np.pi * (np.arange(12)[None, :] - peaks) / 12)
    sales_season *= np.where(np.arange(12) == 7, 0.85, 1.0)[None, :]  # August holidays
    active = (customers.onboard_month[:, None] <= np.arange(n_months)[None, :]) & (
        np.minimum(hidden.default_month, NEVER)[:, None] >= np.arange(n_months)[None, :]
    )
    lam = rate[:, None] * sales_season[industry][:, months.moy] * active
    lam *= np.where(onset_of < NEVER, 1 + parameters.ORDER_SPLIT, 1.0)  # thinned below to the days of the distress
    counts = rng.poisson(lam.T).ravel()  # month-major
    del lam, active
    cell = np.repeat(np.arange(n_months * n, dtype=np.int64), counts)
    inv_month = cell // n
    inv_cust = cell % n
    del cell, counts
    inv_day = months.first[inv_month] + (rng.random(inv_cust.size) * months.length[inv_month]).astype(np.int64)
    wd = weekday(inv_day)
    inv_day = inv_day - (wd == 5) + (wd == 6)
    inv_day = np.where(inv_day >= months.end_day, inv_day - 2, inv_day)
    keep = (inv_day >= first_day[inv_cust]) & (inv_day < default_day[inv_cust]) & (inv_day < months.end_day)
    inv_cust, inv_month, inv_day = inv_cust[keep], inv_month[keep], inv_day[keep]
    # a distressed customer orders more often, in smaller lots
    inv_cell = inv_cust * n_months + inv_month
    dis_inv = hidden.in_distress(inv_cell, inv_day)
    keep = (
        dis_inv | (onset_of.ravel()[inv_cell] >= NEVER) | (rng.random(inv_cust.size) * (1 + parameters.ORDER_SPLIT) < 1)
    )
    inv_cust, inv_month, inv_day, dis_inv = inv_cust[keep], inv_month[keep], inv_day[keep], dis_inv[keep]
    del keep, inv_cell
    n_inv = inv_cust.size
    amount = mean_amount[inv_cust] * np.exp(
        parameters.INVOICE_AMOUNT_SIGMA * rng.standard_normal(n_inv) - parameters.INVOICE_AMOUNT_SIGMA**2 / 2
    )
    amount *= np.where(dis_inv, 1 - parameters.ORDER_SHRINK, 1.0)
    del dis_inv
    is_credit_note = rng.random(n_inv) < parameters.P_CREDIT_NOTE
    amount = np.where(is_credit_note, amount * rng.uniform(0.05, 0.4, n_inv), amount)
    cents = np.maximum(np.round(amount * 100), parameters.MIN_AMOUNT * 100).astype(np.int64)
    return Documents(inv_cust, inv_month, inv_day, cents, is_credit_note)


def draw_payment_days(
    customers: Customers, hidden: HiddenHistory, docs: Documents, months: Months, rng: np.random.Generator
) -> PaymentDays:
    """Return when each document would be paid in one go, and which invoices distress makes disputed."""
    # Payment behaviour: the habit and latent risk in the month the invoice falls due set the day the
    # customer would pay; distress at that day postpones the payment, or holds it back altogether.
    inv_cust, inv_day, is_credit_note, terms = docs.cust, docs.day, docs.is_credit_note, customers.terms
    n, n_months, n_inv = terms.size, months.count, inv_cust.size
    due_day = inv_day + terms[inv_cust]
    due_month = np.minimum(months.index(due_day), n_months - 1)
    risk_due = hidden.risk.ravel()[inv_cust * n_months + due_month]
    early = rng.random(n) < parameters.P_EARLY_PAYER
    habit = np.where(
        early,
        -rng.uniform(0.4, 0.7, n) * terms,
        parameters.HABIT_MEAN + parameters.HABIT_SIGMA * rng.standard_normal(n),
    )
    delay = (
        habit[inv_cust]
        + parameters.DELAY_PER_RISK * risk_due
        + parameters.DELAY_CONVEX * np.maximum(risk_due - 1, 0) ** 2
    )
    delay += parameters.DELAY_NOISE * rng.standard_normal(n_inv)
    spell = rng.random(n_inv) < np.minimum(
        parameters.P_LATE_SPELL * np.exp(parameters.LATE_SPELL_RISK * risk_due), parameters.LATE_SPELL_MAX
    )
    delay += spell * rng.exponential(parameters.LATE_SPELL_DAYS, n_inv)
    delay += 3.0 * np.isin(months.moy[due_month], (7, 11))  # August and December
    pay_day = np.maximum(due_day + np.round(delay).astype(np.int64), inv_day)
    del delay, spell, due_month, due_day
    pay_cell = inv_cust * n_months + np.clip(months.index(pay_day), 0, n_months - 1)
    dis_pay = hidden.in_distress(pay_cell, pay_day)
    postpone = parameters.DISTRESS_DELAY + rng.exponential(parameters.DISTRESS_DELAY_DAYS, n_inv)
    postpone = np.round(postpone).astype(np.int64)
    pay_day += np.where(dis_pay, postpone, 0)
    del postpone
    # most invoices are not paid at all while the distress lasts: after a recovery, or never
    withheld = dis_pay & ~is_credit_note & (rng.random(n_inv) < parameters.P_WITHHOLD)
    catch_up = hidden.recovery_of.ravel()[pay_cell] + rng.integers(0, parameters.CATCH_UP_DAYS + 1, n_inv)
    pay_day = np.where(withheld, np.maximum(pay_day, catch_up), pay_day)
    # the distress began while the invoice was open (issued, not yet paid): it may be disputed to buy time
    onset_open = hidden.onset_of.ravel()[pay_cell]
    stall = dis_pay & ~is_credit_note & (onset_open > inv_day) & (rng.random(n_inv) < parameters.P_STALL_DISPUTE)
    stall_day = onset_open + rng.integers(0, parameters.STALL_DISPUTE_DAYS + 1, n_inv)
    return PaymentDays(pay_day, dis_pay, risk_due, stall, stall_day)


def draw_disputes(
    hidden: HiddenHistory, docs: Documents, timing: PaymentDays, months: Months, rng: np.random.Generator
) -> Disputes:
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
    p_dispute = (
        parameters.P_DISPUTE
        * np.exp(parameters.DISPUTE_RISK * risk_inv)
        * np.where(dis_open, 1 + parameters.DISPUTE_DISTRESS, 1)
    )
    p_dispute = np.minimum(p_dispute, 0.5)
    is_disputed = ~is_credit_note & (rng.random(n_inv) < p_dispute)
    opened = np.where(timing.stall & ~is_disputed, timing.stall_day, opened)
    disputed = np.flatnonzero(is_disputed | timing.stall)
    opened = opened[disputed]
    del p_dispute, risk_inv, dis_open, is_disputed
    resolved = opened + 7 + rng.exponential(35.0, disputed.size).astype(np.int64)
    credited = rng.random(disputed.size) < parameters.P_CREDITED
    pay_day[disputed] = np.maximum(
        pay_day[disputed] + rng.integers(0, 15, disputed.size), resolved + 1 + rng.integers(0, 20, disputed.size)
    )
    d_cust = inv_cust[disputed]
    visible = (opened < months.end_day) & (opened < default_day[d_cust])
    closed = visible & (resolved < months.end_day) & (resolved < default_day[d_cust])
    # a credited dispute brings a credit note on the resolution day
    cn_from = disputed[closed & credited]
    cn_cents = np.maximum(np.round(docs.cents[cn_from] * rng.uniform(0.05, 0.5, cn_from.size)), 1).astype(np.int64)
    return Disputes(disputed, opened, resolved, credited, visible, closed, cn_from, cn_cents)


def draw_payments(
    hidden: HiddenHistory,
    docs: Documents,
    timing: PaymentDays,
    disputed: Disputes,
    months: Months,
    rng: np.random.Generator,
) -> Payments:
    """Return the payment rows: instalments of the invoices and the credit notes applied."""
    inv_cust, inv_day, cents, is_credit_note = docs.cust, docs.day, docs.cents, docs.is_credit_note
    n, n_inv, default_day = hidden.risk.shape[0], inv_cust.size, hidden.default_day
    # Instalments: partial payers pay in 2-3 parts, the first on the payment day.
    partial = rng.random(n_inv) < (
        parameters.P_PARTIAL + parameters.P_PARTIAL_DISTRESS * timing.distressed + 0.02 * np.clip(timing.risk_due, 0, 5)
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
        wd = weekday(day)
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
    open_at_default = (~is_credit_note) & (paid_cents < cents) & (default_day[inv_cust] < NEVER)
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
    return Payments(pay_inv, pay_day_all, pay_cents_all, has_open_balance)
