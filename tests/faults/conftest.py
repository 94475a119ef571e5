"""Fixtures of the fault tests: the shipped catalog, the scripted fake Twilio, a private
Redis that a test may stop and start, and a private PostgreSQL cluster likewise.

The system PostgreSQL and Redis are shared with other people: nothing here ever stops
them. A test that takes a server down owns that server.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.catalog import Catalog, load_catalog
from tests.faults.postgres import PrivatePostgres, postgres_unavailable
from tests.faults.twilio import ScriptedTwilio
from workers.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def twilio() -> Iterator[ScriptedTwilio]:
    server = ScriptedTwilio().start()
    assert isinstance(server, ScriptedTwilio)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_redis() -> Iterator[EmbeddedRedis]:
    """A redis-server of this test's own, safe to stop and start again. Its dir is short
    (not pytest's deep tmp_path), so the unix socket fits in ``sun_path`` and a restart
    listens on the very same socket: same URL, as after a real restart."""
    directory = Path(tempfile.mkdtemp(prefix="triage-redis-"))
    server = EmbeddedRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this test's own (initdb'd, on a free port): safe to stop."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    cluster = PrivatePostgres.create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
