"""The desk's answers to errors: JSON ``{"error": {"code", "message", "fields"}}`` for
clients, an HTML page for people in a browser (``DESK_BLUEPRINTS``).

Each error keeps the status and the headers the HTTP error carries (Allow on 405,
Retry-After on 503). The 500 handler logs the exception's type and where it was raised,
never its message or the request: a database error's message quotes the values of the
row, that is, the sender's data.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from typing import Any, cast

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    ServiceUnavailable,
)

from web.desk import DESK_BLUEPRINTS, ApiError, error_response
from workers.channels.schemas import field_errors

#: How long a client should wait before sending again when the database is unreachable:
#: long enough for a restart or fail-over, short enough that chat feels live.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


def _code(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def register_errors(app: Flask) -> None:
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
    400: _l("Forespørselen kunne ikke brukes (utløpt skjema? Last siden på nytt og prøv igjen)."),
    403: _l("Du har ikke tilgang til denne siden."),
    404: _l("Fant ikke siden."),
    405: _l("Metoden er ikke tillatt her."),
}


def _html_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    known = _HTML_MESSAGES.get(status)
    message = str(known) if known is not None else exc.description or _("Noe gikk galt.")
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
