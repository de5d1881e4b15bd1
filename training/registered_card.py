"""The model card of a registered model version, from what MLflow recorded: what a model validator reads.

The training run's own card (data and dates, split, metrics beside the challenger and the baseline,
calibration per grade with its Jeffreys interval, grade scale, limits) is the body. Around it: the
model's purpose and registry facts, its features with their risk directions, its stability reference,
and the figures of the newest `tradecredit monitor` run of this version.
"""

from __future__ import annotations

import html

import markdown

from model.packaged import PackagedModel
from model.registry import ModelRef

PURPOSES = {
    "default_12m": (
        "Probability that a trade-credit customer defaults (a default, insolvency or write-off event, or as the "
        "label settings say) within 12 months of the as-of date. It sets the risk grade, feeds the credit-limit "
        "and terms advice, expected loss and the watchlist."
    ),
    "late_payment_90d": (
        "Probability that a customer pays an invoice falling due in the next 90 days late beyond the label's "
        "threshold. It ranks the collections worklist and sets the late-payment grade."
    ),
}
LISTED_ELSEWHERE = {"feature_names", "label_definition"}
DIRECTIONS = {1: "higher is riskier", -1: "higher is safer", 0: "no direction (not constrained)"}


def registered_card(
    ref: ModelRef, model: PackagedModel, training_card: str | None, monitoring: dict | None, aliases: list[str]
) -> str:
    """Return the Markdown model card of the registered version `ref`."""
    lines = [
        f"# {ref.name} version {ref.version}",
        "",
        "## Purpose",
        "",
        PURPOSES.get(model.target, f"Predicts `{model.target}`."),
        "",
        "## Registry",
        "",
        f"- model: `{ref.uri}`; aliases: {', '.join(f'`{a}`' for a in aliases) or 'none'}",
        f"- training run: `{ref.run_id}`",
        # The feature list is the table below; the label settings are in the training card.
        *[f"- {key}: `{value}`" for key, value in sorted(ref.tags.items()) if key not in LISTED_ELSEWHERE],
        "",
    ]
    body = (training_card or "").split("\n", 1)[-1].strip()  # its own title is replaced by this card's
    lines += [body or "The training run recorded no model card.", ""]
    lines += _features(model)
    lines += _monitoring(monitoring)
    return "\n".join(lines)


def _features(model: PackagedModel) -> list[str]:
    spec, units = model.spec, model.bundle.get("units", {})
    excluded = set(model.bundle.get("reason_exclude", []))
    rows = [
        f"| `{name}` | {units.get(name, '')} | {DIRECTIONS.get(spec.directions.get(name, 0), '')} | "
        f"{'no' if name in excluded else 'yes'} |"
        for name in spec.names
    ]
    return [
        "## Features and their directions",
        "",
        f"{len(spec.names)} features; a direction is a monotone constraint of the model, and the side a reason "
        "must be on to be given.",
        "",
        "| feature | unit | direction | may be a reason |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def _monitoring(found: dict | None) -> list[str]:
    lines = ["## Latest monitoring", ""]
    if not found:
        return [*lines, "Not monitored yet: `tradecredit monitor --ledger SRC --as-of DATE --out DIR` logs it.", ""]
    summary, metrics = found["summary"], found["metrics"]
    breaches = summary.get("breaches", [])
    lines += [
        f"As of {found['tags'].get('as_of_date')}, on the ledger `{found['tags'].get('ledger', '?')}` "
        f"(MLflow run `{found['run_id']}`):",
        "",
        f"- score PSI {metrics.get('score_psi', float('nan')):.3f}; largest feature CSI "
        f"{metrics.get('max_feature_csi', float('nan')):.3f}; features to act on: "
        f"{', '.join(summary.get('features_to_act_on', [])) or 'none'}",
        f"- back-tested month-ends: {', '.join(summary.get('backtest_dates', [])) or 'none matured'}",
        f"- AUC estimated from the PDs before the outcome matures: {metrics.get('estimated_auc', float('nan')):.3f} "
        f"(95 % {metrics.get('estimated_auc_low', float('nan')):.3f} to "
        f"{metrics.get('estimated_auc_high', float('nan')):.3f}); {summary.get('estimate_held', '')}",
        f"- grades failing the Jeffreys test: {', '.join(summary.get('grades_failing_jeffreys', [])) or 'none'}",
        f"- migration since {summary.get('migration_from')}: {metrics.get('migration_stayed', float('nan')):.0%} "
        f"stayed, {metrics.get('migration_over_two_notches', float('nan')):.0%} moved more than two notches; "
        f"grade Herfindahl {metrics.get('grade_herfindahl', float('nan')):.3f}",
        f"- breaches: {'; '.join(breaches) if breaches else 'none'}",
        "",
    ]
    return lines


def card_html(text: str, title: str) -> str:
    """Return the card as one HTML page (tables rendered), for reading without MLflow."""
    body = markdown.markdown(text, extensions=["tables"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:14px system-ui,sans-serif;margin:20px auto;max-width:1000px;padding:0 16px}}
table{{border-collapse:collapse}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}
code{{background:#f4f7fa}}</style></head><body>
{body}
</body></html>
"""
