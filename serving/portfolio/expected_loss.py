"""Expected loss per customer and by grade, with the credit insurer's cover.

    exposure       = open balance + credit conversion factor x unused limit
    covered        = min(exposure, insured limit)            (0 without an insured limit)
    expected_loss  = pd_12m x (lgd x (exposure - covered) + (1 - indemnity) x covered)

The open balance is the customer's open receivables at the as-of date (never below 0); the unused limit
is the credit limit less that balance (0 without a limit). LGD is the settings' figure for the
customer's segment, else the default one. `model_provision` is the same formula on the open balance
alone: the loss the model expects on the receivables already booked, which the IFRS 9 figures compare
with the provision matrix (`serving.portfolio.provisions`). Without a default model there is no PD and
both are empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.portfolio.aging import group_order
from serving.portfolio.settings import ExpectedLossSettings


def insured_loss(pd_12m, lgd, amount, insured, indemnity: float) -> np.ndarray:
    """Return pd x (lgd x (amount - covered) + (1 - indemnity) x covered), covered = min(amount, insured)."""
    amount = np.asarray(amount, dtype=float)
    covered = np.minimum(amount, np.nan_to_num(np.asarray(insured, dtype=float), nan=0.0))
    return np.asarray(pd_12m, dtype=float) * (np.asarray(lgd) * (amount - covered) + (1 - indemnity) * covered)


def customer_lgd(segments: pd.Series, settings: ExpectedLossSettings) -> np.ndarray:
    """Return each customer's LGD: its segment's, else the default."""
    return segments.map(settings.lgd_by_segment).astype(float).fillna(settings.lgd).to_numpy()


def expected_loss_table(customers: pd.DataFrame, balances: pd.Series, settings: ExpectedLossSettings) -> pd.DataFrame:
    """Return expected loss per customer (`level` customer), by risk grade and in total.

    `customers` holds the scored customers with `customer_id`, `segment`, `credit_limit`, `insured_limit`,
    `pd_12m` and `risk_grade`; `balances` the open receivables by customer_id (missing: nothing open).
    """
    frame = customers[["customer_id", "risk_grade", "segment", "credit_limit", "insured_limit", "pd_12m"]].copy()
    balance = frame["customer_id"].map(balances).fillna(0.0).clip(lower=0.0).to_numpy(float)
    limit = frame["credit_limit"].to_numpy(float)
    unused = np.where(np.isnan(limit), 0.0, np.maximum(limit - balance, 0.0))
    exposure = balance + settings.credit_conversion_factor * unused
    insured = frame["insured_limit"].to_numpy(float)
    lgd = customer_lgd(frame["segment"], settings)
    pd_12m = frame["pd_12m"].to_numpy(float)
    frame["open_balance"], frame["unused_limit"], frame["exposure"] = balance, unused, exposure
    frame["lgd"] = lgd
    frame["covered"] = np.minimum(exposure, np.nan_to_num(insured, nan=0.0))
    frame["expected_loss"] = insured_loss(pd_12m, lgd, exposure, insured, settings.indemnity)
    frame["model_provision"] = insured_loss(pd_12m, lgd, balance, insured, settings.indemnity)
    frame["pd_exposure"] = pd_12m * exposure
    frame = frame.sort_values("customer_id", ignore_index=True)
    summed = ["open_balance", "unused_limit", "exposure", "covered", "expected_loss", "model_provision"]
    rows = [frame.assign(level="customer", key=frame["customer_id"], customers=1)]
    summed_with_pd = [*summed, "pd_exposure"]
    if frame["risk_grade"].notna().any():
        grades = frame["risk_grade"].fillna("(none)")
        by_grade = frame[summed_with_pd].groupby(grades).sum(min_count=1)
        by_grade["customers"] = grades.value_counts()
        by_grade = by_grade.loc[sorted(by_grade.index, key=group_order)]
        rows.append(by_grade.rename_axis("key").reset_index().assign(level="risk_grade"))
    total = frame[summed_with_pd].sum(min_count=1).to_frame().T.assign(level="total", key="all", customers=len(frame))
    rows.append(total)
    table = pd.concat(rows, ignore_index=True)
    # A group's PD: the exposure-weighted mean of its customers'.
    grouped = (table["level"] != "customer").to_numpy()
    weighted = table["pd_exposure"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table.loc[grouped, "pd_12m"] = np.where(
            table["exposure"].to_numpy(float) > 0, weighted / table["exposure"].to_numpy(float), np.nan
        )[grouped]
    first = ["level", "key", "customers"]
    columns = ["risk_grade", "segment", "credit_limit", "insured_limit", "pd_12m", "lgd", *summed]
    return table[first + columns]


def concentration(losses: pd.DataFrame, top: int = 10) -> tuple[pd.DataFrame, float | None]:
    """Return the `top` exposures of `expected_loss_table` with their share and running share of the total
    exposure, and the Herfindahl index of all customers' shares (1 / n when equal, 1 when one holds all)."""
    customers = losses[losses["level"] == "customer"]
    total = float(customers["exposure"].sum())
    ranked = customers.sort_values(["exposure", "key"], ascending=[False, True], kind="stable")
    head = ranked.head(top)[["key", "risk_grade", "pd_12m", "exposure", "expected_loss"]].rename(
        columns={"key": "customer_id"}
    )
    if total <= 0:
        return head.assign(share=np.nan, cumulative_share=np.nan).reset_index(drop=True), None
    head["share"] = head["exposure"] / total
    head["cumulative_share"] = head["share"].cumsum()
    shares = customers["exposure"].to_numpy(float) / total
    return head.reset_index(drop=True), float(np.sum(shares**2))
