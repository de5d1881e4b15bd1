"""Training sub-commands: `train` fits and registers a model, `promote` moves the champion alias."""

from __future__ import annotations

from pathlib import Path

import click

from tradecredit.commands.features import as_of_dates_from_options
from tradecredit.commands.options import (
    check_as_of_or_exit,
    parse_date,
    quarantine_option,
    read_ledger_or_exit,
    reference_date_option,
    say,
)

TARGET_CHOICE = click.Choice(["default_12m", "late_payment_90d"])


def training_table(ledger_source, features_file, label, monthly, config, quarantine_dir, reference_date):
    """Return (feature table as pandas, its lineage) from a ledger or a prepared file."""
    from training.lineage import Lineage, located
    from training.tables import table_from_file, table_from_ledger

    if bool(ledger_source) == bool(features_file):
        raise click.UsageError("give either --ledger SRC or --features FILE.parquet")
    if features_file:
        if not label:
            raise click.UsageError("--features needs --label COLUMN (the column holding the outcome)")
        return table_from_file(features_file, label, config)
    ledger, report = read_ledger_or_exit(ledger_source, quarantine_dir, reference_date)
    dates = as_of_dates_from_options((), monthly) if monthly else None
    if dates:
        check_as_of_or_exit(ledger, dates)
    table = table_from_ledger(ledger, config, dates, progress=say)
    where = located(report.source)
    return table, Lineage("ledger", where, where, ledger.digest())


@click.command()
@click.option(
    "--ledger",
    "ledger_source",
    metavar="SRC",
    help="Ledger: a CSV/Parquet folder, a DuckDB file or a postgresql:// URL.",
)
@click.option(
    "--features",
    "features_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A prepared feature table (Parquet) instead of a ledger; needs --label.",
)
@click.option("--label", help="With --features: the column holding the outcome (0/1, empty when unobserved).")
@click.option("--target", type=TARGET_CHOICE, help="What to predict. Default: from --config, else default_12m.")
@click.option(
    "--monthly", nargs=2, callback=parse_date, metavar="FROM TO", help="As-of dates: every month end from FROM to TO."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Training config (TOML).",
)
@click.option("--experiment", help="MLflow experiment. Default: tradecredit-<target>.")
@click.option("--split", "split_method", type=click.Choice(["out_of_time", "customer"]), help="Default: out_of_time.")
@click.option("--seed", type=int, help="Random seed (default 42): the same data, config and seed give the same model.")
@click.option(
    "--tune", "tune_trials", type=click.IntRange(min=0), help="Optuna trials before the final fit (each a nested run)."
)
@click.option(
    "--portfolio",
    help="Register as <PORTFOLIO>-default / <PORTFOLIO>-late-payment, apart from other ledgers' models.",
)
@click.option("--new-feature-set", is_flag=True, help="Register as challenger even if the champion has other features.")
@click.option(
    "--register",
    type=click.Choice(["lightgbm", "scorecard"]),
    help="What to package and register. Default: from --config, else lightgbm.",
)
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
@quarantine_option
@reference_date_option
def train(
    ledger_source,
    features_file,
    label,
    target,
    monthly,
    config_file,
    experiment,
    split_method,
    seed,
    tune_trials,
    portfolio,
    new_feature_set,
    register,
    tracking_uri,
    quarantine_dir,
    reference_date,
) -> None:
    """Train a default or late-payment model, log it to MLflow and register it as `challenger`.

    The first version of a model also becomes `champion`; later ones wait for `tradecredit promote`.
    """
    from model.registry import TrackingError
    from model.registry import tracking_uri as resolve_uri
    from model.spec import ModelInputError
    from training.config import ConfigError, load_config
    from training.dataset import DatasetError
    from training.train import train_and_register

    if target is None and label in TARGET_CHOICE.choices:
        target = label
    try:
        config = load_config(
            config_file,
            target=target,
            experiment=experiment,
            seed=seed,
            tune_trials=tune_trials,
            portfolio=portfolio,
            packaged_model=register,
        )
        if split_method:
            config = config.model_copy(update={"split": config.split.model_copy(update={"method": split_method})})
        table, lineage = training_table(
            ledger_source, features_file, label, monthly, config, quarantine_dir, reference_date
        )
        outcome = train_and_register(
            table,
            config,
            uri=resolve_uri(tracking_uri),
            source=lineage.source,
            lineage=lineage,
            new_feature_set=new_feature_set,
            progress=say,
        )
    except (ConfigError, DatasetError, ModelInputError, TrackingError) as exc:
        raise click.ClickException(str(exc)) from None
    m = outcome.fit.metrics
    challenger = "lightgbm" if outcome.fit.config.packaged_model == "scorecard" else "scorecard"
    click.echo(
        f"{outcome.model.name} version {outcome.model.version} (run {outcome.run_id}): test AUC {m['test_auc']:.4f} "
        f"({challenger} {m[f'test_{challenger}_auc']:.4f}, baseline {m['test_baseline_auc']:.4f}), "
        f"Brier {m['test_brier']:.4f}, ECE {m['test_ece']:.4f}"
    )


@click.command()
@click.option("--model", "model_name", required=True, help="Registered model, e.g. tradecredit-default.")
@click.option("--ledger", "ledger_source", metavar="SRC", help="Ledger to take the recent out-of-time rows from.")
@click.option(
    "--features",
    "features_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A prepared feature table with labels instead of a ledger.",
)
@click.option("--label", help="With --features: the outcome column.")
@click.option("--monthly", nargs=2, callback=parse_date, metavar="FROM TO")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
@quarantine_option
@reference_date_option
def promote(
    model_name, ledger_source, features_file, label, monthly, config_file, tracking_uri, quarantine_dir, reference_date
) -> None:
    """Make the challenger champion if it is at least as good on recent out-of-time data."""
    from model.registry import REGISTERED_NAMES, TrackingError
    from model.registry import tracking_uri as resolve_uri
    from model.spec import ModelInputError
    from training.config import ConfigError, load_config
    from training.dataset import DatasetError
    from training.promote import promote as run_promotion

    # tradecredit-default, sap-default, ...: a portfolio's names end as the built-in ones do
    target = next((t for t, n in REGISTERED_NAMES.items() if model_name.endswith(n.removeprefix("tradecredit"))), None)
    try:
        config = load_config(config_file, target=target)
        table, _ = training_table(ledger_source, features_file, label, monthly, config, quarantine_dir, reference_date)
        decision = run_promotion(model_name, table, config, resolve_uri(tracking_uri))
    except (ConfigError, DatasetError, ModelInputError, TrackingError) as exc:
        raise click.ClickException(str(exc)) from None
    verdict = "promoted to champion" if decision.promoted else "not promoted"
    click.echo(f"{model_name} version {decision.challenger_version} {verdict}: {'; '.join(decision.reasons)}")
    for key, value in decision.figures.items():
        click.echo(f"  {key}: {value:.4f}")


COMMANDS = [train, promote]
