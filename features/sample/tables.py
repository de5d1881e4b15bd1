"""The contract tables, built from the drawn arrays: invoices, payments, disputes, credit events,
the customer master and the latent-risk truth.

Text columns are Arrow-backed strings, built without Python string objects. The credit events and
the customer master make the last draws from the `rng` stream (default kinds and write-offs;
ratings, limits and names).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.sample import parameters
from features.sample.days import NEVER, Months
from features.sample.history import HiddenHistory
from features.sample.ledger import Disputes, Documents, Payments
from features.sample.parameters import SampleConfig
from features.sample.world import Customers


def _dates(days: np.ndarray) -> np.ndarray:
    """Days since 1970 as datetime64[s]; a huge value means missing (NaT)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[s]")
    out[days >= NEVER] = np.datetime64("NaT")
    return out


def _str_series(array: pa.Array) -> pd.Series:
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(array, dtype=dtype), copy=False)


def numbered_ids(prefix: str, n: int, min_digits: int) -> pa.Array:
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


def _argsort_days(days: np.ndarray) -> np.ndarray:
    """Stable order by day; days counted from the ledger start fit 16 bits, which numpy radix-sorts."""
    if days.size and days.min() >= -(2**15) and days.max() < 2**15:
        return np.argsort(days.astype(np.int16), kind="stable")
    return np.argsort(days, kind="stable")


def ledger_tables(
    customers: Customers,
    docs: Documents,
    paid: Payments,
    disputed: Disputes,
    customer_ids: pa.Array,
    months: Months,
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
    invoice_ids = numbered_ids("INV", order.size, 9)
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
            "payment_id": _str_series(numbered_ids("PAY", order.size, 9)),
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
            "resolved_date": _dates(np.where(closed[shown], resolved[shown], NEVER)),
            "outcome": _take(
                pa.array(["credited", "rejected", None], pa.string()),
                np.where(closed[shown], np.where(credited[shown], 0, 1), 2),
            ),
        }
    )
    return invoices, payments, disputes


def credit_events_table(
    customers: Customers,
    hidden: HiddenHistory,
    has_open_balance: np.ndarray,
    customer_ids: pa.Array,
    months: Months,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Return the credit-events table: defaults, write-offs, and the monthly information events."""
    default_day, first_day = hidden.default_day, customers.first_day
    defaulted = np.flatnonzero(default_day < NEVER)
    kinds = np.array(["default", "insolvency", "write_off", "collections_handover", "insurer_limit_change"])
    default_kind = np.where(rng.random(defaulted.size) < parameters.P_INSOLVENCY, 1, 0)
    write_off = has_open_balance[defaulted] & (rng.random(defaulted.size) < parameters.P_WRITE_OFF)
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


def customer_master(
    customers: Customers, risk: np.ndarray, customer_ids: pa.Array, rng: np.random.Generator
) -> pd.DataFrame:
    """Return the customer master: attributes as known at onboarding (or at the ledger start)."""
    c = customers
    n = c.industry.size
    first_month = np.maximum(c.onboard_month, 0)
    risk_known = risk[np.arange(n), first_month]
    rating = np.searchsorted(
        np.array(parameters.RATING_CUTS), risk_known + parameters.RATING_NOISE * rng.standard_normal(n)
    )
    unrated = rng.random(n) < parameters.P_UNRATED * np.exp(-0.5 * c.size_z)
    rating = np.where(unrated, len(parameters.RATINGS), rating)
    estimated_monthly = c.purchases / 12 * np.exp(0.3 * rng.standard_normal(n))
    exposure = estimated_monthly * c.terms / 30 * 1.5 * np.array(parameters.RATING_LIMIT_FACTOR)[rating]
    credit_limit = _nice(np.maximum(exposure, 1000.0))
    insured = rng.random(n) < np.array(parameters.P_INSURED)[rating]
    insured_limit = np.where(insured, _nice(credit_limit * rng.uniform(0.4, 1.0, n)), np.nan)
    words = pa.array(parameters.NAME_WORDS)
    ind_words = [parameters.INDUSTRY_WORDS[i[0]] for i in parameters.INDUSTRIES]
    flat_ind_words = pa.array([w for ws in ind_words for w in ws])
    ind_word_start = np.cumsum([0] + [len(ws) for ws in ind_words])[:-1]
    ind_word_count = np.array([len(ws) for ws in ind_words])
    flat_suffixes = pa.array([s for cty in parameters.COUNTRIES for s in cty[3]])
    suffix_start = np.cumsum([0] + [len(cty[3]) for cty in parameters.COUNTRIES])[:-1]
    suffix_count = np.array([len(cty[3]) for cty in parameters.COUNTRIES])
    name = pc.binary_join_element_wise(
        words.take(pa.array(rng.integers(0, len(parameters.NAME_WORDS), n))),
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
            "country": _take(pa.array([cty[0] for cty in parameters.COUNTRIES]), c.country),
            "industry": _take(pa.array([i[0] for i in parameters.INDUSTRIES]), c.industry),
            "onboarding_date": _dates(c.onboarding),
            "credit_limit": credit_limit,
            "payment_terms_days": c.terms.astype(np.int32),
            "external_rating": _take(pa.array([*list(parameters.RATINGS), "NR"]), rating),
            "annual_revenue": c.revenue,
            "insured_limit": insured_limit,
        }
    )


def latent_table(config: SampleConfig, pd12: np.ndarray, customer_ids: pa.Array, months: Months) -> pd.DataFrame:
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
