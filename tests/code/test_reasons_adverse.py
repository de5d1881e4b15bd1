"""Reasons a credit officer can act on: adverse against the reference they name, missing values said as such,
no raw column name, no excluded feature; on literal contributions and on the sample portfolio's model."""

from __future__ import annotations

import re

import mlflow
import numpy as np
import pandas as pd
import pytest
from helpers import d, make_ledger

from features.pipeline import build_features
from model.packaged import PackagedModel
from model.reason_texts import templates
from model.reasons import MISSING_REASON, reason_columns
from training.config import load_config

NAMES = ("days_late", "early_share", "payments", "country", "rating", "paid_90d", "open_share", "insured")
BUNDLE = {
    "feature_spec": {
        "names": list(NAMES),
        "categorical": {"country": ["DE", "FR"], "rating": ["A", "B"]},
        "directions": {"days_late": 1, "early_share": -1, "payments": 0, "country": 0, "rating": 0},
    },
    "calibrator": {"method": "platt", "coef": 1.0, "intercept": 0.0},
    "grade_bounds": [0.5],
    "medians": {"days_late": 3.2, "early_share": 0.5, "payments": 6.0, "country": "DE", "rating": "A"},
    "units": {"days_late": "days", "early_share": "share", "payments": "count", "country": "category"}
    | {"rating": "category", "paid_90d": "days", "open_share": "share", "insured": "EUR"},
    "reason_texts": {
        "days_late": list(templates("Average days late", "平均逾期天数")),
        "early_share": list(templates("Paid early", "提前付款占比")),
        "payments": list(templates("Payments", "收款笔数")),
        "country": list(templates("Country", "国家/地区")),
        "rating": list(templates("External rating", "外部评级")),
        "paid_90d": list(templates("Average days late, 90 days", "过去90天平均逾期天数")),
        "open_share": list(templates("Share overdue", "逾期占比")),
        "insured": list(templates("Insured limit (EUR)", "信用保险额度（欧元）")),
    },
    "missing_texts": {
        "paid_90d": ["no invoice paid in the last 90 days", "过去90天无已付发票", "history"],
        "open_share": ["no open balance", "无未结余额", "history"],
        "insured": ["no insured limit on the customer record", "客户档案中无信用保险额度", "record"],
    },
    "reason_exclude": ["country"],
}


def reasons_of(rows: list[dict], contributions: list[list[float]]) -> pd.DataFrame:
    model = PackagedModel(None, BUNDLE)
    features = pd.DataFrame(rows, columns=list(NAMES))
    return pd.DataFrame(model.reasons(features, np.array(contributions, dtype=float)))


def row(**values) -> dict:
    base = {"days_late": 3.0, "early_share": 0.5, "payments": 6.0, "country": "DE", "rating": "A"}
    return base | {"paid_90d": 1.0, "open_share": 0.1, "insured": 5000.0} | values


def slots(table: pd.DataFrame, r: int = 0, part: str = "feature") -> list:
    return [table[f"reason_{i}_{part}"][r] for i in range(1, 6) if isinstance(table[f"reason_{i}_feature"][r], str)]


def test_a_value_on_its_risky_side_of_the_median_is_a_reason_and_names_the_median():
    table = reasons_of([row(days_late=12.6, early_share=0.1)], [[0.8, 0.5, 0, 0, 0, 0, 0, 0]])
    assert slots(table) == ["days_late", "early_share"]
    assert slots(table, part="text_en") == [
        "Average days late: 13 (portfolio median 3)",
        "Paid early: 10 % (portfolio median 50 %)",
    ]
    assert slots(table, part="contribution") == [0.8, 0.5]


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"days_late": 2.0}, "riskier when higher, below its median"),
        ({"days_late": 3.4}, "shown as 3 like its median 3.2: at it, not above"),
        ({"early_share": 0.9}, "safer when higher, above its median"),
        ({"early_share": 0.503}, "shown as 50 % like its median"),
        ({"payments": 6.0}, "no direction, at its median"),
        ({"rating": "A"}, "no direction, the most common category"),
    ],
)
def test_a_value_at_or_on_the_safe_side_of_its_reference_is_never_a_reason(values, why):
    contributions = [[0.9, 0.9, 0.9, 0, 0.9, 0, 0, 0]]
    table = reasons_of([row(**values)], contributions)
    moved = next(iter(values))
    assert moved not in slots(table), why


def test_a_feature_without_direction_is_a_reason_only_off_its_reference_and_says_which():
    table = reasons_of([row(payments=1.0, rating="B")], [[0, 0, 0.4, 0, 0.3, 0, 0, 0]])
    assert slots(table, part="text_en") == [
        "Payments: 1 (portfolio median 6)",
        "External rating: B (most common in the portfolio: A)",
    ]
    # a category never seen in training is a value too, and differs from the most common
    table = reasons_of([row(rating="CCC")], [[0, 0, 0, 0, 0.3, 0, 0, 0]])
    assert slots(table, part="text_en") == ["External rating: CCC (most common in the portfolio: A)"]


def test_an_excluded_feature_is_never_a_reason_even_when_it_raises_the_risk_most():
    table = reasons_of([row(country="FR", days_late=9.0)], [[0.1, 0, 0, 2.5, 0, 0, 0, 0]])
    assert slots(table) == ["days_late"]


def test_missing_values_make_one_reason_with_their_summed_contribution_saying_what_is_missing():
    values = row(paid_90d=np.nan, open_share=np.nan, days_late=9.0)
    table = reasons_of([values], [[0.5, 0, 0, 0, 0, 0.4, 0.3, 0]])
    assert slots(table) == [MISSING_REASON, "days_late"]
    assert slots(table, part="contribution") == [pytest.approx(0.7), 0.5]
    assert slots(table, part="value")[0] == "no invoice paid in the last 90 days; no open balance"
    assert (
        slots(table, part="text_en")[0]
        == "Little payment history: no invoice paid in the last 90 days; no open balance"
    )
    assert slots(table, part="text_zh")[0] == "付款记录不足：过去90天无已付发票；无未结余额"


def test_the_missing_reason_lists_only_what_raises_the_risk_and_names_the_customer_record():
    values = row(paid_90d=np.nan, open_share=np.nan, insured=np.nan)
    # the open balance's missing value lowers the risk: it is neither listed nor subtracted
    table = reasons_of([values], [[0, 0, 0, 0, 0, 0.2, -0.3, 0.1]])
    assert slots(table, part="contribution") == [pytest.approx(0.3)]
    assert slots(table, part="text_en") == [
        "Missing information: no invoice paid in the last 90 days; no insured limit on the customer record"
    ]
    # a missing value that does not raise the risk makes no reason
    assert slots(reasons_of([values], [[0, 0, 0, 0, 0, -0.2, -0.3, 0]])) == []


def test_rows_are_worded_alike_in_bulk_and_one_by_one():
    rng = np.random.default_rng(3)
    rows = [
        row(
            days_late=rng.choice([1.0, 3.0, 9.0, np.nan]),
            paid_90d=rng.choice([2.0, np.nan]),
            open_share=rng.choice([0.2, np.nan]),
            insured=rng.choice([1000.0, np.nan]),
            rating=rng.choice(["A", "B"]),
        )
        for _ in range(200)
    ]
    contributions = rng.normal(size=(200, len(NAMES)))
    together = reasons_of(rows, contributions.tolist())
    for r in range(0, 200, 17):
        alone = reasons_of([rows[r]], [contributions[r].tolist()])
        for column in reason_columns():
            left, right = together[column][r], alone[column][0]
            assert (pd.isna(left) and pd.isna(right)) or left == right, (r, column)


def test_a_bundle_from_before_the_reason_rules_still_words_missing_values():
    old = {k: v for k, v in BUNDLE.items() if k not in ("missing_texts", "reason_exclude")}
    model = PackagedModel(None, old)
    features = pd.DataFrame([row(paid_90d=np.nan, country="FR")], columns=list(NAMES))
    table = pd.DataFrame(model.reasons(features, np.array([[0, 0, 0, 0.2, 0, 0.4, 0, 0]])))
    assert slots(table, part="text_en") == [
        "Little payment history: Average days late, 90 days not known",
        "Country: FR (most common in the portfolio: DE)",
    ]


def test_the_insurers_limit_decisions_are_counted_apart_from_the_companys_own():
    ledger = make_ledger(
        [("I1", "A", "2024-01-01", "2024-01-31", 100)],
        events=[
            ("A", "2024-02-01", "insurer_limit_change"),
            ("A", "2024-05-01", "insurer_limit_change"),
            ("A", "2023-06-30", "insurer_limit_change"),  # 366 days before as_of: outside the year
            ("A", "2024-03-01", "limit_change"),
            ("A", "2024-07-01", "insurer_limit_change"),  # after as_of
        ],
    )
    features = build_features(ledger, [d("2024-06-30")]).to_pandas().iloc[0]
    assert features["insurer_limit_change_count_365d"] == 2
    assert features["limit_change_count_365d"] == 1


def test_by_default_the_companys_own_decisions_are_no_model_input_and_country_no_reason():
    config = load_config(None)
    assert set(config.exclude_features) == {"limit_change_count_365d", "collections_handover_count_365d"}
    assert {"country", "industry", "gender", "age", "nationality"} <= set(config.reason_exclude)
    # a config may put them back, and adds labels to the built-in ones of the customer-table extras
    config = load_config(None, exclude_features=[], feature_labels={"vat_id": {"en": "VAT number"}})
    assert config.exclude_features == ()
    assert config.feature_labels["vat_id"].en == "VAT number"
    assert config.feature_labels["external_rating"].zh == "外部评级"


# -- on the sample portfolio's models -------------------------------------------------------------
RAW_NAME = re.compile(r"[a-z0-9]+_[a-z0-9_]+")


@pytest.fixture(scope="module")
def scored(registry, feature_table):
    uri = registry[0]
    mlflow.set_tracking_uri(uri)
    out = {}
    for name in ("tradecredit-default", "tradecredit-late-payment"):
        model = mlflow.pyfunc.load_model(f"models:/{name}@champion").unwrap_python_model().model
        latest = feature_table[feature_table["as_of_date"] == feature_table["as_of_date"].max()]
        out[name] = (model, model.predict(latest))
    return out


@pytest.mark.parametrize("name", ["tradecredit-default", "tradecredit-late-payment"])
def test_no_sample_reason_is_missing_worded_safe_side_excluded_or_a_raw_name(scored, name):
    model, predicted = scored[name]
    rules, names = model.reason_rules, list(model.spec.names)
    assert {"country", "industry"} <= set(model.bundle["reason_exclude"])
    assert not {"limit_change_count_365d", "collections_handover_count_365d"} & set(names)
    shown = 0
    for i in range(1, 6):
        feature, text_en, text_zh = (predicted[f"reason_{i}_{p}"] for p in ("feature", "text_en", "text_zh"))
        for f, en, zh in zip(feature, text_en, text_zh):
            if not isinstance(f, str):
                continue
            shown += 1
            assert f not in model.bundle["reason_exclude"], en
            assert not re.search(r": none\b|：无(（|$)", f"{en} {zh}"), en
            assert not RAW_NAME.search(en.split(":")[0]) and not RAW_NAME.search(zh.split("：")[0]), (en, zh)
            if f != MISSING_REASON:
                assert rules.direction[names.index(f)] != 0 or "portfolio" in en, en
    assert shown > 500


def test_sample_reasons_lie_on_the_risky_side_of_their_reference(scored, feature_table):
    model, predicted = scored["tradecredit-default"]
    latest = feature_table[feature_table["as_of_date"] == feature_table["as_of_date"].max()].reset_index(drop=True)
    medians, checked = model.bundle["medians"], 0
    for i in range(1, 6):
        for r, f in enumerate(predicted[f"reason_{i}_feature"]):
            if not isinstance(f, str) or f == MISSING_REASON or f in model.spec.categorical:
                continue
            value, median = latest.at[r, f], medians[f]
            direction = model.spec.directions.get(f, 0)
            assert not pd.isna(value), (f, r)
            assert (direction > 0 and value > median) or (direction < 0 and value < median) or direction == 0, f
            assert direction != 0 or value != median, f
            checked += 1
    assert checked > 500


def test_every_feature_empty_in_the_sample_says_what_its_empty_value_means(scored, feature_table):
    model, _ = scored["tradecredit-default"]
    empty = [n for n in model.spec.names if feature_table[n].isna().any()]
    assert len(empty) > 20
    for name in empty:
        en, zh, _ = model.bundle["missing_texts"][name]
        assert "not known" not in en and "未知" not in zh, name
