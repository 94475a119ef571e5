"""The Flask app factory, its JSON errors and the health endpoints.

``create_app`` follows the Flask tutorial's factory pattern: nothing is read at import
time, so tests build apps on their own database, catalog and clock. What the views need
lives on ``app.extensions["triage"]`` (a ``Desk``), reached through ``desk()``.

Errors: every error is ``{"error": {"code", "message", "fields"}}``, with the status and
the headers the HTTP error carries (Allow on 405, Retry-After on 503). The 500 handler
logs the exception's type and where it was raised, never its message or the request: a
database error's message quotes the values of the row, that is, the sender's data.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    ServiceUnavailable,
)
from werkzeug.middleware.proxy_fix import ProxyFix

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from triage.store import db
from triage.store.intake import Parser
from web.body_deadline import BodyDeadline
from web.schemas import field_errors
from workers.enqueue import wire_scheduling
from workers.health import background_parts
from workers.processes import pid_alive

#: The largest request body accepted at all: a raw e-mail with attachments. Views that take
#: small bodies lower it per request (``web.inbound``).
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
#: The desk's own forms (login, notes, outages): nothing near a megabyte.
FORM_MAX_CONTENT_LENGTH = 1024 * 1024
READY_RETRY_AFTER_SECONDS = 5
#: The blueprints people use in a browser: HTML errors, small forms, no caching.
DESK_BLUEPRINTS = ("ui", "auth")
#: How long a client should wait before sending again when the database is unreachable:
#: long enough for a restart or fail-over, short enough that chat feels live.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Desk:
    """What every view needs, made once per app."""

    settings: Settings
    catalog: Catalog
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]  # aware "now"; tests pass a fixed one
    parsers: Mapping[str, Parser]  # inbox channel -> payload parser
    #: HMAC webhook -> its accept-time shape check (``web.inbound_payloads.checks``)
    checks: Mapping[str, Callable[[bytes, str], str]]
    #: Leave every accepted payload to the batch intake, even without Redis (tests and
    #: benchmarks drive it); by default a web app without Redis ingests inline.
    defer_intake: bool = False


def desk() -> Desk:
    return cast(Desk, current_app.extensions["triage"])


class ApiError(Exception):
    """An error answered as the JSON error shape; raise it from any view."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


class TriageFlask(Flask):
    """Flask, minus its default unhandled-exception log line: that one carries the
    traceback with the exception's message, which may quote the sender's data. The 500
    handler logs the type and the frames instead."""

    def log_exception(self, exc_info: Any) -> None:
        del exc_info


def _utc_now() -> datetime:
    return datetime.now(UTC)


def limit_body(limit: int) -> None:
    """Cap this request's body at ``limit`` bytes; call before anything reads the body.

    Werkzeug refuses a longer declared body (Content-Length) with 413, but reads a
    streamed one only up to the cap and hands on what it got: a streamed body that
    reaches the cap was longer, and is refused as too large here, not parsed truncated
    (and then refused as badly signed or without its CSRF token).
    """
    request.max_content_length = limit
    streamed = request.content_length is None and request.method in ("POST", "PUT", "PATCH")
    if streamed and len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] | None = None,
    migrate: bool = False,
    defer_intake: bool = False,
) -> Flask:
    """Build the web app.

    ``migrate`` runs the Alembic upgrade first (the embedded ``triage up``); production
    migrates on release and tests pass a migrated database, so it is off by default.
    ``clock`` returns an aware datetime: the server's receipt time of every inbound
    message, injectable so tests can compute deadlines by hand. ``defer_intake``: the
    HMAC webhooks only store and answer, even without Redis; whoever built the app runs
    the batch intake (``triage.store.intake_batch.ingest_pending``) itself.
    """
    from web.api import init_api  # noqa: PLC0415 - views import desk() from here
    from web.auth import csrf, init_auth, secret_key  # noqa: PLC0415
    from web.i18n import init_i18n  # noqa: PLC0415
    from web.inbound import bp as inbound  # noqa: PLC0415
    from web.inbound_monitoring import bp as inbound_monitoring  # noqa: PLC0415
    from web.inbound_payloads import checks, parsers  # noqa: PLC0415
    from web.security import apply_limits, init_security  # noqa: PLC0415
    from web.ui import register_ui  # noqa: PLC0415

    settings = settings or Settings.from_env()
    if migrate:
        db.upgrade(settings.database_url)
    app = TriageFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.config["SECRET_KEY"] = secret_key(settings.secret_key, settings.data_dir)
    if settings.body_read_timeout:  # a stalled body is cut off (finding of issue 15)
        app.wsgi_app = BodyDeadline(  # type: ignore[method-assign]
            app.wsgi_app, settings.body_read_timeout, settings.body_deadline or 86400
        )
    if settings.trust_proxy:  # only behind our own proxy: the headers are client-settable
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions["triage"] = Desk(
        settings=settings,
        catalog=catalog if catalog is not None else load_catalog(settings.catalog_path),
        sessions=db.session_factory(settings.database_url),
        clock=clock or _utc_now,
        parsers=parsers(settings),
        checks=checks(settings),
        defer_intake=defer_intake,
    )
    wire_scheduling(app.extensions["triage"].sessions, settings.redis_url)
    limiter = init_security(app, settings)  # first hook: it counts before anyone answers

    @app.before_request
    def _small_forms() -> None:  # before CSRF reads the form
        if request.blueprint in DESK_BLUEPRINTS:
            limit_body(FORM_MAX_CONTENT_LENGTH)

    _register_errors(app)
    app.register_blueprint(health)
    app.register_blueprint(inbound)
    app.register_blueprint(inbound_monitoring)
    init_auth(app, settings.secure_cookies)
    init_i18n(app)
    csrf.exempt(inbound)  # signed by the sender, never a browser form
    csrf.exempt(inbound_monitoring)
    init_api(app)
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api/"):
            csrf.exempt(blueprint)  # bearer tokens, not cookies
    register_ui(app)
    apply_limits(limiter, app, settings)

    return app


# ------------------------------------------------------------------ errors


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": dict(fields or {})}}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        limit = request.max_content_length
        shown = f" ({limit:,} bytes)" if limit else ""
        return error_response(413, "payload_too_large", f"the body is larger than allowed{shown}")

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response:
        if not database_unreachable(exc):
            raise exc  # a real bug: the 500 handler logs where it was raised
        log.warning("database unavailable in %s %s (%s)", request.method, request.path, _cause(exc))
        retry = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}
        if request.blueprint in DESK_BLUEPRINTS:
            page = _html_error(ServiceUnavailable("Databasen svarer ikke. Prøv igjen om litt."))
            page.headers.update(retry)
            return page
        return error_response(
            503,
            "database_unavailable",
            "the database does not answer; send again later",
            headers=retry,
        )

    @app.errorhandler(InternalServerError)
    def _server_error(exc: InternalServerError) -> Response:
        original = exc.original_exception or exc
        frames = traceback.extract_tb(original.__traceback__)[-6:]
        where = " <- ".join(
            f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames)
        )
        log.error(
            "unhandled %s in %s %s at %s",
            type(original).__name__,
            request.method,
            request.path,
            where or "?",
        )
        return error_response(500, "internal_error", "the server failed; please try again")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if request.blueprint in DESK_BLUEPRINTS:  # people in a browser get a page
            return _html_error(exc)
        response = exc.get_response()  # keeps Allow, Retry-After, WWW-Authenticate
        code, message, fields = _code(exc), exc.description or "", {}
        data = getattr(exc, "data", None)  # webargs (the REST API's arguments) puts it here
        if isinstance(data, Mapping) and isinstance(data.get("messages"), Mapping):
            fields = _argument_errors(data["messages"])
            code = {422: "validation_failed", 400: "invalid_json"}.get(exc.code or 0, code)
            if fields:
                message = "; ".join(f"{name}: {' '.join(found)}" for name, found in fields.items())
            for name, value in (data.get("headers") or {}).items():
                response.headers[name] = value
        body = {"error": {"code": code, "message": message, "fields": fields}}
        response.set_data(json.dumps(body))
        response.mimetype = "application/json"
        return cast(Response, response)


def database_unreachable(exc: DBAPIError) -> bool:
    """A lost or refused connection, as opposed to a bad statement or a broken constraint.

    Only the former is the client's cue to send again: SQLAlchemy marks connections it
    found dead (``connection_invalidated``), and a DBAPI ``OperationalError`` (connection
    refused, server shutting down, SQLite's "database is locked" past its timeout) is by
    PEP 249's definition outside the programmer's control.
    """
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def _cause(exc: DBAPIError) -> str:
    """The DBAPI error's class and SQLSTATE, never its message: that quotes row values."""
    code = getattr(exc.orig, "sqlstate", None) or ""
    return f"{type(exc.orig).__name__}{' ' + code if code else ''}"


_HTML_MESSAGES = {
    400: "Forespørselen kunne ikke brukes (utløpt skjema? Last siden på nytt og prøv igjen).",
    403: "Du har ikke tilgang til denne siden.",
    404: "Fant ikke siden.",
    405: "Metoden er ikke tillatt her.",
}


def _html_error(exc: HTTPException) -> Response:
    from flask import render_template  # noqa: PLC0415 - only the web desk renders pages

    status = exc.code or 500
    message = _HTML_MESSAGES.get(status, exc.description or "Noe gikk galt.")
    return Response(
        render_template("error.html", status=status, message=message),
        status=status,
        mimetype="text/html",
    )


def _argument_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """webargs' {"json": {"reason": [...]}, "query": {...}} as {"reason": [...]}: the
    location is implied by the route; a problem with the whole body is "(body)"."""
    out: dict[str, list[str]] = {}
    for problems in messages.values():
        for name, found in field_errors(problems).items():
            out.setdefault(name, []).extend(found)
    return out


# ------------------------------------------------------------------ health

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
    from triage.store.heartbeats import states  # noqa: PLC0415 - only /readyz needs it

    app = desk()
    limit = timedelta(seconds=app.settings.heartbeat_limit_seconds)
    try:
        with app.sessions() as session:
            found = states(session, app.clock(), limit)
    except SQLAlchemyError:
        return {}
    return {s.part: {"beat_at": s.beat_at.isoformat(), "down": s.silent} for s in found}
