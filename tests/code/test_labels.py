"""Label edge cases: outcome windows, customers already in default, both default definitions."""

from __future__ import annotations

import pytest
from helpers import d, make_ledger

from features.labels import LabelConfig, build_labels

AS_OF = d("2023-06-30")
# Activity until 2025-01-31 observes a 12-month default window from 2023-06-30 and 2024-01-31, not 2024-06-30.
LAST_DAY = ("Z", "Z", "2025-01-31", "2025-01-31", 1)


def labels(ledger, dates=(AS_OF,), config=LabelConfig()):
    frame = build_labels(ledger, list(dates), config).to_pandas()
    return {(r.customer_id, str(r.as_of_date)): r for r in frame.itertuples()}


def base_invoices():
    return [("I1", "A", "2023-01-01", "2023-01-31", 100), ("I2", "B", "2023-01-01", "2023-01-31", 100), LAST_DAY]


def test_default_event_inside_horizon_is_1_after_it_0():
    ledger = make_ledger(
        base_invoices(),
        [("I1", "2023-02-01", 100), ("I2", "2023-02-01", 100)],
        events=[("A", "2024-06-30", "insolvency"), ("B", "2024-07-01", "default")],
    )
    out = labels(ledger)
    assert out[("A", "2023-06-30")].default_12m == 1  # the last day of the horizon counts
    assert out[("B", "2023-06-30")].default_12m == 0
    assert not out[("A", "2023-06-30")].in_default_at_as_of


def test_window_not_fully_observed_is_empty_never_0():
    ledger = make_ledger(base_invoices(), [("I1", "2023-02-01", 100), ("I2", "2023-02-01", 100)])
    out = labels(ledger, dates=[d("2024-01-31"), d("2024-06-30")])
    assert out[("A", "2024-01-31")].default_12m == 0
    assert out[("A", "2024-06-30")].default_12m != out[("A", "2024-06-30")].default_12m  # NaN: unobserved


def test_customer_already_in_default_is_flagged_and_unlabelled():
    ledger = make_ledger(
        base_invoices(),
        [("I2", "2023-02-01", 100)],
        events=[("A", "2023-03-01", "write_off"), ("B", "2023-03-01", "collections_handover")],
    )
    out = labels(ledger)
    assert out[("A", "2023-06-30")].in_default_at_as_of
    assert out[("A", "2023-06-30")].default_12m != out[("A", "2023-06-30")].default_12m
    assert not out[("B", "2023-06-30")].in_default_at_as_of  # information events are not default
    assert out[("B", "2023-06-30")].default_12m == 0


def test_days_past_due_definition_counts_an_invoice_reaching_n_days_unpaid():
    invoices = [
        *base_invoices(),
        ("I3", "A", "2023-07-01", "2023-07-31", 50),
        ("I4", "B", "2023-07-01", "2023-07-31", 50),
    ]
    payments = [
        ("I1", "2023-02-01", 100),
        ("I2", "2023-02-01", 100),
        ("I3", "2023-10-29", 50),
        ("I4", "2023-10-30", 50),
    ]
    ledger = make_ledger(invoices, payments)
    assert labels(ledger)[("A", "2023-06-30")].default_12m == 0  # events only: no event, no default
    config = LabelConfig(default_definition="events_or_dpd", default_dpd_threshold=90)
    out = labels(ledger, config=config)
    assert out[("A", "2023-06-30")].default_12m == 0  # paid at 90 days past due: did not pass 90
    assert out[("B", "2023-06-30")].default_12m == 1  # 91 days past due on 2023-10-30


def test_late_payment_label():
    invoices = [
        ("I1", "A", "2023-06-01", "2023-07-15", 100),  # due in window, paid 30 days late: not late
        ("I2", "B", "2023-06-01", "2023-07-15", 100),  # due in window, paid 31 days late
        ("I3", "C", "2023-06-01", "2023-09-28", 100),  # due on the window's last day, never paid
        ("I4", "D", "2023-06-01", "2023-06-30", 100),  # due on as_of: outside (as_of, as_of + 90]
        LAST_DAY,
    ]
    payments = [("I1", "2023-08-14", 100), ("I2", "2023-08-15", 100), ("I4", "2023-12-01", 100)]
    out = labels(make_ledger(invoices, payments))
    assert out[("A", "2023-06-30")].late_payment_90d == 0
    assert out[("B", "2023-06-30")].late_payment_90d == 1
    assert out[("C", "2023-06-30")].late_payment_90d == 1
    d_label = out[("D", "2023-06-30")].late_payment_90d
    assert d_label != d_label  # nothing falls due in the window: no outcome to learn from


def test_late_payment_window_must_be_observed_through_the_threshold():
    # observed until 2025-01-31: as_of + 90 + 30 days must not pass it
    invoices = [("I0", "A", "2024-01-01", "2024-01-31", 5), ("I1", "A", "2024-11-01", "2024-11-30", 100), LAST_DAY]
    out = labels(make_ledger(invoices, [("I0", "2024-01-31", 5)]), dates=[d("2024-09-30"), d("2024-10-31")])
    assert out[("A", "2024-09-30")].late_payment_90d == 1  # 2025-01-28: observed; I1 still open 30 days after due
    late = out[("A", "2024-10-31")].late_payment_90d
    assert late != late  # 2025-02-28 is past the observation end: empty


def test_bad_label_config_is_refused():
    with pytest.raises(ValueError, match="default_definition"):
        LabelConfig(default_definition="rating_downgrade")
    with pytest.raises(ValueError, match=r"late_window_days\n.*greater than 0"):
        LabelConfig(late_window_days=0)
