"""``triage tokens create | revoke | list``: the REST API's bearer tokens.

``create`` prints the token once; only its hash is stored, so a lost token is revoked and
a new one made.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from triage.store import db
from triage.store.tokens import ROLES, create_token, list_tokens, revoke_token
from web.cli.errors import BadArgument
from web.cli.output import emit_json
from web.formats import iso

if TYPE_CHECKING:  # the row the token use-cases return
    from triage.store.models import ApiToken


def _sessions() -> sessionmaker[Session]:
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    return db.session_factory(settings.database_url)


def _shown(row: ApiToken) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked_at": iso(row.revoked_at),
    }


@click.group(name="tokens")
def tokens() -> None:
    """Bearer tokens of the REST API (/api/v1)."""


@tokens.command()
@click.option("--name", required=True, help="Who uses it; recorded as the actor of its changes.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="agent < manager < admin.")
def create(name: str, role: str) -> int:
    """Make a token and print it once (only its hash is kept)."""
    with _sessions()() as session:
        try:
            row, token = create_token(session, name, role, datetime.now(UTC))
        except ValueError as exc:
            raise BadArgument(f"--name: {exc}") from None
        emit_json({**_shown(row), "token": token, "note": "shown once; store it now"})
    return 0


@tokens.command()
@click.argument("token_id", metavar="ID", type=int)
def revoke(token_id: int) -> int:
    """Revoke token ID; requests with it are refused from now on."""
    with _sessions()() as session:
        row = revoke_token(session, token_id, datetime.now(UTC))
        if row is None:
            raise BadArgument(f"ID: no token {token_id}")
        emit_json(_shown(row))
    return 0


@tokens.command(name="list")
def list_command() -> int:
    """The tokens (never their secrets), one JSON object per line."""
    with _sessions()() as session:
        for row in list_tokens(session):
            emit_json(_shown(row))
    return 0
