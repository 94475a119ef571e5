"""Body limits: a body over a route's limit is refused with 413 and the JSON error before
anything reads, authenticates, stores or parses it; a streamed body is never read past the
limit, whatever Content-Length claims; and the largest allowed bodies cost memory in
proportion to their size (tracemalloc), not more with every request."""

from __future__ import annotations

import gc
import io
import json
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.fuzz.support import assert_clean, error_of, inbox_count, sessions_of, twilio_signed
from tests.web.support import CALL_SID, chat_payload, sign
from triage.store.tokens import create_token
from web.api import MAX_BODY_BYTES as API_MAX_BYTES
from web.desk import FORM_MAX_CONTENT_LENGTH, MAX_CONTENT_LENGTH
from web.inbound import FORM_MAX_BYTES, JSON_MAX_BYTES

MiB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Route:
    path: str
    limit: int
    content_type: str
    stores: bool  # a signed body that gets past the limit is kept in the inbox


ROUTES = [
    Route("/inbound/email", MAX_CONTENT_LENGTH, "message/rfc822", True),
    Route("/inbound/chat", JSON_MAX_BYTES, "application/json", True),
    Route("/inbound/cti", JSON_MAX_BYTES, "application/json", True),
    Route("/inbound/twilio/voice", FORM_MAX_BYTES, FORM, True),
    Route("/inbound/twilio/sms", FORM_MAX_BYTES, FORM, True),
    Route("/inbound/twilio/sms-status", FORM_MAX_BYTES, FORM, False),
    Route("/api/v1/tickets/1/notes", API_MAX_BYTES, "application/json", False),
]
ids = [r.path for r in ROUTES]


class Endless(io.RawIOBase):
    """A request body that never ends; counts what the app read of it."""

    def __init__(self, fill: bytes = b"a") -> None:
        self.fill = fill
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        buffer[:size] = self.fill * size
        self.served += size
        return size


def _raw_post(
    client: FlaskClient,
    path: str,
    stream: io.RawIOBase | io.BytesIO,
    content_type: str,
    content_length: str | None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """POST whose body is ``stream`` and whose Content-Length is what the test says.

    None is a chunked body, which the WSGI server ends (``wsgi.input_terminated``, as
    gunicorn sets it); with a Content-Length the server leaves it to the app to stop
    there (as werkzeug's development server does), so a lying length reaches the app."""
    sent = dict(headers or {})
    environ: dict[str, object] = {"wsgi.input": stream}
    if content_length is None:
        sent["Transfer-Encoding"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = content_length
    return client.post(
        path, data=b"", content_type=content_type, headers=sent, environ_overrides=environ
    )


def _signed_headers(app: Flask, route: Route, body: bytes) -> dict[str, str]:
    """Headers that get ``body`` past authentication (a real API token)."""
    if route.path.startswith("/inbound/twilio/"):
        return {"X-Twilio-Signature": twilio_signed("http://localhost" + route.path, [])}
    if route.path.startswith("/api/"):
        with sessions_of(app)() as session:
            _, token = create_token(session, "Fuzz", "agent", datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}
    return {"X-Triage-Signature": sign(body)}


def _too_large(response: TestResponse, limit: int) -> None:
    assert response.status_code == 413, (response.status, response.get_data()[:200])
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert f"{limit:,}" in error["message"]


# ------------------------------------------------------------------ Content-Length


@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_a_declared_length_over_the_limit_is_413_before_reading(
    app: Flask, client: FlaskClient, route: Route
) -> None:
    """Authenticated or not, the body is not read: a view that reads the body before it
    checks the sender (the HMAC webhooks must) checks the size first."""
    for signed in (True, False):
        headers = _signed_headers(app, route, b"") if signed else {}
        stream = Endless()
        before = inbox_count(app)
        response = _raw_post(
            client, route.path, stream, route.content_type, str(route.limit + 1), headers
        )
        if signed or response.status_code not in (401, 403):
            _too_large(response, route.limit)
        assert stream.served == 0, "the body was read"
        assert inbox_count(app) == before


@pytest.mark.parametrize("route", [r for r in ROUTES if r.limit <= MiB], ids=lambda r: r.path)
def test_a_body_of_exactly_the_limit_is_taken(
    app: Flask, client: FlaskClient, route: Route
) -> None:
    """The limit is inclusive: a signed body of exactly ``limit`` bytes is read, stored
    and answered (here 4xx, for its padding), never 413."""
    if route.content_type == FORM:
        head = urlencode({"CallSid": CALL_SID, "MessageSid": "SM1", "From": "+4791234567"})
        body = (head + "&Pad=").encode() + b"p" * (route.limit - len(head) - 5)
    else:
        head = json.dumps(chat_payload()).encode()[:-1] + b', "pad": "'
        body = head + b"p" * (route.limit - len(head) - 2) + b'"}'
    assert len(body) == route.limit
    signed = _signed_headers(app, route, body)
    if route.content_type == FORM:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
        signed["X-Twilio-Signature"] = twilio_signed("http://localhost" + route.path, pairs)
    before = inbox_count(app)
    response = client.post(route.path, data=body, content_type=route.content_type, headers=signed)
    assert_clean(response)
    assert response.status_code != 413
    assert inbox_count(app) == before + (1 if route.stores else 0)


# ------------------------------------------------------------------ streamed and lying bodies


@pytest.mark.parametrize("route", ROUTES, ids=ids)
def test_a_streamed_body_is_never_read_past_the_limit(
    app: Flask, client: FlaskClient, route: Route
) -> None:
    stream = Endless()
    before = inbox_count(app)
    response = _raw_post(client, route.path, stream, route.content_type, None)
    assert_clean(response)
    assert 400 <= response.status_code < 500
    assert stream.served <= route.limit + 64 * 1024, stream.served
    assert inbox_count(app) == before


@pytest.mark.parametrize("path", ["/inbound/chat", "/inbound/twilio/voice"])
def test_a_streamed_body_over_the_limit_is_413(client: FlaskClient, path: str) -> None:
    route = next(r for r in ROUTES if r.path == path)
    response = _raw_post(client, path, Endless(), route.content_type, None)
    _too_large(response, route.limit)


def test_a_streamed_body_over_the_limit_is_413_on_the_desk_and_the_api(
    app: Flask, client: FlaskClient
) -> None:
    """Not only on the webhooks: a streamed login form or API body that reaches its limit
    is refused as too large, not parsed cut short (it was a 400 for the missing CSRF
    token, or whatever the truncated JSON gave)."""
    login = _raw_post(client, "/login", Endless(), FORM, None)
    _too_large(login, FORM_MAX_CONTENT_LENGTH)
    api = next(r for r in ROUTES if r.path.startswith("/api/"))
    headers = _signed_headers(app, api, b"")
    _too_large(_raw_post(client, api.path, Endless(), api.content_type, None, headers), api.limit)
    stranger = _raw_post(client, api.path, Endless(), api.content_type, None)
    assert stranger.status_code == 401  # no token: refused before the body is read


@pytest.mark.parametrize("route", ROUTES[1:3], ids=ids[1:3])
def test_a_lying_content_length_never_gets_a_body_stored(
    app: Flask, client: FlaskClient, route: Route
) -> None:
    body = json.dumps(chat_payload()).encode()
    signed = {"X-Triage-Signature": sign(body)}
    before = inbox_count(app)
    # Shorter than the body: only that much is read, which the signature does not cover.
    short = _raw_post(client, route.path, io.BytesIO(body), route.content_type, "10", signed)
    assert short.status_code == 401 and error_of(short)["code"] == "bad_signature"
    # Longer than the body (below the limit): the client "disconnected" mid-body.
    long = _raw_post(client, route.path, io.BytesIO(body), route.content_type, "5000", signed)
    assert long.status_code == 400, long.status
    error_of(long)
    # Not a number at all: read as no body.
    for nonsense in ("abc", "-5", " "):
        odd = _raw_post(client, route.path, io.BytesIO(body), route.content_type, nonsense, signed)
        assert_clean(odd)
        assert odd.status_code == 401
    assert inbox_count(app) == before


# ------------------------------------------------------------------ memory


@dataclass(frozen=True)
class Traced:
    peak: int
    retained: int


def _measure(action: Callable[[], TestResponse]) -> tuple[Traced, TestResponse]:
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        response = action()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Traced(peak - base, current - base), response


def _largest_email() -> bytes:
    """A message of almost the whole limit: a short text and a base64 attachment."""
    head = (
        b"From: Kari <kari@kunde.no>\r\nMessage-ID: <largest@kunde.no>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\nContent-Type: text/plain\r\n"
        b"\r\nVedlagt logg.\r\n--BB\r\nContent-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.pdf"
        b"\r\n\r\n"
    )
    tail = b"\r\n--BB--\r\n"
    line = b"A" * 76 + b"\r\n"
    return head + line * ((MAX_CONTENT_LENGTH - 4096 - len(head) - len(tail)) // len(line)) + tail


def test_the_largest_bodies_cost_memory_in_proportion(app: Flask, client: FlaskClient) -> None:
    """Peak traced memory per request stays within a fixed multiple of the body (the
    stdlib's MIME parser holds a few copies of a message while it works), and sending
    the same size again keeps nothing more: no growth per request."""
    email = _largest_email()
    assert MAX_CONTENT_LENGTH - 8192 < len(email) <= MAX_CONTENT_LENGTH
    traced, response = _measure(
        lambda: client.post(
            "/inbound/email",
            data=email,
            content_type="message/rfc822",
            headers={"X-Triage-Signature": sign(email)},
        )
    )
    assert response.status_code == 202, response.get_data()[:300]
    assert traced.peak < 8 * len(email), f"{traced.peak / len(email):.1f} x the body"

    pad = "p" * (JSON_MAX_BYTES - 400)
    retained = []
    for n in range(3):
        body = json.dumps(chat_payload(message_id=f"big-{n}", text=pad[:19_000])).encode()
        body = body[:-1] + b', "x": "' + b"y" * (JSON_MAX_BYTES - len(body) - 9) + b'"}'
        assert len(body) == JSON_MAX_BYTES
        headers = {"X-Triage-Signature": sign(body)}
        traced, response = _measure(
            lambda body=body, headers=headers: client.post(
                "/inbound/chat", data=body, content_type="application/json", headers=headers
            )
        )
        assert response.status_code == 422  # the unknown "x": stored, quarantined
        assert traced.peak < 8 * len(body), f"{traced.peak / len(body):.1f} x the body"
        retained.append(traced.retained)

    for _ in range(3):
        pairs = [
            ("CallSid", CALL_SID),
            ("From", "+4799887766"),
            ("Pad", "q" * (FORM_MAX_BYTES - 200)),
        ]
        body = urlencode(pairs).encode()
        headers = {
            "X-Twilio-Signature": twilio_signed("http://localhost/inbound/twilio/voice", pairs)
        }
        traced, response = _measure(
            lambda body=body, headers=headers: client.post(
                "/inbound/twilio/voice", data=body, content_type=FORM, headers=headers
            )
        )
        assert response.status_code == 200, response.get_data()[:300]
        assert traced.peak < 8 * len(body), f"{traced.peak / len(body):.1f} x the body"
        retained.append(traced.retained)
    # What a request leaves behind (caches, pools) does not grow with the body size.
    assert max(retained) < 2 * MiB, retained

    stream = Endless(b"{")
    traced, response = _measure(
        lambda: _raw_post(client, "/inbound/chat", stream, "application/json", None)
    )
    assert_clean(response)
    assert traced.peak < 4 * JSON_MAX_BYTES  # an endless body costs its limit, no more
