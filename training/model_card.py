"""The model card: what a validator or auditor reads first about a trained model."""

from __future__ import annotations

import numpy as np

from model.grades import scale_table


def markdown_table(frame) -> str:
    """Return a DataFrame as a Markdown table (numbers to 4 decimals, flags as yes / no)."""
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    return "\n".join([header, "|" + "---|" * len(frame.columns)] + ["| " + " | ".join(r) + " |" for r in cells])


def _cell(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "**no**"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _metric_row(metrics: dict, prefix: str, name: str) -> str:
    keys = ("auc", "gini", "ks", "pr_auc", "brier", "log_loss")
    values = [metrics.get(f"{prefix}{k}") for k in keys]
    # A metric left out (a baseline that is not a probability has no Brier score) reads as a dash.
    return f"| {name} | " + " | ".join("-" if v is None else f"{v:.4f}" for v in values) + " |"


def _calibration_lines(fit) -> list[str]:
    table = fit.tables["calibration_by_grade"]
    off = [str(g) for g, ok in zip(table["grade"], table["calibrated"]) if not ok]
    verdict = (
        f"**Not calibrated** in grade(s) {', '.join(off)}: the 95 % Jeffreys interval of the observed rate "
        "excludes the mean predicted probability; read those grades' probabilities as a ranking, not a rate."
        if off
        else "Every grade's observed rate interval (95 %, Jeffreys) holds its mean predicted probability."
    )
    return [f"Calibrated ({fit.config.calibration.method}): {fit.calibration_window}.", "", verdict]


def model_card(fit) -> str:
    """Return the model card of a fitted run (Markdown)."""
    config, split, metrics = fit.config, fit.split.description, fit.metrics
    gains = fit.packaged.booster.feature_importance("gain")
    top = np.argsort(-gains)[:15]
    lines = [
        f"# Model card: {config.model_name}",
        "",
        f"Target `{config.target}`; label settings: `{config.labels.model_dump()}`.",
        f"Seed {config.seed}; {len(fit.spec.names)} features; monotone constraints "
        f"{'on' if config.lightgbm.monotone_constraints else 'off'}; calibration {config.calibration.method}.",
        "",
        "## Data and split",
        "",
        "| part | rows | positives | rate | as-of from | as-of to |",
        "|---|---|---|---|---|---|",
    ]
    for part in ("train", "valid", "calibration", "test"):
        if f"{part}_rows" not in split:
            continue
        lines.append(
            f"| {part} | {split[f'{part}_rows']:,} | {split[f'{part}_positives']:,} | {split[f'{part}_rate']:.4f} "
            f"| {split[f'{part}_from']} | {split[f'{part}_to']} |"
        )
    lines += [
        "",
        f"Split: {split['split_method']}"
        + (f", embargo {split['embargo_days']} days before the test set." if "embargo_days" in split else "."),
        "",
        "## Test-set performance",
        "",
        "| model | AUC | Gini | KS | PR-AUC | Brier | log loss |",
        "|---|---|---|---|---|---|---|",
        *(
            [
                _metric_row(metrics, "test_", "scorecard (calibrated, the packaged model)"),
                _metric_row(metrics, "test_lightgbm_", "LightGBM challenger (calibrated)"),
            ]
            if fit.config.packaged_model == "scorecard"
            else [
                _metric_row(metrics, "test_", "LightGBM (calibrated)"),
                _metric_row(metrics, "test_scorecard_", "scorecard challenger"),
            ]
        ),
        _metric_row(metrics, "test_baseline_", "baseline: recent avg days late"),
        "",
        f"Expected calibration error {metrics['test_ece']:.4f}; PSI train vs test {metrics['psi_train_test']:.4f}.",
        "",
        "## Calibration by risk grade (test)",
        "",
        *_calibration_lines(fit),
        "",
        markdown_table(fit.tables["calibration_by_grade"]),
        "",
        "## Grade scale",
        "",
        "| grade | probability from | to |",
        "|---|---|---|",
        *[f"| {r['grade']} | {r['from']:.4f} | {r['to']:.4f} |" for r in scale_table(tuple(fit.packaged.grade_bounds))],
        "",
        "## Most important features (total gain)",
        "",
        *[f"{i + 1}. `{fit.spec.names[j]}`" for i, j in enumerate(top) if gains[j] > 0],
        "",
        "## Limits",
        "",
        "What this model's own training data shows:",
        "",
        *(fit.notes or ["- nothing beyond the figures above"]),
        "",
        f"Trained on one ledger's history: a change of customer mix, terms or collection practice shifts the "
        f"scores (PSI train vs test {metrics['psi_train_test']:.3f}; the reference kept in the model is what "
        "monitoring compares against).",
        "",
    ]
    return "\n".join(lines)
