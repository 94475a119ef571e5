"""PostgreSQL connections: idle ones are pinged before use and replaced when dead; ones
used a moment ago are not pinged (the ping was a round trip per intake transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from triage.store import db


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    if database_url.startswith("sqlite"):
        pytest.skip("a PostgreSQL connection pool")
    db.engine_for.cache_clear()
    engine = db.engine_for(database_url)
    yield engine
    engine.dispose()
    db.engine_for.cache_clear()


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(database_url: str, pid: int) -> None:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_an_idle_connection_killed_by_the_server_is_replaced_unseen(
    engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    first = _backend_pid(engine)
    _kill(database_url, first)  # a restart, or a proxy closing idle connections
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # it has been idle "long enough"

    second = _backend_pid(engine)  # no error: the ping found it dead, the pool reconnected

    assert second != first


def test_a_connection_used_a_moment_ago_is_not_pinged(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    pings: list[object] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    _backend_pid(engine)
    _backend_pid(engine)
    assert pings == []  # just used: no round trip

    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    _backend_pid(engine)
    assert len(pings) == 1  # idle "long enough": pinged once
