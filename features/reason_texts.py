"""Reason-code sentences for credit officers: one English and one Chinese (Simplified) template per feature.

Every template is `<label>: {value}` followed by the portfolio-median clause (`MEDIAN_CLAUSE`), so the
clause can be dropped when no median is known, or read as the most common value for a category (whose
"median" a model keeps is its mode). Features outside the dict (customer extra columns such as
external_rating) use `FALLBACK`. Values and medians are formatted by unit (`Feature.unit`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LANGUAGES = ("en", "zh")
MEDIAN_CLAUSE = (" (portfolio median {median})", "（组合中位数 {median}）")
# A category has no median: what a model keeps for it is the most common value, and says so.
MODE_CLAUSE = (" (most common in the portfolio: {median})", "（组合中最常见：{median}）")
FALLBACK = ("{feature}: {value}" + MEDIAN_CLAUSE[0], "{feature}：{value}" + MEDIAN_CLAUSE[1])
MISSING = ("none", "无")
YES_NO = (("yes", "no"), ("是", "否"))
PERCENT = (" %", "%")


def _t(en: str, zh: str) -> tuple[str, str]:
    return en + MEDIAN_CLAUSE[0], zh + MEDIAN_CLAUSE[1]


REASON_TEXTS: dict[str, tuple[str, str]] = {
    # exposure: open items at the as-of date
    "open_amount": _t("Open balance (EUR): {value}", "未结余额（欧元）：{value}"),
    "overdue_amount": _t("Overdue amount (EUR): {value}", "逾期金额（欧元）：{value}"),
    "aging_current_amount": _t("Open amount not yet due (EUR): {value}", "未到期金额（欧元）：{value}"),
    "aging_1_30_amount": _t("Amount 1-30 days overdue (EUR): {value}", "逾期1-30天金额（欧元）：{value}"),
    "aging_31_60_amount": _t("Amount 31-60 days overdue (EUR): {value}", "逾期31-60天金额（欧元）：{value}"),
    "aging_61_90_amount": _t("Amount 61-90 days overdue (EUR): {value}", "逾期61-90天金额（欧元）：{value}"),
    "aging_91_180_amount": _t("Amount 91-180 days overdue (EUR): {value}", "逾期91-180天金额（欧元）：{value}"),
    "aging_over_180_amount": _t("Amount over 180 days overdue (EUR): {value}", "逾期超过180天金额（欧元）：{value}"),
    "max_days_past_due_open": _t("Most days overdue on an open invoice: {value}", "未结发票最长逾期天数：{value}"),
    "amount_weighted_days_past_due_open": _t("Days overdue on open invoices, weighted by amount: {value}",
                                             "未结发票按金额加权逾期天数：{value}"),
    "open_invoice_count": _t("Open invoices: {value}", "未结发票数：{value}"),
    "overdue_invoice_count": _t("Overdue open invoices: {value}", "逾期未结发票数：{value}"),
    "part_paid_open_invoice_count": _t("Part-paid open invoices: {value}", "部分付款的未结发票数：{value}"),
    "open_credit_note_amount": _t("Unapplied credit notes (EUR): {value}", "未核销贷项通知单金额（欧元）：{value}"),
    "disputed_open_amount": _t("Open amount under dispute (EUR): {value}", "争议中的未结金额（欧元）：{value}"),
    "oldest_open_invoice_age_days": _t("Age of the oldest open invoice (days): {value}", "最早未结发票的账龄（天）：{value}"),
    # volume: invoicing
    "invoice_count_90d": _t("Invoices in the last 90 days: {value}", "过去90天发票数：{value}"),
    "invoice_amount_90d": _t("Amount invoiced in the last 90 days (EUR): {value}", "过去90天开票金额（欧元）：{value}"),
    "invoice_count_365d": _t("Invoices over the last year: {value}", "过去一年发票数：{value}"),
    "invoice_amount_365d": _t("Amount invoiced over the last year (EUR): {value}", "过去一年开票金额（欧元）：{value}"),
    "invoice_amount_prior_275d": _t("Amount invoiced in the 275 days before the last 90 (EUR): {value}",
                                    "最近90天之前275天的开票金额（欧元）：{value}"),
    "avg_invoice_amount_365d": _t("Average invoice over the last year (EUR): {value}", "过去一年平均单张发票金额（欧元）：{value}"),
    "max_invoice_amount_365d": _t("Largest invoice over the last year (EUR): {value}", "过去一年最大单张发票金额（欧元）：{value}"),
    "credit_note_amount_365d": _t("Credit notes issued over the last year (EUR): {value}",
                                  "过去一年开具的贷项通知单金额（欧元）：{value}"),
    "credit_note_share_365d": _t("Credit notes as a share of invoicing over the last year: {value}",
                                 "过去一年贷项通知单占开票金额比例：{value}"),
    "avg_terms_days_365d": _t("Average payment terms over the last year (days): {value}", "过去一年平均付款账期（天）：{value}"),
    "active_months_365d": _t("Months with invoices over the last year: {value}", "过去一年有开票的月数：{value}"),
    # timeliness: how late invoices were settled
    "avg_days_late_365d": _t("Average days late over the last year: {value}", "过去一年平均逾期天数：{value}"),
    "share_paid_over_30d_late_365d": _t("Invoices paid more than 30 days late over the last year: {value}",
                                        "过去一年逾期超过30天付款的发票占比：{value}"),
    "share_paid_late_365d": _t("Invoices paid late over the last year: {value}", "过去一年逾期付款的发票占比：{value}"),
    "share_paid_early_365d": _t("Invoices paid before the due date over the last year: {value}",
                                "过去一年提前付款的发票占比：{value}"),
    "p90_days_late_365d": _t("90th-percentile days late over the last year: {value}",
                             "过去一年逾期天数（第90百分位）：{value}"),
    "max_days_late_365d": _t("Most days late on an invoice paid over the last year: {value}", "过去一年单张发票最长逾期天数：{value}"),
    "amount_weighted_days_late_365d": _t("Days late over the last year, weighted by amount: {value}",
                                         "过去一年按金额加权逾期天数：{value}"),
    "stddev_days_late_365d": _t("Irregularity of payment timing over the last year (days): {value}",
                                "过去一年付款时间波动（天）：{value}"),
    "avg_days_to_pay_365d": _t("Average days from invoice to payment over the last year: {value}",
                               "过去一年从开票到付款的平均天数：{value}"),
    "settled_invoice_count_365d": _t("Invoices paid over the last year: {value}", "过去一年已结清发票数：{value}"),
    "share_settled_in_instalments_365d": _t("Invoices paid in instalments over the last year: {value}",
                                            "过去一年分期结清的发票占比：{value}"),
    "avg_days_late_90d": _t("Average days late over the last 90 days: {value}", "过去90天平均逾期天数：{value}"),
    "avg_days_late_prior_275d": _t("Average days late in the 275 days before the last 90: {value}",
                                   "最近90天之前275天的平均逾期天数：{value}"),
    "share_paid_over_30d_late_90d": _t("Invoices paid more than 30 days late over the last 90 days: {value}",
                                       "过去90天逾期超过30天付款的发票占比：{value}"),
    # behaviour: payments, disputes, collections, history
    "payment_count_90d": _t("Payments received in the last 90 days: {value}", "过去90天收款笔数：{value}"),
    "payment_amount_90d": _t("Cash received in the last 90 days (EUR): {value}", "过去90天收款金额（欧元）：{value}"),
    "payment_count_365d": _t("Payments received over the last year: {value}", "过去一年收款笔数：{value}"),
    "dispute_count_365d": _t("Disputes opened over the last year: {value}", "过去一年新增争议数：{value}"),
    "dispute_count_90d": _t("Disputes opened in the last 90 days: {value}", "过去90天新增争议数：{value}"),
    "disputed_amount_365d": _t("Amount disputed over the last year (EUR): {value}", "过去一年争议金额（欧元）：{value}"),
    "collections_handover_count_365d": _t("Hand-overs to collections over the last year: {value}",
                                          "过去一年移交催收次数：{value}"),
    "limit_change_count_365d": _t("Credit-limit changes over the last year: {value}", "过去一年信用额度调整次数：{value}"),
    "days_since_last_payment": _t("Days since the last payment: {value}", "距上次收款天数：{value}"),
    "days_since_last_invoice": _t("Days since the last invoice: {value}", "距上次开票天数：{value}"),
    "max_days_late_ever": _t("Most days late on any invoice, whole relationship: {value}", "合作以来单张发票最长逾期天数：{value}"),
    "share_paid_over_30d_late_ever": _t("Invoices paid more than 30 days late, whole relationship: {value}",
                                        "合作以来逾期超过30天付款的发票占比：{value}"),
    # derived: ratios and trends
    "credit_limit_utilisation": _t("Credit limit used (open balance / limit): {value}", "信用额度使用率（未结余额/额度）：{value}"),
    "credit_limit_headroom": _t("Credit limit headroom (EUR, negative when over): {value}",
                                "剩余信用额度（欧元，负数表示超额）：{value}"),
    "over_credit_limit": _t("Over the credit limit: {value}", "超出信用额度：{value}"),
    "dso_90d": _t("Days sales outstanding (last 90 days): {value}", "应收账款周转天数（过去90天）：{value}"),
    "overdue_share": _t("Share of the open balance overdue: {value}", "未结余额中的逾期占比：{value}"),
    "share_open_over_60dpd": _t("Share of the open balance over 60 days overdue: {value}",
                                "未结余额中逾期超过60天的占比：{value}"),
    "days_late_trend_90d": _t("Change in average days late, last 90 days vs the 275 before: {value}",
                              "平均逾期天数变化（过去90天对比此前275天）：{value}"),
    "invoice_amount_trend_90d": _t("Daily invoicing, last 90 days vs the 275 before (1.00 = steady): {value}",
                                   "日均开票额之比（过去90天对比此前275天，1.00为持平）：{value}"),
    "open_to_annual_sales": _t("Open balance relative to last year's invoicing: {value}", "未结余额与过去一年开票额之比：{value}"),
    "payment_to_invoice_ratio_90d": _t("Cash received per euro invoiced, last 90 days: {value}",
                                       "过去90天收款额与开票额之比：{value}"),
    # static: the customer record
    "credit_limit": _t("Credit limit (EUR): {value}", "信用额度（欧元）：{value}"),
    "payment_terms_days": _t("Standard payment terms (days): {value}", "标准付款账期（天）：{value}"),
    "customer_tenure_days": _t("Length of the relationship (days): {value}", "合作时长（天）：{value}"),
    "industry": _t("Industry: {value}", "行业：{value}"),
    "country": _t("Country: {value}", "国家/地区：{value}"),
}


def templates_for(feature: str) -> tuple[str, str]:
    """Return the (English, Chinese) templates for `feature`, the fallback when it has none of its own."""
    return REASON_TEXTS.get(feature, FALLBACK)


def reason_sentence(feature: str, value, median, unit: str, language: str = "en") -> str:
    """Return the reason sentence for `feature` in `language` ("en" or "zh"), value and median formatted by unit."""
    return format_reason(REASON_TEXTS.get(feature), feature, value, median, unit, language)


def format_reason(texts: Sequence[str] | None, feature: str, value, median, unit: str, language: str = "en") -> str:
    """Like `reason_sentence`, with the (English, Chinese) templates given (e.g. as saved with a model); None: fallback."""
    return reason_sentences(texts, feature, np.array([value], dtype=object), median, unit, language)[0]


def reason_sentences(texts: Sequence[str] | None, feature: str, values: np.ndarray, median, unit: str,
                     language: str = "en") -> list[str]:
    """Return `format_reason` for each of `values` (one feature): the template is filled once, values formatted in bulk."""
    i = _language(language)
    codes, _, sentences = reason_text_codes(texts, feature, values, median, unit)
    return np.array(sentences[i], dtype=object)[codes].tolist()


def reason_text_codes(texts: Sequence[str] | None, feature: str, values: np.ndarray, median,
                      unit: str) -> tuple[np.ndarray, list[list[str]], list[list[str]]]:
    """Return (code per value, per language the distinct values as shown, per language the distinct sentences).

    Value k is shown as `shown[i][codes[k]]` and reads `sentences[i][codes[k]]` in language
    `LANGUAGES[i]`; code -1, the last entry, is a missing value. Each distinct shown value is
    formatted once per language, so a portfolio's reasons never build a sentence per row.
    """
    codes, shown = _shown_values(values, unit)
    sentences = []
    for i, template in enumerate(texts or FALLBACK):
        if _missing(median):
            template = template.removesuffix(MEDIAN_CLAUSE[i])
        elif unit == "category" and template.endswith(MEDIAN_CLAUSE[i]):
            template = template.removesuffix(MEDIAN_CLAUSE[i]) + MODE_CLAUSE[i]
        # Every template holds {value} once: fill the rest once, then join the pieces per shown value.
        head, tail = (part.format(feature=feature, median=_format(median, unit, i)) for part in template.split("{value}", 1))
        sentences.append([head + text + tail for text in shown[i]])
    return codes, shown, sentences


# Units whose shown value depends only on the value rounded after scaling (see `_format`), so values
# that round alike are formatted once.
_ROUNDED_UNITS = {"EUR": 1.0, "days": 1.0, "count": 1.0, "share": 100.0}


def format_values(values: np.ndarray, unit: str, language: str = "en") -> list[str]:
    """Return each value as a reason sentence shows it, by unit; each distinct shown value is formatted once."""
    i = _language(language)
    codes, shown = _shown_values(values, unit)
    return np.array(shown[i], dtype=object)[codes].tolist()


def _shown_values(values: np.ndarray, unit: str) -> tuple[np.ndarray, list[list[str]]]:
    """Return (code per value, per language the distinct shown texts): code -1, the last text, is a missing value."""
    values = np.asarray(values)
    if unit in _ROUNDED_UNITS and values.dtype.kind == "f":
        scale = _ROUNDED_UNITS[unit]
        key = np.rint(values * scale if scale != 1.0 else values)
    elif unit == "ratio" and values.dtype.kind == "f":
        return _shown_ratios(values)
    else:
        key = values
    codes, distinct = pd.factorize(key, use_na_sentinel=True)
    if not len(distinct):
        texts = [[] for _ in LANGUAGES]
    elif key is not values and np.isfinite(distinct).all() and np.abs(distinct).max() < 2**53:
        # `_format` of such a value is its rounded key as an integer: skip the per-value dispatch.
        whole = distinct.astype(np.int64).tolist()
        if unit == "share":
            texts = [[f"{k}{suffix}" for k in whole] for suffix in PERCENT]
        else:
            grouped = [f"{k:,}" for k in whole]
            texts = [grouped for _ in LANGUAGES]
    else:
        _, first = np.unique(codes, return_index=True)
        first = first[codes[first] >= 0]  # one row per distinct key, in code order
        # A number (never missing here: factorize set those aside) reads alike in every language,
        # but for a share's % sign and a flag's yes / no.
        per_language = unit in ("share", "flag") or values.dtype.kind not in "fiu"
        texts = [[_format(values[row], unit, i) for row in first] for i in range(len(LANGUAGES) if per_language else 1)]
        texts = texts if per_language else texts * len(LANGUAGES)
    return codes, [[*texts[i], MISSING[i]] for i in range(len(LANGUAGES))]


def _shown_ratios(values: np.ndarray) -> tuple[np.ndarray, list[list[str]]]:
    """`_shown_values` for ratios, shown to two decimals: values are grouped by hundredths, not one by one.

    A value is shown as its hundredths rounded, unless it lies so close to halfway between two that
    the product by 100 could round the wrong way, or is too large for that margin to exceed the
    product's rounding error (2**30 hundredths: about 10 million): those few are formatted one by
    one like any value.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN are not safe, and are told apart below
        hundredths = values * 100.0
        key = np.rint(hundredths)
        safe = np.isfinite(hundredths) & (np.abs(np.abs(hundredths - key) - 0.5) > 1e-6) & (np.abs(key) < 2**30)
    # Unsafe values keep a key of their own: their value, marked apart from the hundredths.
    codes, distinct = pd.factorize(np.where(safe, key, np.nan), use_na_sentinel=True)
    shown = [f"{k / 100 + 0.0:,.2f}" for k in distinct.tolist()]
    unsafe = np.flatnonzero(~safe & ~np.isnan(values))
    if len(unsafe):
        extra_codes, extra = pd.factorize(values[unsafe])
        codes[unsafe] = extra_codes + len(shown)
        shown += [_format(v, "ratio", 0) for v in extra.tolist()]
    # A ratio is shown alike in every language; code -1 (missing) reads as each language's word.
    return codes, [[*shown, MISSING[i]] for i in range(len(LANGUAGES))]


def _language(language: str) -> int:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return LANGUAGES.index(language)


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN and NaT are the values unequal to themselves
    except (TypeError, ValueError):
        return True  # pandas.NA refuses to be a bool


def _format(x, unit: str, i: int) -> str:
    if _missing(x):
        return MISSING[i]
    if unit == "flag":
        return YES_NO[i][0] if x else YES_NO[i][1]
    if unit == "category" or isinstance(x, str):
        return str(x)
    try:
        number = float(x)
        if unit in ("EUR", "days", "count"):
            return f"{round(number):,}"
        if unit == "share":
            return f"{round(number * 100)}{PERCENT[i]}"
        if unit == "ratio" or not number.is_integer():
            return f"{round(number, 2) + 0.0:,.2f}"  # + 0.0 turns -0.0 into 0.0
        return f"{round(number):,}"
    except (TypeError, ValueError, OverflowError):
        return str(x)
