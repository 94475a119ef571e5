"""API tokens: made, checked, listed and revoked here, for the REST API, the admin page
and ``triage tokens``.

A token reads ``trg_<id>_<secret>``: the id finds the row in one primary-key lookup, the
secret (32 random bytes, URL-safe base64) is compared by its SHA-256 with
``hmac.compare_digest``. A fast hash is right for a secret with 256 bits of entropy; a
password hash would only slow every request down. The plain token exists once, in the
return value of ``create_token``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.store.models import ApiToken
from triage.store.users import ROLES, may

PREFIX = "trg"
SECRET_BYTES = 32
MAX_NAME = 100
MAX_ID = 2**63 - 1
#: ``last_used_at`` is written at most this often per token: not a write per request.
TOUCH_EVERY = timedelta(minutes=1)

_TOKEN = re.compile(rf"^{PREFIX}_([1-9][0-9]{{0,18}})_([A-Za-z0-9_\-]{{20,200}})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
#: Compared against when the id is unknown, so a miss costs what a hit costs.
_DUMMY_HASH = "0" * 64


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, name (the events' actor) and role."""

    token_id: int
    name: str
    role: str

    def may(self, role: str) -> bool:
        return may(self.role, role)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def check_name(name: str) -> str:
    """The token's name as stored; ValueError says what is wrong."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"the name must be 1 to {MAX_NAME} characters")
    if _CONTROL.search(name):
        raise ValueError("the name must not contain control characters")
    return name


def create_token(
    session: Session, name: str, role: str, now: datetime, lifetime: timedelta | None = None
) -> tuple[ApiToken, str]:
    """A new token (committed) and its plain text, which is not stored anywhere.

    ``lifetime``: the token stops working that long after ``now`` (None: until revoked).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = ApiToken(
        name=check_name(name),
        role=role,
        token_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + lifetime if lifetime is not None else None,
    )
    session.add(row)
    session.commit()
    return row, f"{PREFIX}_{row.id}_{secret}"


def revoke_token(session: Session, token_id: int, now: datetime) -> ApiToken | None:
    """Revoke (committed); None when there is no such token. Revoking twice keeps the
    first time."""
    row = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = now
        session.commit()
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def authenticate(session: Session, presented: str, now: datetime) -> Principal | None:
    """The caller behind a presented token, or None for anything but a live token."""
    match = _TOKEN.match(presented)
    token_id = int(match.group(1)) if match else 0
    row = session.get(ApiToken, token_id) if match and token_id <= MAX_ID else None
    expected = row.token_hash if row is not None else _DUMMY_HASH
    given = hash_secret(match.group(2)) if match else hash_secret("")
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
        return None
    if row is None or row.revoked_at is not None or row.role not in ROLES:
        return None
    if row.expires_at is not None and now >= row.expires_at:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.commit()
    return Principal(row.id, row.name, row.role)
