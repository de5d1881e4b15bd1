"""Draw a portfolio report's aging trend and DSO trend as PNG files (used for docs/portfolio.md).

python docs/scripts/portfolio_trends.py REPORT_DIR OUT_PREFIX "SAP FI-AR ledger"
writes OUT_PREFIX_aging_trend.png and OUT_PREFIX_dso_trend.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from serving.portfolio.plots import aging_trend_figure, dso_trend_figure


def main(report: str, prefix: str, title: str) -> None:
    folder = Path(report)
    aging = aging_trend_figure(
        pd.read_parquet(folder / "aging_trend.parquet"), f"{title}: open receivables by days past due"
    )
    aging.savefig(f"{prefix}_aging_trend.png", dpi=110)
    dso = dso_trend_figure(pd.read_parquet(folder / "dso.parquet"), title=f"{title}: days sales outstanding")
    dso.savefig(f"{prefix}_dso_trend.png", dpi=110)


if __name__ == "__main__":
    main(*sys.argv[1:4])
