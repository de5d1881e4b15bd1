"""The `users` sub-commands: who may sign in to the pages, with which role (`add`, `remove`, `list`)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

USERS_FILE = "users.json"


def _file_option(command):
    return click.option(
        "--file",
        "users_file",
        default=USERS_FILE,
        show_default=True,
        envvar="TRADECREDIT_USERS_FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Users file the pages read (TRADECREDIT_USERS_FILE).",
    )(command)


@click.group()
def users() -> None:
    """Manage the people who may sign in to the pages: viewer, credit_officer or admin."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["viewer", "credit_officer", "admin"]), help="What they may do."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (never an argument).")
@_file_option
def add(name: str, role: str, password_stdin: bool, users_file: Path) -> None:
    """Add user NAME; the password comes from standard input, so it shows in no process list or shell history."""
    from serving.web.users import UsersError, UsersFile

    if not password_stdin:
        raise click.UsageError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    try:
        user = UsersFile(users_file).add(name, role, password, created)
    except UsersError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {user.name} ({user.role}) to {UsersFile(users_file).path}")


@users.command("remove")
@click.argument("name")
@_file_option
def remove(name: str, users_file: Path) -> None:
    """Remove user NAME: their next page asks them to sign in, and they cannot."""
    from serving.web.users import UsersError, UsersFile

    try:
        UsersFile(users_file).remove(name)
    except UsersError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {name}")


@users.command("list")
@_file_option
def list_users(users_file: Path) -> None:
    """List the users: name, role and when they were added."""
    from serving.web.users import UsersError, UsersFile

    try:
        found = UsersFile(users_file).users()
    except UsersError as exc:
        raise click.ClickException(str(exc)) from None
    if not found:
        click.echo(f"no users in {UsersFile(users_file).path}: add one with `tradecredit users add NAME --role ROLE`")
    for user in found:
        click.echo(f"{user.name}\t{user.role}\t{user.created}")


COMMANDS = [users]
