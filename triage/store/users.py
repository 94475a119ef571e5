"""Users of the web desk: created, authenticated (with throttling), listed, found by id,
activated, deactivated and unlocked.

Passwords are hashed with werkzeug's scrypt (memory-hard) and must pass
``triage.passwords`` (12 characters, not the username, not a common password).

Guessing is slowed, not stopped by a lock: wrong passwords earn a backoff per client
address (``ADDRESS_FREE`` free tries) and per account *at that address*
(``ACCOUNT_FREE``), doubling with each further failure up to ``BACKOFF_MAX``. A lock
per account would let anyone lock an admin out by typing five wrong passwords; keyed by
address, the owner logging in from elsewhere never waits for the attacker. The answer
never says whether the user exists: a throttled attempt is refused before the user is
looked up (for every name alike), and a miss costs a hash like a hit does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from sla.text import Template
from triage.passwords import password_problem
from triage.store.models import LoginThrottle, User

ROLES = ("agent", "manager", "admin")
#: Failed logins from one address (any account) before each further one earns a backoff.
ADDRESS_FREE = 10
#: Failed logins on one account from one address before the backoff starts.
ACCOUNT_FREE = 5
BACKOFF_MAX = timedelta(minutes=15)
#: A key with no failure for this long starts counting from zero again.
FORGET_AFTER = timedelta(hours=1)
MAX_ID = 2**63 - 1  # BIGINT: a larger id is no row, not a database error
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class UserError(ValueError):
    """A user that cannot be made as asked; the message (``args[0]``, a ``Text``) names the
    field: ``str(error)`` is the English the CLI prints, the desk shows it in the reader's
    language (``web.i18n.note``)."""


BAD_USERNAME = Template("user.bad-username", "username: 1 to 100 letters, digits, '.', '-' or '_'")
BAD_ROLE = Template("user.bad-role", "role: must be one of {roles}")
BAD_PASSWORD = Template("user.bad-password", "password: {problem}")
TAKEN = Template("user.taken", "username: {username!r} is taken")
NO_USER = Template("user.no-user", "no user {id}")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str | None = None  # "throttled" or "invalid" when user is None
    retry_after: int = 0  # seconds to wait, when throttled


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
        raise UserError(BAD_USERNAME())
    if role not in ROLES:
        raise UserError(BAD_ROLE(roles=", ".join(ROLES)))
    problem = password_problem(password, username)
    if problem is not None:
        raise UserError(BAD_PASSWORD(problem=problem))
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise UserError(TAKEN(username=username))
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


def authenticate(
    session: Session, username: str, password: str, now: datetime, address: str = "-"
) -> LoginResult:
    """The user, if ``password`` is theirs and neither key of this attempt is in backoff.

    ``address``: the client's address, the unit of throttling (see the module docstring).
    """
    name = username.strip().lower()[:100]
    keys = _throttle_keys(name, address)
    rows = {
        r.key: r for r in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    }
    waits = [
        r.blocked_until - now for r in rows.values() if r.blocked_until and r.blocked_until > now
    ]
    if waits:
        return LoginResult(None, "throttled", max(1, int(max(waits).total_seconds() + 0.999)))
    user = session.scalars(select(User).where(User.username == name, User.active.is_(True))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # the same cost as a real miss
    elif check_password_hash(user.password_hash, password):
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[1]))
        session.commit()
        return LoginResult(user)
    else:
        user.failed_logins += 1
    _count_failure(session, rows, keys, now)
    return LoginResult(None, "invalid")


def _throttle_keys(name: str, address: str) -> list[str]:
    """The address's key and the account-at-address key, in that order."""
    return [f"address:{address}"[:200], f"account:{name}@{address}"[:200]]


def _count_failure(
    session: Session, rows: dict[str, LoginThrottle], keys: list[str], now: datetime
) -> None:
    """One more failure on both keys, with the backoff it earns; committed. Two failures
    at once may both insert a key: the loser counts again on the winner's row."""
    for attempt in range(2):
        for key, free in zip(keys, (ADDRESS_FREE, ACCOUNT_FREE), strict=True):
            row = rows.get(key)
            if row is None:
                row = LoginThrottle(key=key, failures=0, last_failed_at=now)
                session.add(row)
            elif now - row.last_failed_at > FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failed_at = now
            row.blocked_until = now + backoff(row.failures, free) if row.failures >= free else None
        try:
            session.commit()
            return
        except IntegrityError:
            session.rollback()
            if attempt:
                raise
            rows = {
                r.key: r
                for r in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
            }


def backoff(failures: int, free: int) -> timedelta:
    """1 s at the ``free``-th failure, doubling with each one after, at most BACKOFF_MAX."""
    exponent = min(failures - free, 20)
    return min(timedelta(seconds=2**exponent), BACKOFF_MAX)


def forget_failures(session: Session, user: User) -> None:
    """An admin lifts the backoff of ``user``'s account at every address (not committed)."""
    user.failed_logins, user.locked_until = 0, None
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.key.startswith(f"account:{user.username}@", autoescape=True)
        )
    )


def end_sessions(user: User) -> None:
    """Every login session of ``user`` ends at its next request (not committed): logout,
    a password change, deactivation and unlock call this."""
    user.session_generation = (user.session_generation or 0) + 1


def set_password(session: Session, user: User, password: str) -> None:
    """A new password (checked like a new user's), which ends the user's sessions;
    committed. Raises UserError naming what is wrong."""
    problem = password_problem(password, user.username)
    if problem is not None:
        raise UserError(BAD_PASSWORD(problem=problem))
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    session.commit()


def may(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def list_users(session: Session, *, order: str = "username") -> list[User]:
    """Every user, by user name (the admin page) or by id (``triage users list``)."""
    key = User.id if order == "id" else User.username
    return list(session.scalars(select(User).order_by(key)))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id) if 0 < user_id <= MAX_ID else None


def active_user_names(session: Session) -> list[str]:
    """The names of the active accounts, by name (whom a ticket can be assigned to)."""
    return list(session.scalars(select(User.name).where(User.active.is_(True)).order_by(User.name)))


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate or deactivate (committed); a deactivated user cannot log in, and the
    sessions they have end."""
    user.active = active
    if not active:
        end_sessions(user)
    session.commit()


def unlock(session: Session, user: User) -> None:
    """Lift the login backoff at every address and end the user's sessions (committed)."""
    forget_failures(session, user)
    end_sessions(user)
    session.commit()


def log_out_everywhere(session: Session, user_id: int) -> None:
    """Every login session of the user ends (committed); nothing for an unknown id."""
    user = user_by_id(session, user_id)
    if user is not None:
        end_sessions(user)
        session.commit()


def set_locale(session: Session, user_id: int, locale: str | None) -> None:
    """The language the web desk speaks to this user (None: the desk's default)."""
    user = session.get(User, user_id)
    if user is None:
        raise UserError(NO_USER(id=str(user_id)))
    user.locale = locale
    session.commit()
