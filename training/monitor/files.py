"""Writing a monitoring report: psi.csv, backtest.csv, migration.csv, auc.csv, summary.json and report.html.

The folder is built under a temporary name and replaces the old one whole. report.html holds the tables
and four plots (stability, AUC over time, calibration per grade, migration), embedded as PNG, so the page
is one file that opens anywhere, offline.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from features.atomic import atomic_dir
from training.monitor.run import MonitorReport

SHOWN_FEATURES = 20


def write_monitoring(report: MonitorReport, out: Path) -> list[Path]:
    """Write the report's files to the folder `out` (replaced whole); return the files written."""
    with atomic_dir(Path(out)) as tmp:
        report.stability.to_csv(tmp / "psi.csv", index=False)
        report.backtest.to_csv(tmp / "backtest.csv", index=False)
        report.migration.to_csv(tmp / "migration.csv")
        report.auc.to_csv(tmp / "auc.csv", index=False)
        summary = {**report.summary, "breaches": report.breaches}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        (tmp / "report.html").write_text(_page(report), encoding="utf-8")
        names = sorted(p.name for p in tmp.iterdir())
    return [Path(out) / name for name in names]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _stability_figure(table: pd.DataFrame):
    shown = table.head(SHOWN_FEATURES + 1).iloc[::-1]
    figure = Figure(figsize=(7, 6))
    axis = figure.subplots()
    colours = {"stable": "#2f7d4f", "watch": "#f0c24b", "act": "#d9534f", "unknown": "#999999"}
    axis.barh(shown["feature"], shown["psi"], color=[colours[b] for b in shown["band"]])
    for limit in (0.1, 0.25):
        axis.axvline(limit, color="#555", linestyle="--", linewidth=0.8)
    axis.set_xlabel("PSI / CSI against the out-of-time reference")
    axis.set_title("Stability: the score and the least stable features")
    return figure


def _auc_figure(auc: pd.DataFrame):
    figure = Figure(figsize=(7, 3.2))
    axis = figure.subplots()
    days = pd.to_datetime(auc["as_of_date"])
    axis.fill_between(days, auc["estimated_low"], auc["estimated_high"], alpha=0.2, label="estimate from the PDs, 95 %")
    axis.plot(days, auc["estimated_auc"], linestyle=":", color="#1f5f99")
    realised = auc.dropna(subset=["auc"])
    axis.plot(pd.to_datetime(realised["as_of_date"]), realised["auc"], marker="o", label="AUC of the matured outcome")
    training = auc["training_auc"].dropna()
    if len(training):
        axis.axhline(float(training.iloc[0]), color="#b35c00", linestyle="--", label="AUC at training (test set)")
    axis.set_ylim(0.5, 1.0)
    axis.set_title("Discrimination by as-of date (the last: not matured, estimated)")
    axis.legend(loc="lower left", fontsize=8)
    return figure


def _calibration_figure(backtest: pd.DataFrame):
    newest = backtest[(backtest["as_of_date"] == backtest["as_of_date"].max()) & (backtest["grade"] != "all")]
    figure = Figure(figsize=(7, 3.2))
    axis = figure.subplots()
    x = np.arange(len(newest))
    axis.bar(x - 0.2, newest["mean_pd"], width=0.4, label="mean PD")
    axis.bar(x + 0.2, newest["observed_rate"], width=0.4, label="observed default rate")
    axis.set_xticks(x, newest["grade"])
    axis.set_yscale("symlog", linthresh=0.01)
    axis.set_xlabel("grade")
    axis.set_title(f"Calibration per grade, as of {newest['as_of_date'].max() if len(newest) else '-'}")
    axis.legend(loc="upper left")
    return figure


def _migration_figure(migration: pd.DataFrame):
    counts = migration.to_numpy(dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    figure = Figure(figsize=(5.5, 4.5))
    axis = figure.subplots()
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(migration.columns)), migration.columns)
    axis.set_yticks(range(len(migration.index)), migration.index)
    axis.set_xlabel("grade at the as-of date")
    axis.set_ylabel("grade a year before")
    axis.set_title("Grade migration (share of each row)")
    return figure


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_html(index=index, float_format=lambda v: f"{v:.4g}", border=0, classes="data")


def _page(report: MonitorReport) -> str:
    summary = report.summary
    breaches = "".join(f"<li>{html.escape(b)}</li>" for b in report.breaches) or "<li>none</li>"
    plots = [_stability_figure(report.stability), _auc_figure(report.auc)]
    if len(report.backtest):
        plots.append(_calibration_figure(report.backtest))
    if report.migration.size:
        plots.append(_migration_figure(report.migration))
    images = "".join(f'<img alt="plot" src="data:image/png;base64,{_png(figure)}">' for figure in plots)
    facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Monitoring {html.escape(report.model)} {report.as_of}</title>
<style>body{{font:14px system-ui,sans-serif;margin:20px;max-width:1200px}} table.data{{border-collapse:collapse}}
table.data td,table.data th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}} img{{max-width:100%}}</style>
</head><body>
<h1>Monitoring {html.escape(report.model)} as of {report.as_of}</h1>
<h2>Breaches</h2><ul>{breaches}</ul>
<h2>Summary</h2><table class="data">{facts}</table>
<h2>Plots</h2>{images}
<h2>Stability (psi.csv)</h2>{_table(report.stability)}
<h2>Back-test (backtest.csv)</h2>{_table(report.backtest)}
<h2>AUC by date (auc.csv)</h2>{_table(report.auc)}
<h2>Migration (migration.csv)</h2>{_table(report.migration, index=True)}
</body></html>
"""
