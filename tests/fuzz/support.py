"""What every fuzz test checks, and the Hypothesis settings they share.

Examples are bounded for CI (the whole directory runs in well under a minute with
``-n 2``); ``TRIAGE_FUZZ_SCALE=20 pytest tests/fuzz`` runs twenty times as many for a
deeper search. Failures print a reproduction blob and are kept in Hypothesis' example
database, so the next run tries them first.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.web.support import TWILIO_TOKEN
from triage.store.models import InboxItem, Ticket

SCALE = max(1, int(os.environ.get("TRIAGE_FUZZ_SCALE", "1") or 1))

settings.register_profile(
    "triage-fuzz",
    deadline=None,  # a request through the app and a database is not a microbenchmark
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the app's database is meant to fill up
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


def fuzz(max_examples: int) -> settings:
    """The fuzz profile with ``max_examples`` (times TRIAGE_FUZZ_SCALE)."""
    return settings(settings.get_profile("triage-fuzz"), max_examples=max_examples * SCALE)


# ------------------------------------------------------------------ answers


def error_of(response: TestResponse) -> dict[str, Any]:
    """The body of an error answer, checked against the desk's one error shape."""
    assert response.mimetype == "application/json", (response.status, response.mimetype)
    return error_shape(json.loads(response.get_data()))


def error_shape(body: Any) -> dict[str, Any]:
    """``{"error": {"code", "message", "fields"}}``: a code, a message, fields' problems."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert isinstance(error["fields"], dict), error
    for name, problems in error["fields"].items():
        assert isinstance(name, str), error
        assert isinstance(problems, list) and problems, error
        assert all(isinstance(p, str) and p for p in problems), error
    return error  # type: ignore[no-any-return]


def assert_clean(response: TestResponse) -> None:
    """No 5xx; a 4xx is the JSON error shape with a message; no header carries CR/LF."""
    shown = response.get_data()[:500]
    assert response.status_code < 500, (response.status, shown)
    if response.status_code >= 400:
        error_of(response)
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)


# ------------------------------------------------------------------ the database


def sessions_of(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["triage"].sessions


def inbox_count(app: Flask) -> int:
    with sessions_of(app)() as session:
        return int(session.scalar(select(func.count()).select_from(InboxItem)) or 0)


def last_inbox(app: Flask) -> InboxItem | None:
    with sessions_of(app)() as session:
        return session.scalars(select(InboxItem).order_by(InboxItem.id.desc()).limit(1)).first()


def ticket_exists(app: Flask, ticket_id: int) -> bool:
    with sessions_of(app)() as session:
        return session.get(Ticket, ticket_id) is not None


def is_postgres(app: Flask) -> bool:
    return str(app.extensions["triage"].settings.database_url).startswith("postgresql")


def assert_stored(
    app: Flask, before: int, body: bytes, response: TestResponse, *, ticket: bool = True
) -> InboxItem:
    """A signed payload is kept byte for byte whatever became of it ("loses nothing"),
    processed (with its ticket, for ``ticket``) when accepted, quarantined with the reason
    when refused (at once, or by the batch intake after a 202: the app ingests inline)."""
    assert inbox_count(app) == before + 1, (response.status, response.get_data()[:300])
    item = last_inbox(app)
    assert item is not None
    assert bytes(item.payload) == body
    if response.status_code == 202 and item.status == "quarantined":
        # accepted, then refused by the batch's full parse (an e-mail's MIME): kept, with why
        assert item.error and item.error.strip()
    elif response.status_code < 300:
        assert item.status == "processed", (item.status, item.error)
        if ticket:
            assert item.ticket_id is not None and ticket_exists(app, item.ticket_id)
    else:
        assert item.status == "quarantined", item.status
        assert item.error and item.error.strip()
    return item


# ------------------------------------------------------------------ Twilio


def twilio_signed(url: str, pairs: list[tuple[str, str]], token: str = TWILIO_TOKEN) -> str:
    """X-Twilio-Signature for a form with repeated fields, by Twilio's own algorithm."""
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(token).compute_signature(url, MultiDict(pairs)))
