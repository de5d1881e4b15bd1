"""The `tradecredit` command. Each stage adds its sub-commands from `tradecredit.commands`."""

from __future__ import annotations

import os

import click

from tradecredit.commands import features, ledger, monitor, portfolio, serving, training, users


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="tradecredit")
def main() -> None:
    """Trade-credit risk from accounts-receivable ledgers: validate, build features, train, score."""
    # The commands report their own progress; MLflow's bar per downloaded model file is noise between it.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


for command in (
    ledger.COMMANDS
    + features.COMMANDS
    + training.COMMANDS
    + serving.COMMANDS
    + portfolio.COMMANDS
    + users.COMMANDS
    + monitor.COMMANDS
):
    main.add_command(command)
