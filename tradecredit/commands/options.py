"""Options and error handling shared by the sub-commands: the edge where clocks and paths are read."""

from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path

import click

from features.load import load_ledger
from features.sources import LedgerSourceError
from features.validate import LedgerError, LedgerRowsError


def terminate_cleanly() -> None:
    """Make SIGTERM (a scheduler stopping the job) unwind like Ctrl-C, so that temporary files are removed."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def say(message: str) -> None:
    """Tell a step of long work on stderr, where it stays out of the command's output."""
    click.echo(message, err=True)


def parse_date(ctx, param, value):
    """Click callback: return a `datetime.date` from YYYY-MM-DD (or a tuple of them)."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(parse_date(ctx, param, v) for v in value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


ledger_option = click.option(
    "--ledger",
    "ledger_source",
    required=True,
    metavar="SRC",
    help="Ledger: a folder of CSV/Parquet tables, a DuckDB file, or a postgresql:// URL.",
)
quarantine_option = click.option(
    "--quarantine",
    "quarantine_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write rows that break the contract to DIR/<table>.csv with their reason, and go on without them.",
)
reference_date_option = click.option(
    "--reference-date",
    callback=parse_date,
    metavar="DATE",
    help="Dates more than two years after this are rejected as typos. Default: today.",
)


def read_ledger_or_exit(source: str, quarantine_dir: Path | None, reference_date: dt.date | None):
    """Return (ledger, report), or print the problems and exit with status 1. Each step is told on stderr."""
    try:
        return load_ledger(
            source,
            reference_date=reference_date or dt.date.today(),
            quarantine_dir=quarantine_dir,
            progress=say,
        )
    except (LedgerSourceError, LedgerError, LedgerRowsError) as exc:
        raise click.ClickException(str(exc)) from None


def check_as_of_or_exit(ledger, dates, option: str = "") -> None:
    """Exit with the one date rule's message (`features.as_of`) when a date is outside what `ledger` observed,
    said of `option` when one is named (a date other than the as-of date)."""
    from features.as_of import AsOfOutOfRange, ledger_span

    try:
        ledger_span(ledger).check(dates)
    except AsOfOutOfRange as exc:
        raise click.ClickException(f"{option}: {exc}" if option else str(exc)) from None


def progress_bar(**kwargs):
    """Return a tqdm bar on stderr, drawn only where stderr is a terminal (a log gets the step lines alone)."""
    from tqdm import tqdm

    return tqdm(**kwargs, file=sys.stderr, disable=None)


def say_scoring(models, what: str) -> None:
    """Tell which models score `what` (each NAME/VERSION, or none)."""
    described = ", ".join(f"{k} {v or 'none'}" for k, v in models.describe().items())
    say(f"scoring {what} with {described}")
