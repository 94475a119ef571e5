"""Engine and sessions, and schema migrations through Alembic.

One engine per database URL per process; the web app, the workers and the command line
all come through ``session_factory``. SQLite gets foreign keys and WAL (so the web app
and a worker can read while another writes), PostgreSQL a ping of connections that sat
idle (``_ping_if_idle``).
"""

from __future__ import annotations

import time
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: A pooled connection idle longer than this is pinged before use.
IDLE_PING_SECONDS = 5.0


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url)
    event.listen(engine, "checkin", _idle_since)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


def _idle_since(_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: Dialect, connection: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's pre-ping, only for connections that sat idle: where one goes stale
    (a database restarted overnight, a proxy closing idle connections). A connection used
    milliseconds ago is not pinged: under intake load the ping was a round trip, and 5 %
    of the CPU, on every transaction. A connection that dies while in use is an error
    the web app answers 503 + Retry-After, and SQLAlchemy then renews the whole pool.
    """
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return  # fresh from connect, or just used
    try:
        alive = dialect.do_ping(connection)
    except Exception as error:  # any failure means: do not use it
        raise exc.DisconnectionError(f"idle connection is gone ({type(error).__name__})") from error
    if not alive:
        raise exc.DisconnectionError("idle connection is gone")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # zero what is deleted or overwritten, so an erased row leaves no copy in the file's
    # free space (triage.store.personal_data); the cost is writing zeros on delete
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run on every start."""
    command.upgrade(alembic_config(url), revision)


def schema_version(session: Session) -> str | None:
    """The migration the database is at; raises SQLAlchemyError when the database does not
    answer (or was never migrated: there is no version table)."""
    version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if version is None else str(version)


@lru_cache(maxsize=1)
def schema_head() -> str | None:
    """The migration the code expects (read once: the scripts ship with the code)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only /readyz needs it

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
