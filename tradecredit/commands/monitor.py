"""The `monitor` sub-command: stability, back-tests and migration of a registered model on a ledger."""

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
    for breach in report.breaches:
        click.echo(f"  breach: {breach}")
    if report.breaches:
        sys.exit(BREACH_EXIT_CODE)


COMMANDS = [monitor]
