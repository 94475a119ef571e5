"""``/healthz`` (the process answers) and ``/readyz`` (the database answers, with the
schema this code expects): the probes a load balancer or orchestrator asks."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from triage.store import db
from triage.store.heartbeats import states
from web.desk import desk, error_response
from workers.health import background_parts
from workers.processes import pid_alive

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
    settings = desk().settings
    parts = background_parts(settings.redis_url) if settings.redis_url else {}
    parts.update(supervised_parts(settings.supervisor_state))  # triage up knows best
    beats = _heartbeats()  # the dead-man's switch: a part silent past its limit
    for name, beat in beats.items():
        if beat["down"]:
            parts[name] = "silent"
    extra = {"heartbeats": beats} if beats else {}
    degraded = sorted(name for name, state in parts.items() if state != "running")
    if degraded:
        # still 200: this process takes tickets (the database is the record), so a load
        # balancer must keep sending; monitoring reads "degraded" and the parts
        log.warning("readyz: degraded, %s not running", ", ".join(degraded))
        return {
            "status": "degraded",
            "schema": version,
            "degraded": degraded,
            "parts": parts,
            **extra,
        }
    return {"status": "ready", "schema": version, **({"parts": parts} if parts else {}), **extra}


def supervised_parts(state_file: Path | None) -> dict[str, str]:
    """The state of each process ``triage up`` supervises (``workers/supervisor.py``
    writes the file), e.g. ``{"worker": "restarting", "web": "running"}``; empty when not
    supervised, or when the file is unreadable or left by a supervisor that is gone."""
    if state_file is None:
        return {}
    try:
        data = json.loads(state_file.read_text(encoding="utf-8"))
        children = data["children"]
        alive = pid_alive(int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not alive or not isinstance(children, dict):
        return {}
    return {str(name): str(info.get("state")) for name, info in children.items()}


def _heartbeats() -> dict[str, dict[str, Any]]:
    """The dead-man's switch's view (``workers.heartbeat``): each part's last beat in the
    database and whether it is silent past the limit (a silent part is "degraded")."""
    app = desk()
    limit = timedelta(seconds=app.settings.heartbeat_limit_seconds)
    try:
        with app.sessions() as session:
            found = states(session, app.clock(), limit)
    except SQLAlchemyError:
        return {}
    return {s.part: {"beat_at": s.beat_at.isoformat(), "down": s.silent} for s in found}
