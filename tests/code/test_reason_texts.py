"""Reason sentences: the templates made from each feature's labels, and values formatted by unit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.catalogue import catalogue
from model.reason_texts import (
    FALLBACK,
    LANGUAGES,
    MEDIAN_CLAUSE,
    _format,
    format_reason,
    format_values,
    humanise,
    missing_reason,
    reason_sentences,
    reason_text_codes,
    templates,
)

REASON_TEXTS = {f.name: templates(f.label_en, f.label_zh) for f in catalogue() if not f.intermediate}


def templates_for(feature: str) -> tuple[str, str]:
    return REASON_TEXTS.get(feature, FALLBACK)


def reason_sentence(feature: str, value, median, unit: str, language: str = "en") -> str:
    return format_reason(templates_for(feature), feature, value, median, unit, language)


@pytest.mark.parametrize("texts", [*REASON_TEXTS.values(), FALLBACK], ids=[*REASON_TEXTS, "fallback"])
def test_every_template_has_a_value_and_ends_with_the_median_clause(texts):
    for template, clause in zip(texts, MEDIAN_CLAUSE):
        assert "{value}" in template
        assert template.endswith(clause), "the median clause must close the template so it can be dropped"
        assert template.count("{median}") == 1
        assert "{" not in template.removesuffix(clause).replace("{value}", "").replace("{feature}", "")


def test_chinese_texts_use_full_width_punctuation():
    for name, (_, zh) in REASON_TEXTS.items():
        assert "：" in zh and ":" not in zh and "(" not in zh, name


def test_the_documented_example():
    assert REASON_TEXTS["avg_days_late_365d"] == (
        "Average days late over the last year: {value} (portfolio median {median})",
        "过去一年平均逾期天数：{value}（组合中位数 {median}）",
    )


@pytest.mark.parametrize(
    ("feature", "value", "median", "unit", "en", "zh"),
    [
        (
            "overdue_amount",
            120500.4,
            8250,
            "EUR",
            "Overdue amount (EUR): 120,500 (portfolio median 8,250)",
            "逾期金额（欧元）：120,500（组合中位数 8,250）",
        ),
        (
            "credit_limit_headroom",
            -1234567.8,
            50000.0,
            "EUR",
            "Credit limit headroom (EUR, negative when over): -1,234,568 (portfolio median 50,000)",
            "剩余信用额度（欧元，负数表示超额）：-1,234,568（组合中位数 50,000）",
        ),
        (
            "share_paid_late_365d",
            0.4123,
            0.1,
            "share",
            "Invoices paid late over the last year: 41 % (portfolio median 10 %)",
            "过去一年逾期付款的发票占比：41%（组合中位数 10%）",
        ),
        (
            "avg_days_late_365d",
            12.6,
            3.2,
            "days",
            "Average days late over the last year: 13 (portfolio median 3)",
            "过去一年平均逾期天数：13（组合中位数 3）",
        ),
        (
            "days_late_trend_90d",
            -0.3,
            0.0,
            "days",
            "Change in average days late, last 90 days vs the 275 before: 0 (portfolio median 0)",
            "平均逾期天数变化（过去90天对比此前275天）：0（组合中位数 0）",
        ),
        (
            "credit_limit_utilisation",
            1.256,
            0.5,
            "ratio",
            "Credit limit used (open balance / limit): 1.26 (portfolio median 0.50)",
            "信用额度使用率（未结余额/额度）：1.26（组合中位数 0.50）",
        ),
        (
            "overdue_invoice_count",
            np.int64(7),
            2.0,
            "count",
            "Overdue open invoices: 7 (portfolio median 2)",
            "逾期未结发票数：7（组合中位数 2）",
        ),
        (
            "over_credit_limit",
            1,
            0,
            "flag",
            "Over the credit limit: yes (portfolio median no)",
            "超出信用额度：是（组合中位数 否）",
        ),
        ("over_credit_limit", np.float64(0.0), None, "flag", "Over the credit limit: no", "超出信用额度：否"),
        ("industry", "Construction", None, "category", "Industry: Construction", "行业：Construction"),
    ],
)
def test_values_and_medians_are_formatted_by_unit(feature, value, median, unit, en, zh):
    assert reason_sentence(feature, value, median, unit) == en
    assert reason_sentence(feature, value, median, unit, "en") == en
    assert reason_sentence(feature, value, median, unit, "zh") == zh


@pytest.mark.parametrize("missing", [None, math.nan, np.float64("nan"), pd.NA])
def test_a_missing_value_never_reads_none(missing):
    # Reasons word missing values by what they mean (`missing_reason`); formatted alone, one is "not known".
    assert reason_sentence("avg_days_late_365d", missing, 3, "days") == (
        "Average days late over the last year: not known (portfolio median 3)"
    )
    assert (
        reason_sentence("avg_days_late_365d", missing, 3, "days", "zh") == "过去一年平均逾期天数：未知（组合中位数 3）"
    )


def test_a_missing_value_can_say_what_it_means():
    texts = templates_for("avg_days_late_90d")
    values = np.array([4.0, np.nan])
    meaning = ("no invoice paid in the last 90 days", "过去90天无已付发票")
    codes, shown, sentences = reason_text_codes(texts, "avg_days_late_90d", values, None, "days", meaning)
    assert [shown[0][c] for c in codes] == ["4", "no invoice paid in the last 90 days"]
    assert [sentences[1][c] for c in codes] == ["过去90天平均逾期天数：4", "过去90天平均逾期天数：过去90天无已付发票"]


def test_the_missing_information_reason_lists_what_is_missing():
    history = [("no invoice paid in the last 90 days", "过去90天无已付发票"), ("no open balance", "无未结余额")]
    assert missing_reason(history, about_record=False) == (
        "no invoice paid in the last 90 days; no open balance",
        "Little payment history: no invoice paid in the last 90 days; no open balance",
        "付款记录不足：过去90天无已付发票；无未结余额",
    )
    record = [("no insured limit on the customer record", "客户档案中无信用保险额度")]
    assert missing_reason(record, about_record=True)[1:] == (
        "Missing information: no insured limit on the customer record",
        "信息缺失：客户档案中无信用保险额度",
    )


@pytest.mark.parametrize("missing", [None, math.nan, np.float64("nan"), pd.NA])
def test_a_missing_median_drops_the_median_clause(missing):
    assert (
        reason_sentence("share_paid_late_365d", 0.5, missing, "share") == "Invoices paid late over the last year: 50 %"
    )
    assert reason_sentence("share_paid_late_365d", 0.5, missing, "share", "zh") == "过去一年逾期付款的发票占比：50%"
    assert reason_sentence("days_since_last_payment", None, missing, "days") == "Days since the last payment: not known"
    assert reason_sentence("days_since_last_payment", None, missing, "days", "zh") == "距上次收款天数：未知"


def test_an_unknown_feature_uses_the_fallback_under_a_readable_name():
    assert (
        reason_sentence("insured_limit", 250000, 100000, "EUR") == "Insured limit: 250,000 (portfolio median 100,000)"
    )
    assert (
        reason_sentence("insured_limit", 250000, 100000, "EUR", "zh") == "Insured limit：250,000（组合中位数 100,000）"
    )
    assert reason_sentence("external_rating", "BB+", None, "category") == "External rating: BB+"
    # a category's reference is its most common value, not a median
    assert reason_sentence("country", "FR", "DE", "category") == "Country: FR (most common in the portfolio: DE)"
    assert reason_sentence("country", "FR", "DE", "category", "zh") == "国家/地区：FR（组合中最常见：DE）"
    assert reason_sentence("external_rating", "BB+", None, "category", "zh") == "External rating：BB+"
    # a customer extra column with no known unit: integers stay integers, other numbers get 2 decimals
    assert reason_sentence("current_rating", 4.0, 3.25, "") == "Current rating: 4 (portfolio median 3.25)"
    assert reason_sentence("current_rating", None, math.nan, "", "zh") == "Current rating：未知"


@pytest.mark.parametrize(
    ("column", "label"),
    [("insured_limit", "Insured limit"), ("CTLPC", "CTLPC"), ("_x_", "X"), ("a", "A"), ("vat_number", "Vat number")],
)
def test_a_column_name_is_humanised(column, label):
    assert humanise(column) == label


def test_format_reason_takes_templates_saved_as_a_json_list():
    saved = list(REASON_TEXTS["overdue_share"])
    assert format_reason(saved, "overdue_share", 0.25, 0.1, "share") == reason_sentence(
        "overdue_share", 0.25, 0.1, "share"
    )
    assert format_reason(None, "x", 1, None, "count", "zh") == "X：1"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        reason_sentence("open_amount", 1, 1, "EUR", "de")


@pytest.mark.parametrize("unit", ["EUR", "days", "count", "share", "ratio", "", "flag"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_bulk_formatting_shows_each_value_as_one_at_a_time(unit, language):
    """A portfolio's reasons are formatted in bulk; each value must read exactly as when formatted alone."""
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            rng.normal(0, 1e5, 300),
            rng.integers(-40, 400, 300) + 0.5,  # halves round to even, both ways
            (rng.integers(-(10**9), 10**9, 300) + 0.5) / 100,
            rng.normal(0, 1e8, 300),  # halfway hundredths; large ratios
            rng.random(300),
            [np.nan, np.inf, -np.inf, -0.4, -0.0, 0.0, 1e17, -2.5e18, 0.125, 0.005, 1.0, 1.0],
        ]
    )
    i = LANGUAGES.index(language)
    expected = [_format(v, unit, i) for v in values]
    assert format_values(values, unit, language) == expected
    assert format_values(values.astype(object), unit, language) == expected
    sentences = reason_sentences(templates_for("open_amount"), "open_amount", values, 1234.5, unit, language)
    assert sentences == [
        format_reason(templates_for("open_amount"), "open_amount", v, 1234.5, unit, language) for v in values
    ]
