"""Ledger sub-commands: `sample`, `validate`, `import`."""

from __future__ import annotations

from pathlib import Path

import click

from tradecredit.commands.options import (
    ledger_option,
    quarantine_option,
    read_ledger_or_exit,
    reference_date_option,
    say,
)


@click.command()
@ledger_option
@quarantine_option
@reference_date_option
def validate(ledger_source: str, quarantine_dir: Path | None, reference_date) -> None:
    """Check a ledger against the contract (docs/ledger-contract.md).

    Exits with status 1 on a table-level problem, or on any bad row unless --quarantine is given.
    """
    _ledger, report = read_ledger_or_exit(ledger_source, quarantine_dir, reference_date)
    click.echo(f"ledger {report.source}: valid")
    for line in report.summary_lines():
        click.echo(line)


@click.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the tables to.",
)
@click.option("--customers", default=2000, show_default=True, type=click.IntRange(min=1), help="Number of customers.")
@click.option("--years", default=3, show_default=True, type=click.IntRange(min=1, max=30), help="Years of history.")
@click.option(
    "--seed", default=42, show_default=True, type=int, help="Random seed: the same seed gives the same ledger."
)
@click.option("--format", "fmt", default="csv", show_default=True, type=click.Choice(["csv", "parquet"]))
def sample(out_dir: Path, customers: int, years: int, seed: int, fmt: str) -> None:
    """Write a synthetic B2B portfolio (docs/sample-portfolio.md tells its story)."""
    from features.sample import (
        TRUTH_FILE,
        SampleConfig,
        generate_portfolio,
        write_portfolio,
    )

    config = SampleConfig(customers=customers, years=years, seed=seed)
    tables = generate_portfolio(config, progress=say)
    counts = write_portfolio(tables, out_dir, fmt)
    for table, rows in counts.items():
        if table.startswith("_"):
            click.echo(f"hidden truth for judging models (not a ledger table): {out_dir / TRUTH_FILE}, {rows:,} rows")
        else:
            click.echo(f"{table}: {rows:,} rows")
    click.echo(f"sample portfolio written to {out_dir}")


ADAPTERS = {"sap-ar": "features.adapters.sap_ar", "ibm-ar": "features.adapters.ibm_ar"}


@click.command(name="import")
@click.argument("kind", type=click.Choice(sorted(ADAPTERS)))
@click.option("--source", required=True, type=click.Path(exists=True, path_type=Path), help="The export to convert.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the ledger."
)
@click.option("--format", "fmt", default="parquet", show_default=True, type=click.Choice(["csv", "parquet"]))
def import_(kind: str, source: Path, out_dir: Path, fmt: str) -> None:
    """Convert an ERP accounts-receivable export (KIND: sap-ar, ibm-ar) into a contract ledger (docs/adapters.md)."""
    import importlib

    from features.adapters.common import write_tables

    adapter = importlib.import_module(ADAPTERS[kind])
    tables, report = adapter.convert(source)
    for note in report.notes:
        click.echo(note)
    for table, rows in write_tables(tables, out_dir, fmt).items():
        click.echo(f"{table}: {rows:,} rows")
    click.echo(f"ledger written to {out_dir}; check it with: tradecredit validate --ledger {out_dir}")


COMMANDS = [sample, validate, import_]
