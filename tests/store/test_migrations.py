"""Migrations: one head, and the migrated schema is exactly what the models declare (less
the PostgreSQL-only indexes, ``POSTGRESQL_ONLY_INDEXES``, which the queue's search needs
and which are checked here on their own)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ProgrammingError

from tests.conftest import POSTGRES_ADMIN_URL, create_database
from triage.store import db
from triage.store import ticket_actions as actions
from triage.store.models import POSTGRESQL_ONLY_INDEXES, Base
from web.ui.queue import _queue_args

SEARCH_INDEX = "ix_tickets_active_text"
ORDER_INDEXES = ("ix_tickets_settled_order", "ix_tickets_unanswered_order")


def _not_postgresql_only(
    obj: Any, name: str | None, type_: str, reflected: bool, other: Any
) -> bool:
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)


def _schema_diff(url: str) -> list[Any]:
    with db.engine_for(url).connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _not_postgresql_only}
        )
        assert (
            context.get_current_revision()
            == ScriptDirectory.from_config(db.alembic_config(url)).get_current_head()
        )
        return list(compare_metadata(context, Base.metadata))


def _ticket_indexes(url: str) -> set[str]:
    with db.engine_for(url).connect() as conn:
        return {ix["name"] for ix in inspect(conn).get_indexes("tickets") if ix["name"]}


def test_one_head() -> None:
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert _schema_diff(database_url) == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    db.upgrade(database_url)
    db.upgrade(database_url)


def test_the_search_index_exists_on_postgresql_only(database_url: str) -> None:
    present = _ticket_indexes(database_url) & POSTGRESQL_ONLY_INDEXES
    if database_url.startswith("sqlite"):
        assert present == set()
        return
    assert present == POSTGRESQL_ONLY_INDEXES >= {SEARCH_INDEX, *ORDER_INDEXES}
    with db.engine_for(database_url).connect() as conn:
        definition = conn.execute(text(f"SELECT pg_get_indexdef('{SEARCH_INDEX}'::regclass)"))
        assert "gin_trgm_ops" in definition.scalar_one()


@pytest.mark.parametrize("words", ["skriver", "100%_ sikker"])
def test_the_queue_search_can_use_the_partial_index(database_url: str, words: str) -> None:
    """The queue's own statements for the desk's default view (open or paused, not
    answered), as they reach the server with their parameters, imply the index's
    predicate: with the other ways to the rows taken away, the planner still finds one
    through the trigram index. A change to the view's filter that loses the index fails
    here."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    engine = db.engine_for(database_url)
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    filters = _queue_args({"q": words}).filters  # the desk's default view, searched
    assert filters.unanswered and filters.statuses == (actions.OPEN, actions.PAUSED)
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    with engine.connect() as conn:
        event.listen(engine, "before_cursor_execute", record)
        try:
            session = db.session_factory(database_url)(bind=conn)
            actions.count_queue(session, filters, now)
            actions.queue(session, filters, now)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(seen) == 2
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.transaction(force_rollback=True):
            driver.execute("DROP INDEX ix_tickets_queue")  # rolled back below
            driver.execute("SET LOCAL enable_seqscan = off")
            for statement, parameters in seen:
                plan = driver.execute("EXPLAIN " + statement, parameters).fetchall()
                assert SEARCH_INDEX in "\n".join(row[0] for row in plan), plan


@pytest.mark.parametrize("status", ["alle", "resolved"])
def test_the_queue_of_every_status_reads_in_the_order_indexes(
    database_url: str, status: str
) -> None:
    """The queue's ``time_left`` page over every status (or the resolved ones) reads its
    sources in the order of the two partial indexes of 0014, never sorting the table:
    each source statement, as it reaches the server with its parameters, is planned
    through one of them with sorting made as dear as it gets. A change to the
    statements' expressions that loses an index fails here."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    engine = db.engine_for(database_url)
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    # nobody's tickets: every source is read to its end (the session's database may
    # hold other tests' tickets, which would fill the page early)
    filters = _queue_args({"status": status, "assignee": f"nobody-{uuid.uuid4()}"}).filters
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    with engine.connect() as conn:
        event.listen(engine, "before_cursor_execute", record)
        try:
            session = db.session_factory(database_url)(bind=conn)
            actions.queue(session, filters, now)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(seen) == 7  # seven sources in four groups; no page, no tickets to load
        driver = conn.connection.driver_connection
        assert driver is not None
        used = []
        with driver.transaction(force_rollback=True):
            driver.execute("SET LOCAL enable_sort = off")
            driver.execute("SET LOCAL enable_seqscan = off")
            driver.execute("SET LOCAL enable_bitmapscan = off")
            for statement, parameters in seen:
                plan = "\n".join(
                    row[0] for row in driver.execute("EXPLAIN " + statement, parameters)
                )
                used.append(next((i for i in ORDER_INDEXES if i in plan), plan))
        # settled late, unanswered overdue, (paused), unanswered running, (paused), met,
        # without a deadline; the paused ones are few and sorted
        assert [used[i] for i in (0, 1, 3, 5)] == [
            ORDER_INDEXES[0],
            ORDER_INDEXES[1],
            ORDER_INDEXES[1],
            ORDER_INDEXES[0],
        ], used


# ------------------------------------------------------------------ pg_trgm refused


@pytest.fixture
def database_without_create_rights() -> Iterator[str]:
    """A PostgreSQL database whose migrating role may create tables but not extensions
    (no CREATE on the database, as with a hosted database's application role)."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    name, role = f"triage_test_{suffix}", f"triage_test_role_{suffix}"
    database = create_database(admin, name)
    owner = create_engine(database, isolation_level="AUTOCOMMIT")
    password = uuid.uuid4().hex
    url = (
        make_url(database)
        .set(username=role, password=password)
        .render_as_string(hide_password=False)
    )
    try:
        with admin.connect() as conn:
            try:
                conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'"))
            except ProgrammingError as exc:  # an admin URL without CREATEROLE
                pytest.skip(f"cannot create a role: {exc.orig}")
        with owner.connect() as conn:
            conn.execute(text("DROP EXTENSION IF EXISTS pg_trgm"))
            conn.execute(text(f'GRANT CREATE ON SCHEMA public TO "{role}"'))
        yield url
    finally:
        db.engine_for(url).dispose()
        db.engine_for.cache_clear()
        owner.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_without_pg_trgm_the_migration_skips_the_index_and_says_so(
    database_without_create_rights: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = database_without_create_rights
    with caplog.at_level(logging.WARNING):
        db.upgrade(url)
    assert any(
        "pg_trgm is not available" in r.getMessage() and SEARCH_INDEX in r.getMessage()
        for r in caplog.records
    )
    assert SEARCH_INDEX not in _ticket_indexes(url)
    assert _schema_diff(url) == []  # every other table and index is there
    db.upgrade(url)  # and a second run is as quiet
