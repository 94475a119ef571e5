"""``triage users add | password | list``: web desk accounts (the first admin is made here)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from config.settings import Settings
from triage.store import db
from triage.store import users as accounts
from triage.store.users import ROLES, UserError, create_user, set_password
from web.cli.errors import BadArgument
from web.cli.output import emit_json
from web.formats import iso


@click.group(name="users")
def users() -> None:
    """Accounts of the web desk."""


@users.command(name="add")
@click.option("--username", required=True)
@click.option("--name", default="", help="Shown in the desk and on events (default: username).")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--email", default=None)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def add(username: str, name: str, role: str, email: str | None, password_stdin: bool) -> int:
    """Make an account; the password is asked for (never an argument: it would be in the
    shell history and the process list)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    with db.session_factory(settings.database_url)() as session:
        try:
            user = create_user(session, username, name, role, password, datetime.now(UTC), email)
        except UserError as exc:
            raise BadArgument(f"--{exc}") from None
        emit_json({"id": user.id, "username": user.username, "name": user.name, "role": user.role})
    return 0


@users.command(name="password")
@click.option("--username", required=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def password(username: str, password_stdin: bool) -> int:
    """Set a new password (12 characters or more, not the username, not a common
    password); every login session of the account ends."""
    if password_stdin:
        new = sys.stdin.readline().rstrip("\n")
    else:
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    with db.session_factory(settings.database_url)() as session:
        user = accounts.user_by_username(session, username.strip().lower())
        if user is None:
            raise BadArgument(f"--username: no user {username!r}")
        try:
            set_password(session, user, new)
        except UserError as exc:
            raise BadArgument(f"--{exc}") from None
        emit_json({"id": user.id, "username": user.username, "sessions_ended": True})
    return 0


@users.command(name="list")
def list_users() -> int:
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    with db.session_factory(settings.database_url)() as session:
        for user in accounts.list_users(session, order="id"):
            emit_json(
                {
                    "id": user.id,
                    "username": user.username,
                    "name": user.name,
                    "role": user.role,
                    "active": user.active,
                    "last_login_at": iso(user.last_login_at),
                }
            )
    return 0
