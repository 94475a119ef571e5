"""Migrations: one head, and the migrated schema is exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from triage.store import db
from triage.store.models import Base


def test_one_head() -> None:
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    with db.engine_for(database_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert (
            context.get_current_revision()
            == ScriptDirectory.from_config(db.alembic_config(database_url)).get_current_head()
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    db.upgrade(database_url)
    db.upgrade(database_url)
