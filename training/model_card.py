"""The model card: what a validator or auditor reads first about a trained model."""

from __future__ import annotations

import numpy as np

from model.grades import scale_table

LIMITS = """- Trained on one ledger's history: a change of customer mix, terms or collection practice shifts
  the scores; watch the PSI against the reference kept in the model.
- Customer attributes (limit, rating, industry) are taken as they stand in the ledger, not as they were
  at each as-of date: where they changed over time, back-test figures are slightly optimistic.
- Probabilities are calibrated on the validation period; re-check calibration by grade after any
  large change in default rates."""


def markdown_table(frame) -> str:
    """Return a DataFrame as a Markdown table (numbers to 4 decimals)."""
    cells = [[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row] for row in frame.itertuples(index=False)]
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    return "\n".join([header, "|" + "---|" * len(frame.columns)] + ["| " + " | ".join(r) + " |" for r in cells])


def _metric_row(metrics: dict, prefix: str, name: str) -> str:
    keys = ("auc", "gini", "ks", "pr_auc", "brier", "log_loss")
    values = [metrics.get(f"{prefix}{k}", float("nan")) for k in keys]
    return f"| {name} | " + " | ".join(f"{v:.4f}" for v in values) + " |"


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
    for part in ("train", "valid", "test"):
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
        _metric_row(metrics, "test_", "LightGBM (calibrated)"),
        _metric_row(metrics, "test_scorecard_", "scorecard challenger"),
        _metric_row(metrics, "test_baseline_", "baseline: recent avg days late"),
        "",
        f"Expected calibration error {metrics['test_ece']:.4f}; PSI train vs test {metrics['psi_train_test']:.4f}.",
        "",
        "## Calibration by risk grade (test)",
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
        LIMITS,
        "",
    ]
    return "\n".join(lines)
