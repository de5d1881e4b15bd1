"""Aging and DSO on literal ledgers, every expected value worked out by hand in the comments."""

from __future__ import annotations

import pytest
from helpers import d
from portfolio_ledgers import AGING_AS_OF, AGING_LEDGER, ledger, scores

from features.pipeline import LedgerFacts
from serving.portfolio.dso import countback
from serving.portfolio.report import build_report
from serving.portfolio.settings import PortfolioSettings


def report_on(ledger_kwargs, as_of, score_rows, settings=None, compare_to=None):
    book = ledger(**ledger_kwargs)
    with LedgerFacts(book) as facts:
        return build_report(
            facts,
            d(as_of),
            d(compare_to) if compare_to else d("2024-05-31"),
            scores(as_of, score_rows),
            settings or PortfolioSettings(),
        )


@pytest.fixture(scope="module")
def aging_report():
    return report_on(AGING_LEDGER, AGING_AS_OF, [("A", 0.05, "6", 0.4), ("B", 0.01, "3", 0.2)])


def row(table, level, key):
    found = table[(table["level"] == level) & (table["key"] == key)]
    assert len(found) == 1, f"one {level} row {key} expected"
    return found.iloc[0]


def test_aging_buckets_on_the_due_date_and_at_exactly_30_60_90_days(aging_report):
    a = row(aging_report.tables["aging"], "customer", "A")
    # due today -> current; 30 days -> 1-30; 31 and 60 days -> 31-60; 90 -> 61-90; 91 -> 91-180
    assert (a["amount_current"], a["amount_1_30"], a["amount_31_60"]) == (1000, 500, 500)
    assert (a["amount_61_90"], a["amount_91_180"], a["amount_over_180"]) == (400, 100, 0)
    assert a["unapplied_credit"] == -50
    assert a["open_receivables"] == 2450  # 2,500 of invoices less the 50 credit note
    assert a["overdue_amount"] == 1500
    assert a["overdue_share"] == pytest.approx(1500 / 2500)
    assert a["share_31_60"] == pytest.approx(500 / 2500)


def test_aging_sees_payments_up_to_the_as_of_date_only(aging_report):
    b = row(aging_report.tables["aging"], "customer", "B")
    assert b["amount_1_30"] == 1500  # 2,000 less the 500 paid on 2024-06-20; the 2024-07-05 payment is later
    total = row(aging_report.tables["aging"], "total", "all")
    assert total["open_receivables"] == 2450 + 1500
    assert total["amount_1_30"] == 500 + 1500
    assert total["customers"] == 2


def test_aging_totals_by_grade_and_industry(aging_report):
    table = aging_report.tables["aging"]
    assert row(table, "risk_grade", "6")["open_receivables"] == 2450
    assert row(table, "industry", "construction")["open_receivables"] == 1500
    assert list(table.loc[table["level"] == "risk_grade", "key"]) == ["3", "6"]


def test_aging_trend_has_twelve_month_ends(aging_report):
    trend = aging_report.tables["aging_trend"]
    assert len(trend) == 12 and trend["month_end"].iloc[-1] == d("2024-06-30")
    may = trend[trend["month_end"] == d("2024-05-31")].iloc[0]
    # at 2024-05-31: A2 due that day (current); A3 1 day, A4 30 days (1-30); A5 60 days (31-60); A6 61 days (61-90)
    assert may["amount_current"] == 500 + 2000  # A2, and B1 (due 2024-06-15)
    assert (may["amount_1_30"], may["amount_31_60"], may["amount_61_90"]) == (500, 400, 100)


# DSO: customer C sells 3,000 in April, 3,100 in May and 2,000 in June 2024. At 2024-06-30 its balance
# is 4,480: the June invoice (2,000, due 2024-07-15) and 2,480 of the May one (due 2024-06-20, 620 paid).
DSO_LEDGER = {
    "customers": [("C", 20_000.0, 30, None, "retail")],
    "invoices": [
        ("C4", "C", "2024-04-10", "2024-05-10", 3000),
        ("C5", "C", "2024-05-21", "2024-06-20", 3100),
        ("C6", "C", "2024-06-15", "2024-07-15", 2000),
    ],
    "payments": [("C4", "2024-05-05", 3000), ("C5", "2024-06-25", 620)],
}


@pytest.fixture(scope="module")
def dso_at_june():
    report = report_on(DSO_LEDGER, "2024-06-30", [("C", 0.02, "4", 0.3)])
    table = report.tables["dso"]
    return row(table[table["month_end"] == d("2024-06-30")], "customer", "C"), report


def test_dso_count_back_by_hand(dso_at_june):
    c, _ = dso_at_june
    # June's 2,000 fits in 4,480 (30 days, 2,480 left); May's 3,100 does not: 31 x 2,480 / 3,100 = 24.8 days
    assert c["balance"] == 4480
    assert c["dso_countback"] == pytest.approx(30 + 24.8)


def test_dso_balance_over_sales_and_days_beyond_terms(dso_at_june):
    c, report = dso_at_june
    sales_3m, days_3m = 3000 + 3100 + 2000, 30 + 31 + 30
    assert c["sales_3m"] == sales_3m
    assert c["dso_3m"] == pytest.approx(4480 / sales_3m * days_3m)
    # best possible: only the current (not yet due) June invoice
    assert c["best_possible_dso_3m"] == pytest.approx(2000 / sales_3m * days_3m)
    assert c["days_beyond_terms_3m"] == pytest.approx((4480 - 2000) / sales_3m * days_3m)
    assert c["average_days_delinquent"] == 10  # the one overdue invoice, due 2024-06-20
    total = row(report.tables["dso"][report.tables["dso"]["month_end"] == d("2024-06-30")], "total", "all")
    assert total["dso_countback"] == pytest.approx(c["dso_countback"])  # one customer: the same figure


def test_dso_countback_edge_cases():
    import numpy as np

    days = np.array([30.0, 31.0])
    # nothing open: 0 days; covered by the first month exactly: its days; more than the months' sales: empty
    out = countback(np.array([0.0, 300.0, 1000.0]), np.array([[100.0, 100.0], [300.0, 100.0], [100.0, 100.0]]), days)
    assert out[0] == 0 and out[1] == 30 and np.isnan(out[2])
