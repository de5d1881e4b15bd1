"""The validators' sub-commands: `monitor` (stability, back-tests and migration of a registered model on a
ledger) and `model-card` (what MLflow recorded of a model version, as Markdown and HTML)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from model.registry import DEFAULT_MODEL_URI
from tradecredit.commands.options import (
    check_as_of_or_exit,
    ledger_option,
    parse_date,
    quarantine_option,
    read_ledger_or_exit,
    reference_date_option,
    say,
)

# Written and logged, and a threshold of the settings was breached: a scheduler can alert on it.
BREACH_EXIT_CODE = 4


@click.command()
@ledger_option
@click.option(
    "--as-of", "as_of", required=True, callback=parse_date, metavar="DATE", help="Monitor as known on this date."
)
@click.option("--model", "model_uri", default=DEFAULT_MODEL_URI, show_default=True, help="Registered model to monitor.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Thresholds (TOML).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write to.")
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
@quarantine_option
@reference_date_option
def monitor(ledger_source, as_of, model_uri, config, out, tracking_uri, quarantine_dir, reference_date) -> None:
    """Monitor a model: PSI of the score and CSI of every feature against its out-of-time reference, a
    back-test of every matured month-end (AUC against training, Jeffreys and binomial tests per grade),
    grade migration over a year and concentration.

    Writes OUT/psi.csv, backtest.csv, migration.csv, auc.csv, summary.json and report.html, logs them to
    MLflow against the model version, and exits with status 4 when a threshold of --config is breached.
    """
    from model.registry import TrackingError, connect, load_packaged
    from model.registry import tracking_uri as resolve_uri
    from training import tracking
    from training.monitor.files import write_monitoring
    from training.monitor.run import MonitorError, MonitorSettingsError, load_monitor_settings
    from training.monitor.run import monitor as run_monitor

    try:
        settings = load_monitor_settings(config)
        uri = resolve_uri(tracking_uri)
        connect(uri)
        model, ref = load_packaged(model_uri)
    except (MonitorSettingsError, TrackingError) as exc:
        raise click.ClickException(str(exc)) from None
    ledger, _ = read_ledger_or_exit(ledger_source, quarantine_dir, reference_date)
    check_as_of_or_exit(ledger, [as_of])
    say(f"monitoring {ref.name}/{ref.version} on {ledger.source} as of {as_of}")
    try:
        report = run_monitor(ledger, as_of, model, ref, tracking.training_auc(ref), settings)
    except MonitorError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        written = write_monitoring(report, out)
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot be written ({exc.strerror or exc})") from None
    run_id = tracking.log_monitoring(uri, ref, report.summary, report.breaches, Path(out))
    s = report.summary
    click.echo(f"Monitoring {report.model} as of {as_of} written to {out} ({len(written)} files), MLflow run {run_id}")
    click.echo(f"  score PSI {s['score_psi']:.3f}; largest feature CSI {s['max_feature_csi']:.3f}")
    click.echo(
        f"  back-tested {len(s['backtest_dates'])} matured month-ends; grades stayed {s['migration_stayed']:.0%}"
    )
    click.echo(
        f"  AUC estimated from the PDs at {as_of}: {s['estimated_auc']:.3f} "
        f"({s['estimated_auc_low']:.3f}-{s['estimated_auc_high']:.3f}); {s['estimate_held']}"
    )
    for breach in report.breaches:
        click.echo(f"  breach: {breach}")
    if report.breaches:
        sys.exit(BREACH_EXIT_CODE)


@click.command("model-card")
@click.option("--model", "model_uri", default=DEFAULT_MODEL_URI, show_default=True, help="Registered model version.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write to.")
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
def model_card(model_uri, out, tracking_uri) -> None:
    """Write OUT/model_card.md and OUT/model_card.html: purpose, registry, data and dates, label, split,
    metrics beside the challenger and the baseline, calibration per grade, features with their directions,
    the newest monitoring figures and the known limits, from what MLflow recorded."""
    from features.atomic import atomic_path
    from model.registry import TrackingError, connect, load_packaged
    from model.registry import tracking_uri as resolve_uri
    from training import tracking
    from training.registered_card import card_html, registered_card

    try:
        connect(resolve_uri(tracking_uri))
        model, ref = load_packaged(model_uri)
    except TrackingError as exc:
        raise click.ClickException(str(exc)) from None
    text = registered_card(
        ref,
        model,
        tracking.run_text(ref.run_id, "model_card.md"),
        tracking.latest_monitoring(ref),
        tracking.version_aliases(ref),
    )
    folder = Path(out)
    try:
        with atomic_path(folder / "model_card.md") as tmp:
            tmp.write_text(text, encoding="utf-8")
        with atomic_path(folder / "model_card.html") as tmp:
            tmp.write_text(card_html(text, f"{ref.name} version {ref.version}"), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot be written ({exc.strerror or exc})") from None
    click.echo(f"model card of {ref.name}/{ref.version} written to {folder / 'model_card.md'} and model_card.html")


COMMANDS = [monitor, model_card]
