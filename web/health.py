"""``/healthz`` (the process answers) and ``/readyz`` (the database answers, with the
schema this code expects): the probes a load balancer or orchestrator asks."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from triage.store import db
from web.desk import desk, error_response

READY_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)


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
            version = db.schema_version(session)
    except SQLAlchemyError as exc:
        log.warning("readyz: database unavailable (%s)", type(exc).__name__)
        return error_response(
            503, "database_unavailable", "the database does not answer", headers=retry
        )
    expected = db.schema_head()
    if version != expected:
        return error_response(
            503,
            "schema_out_of_date",
            f"the database schema is at {version or 'nothing'}, this code needs {expected}",
            headers=retry,
        )
    return {"status": "ready", "schema": version}
