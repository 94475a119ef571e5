"""Schemathesis against the REST API's own OpenAPI document (/api/v1/openapi.json), in
process (WSGI), on SQLite and PostgreSQL, with an admin token so every route is reached.

Every generated request: no 5xx; the status, content type, headers and body of the answer
as the document says; every error the desk's JSON error shape. A few tickets exist, so
generated ids (Hypothesis favours small integers) hit real ones as well as unknown ones.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from config.catalog import load_catalog
from tests.fuzz.conftest import NO_RATE_LIMITS
from tests.fuzz.support import error_shape, fuzz, sessions_of
from tests.smtp_server import Collect
from tests.web.conftest import make_settings
from tests.web.support import chat_payload, email_bytes, post_chat, post_email
from triage.store.tokens import create_token
from web.app import create_app

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def app_env(smtp: tuple[str, Collect]) -> dict[str, str]:
    """The fuzz app with a real SMTP server on loopback, so forwarding works (a 503 for
    a missing mail server would be a documented answer, but a 5xx all the same)."""
    return {**NO_RATE_LIMITS, "SMTP_URL": smtp[0]}


@pytest.fixture
def api_token(app: Flask, client: FlaskClient) -> str:
    """An admin token, after a few tickets came in (one of them quarantined)."""
    for n in range(1, 4):
        post_chat(client, chat_payload(message_id=f"m{n}", conversation_id=f"c{n}"))
    post_email(client, email_bytes(message_id="<api@kunde.no>", subject="[#1] Re: nede", text="x"))
    post_chat(client, b'{"not": "a chat message"}')  # quarantined: the admin's list has one
    with sessions_of(app)() as session:
        return create_token(session, "Schemathesis", "admin", datetime(2026, 3, 1, tzinfo=UTC))[1]


def _load_document() -> schemathesis.BaseSchema:
    """The document, read from an app of its own: it describes routes, not data, so any
    database does (nothing connects to it). The calls go to the test's app, on each
    database. (schemathesis.pytest.from_fixture would read it from the app fixture, but it
    relies on pytest internals, Node._nodeid, that pytest 9 no longer has.)"""
    with tempfile.TemporaryDirectory(prefix="triage-openapi-") as tmp:
        data = Path(tmp)
        settings = make_settings(f"sqlite:///{data / 'unused.sqlite3'}", data, **NO_RATE_LIMITS)
        app = create_app(settings, catalog=load_catalog(None))
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = _load_document()


@schema.parametrize()
@fuzz(12)
def test_the_api_keeps_its_document(case: schemathesis.Case, app: Flask, api_token: str) -> None:
    response = case.call(app=app, headers={"Authorization": f"Bearer {api_token}"})
    case.validate_response(response, checks=CHECKS)
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", response.headers.get("Content-Type"))
        assert "application/json" in str(content_type), content_type
        error_shape(response.json())


def test_the_document_is_valid_openapi(app: Flask) -> None:
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [op.ok() for op in loaded.get_all_operations()]
    assert len(operations) >= 16
    paged = loaded.raw_schema["paths"]["/api/v1/tickets"]["get"]["responses"]["200"]["headers"]
    assert "application/json" in paged["X-Pagination"]["content"]  # a JSON header, as sent
