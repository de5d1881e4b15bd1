"""Plot and tabulate a few feature distributions of a feature table (used for docs/features.md).

python docs/scripts/feature_distributions.py FEATURES.parquet OUT.png "SAP FI-AR ledger" 2018-12-31
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

SHOWN = (
    "avg_days_late_365d",
    "share_paid_over_30d_late_365d",
    "max_days_past_due_open",
    "dso_90d",
    "invoice_amount_365d",
    "days_late_trend_90d",
)


def main(features_path: str, out: str, title: str, as_of: str) -> None:
    table = pd.read_parquet(features_path)
    last = table[pd.to_datetime(table["as_of_date"]) == pd.Timestamp(as_of)]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, name in zip(axes.ravel(), SHOWN):
        values = last[name].dropna()
        if name == "invoice_amount_365d":
            values = np.log10(values[values > 0])
            ax.set_xlabel("log10 EUR")
        ax.hist(values.clip(values.quantile(0.005), values.quantile(0.995)), bins=50, color="#3a6ea5")
        ax.set_title(f"{name}\n(n={len(values):,}, median {last[name].median():.2f})", fontsize=10)
    fig.suptitle(f"{title}: feature distributions at as-of {pd.Timestamp(last['as_of_date'].iloc[0]).date()}")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    monthly = table.groupby("as_of_date").agg(
        customers=("customer_id", "size"),
        median_avg_days_late=("avg_days_late_365d", "median"),
        share_over_30d_late=("share_paid_over_30d_late_365d", "mean"),
        late_payment_rate=("late_payment_90d", "mean"),
    )
    print(monthly.iloc[::3].to_string(float_format=lambda v: f"{v:.3f}"))
    print(last[list(SHOWN)].describe(percentiles=[0.1, 0.5, 0.9]).T.to_string(float_format=lambda v: f"{v:,.2f}"))


if __name__ == "__main__":
    main(*sys.argv[1:5])
