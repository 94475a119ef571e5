"""What every view shares: the desk (settings, catalog, sessions, clock, parsers), the
JSON error shape, and the request-body limits.

Blueprints import these from here, never from the app factory (``web.app``), so the
factory can import the blueprints at the top of its module: the Flask tutorial's shape,
with no import loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import Response, current_app, request
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import RequestEntityTooLarge

from config.catalog import Catalog
from config.settings import Settings
from triage.store.intake import Parser

#: The largest request body accepted at all: a raw e-mail with attachments. Views that take
#: small bodies lower it per request (``web.inbound``).
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
#: The desk's own forms (login, notes, outages): nothing near a megabyte.
FORM_MAX_CONTENT_LENGTH = 1024 * 1024
#: The blueprints people use in a browser: HTML errors, small forms, no caching.
DESK_BLUEPRINTS = ("ui", "auth")


@dataclass(frozen=True)
class Desk:
    """What every view needs, made once per app."""

    settings: Settings
    catalog: Catalog
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]  # aware "now"; tests pass a fixed one
    parsers: Mapping[str, Parser]  # inbox channel -> payload parser
    #: HMAC webhook -> its accept-time shape check (``workers.channels.payloads.checks``)
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
