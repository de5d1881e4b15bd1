"""The portfolio's trends as matplotlib figures, drawn from the report's tables (notebooks and the docs use them).

Each function takes a table `build_report` returned (or read back from its Parquet file) and draws
what is in it: no figure is computed here.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

# From green (current) to dark red (oldest): the colours credit teams read aging in.
BUCKET_COLOURS = ("#4daf4a", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#a50026")


def _millions(value: float, _position) -> str:
    return f"{value / 1e6:,.1f}M" if abs(value) >= 1e5 else f"{value:,.0f}"


def aging_trend_figure(trend: pd.DataFrame, title: str = "Open receivables by days past due") -> Figure:
    """Return stacked bars of the open invoices by aging bucket at each date of `trend`, the overdue share beside."""
    amounts = [c for c in trend.columns if c.startswith("amount_")]
    labels = [c.removeprefix("amount_").replace("_", "-").replace("over-", "over ") for c in amounts]
    # A Figure of its own, not pyplot's: no global state, no window; it saves, and shows inline in a notebook.
    figure = Figure(figsize=(10, 7))
    bars, share = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    dates = pd.to_datetime(trend["month_end"]).dt.strftime("%Y-%m-%d")
    bottom = pd.Series(0.0, index=trend.index)
    colours = BUCKET_COLOURS if len(amounts) == len(BUCKET_COLOURS) else [None] * len(amounts)
    for column, label, colour in zip(amounts, labels, colours):
        bars.bar(dates, trend[column], bottom=bottom, label=label, color=colour)
        bottom += trend[column]
    bars.set_ylim(0, max(float(bottom.max()), 1.0) * 1.22)  # room above the bars for the legend
    bars.yaxis.set_major_formatter(FuncFormatter(_millions))
    bars.set_ylabel("open invoices")
    bars.set_title(title)
    bars.legend(title="days past due", loc="upper left", fontsize="small", ncols=len(amounts))
    share.plot(dates, trend["overdue_share"], marker="o", color="#a50026")
    share.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    share.set_ylabel("overdue share")
    share.set_ylim(bottom=0)
    share.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    return figure


def dso_trend_figure(dso: pd.DataFrame, target: float | None = None, title: str = "Days sales outstanding") -> Figure:
    """Return the portfolio's DSO (count-back, 3 and 12 months), best possible DSO and average days delinquent."""
    total = dso[dso["level"] == "total"].sort_values("month_end")
    dates = pd.to_datetime(total["month_end"]).dt.strftime("%Y-%m-%d")
    figure = Figure(figsize=(10, 7))
    days, late = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    for column, label, style in (
        ("dso_countback", "DSO, count-back", "-o"),
        ("dso_3m", "DSO, balance / 3 months' sales", "--"),
        ("dso_12m", "DSO, balance / 12 months' sales", ":"),
        ("best_possible_dso_3m", "best possible DSO (3 months)", "-."),
    ):
        days.plot(dates, total[column], style, label=label)
    if target:
        days.axhline(target, color="grey", linewidth=1, label=f"target {target:g} days")
    days.set_ylabel("days")
    days.set_ylim(bottom=0)
    days.set_title(title)
    days.legend(loc="lower left", fontsize="small")
    late.plot(dates, total["average_days_delinquent"], marker="o", color="#a50026")
    late.set_ylabel("average days\ndelinquent")
    late.set_ylim(bottom=0)
    late.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    return figure
