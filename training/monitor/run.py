"""One monitoring run: a registered model on a ledger as known at an as-of date.

Stability (PSI of the score, CSI of every feature) compares the model's population at the as-of date,
customers not in default, with the reference the model keeps from its out-of-time test rows. The
back-test scores each earlier month-end whose outcome has matured by the as-of date (the label's whole
window lies on or before it: nothing later is read) and compares the outcome with the PD, per date
(AUC, against the AUC at training) and per grade (Jeffreys and binomial tests). Migration compares the
grades at the as-of date with those a year before. The thresholds that make a breach are settings.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from features.config_errors import read_settings
from features.labels import LabelConfig, labelled_features
from features.ledger import Ledger
from features.pipeline import add_months, month_ends
from model.packaged import PackagedModel
from model.registry import ModelRef
from training.monitor import backtest, estimate, stability


class MonitorSettings(BaseModel):
    """What a breach is (exit code 4) and how far back the back-test looks; read from a TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    psi_act: float = Field(stability.ACT, gt=0, description="a score PSI or feature CSI above this is a breach")
    auc_drop: float = Field(0.05, ge=0, le=1, description="a matured date's AUC this far below training's")
    jeffreys_alpha: float = Field(0.01, gt=0, lt=1, description="a grade whose Jeffreys p-value is below this")
    # Tested at the newest matured date only: twelve dates of ten grades are 120 tests, and at 1 % one
    # of them fails by chance even for a model that is calibrated. Every failing date is in the summary.
    calibration_breaches: bool = Field(True, description="false: failing grades are reported, not a breach")
    min_grade_customers: int = Field(30, ge=1, description="grades with fewer customers are not tested")
    backtest_months: int = Field(12, ge=1, le=60, description="matured month-ends back-tested, newest first")
    migration_months: int = Field(12, ge=1, le=60, description="grades compared with this many months before")


class MonitorSettingsError(ValueError):
    """The monitoring settings file is refused; the message names the file, the setting and the rule."""


def load_monitor_settings(path: Path | None) -> MonitorSettings:
    """Return the settings in the TOML file `path` (defaults without one)."""
    return MonitorSettings() if path is None else read_settings(path, MonitorSettings, MonitorSettingsError)


@dataclass
class MonitorReport:
    as_of: dt.date
    model: str  # NAME/VERSION
    stability: pd.DataFrame  # feature, psi, band (the score first)
    backtest: pd.DataFrame  # backtest.BACKTEST_COLUMNS
    auc: pd.DataFrame  # as_of_date, n, defaults, auc, training_auc
    migration: pd.DataFrame  # counts, from_grade rows x to_grade columns
    summary: dict = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)


class MonitorError(ValueError):
    """The model cannot be monitored on this ledger; the message says why and what to do, in one line."""


def monitor(
    ledger: Ledger,
    as_of: dt.date,
    model: PackagedModel,
    ref: ModelRef,
    training_auc: float | None,
    settings: MonitorSettings,
) -> MonitorReport:
    """Return the monitoring report of `model` on `ledger` at `as_of` (`training_auc`: its test AUC at training)."""
    reference = model.bundle.get("feature_reference")
    if reference is None:
        raise MonitorError(
            f"{ref.name}/{ref.version} keeps no feature reference (trained before monitoring existed): retrain it"
        )
    labels = LabelConfig.model_validate(model.label_definition)
    earlier = _month_end_before(as_of, settings.migration_months)
    back = _matured_dates(as_of, labels, model.target, settings.backtest_months)
    rows = labelled_features(ledger, sorted({as_of, earlier, *back}), labels).to_pandas()
    rows = rows[~rows["in_default_at_as_of"].astype(bool)].reset_index(drop=True)
    # One prediction of every row serves the stability, the back-test and the migration.
    predicted = model.predict(rows, explain=False)
    rows["pd"], rows["grade"] = predicted[model.probability_column].to_numpy(), predicted["risk_grade"].astype(str)
    now = rows[rows["as_of_date"] == as_of]
    if now.empty:
        raise MonitorError(f"{ledger.source}: no customer to score at {as_of} (none has an invoice by then)")
    current_pd = now["pd"].to_numpy()
    table = stability.stability_table(
        reference, model.bundle["score_reference"], model.spec.array(now), current_pd, model.spec
    )
    scored = _scored(rows[rows["as_of_date"].isin(back)], model.target)
    tests = backtest.backtest_table(scored) if len(scored) else pd.DataFrame(columns=backtest.BACKTEST_COLUMNS)
    aucs = _with_estimates(backtest.auc_by_date(scored), scored, as_of, current_pd).assign(training_auc=training_auc)
    compared = rows[rows["as_of_date"].isin([earlier, as_of])]
    graded = {day: part.set_index("customer_id")["grade"] for day, part in compared.groupby("as_of_date")}
    migration = backtest.migration_matrix(graded.get(earlier, pd.Series(dtype=str)), graded[as_of])
    report = MonitorReport(as_of, f"{ref.name}/{ref.version}", table, tests, aucs, migration)
    report.summary = {
        "ledger": ledger.source,
        **_summary(report, graded[as_of], earlier),
        **_estimates(aucs, current_pd),
    }
    report.summary["grades_failing_jeffreys"] = [
        f"{r.grade} at {r.as_of_date}" for r in failing_grades(tests, settings, newest_only=False).itertuples()
    ]
    report.breaches = _breaches(report, settings, training_auc)
    return report


def _with_estimates(aucs: pd.DataFrame, scored: pd.DataFrame, as_of: dt.date, current_pd) -> pd.DataFrame:
    """Return `aucs` with the AUC each date's PDs imply (and its interval) beside the realised one, and a row
    for the as-of date, whose outcome has not matured: the estimate alone."""
    rows = []
    for day, part in [*scored.groupby("as_of_date", sort=True), (as_of, pd.DataFrame({"pd": current_pd}))]:
        mean, low, high = estimate.estimated_auc(part["pd"].to_numpy())
        rows.append({"as_of_date": day, "estimated_auc": mean, "estimated_low": low, "estimated_high": high})
    estimates = pd.DataFrame(rows)
    now = pd.DataFrame({"as_of_date": [as_of], "n": [len(current_pd)]})
    return pd.concat([aucs, now], ignore_index=True).merge(estimates, on="as_of_date", how="left")


def _estimates(aucs: pd.DataFrame, current_pd) -> dict:
    """Return the estimate at the as-of date, and how often the realised AUC fell inside the estimate's interval."""
    realised = aucs.dropna(subset=["auc"])
    inside = (realised["auc"] >= realised["estimated_low"]) & (realised["auc"] <= realised["estimated_high"])
    now = aucs.iloc[-1]
    expected, low, high = estimate.expected_defaults(current_pd)
    return {
        "estimated_auc": float(now["estimated_auc"]),
        "estimated_auc_low": float(now["estimated_low"]),
        "estimated_auc_high": float(now["estimated_high"]),
        "expected_defaults": expected,
        "expected_defaults_low": low,
        "expected_defaults_high": high,
        "estimate_held": f"{int(inside.sum())} of {len(realised)} matured dates: realised AUC inside the estimate's interval",
    }


def _month_end_before(as_of: dt.date, months: int) -> dt.date:
    """Return the month-end `months` months before `as_of`'s month."""
    day = add_months(as_of, -months)
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _matured_dates(as_of: dt.date, labels: LabelConfig, target: str, count: int) -> list[dt.date]:
    """Return the last `count` month-ends whose outcome window (`target`'s) ends on or before `as_of`."""
    if target == "default_12m":
        horizon = pd.DateOffset(months=labels.default_horizon_months)
    else:
        horizon = pd.DateOffset(days=labels.late_window_days + labels.late_threshold_days)
    last = (pd.Timestamp(as_of) - horizon).date()
    return month_ends(add_months(last, -count), last)[-count:]


def _scored(rows: pd.DataFrame, target: str) -> pd.DataFrame:
    """Return per customer and matured date: PD, grade and the observed outcome (rows whose outcome is known)."""
    rows = rows[rows[target].notna()]
    return pd.DataFrame(
        {
            "as_of_date": rows["as_of_date"].to_numpy(),
            "grade": rows["grade"].to_numpy(),
            "pd": rows["pd"].to_numpy(),
            "outcome": rows[target].astype(int).to_numpy(),
        }
    )


def _summary(report: MonitorReport, grades_now: pd.Series, earlier: dt.date) -> dict:
    score = report.stability.iloc[0]
    features = report.stability.iloc[1:]
    return {
        "as_of_date": str(report.as_of),
        "model": report.model,
        "score_psi": float(score["psi"]),
        "max_feature_csi": float(features["psi"].max()) if len(features) else float("nan"),
        "features_to_act_on": features.loc[features["band"] == "act", "feature"].tolist(),
        "features_to_watch": features.loc[features["band"] == "watch", "feature"].tolist(),
        "backtest_dates": sorted({str(d) for d in report.backtest["as_of_date"]}),
        "migration_from": str(earlier),
        **{f"migration_{k}": v for k, v in backtest.migration_summary(report.migration).items()},
        "grade_herfindahl": backtest.herfindahl(grades_now),
    }


def failing_grades(backtest_rows: pd.DataFrame, settings: MonitorSettings, newest_only: bool) -> pd.DataFrame:
    """Return the grades (of `min_grade_customers` or more) whose Jeffreys p-value is under the settings' alpha,
    at the newest matured date or at every one."""
    rows = backtest_rows[(backtest_rows["grade"] != "all") & (backtest_rows["n"] >= settings.min_grade_customers)]
    if newest_only and len(rows):
        rows = rows[rows["as_of_date"] == rows["as_of_date"].max()]
    return rows[rows["jeffreys_p"] < settings.jeffreys_alpha]


def _breaches(report: MonitorReport, settings: MonitorSettings, training_auc: float | None) -> list[str]:
    """Return one sentence per threshold the report breaches."""
    found = []
    for row in report.stability.itertuples():
        if row.psi > settings.psi_act:
            what = "score PSI" if row.feature == "score" else f"CSI of {row.feature}"
            found.append(f"{what} {row.psi:.3f} is over {settings.psi_act:g}")
    if training_auc is not None:
        for row in report.auc.dropna(subset=["auc"]).itertuples():
            if row.auc < training_auc - settings.auc_drop:
                found.append(
                    f"AUC {row.auc:.3f} at {row.as_of_date} is more than {settings.auc_drop:g} below {training_auc:.3f}"
                )
    for row in failing_grades(report.backtest, settings, newest_only=True).itertuples():
        if settings.calibration_breaches:
            found.append(
                f"grade {row.grade} at {row.as_of_date}: {row.defaults} defaults of {row.n} ({row.observed_rate:.2%}) "
                f"against a PD of {row.mean_pd:.2%}, Jeffreys p {row.jeffreys_p:.4f} under {settings.jeffreys_alpha:g}"
            )
    return found
