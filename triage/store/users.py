"""Users of the web desk: created, authenticated (with lock-out), listed, found by id,
activated, deactivated and unlocked.

Passwords are hashed with werkzeug's scrypt (memory-hard). After ``MAX_FAILURES`` wrong
passwords in a row the account is locked for ``LOCK_FOR``; the answer to a login attempt
never says whether the user exists, and a miss costs a hash like a hit does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from triage.store.models import User

ROLES = ("agent", "manager", "admin")
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_ID = 2**63 - 1  # BIGINT: a larger id is no row, not a database error
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class UserError(ValueError):
    """A user that cannot be made as asked; the message names the field."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str | None = None  # "locked" or "invalid" when user is None


def create_user(
    session: Session,
    username: str,
    name: str,
    role: str,
    password: str,
    now: datetime,
    email: str | None = None,
) -> User:
    username = username.strip().lower()
    if (
        not username
        or len(username) > 100
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise UserError("username: 1 to 100 letters, digits, '.', '-' or '_'")
    if role not in ROLES:
        raise UserError(f"role: must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise UserError(f"username: {username!r} is taken")
    user = User(
        username=username,
        name=name.strip() or username,
        email=email,
        role=role,
        password_hash=generate_password_hash(password),
        active=True,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str, now: datetime) -> LoginResult:
    user = session.scalars(
        select(User).where(User.username == username.strip().lower(), User.active.is_(True))
    ).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # the same cost as a real miss
        return LoginResult(None, "invalid")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(None, "locked")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
        session.commit()
        return LoginResult(None, "invalid")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    session.commit()
    return LoginResult(user)


def may(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def list_users(session: Session, *, order: str = "username") -> list[User]:
    """Every user, by user name (the admin page) or by id (``triage users list``)."""
    key = User.id if order == "id" else User.username
    return list(session.scalars(select(User).order_by(key)))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id) if 0 < user_id <= MAX_ID else None


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate or deactivate (committed); a deactivated user cannot log in."""
    user.active = active
    session.commit()


def unlock(session: Session, user: User) -> None:
    """Lift a lock-out and forget the failed attempts (committed)."""
    user.failed_logins, user.locked_until = 0, None
    session.commit()


def set_password(session: Session, user: User, password: str) -> None:
    """A new password (committed), which also lifts a lock-out."""
    user.password_hash = generate_password_hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.commit()
