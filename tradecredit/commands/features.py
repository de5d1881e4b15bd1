"""Feature sub-command: `features` builds point-in-time features (and labels) or lists the catalogue."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from tradecredit.commands.options import (
    check_as_of_or_exit,
    parse_date,
    quarantine_option,
    read_ledger_or_exit,
    reference_date_option,
    say,
)


def as_of_dates_from_options(as_of: tuple[dt.date, ...], monthly: tuple[dt.date, dt.date] | None) -> list[dt.date]:
    """Return the as-of dates asked for with --as-of or --monthly (exactly one of them)."""
    from features.pipeline import month_ends

    if bool(as_of) == bool(monthly):
        raise click.UsageError("give either --as-of DATE (repeatable) or --monthly FROM TO")
    if monthly:
        dates = month_ends(*monthly) if monthly[0] <= monthly[1] else []
        if not dates:
            raise click.UsageError(f"--monthly {monthly[0]} {monthly[1]} contains no month end")
        return dates
    return sorted(set(as_of))


@click.command()
@click.option("--list", "list_catalogue", is_flag=True, help="Print the feature catalogue and exit.")
@click.option(
    "--ledger",
    "ledger_source",
    metavar="SRC",
    help="Ledger: a CSV/Parquet folder, a DuckDB file or a postgresql:// URL.",
)
@click.option("--as-of", "as_of", multiple=True, callback=parse_date, metavar="DATE", help="As-of date (repeatable).")
@click.option("--monthly", nargs=2, callback=parse_date, metavar="FROM TO", help="Every month end from FROM to TO.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Parquet file to write.")
@click.option(
    "--with-labels",
    is_flag=True,
    help="Add default_12m, late_payment_90d and in_default_at_as_of (the label definition of --config, else the default).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Training config (TOML) whose [labels] section defines the labels: the same file as `train --config`.",
)
@quarantine_option
@reference_date_option
def features(
    list_catalogue, ledger_source, as_of, monthly, out, with_labels, config_file, quarantine_dir, reference_date
) -> None:
    """Build one row of point-in-time features per customer and as-of date.

    Only what is dated on or before each as-of date is used. See docs/features.md for the catalogue.
    """
    if list_catalogue:
        _print_catalogue()
        return
    if not ledger_source or not out:
        raise click.UsageError("--ledger and --out are required (or use --list)")
    if config_file and not with_labels:
        raise click.UsageError("--config defines the labels: give it with --with-labels")
    dates = as_of_dates_from_options(as_of, monthly)
    from features.atomic import write_parquet
    from features.labels import labelled_features
    from features.pipeline import as_of_dates_words, build_features
    from training.config import ConfigError, load_config
    from training.lineage import located, stamp_ledger

    try:
        labels = load_config(config_file).labels
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    started = time.perf_counter()
    ledger, report = read_ledger_or_exit(ledger_source, quarantine_dir, reference_date)
    for line in report.notes:
        say(line)
    check_as_of_or_exit(ledger, dates)
    if with_labels:
        table = labelled_features(ledger, dates, labels, progress=say)
    else:
        table = build_features(ledger, dates, progress=say)
    write_parquet(stamp_ledger(table, located(report.source), ledger.digest()), out)
    click.echo(
        f"{table.num_rows:,} rows ({as_of_dates_words(len(dates))}, {table.num_columns - 2} columns) written to {out} "
        f"in {time.perf_counter() - started:.1f} s"
    )


def _print_catalogue() -> None:
    from features.catalogue import DIRECTION_WORDS, INTERMEDIATE_NOTE, catalogue

    rows = [
        (f.name, f.unit, f.window, DIRECTION_WORDS[f.direction], f.description + INTERMEDIATE_NOTE * f.intermediate)
        for f in catalogue()
    ]
    width = max(len(r[0]) for r in rows)
    click.echo(f"{'feature':<{width}}  {'unit':<8}  {'window':<18}  {'direction':<17}  description")
    for name, unit, window, direction, description in rows:
        click.echo(f"{name:<{width}}  {unit:<8}  {window:<18}  {direction:<17}  {description}")


COMMANDS = [features]
