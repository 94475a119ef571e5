"""``/healthz`` (the process answers) and ``/readyz`` (the database answers, with the
schema this code expects): the probes a load balancer or orchestrator asks."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from triage.store import db
from web.desk import desk, error_response

READY_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)


@lru_cache(maxsize=1)
def schema_head() -> str | None:
    """The migration the code expects (read once: the scripts ship with the code)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only /readyz needs it

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


@health.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process answers; says nothing about its dependencies (that is /readyz)."""
    return {"status": "ok"}


@health.get("/readyz")
def readyz() -> Response | dict[str, Any]:
    """Ready to take traffic: the database answers and has the schema this code expects."""
    retry = {"Retry-After": str(READY_RETRY_AFTER_SECONDS)}
    try:
        with desk().sessions() as session:
            version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        log.warning("readyz: database unavailable (%s)", type(exc).__name__)
        return error_response(
            503, "database_unavailable", "the database does not answer", headers=retry
        )
    expected = schema_head()
    if version != expected:
        return error_response(
            503,
            "schema_out_of_date",
            f"the database schema is at {version or 'nothing'}, this code needs {expected}",
            headers=retry,
        )
    return {"status": "ready", "schema": version}
