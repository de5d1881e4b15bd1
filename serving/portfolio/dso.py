"""Days sales outstanding per customer and in total at each month-end of the trend.

At a month-end with receivables balance B (open invoices less unapplied credit notes) and credit sales
S_k of the k-th month back (k = 0 the month ending then; invoices less credit notes issued in it),
each month having D_k days:

- `dso_countback`: take the months back one by one while their sales fit in what is left of B, a
  full month's days each; the month that no longer fits adds its days times the share of its sales
  still left. Empty when 24 months of sales do not cover B.
- `dso_3m`, `dso_12m` (balance / sales x days): B / (S_0 + ... + S_{n-1}) x (D_0 + ... + D_{n-1}).
- `best_possible_dso_3m`: the same with the current (not yet due) invoices instead of B: the DSO the
  customer would have paying every invoice on its due date.
- `days_beyond_terms_3m`: dso_3m - best_possible_dso_3m.
- `average_days_delinquent`: the days past due of the overdue open invoices, weighted by their
  open amounts.
A balance of 0 or less is 0 days; a balance with no sales to divide by is empty.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from serving.portfolio.open_items import OPEN_SUMMARY, OpenItems

COUNTBACK_MONTHS = 24


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _days_in(index: int) -> int:
    year, month = divmod(index, 12)
    return calendar.monthrange(year, month + 1)[1]


def countback(balance: np.ndarray, sales: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Return the count-back DSO of each row: `balance` (n,), `sales` (n, months; column 0 the latest month),
    `days` (months,) the days of those months. Empty where the months' sales do not cover the balance."""
    result = np.where(balance <= 0, 0.0, np.nan)
    active = np.flatnonzero(balance > 0)  # the rows still counting back, fewer month by month
    left, counted = balance[active].astype(float), np.zeros(len(active))
    for k in range(sales.shape[1]):
        if not len(active):
            break
        s = sales[active, k]
        ends = (s > 0) & (s >= left)
        result[active[ends]] = counted[ends] + days[k] * left[ends] / s[ends]
        fits = (s > 0) & ~ends
        left = np.where(fits, left - s, left)[~ends]
        counted = (counted + days[k])[~ends]
        active = active[~ends]
    return result


def _sales_matrix(items: OpenItems, keys: np.ndarray, end: dt.date, months: int) -> np.ndarray:
    """Return the credit sales of each customer in `keys` for the month of `end` (up to `end` only), the month
    before, ... `months` of them."""
    last = _month_index(end)
    first_year, first_month = divmod(last - months + 1, 12)
    start = dt.date(first_year, first_month + 1, 1)
    found = items.con.execute(
        """SELECT customer_key, CAST(year(invoice_date) * 12 + month(invoice_date) - 1 AS INTEGER) AS m,
                  CAST(sum(CASE WHEN is_credit_note THEN -amount ELSE amount END) AS DOUBLE) AS sales
           FROM documents WHERE invoice_date BETWEEN ? AND ? GROUP BY ALL""",
        [start, end],
    ).fetchnumpy()
    customer, index, sales = (np.asarray(found[name]) for name in ("customer_key", "m", "sales"))
    rows = np.searchsorted(keys, customer)
    known = (rows < len(keys)) & (keys[np.minimum(rows, len(keys) - 1)] == customer) if len(keys) else rows < 0
    matrix = np.zeros((len(keys), months))
    np.add.at(matrix, (rows[known], last - index[known]), sales[known])
    return matrix


def _ratio(numerator: np.ndarray, sales: np.ndarray, days: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(sales > 0, numerator / sales * days, np.nan)
    return np.where(numerator <= 0, 0.0, value)


def dso_table(items: OpenItems, month_ends: list[dt.date], customers: pd.DataFrame) -> pd.DataFrame:
    """Return DSO per customer (`level` customer, sorted by id then date) and for the whole portfolio (`level`
    total) at each date of `month_ends` (month-ends, the last of them may be the as-of date)."""
    got = items.con.execute(
        f"""SELECT customer_key, CAST(list_position(?, as_of_date) - 1 AS INTEGER) AS date_index,
                   CAST(sum(open_amount) AS DOUBLE) AS balance,
                   CAST(coalesce(sum(open_amount) FILTER (WHERE NOT is_credit_note AND bucket = 0), 0) AS DOUBLE)
                        AS current_balance,
                   CAST(coalesce(sum(open_amount) FILTER (WHERE NOT is_credit_note AND bucket > 0), 0) AS DOUBLE)
                        AS overdue_balance,
                   CAST(coalesce(sum(overdue_days_amount) FILTER (WHERE NOT is_credit_note), 0) AS DOUBLE)
                        AS overdue_days_amount
            FROM {OPEN_SUMMARY} WHERE list_contains(?, as_of_date) GROUP BY ALL ORDER BY date_index, customer_key""",
        [month_ends, month_ends],
    ).fetchnumpy()
    found = {name: np.asarray(values) for name, values in got.items()}
    keys = np.unique(found["customer_key"])
    last = _month_index(month_ends[-1])
    sales = _sales_matrix(items, keys, month_ends[-1], COUNTBACK_MONTHS + last - _month_index(month_ends[0]))
    rows = np.searchsorted(keys, found["customer_key"])
    bounds = np.searchsorted(found["date_index"], np.arange(len(month_ends) + 1))  # rows come sorted by date
    parts: list[dict[str, np.ndarray]] = []
    for at, month_end in enumerate(month_ends):
        chosen = slice(bounds[at], bounds[at + 1])
        shift = last - _month_index(month_end)
        window = sales[:, shift : shift + COUNTBACK_MONTHS]
        # The month of the date counts up to the date: all of it at a month-end.
        days = np.array(
            [month_end.day, *(_days_in(_month_index(month_end) - k) for k in range(1, COUNTBACK_MONTHS))], dtype=float
        )
        balances = {name: values[chosen] for name, values in found.items()}
        per_customer = _figures(balances, window[rows[chosen]], days)
        totals = {name: values.sum(keepdims=True) for name, values in balances.items()}
        total = _figures(totals, window.sum(axis=0, keepdims=True), days)
        parts += [
            per_customer | {"key": balances["customer_key"], "at": balances["date_index"]},
            total | {"key": np.array([-1]), "at": np.array([at])},
        ]
    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    return _labelled(columns, month_ends, customers)


def _labelled(columns: dict[str, np.ndarray], month_ends: list[dt.date], customers: pd.DataFrame) -> pd.DataFrame:
    """Return the DSO figures as a table: month_end, level, key (customer id or "all"), customers by id, totals last."""
    key = columns.pop("key")
    is_total = key < 0
    # customer_key -> id and -> the rank of its id, as arrays indexed by the key
    size = int(max(customers["customer_key"].max(), key.max(), 0)) + 1
    rank_of = np.zeros(size, dtype=np.int64)
    by_id = customers.sort_values("customer_id")
    rank_of[by_id["customer_key"].to_numpy()] = np.arange(len(by_id))
    ids = pa.array(by_id["customer_id"]).cast(pa.string())
    safe = np.where(is_total, 0, key)
    order = np.lexsort((columns["at"], np.where(is_total, size, rank_of[safe]), is_total))
    table = pd.DataFrame({name: values[order] for name, values in columns.items()})
    table.insert(0, "month_end", np.array(month_ends, dtype=object)[table.pop("at").to_numpy()])
    table.insert(1, "level", np.where(is_total[order], "total", "customer"))
    # Taken and filled in Arrow: a column of Python strings this long would cost more than the figures.
    named = pc.if_else(pa.array(is_total[order]), "all", ids.take(pa.array(rank_of[safe[order]])))
    table.insert(2, "key", named.to_pandas())
    return table


def _figures(at: dict[str, np.ndarray], sales: np.ndarray, days: np.ndarray) -> dict[str, np.ndarray]:
    """Return the DSO figures of the balances `at` (arrays at one date) with their `sales` by month back."""
    balance, current, overdue = at["balance"], at["current_balance"], at["overdue_balance"]
    sales_3m, sales_12m = sales[:, :3].sum(1), sales[:, :12].sum(1)
    dso_3m = _ratio(balance, sales_3m, days[:3].sum())
    best = _ratio(current, sales_3m, days[:3].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        delinquent = np.where(overdue > 0, at["overdue_days_amount"] / overdue, 0.0)
    return {
        "balance": balance,
        "current_balance": current,
        "overdue_balance": overdue,
        "sales_1m": sales[:, 0],
        "sales_3m": sales_3m,
        "sales_12m": sales_12m,
        "dso_countback": countback(balance, sales, days),
        "dso_3m": dso_3m,
        "dso_12m": _ratio(balance, sales_12m, days[:12].sum()),
        "best_possible_dso_3m": best,
        "days_beyond_terms_3m": dso_3m - best,
        "average_days_delinquent": delinquent,
    }
