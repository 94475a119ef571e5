"""Every webhook, fed generated payloads through the real app on SQLite and PostgreSQL.

For each request: never a 5xx; every 4xx is the desk's JSON error with a message; an
unauthenticated one is refused and stores nothing; an authenticated one is stored byte
for byte whatever its fate ("loses nothing"): processed, with the ticket the answer names,
or quarantined with the reason. Signatures are made by the documented schemes
(tests.web.support), so the parsers behind them are really reached.

Regression examples (``@example``) are inputs that once answered 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.fuzz import strategies as S
from tests.fuzz.support import (
    assert_clean,
    assert_stored,
    error_of,
    fuzz,
    inbox_count,
    sessions_of,
    twilio_signed,
)
from tests.web.support import CALL_SID, chat_payload, email_bytes, post_signed, sign
from triage.store.models import SmsOutbox
from web.desk import MAX_CONTENT_LENGTH
from web.inbound import FORM_MAX_BYTES, JSON_MAX_BYTES

FORM = "application/x-www-form-urlencoded"
BASE = "http://localhost"

# How a request is signed: mostly right (so the parsers are reached), sometimes not.
hmac_modes = st.sampled_from(["good"] * 6 + ["upper", "missing", "wrong", "other", "garbage"])
twilio_modes = st.sampled_from(["good"] * 6 + ["missing", "wrong", "other_url"])


def _hmac_signature(mode: str, body: bytes) -> tuple[str, bool]:
    """The X-Triage-Signature to send, and whether it is valid."""
    if mode == "good":
        return sign(body), True
    if mode == "upper":  # hex digits are case-insensitive
        return sign(body).upper(), True
    if mode == "missing":
        return "", False
    if mode == "wrong":
        return "sha256=" + "0" * 64, False
    if mode == "other":
        return sign(body + b"!"), False
    return "sha256=\xff\xfe not hex", False


LIMITS = {
    "/inbound/email": MAX_CONTENT_LENGTH,
    "/inbound/chat": JSON_MAX_BYTES,
    "/inbound/cti": JSON_MAX_BYTES,
    "/inbound/twilio/voice": FORM_MAX_BYTES,
    "/inbound/twilio/sms": FORM_MAX_BYTES,
    "/inbound/twilio/sms-status": FORM_MAX_BYTES,
}


def _too_large(app: Flask, path: str, body: bytes, before: int, response: TestResponse) -> bool:
    """A body over the route's limit is 413 whoever signed it, and nothing is kept."""
    if len(body) <= LIMITS[path]:
        return False
    assert response.status_code == 413, response.status
    assert error_of(response)["code"] == "payload_too_large"
    assert inbox_count(app) == before
    return True


def _hmac_round(
    app: Flask, client: FlaskClient, path: str, body: bytes, content_type: str, mode: str
) -> TestResponse:
    before = inbox_count(app)
    signature, valid = _hmac_signature(mode, body)
    response = post_signed(client, path, body, content_type, signature=signature)
    assert_clean(response)
    if _too_large(app, path, body, before, response):
        return response
    if not valid:
        assert response.status_code == 401, response.status
        assert error_of(response)["code"] in ("missing_signature", "bad_signature")
        assert "WWW-Authenticate" in response.headers
        assert inbox_count(app) == before, "an unauthenticated body was stored"
        return response
    item = assert_stored(app, before, body, response)
    if response.status_code < 300:
        answer = response.get_json()
        assert response.status_code == 202, response.status
        assert {"receipt", "status_url"} <= set(answer), answer
        if not answer.get("duplicate"):
            assert answer["receipt"] == str(item.id)
        assert answer["status_url"] == f"/inbound/receipts/{answer['receipt']}"
    else:
        assert response.status_code in (415, 422), response.status
    return response


email_types = st.sampled_from(
    ["message/rfc822"] * 6 + ["MESSAGE/RFC822; charset=utf-8", "text/plain", "", "application/json"]
)
json_types = st.sampled_from(
    ["application/json"] * 6
    + ["application/json; charset=latin-1", "text/json", "", "application/x-www-form-urlencoded"]
)


# ------------------------------------------------------------------ e-mail, chat, CTI


@fuzz(40)
@given(body=S.email_bodies, mode=hmac_modes, content_type=email_types)
@example(  # the Date is a datetime no zone west of UTC+14 can show: the ticket page broke
    body=email_bytes(
        message_id="<far-future@kunde.no>",
        subject="Tiden",
        text="hei",
        date="Fri, 31 Dec 9999 23:59:00 -1400",
    ),
    mode="good",
    content_type="message/rfc822",
)
def test_email_webhook(
    app: Flask, client: FlaskClient, body: bytes, mode: str, content_type: str
) -> None:
    _hmac_round(app, client, "/inbound/email", body, content_type, mode)


@fuzz(50)
@given(body=S.chat_bodies, mode=hmac_modes, content_type=json_types)
@example(  # an integer longer than Python converts from text: json.loads raised ValueError
    body=b'{"a": ' + b"1" * 5000 + b"}", mode="good", content_type="application/json"
)
@example(  # a valid ISO time that cannot be shown in Oslo time: the ticket page broke
    body=S.json_dumps(chat_payload(sent_at="0001-01-01T00:00:00+14:00")),
    mode="good",
    content_type="application/json",
)
def test_chat_webhook(
    app: Flask, client: FlaskClient, body: bytes, mode: str, content_type: str
) -> None:
    _hmac_round(app, client, "/inbound/chat", body, content_type, mode)


@fuzz(40)
@given(body=S.cti_bodies, mode=hmac_modes, content_type=json_types)
@example(body=b'{"at": -' + b"9" * 4400 + b"}", mode="good", content_type="application/json")
def test_cti_webhook(
    app: Flask, client: FlaskClient, body: bytes, mode: str, content_type: str
) -> None:
    _hmac_round(app, client, "/inbound/cti", body, content_type, mode)


# ------------------------------------------------------------------ Twilio


def _form_bodies(forms: st.SearchStrategy[list[tuple[str, str]]]) -> st.SearchStrategy[bytes]:
    """Encoded forms, damaged encoded forms (bad %-escapes, 8-bit bytes) and any bytes."""
    encoded = forms.map(lambda pairs: urlencode(pairs).encode("ascii"))
    return st.one_of(
        encoded, encoded, encoded, encoded.flatmap(S.mutations), st.binary(max_size=200)
    )


def _parsed(body: bytes, content_type: str) -> MultiDict[str, str]:
    """The form as the app reads it (werkzeug's urlencoded parser; empty if unreadable)."""
    if content_type != FORM:
        return MultiDict()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return MultiDict()
    return MultiDict(parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"))


def _twilio_post(
    app: Flask, client: FlaskClient, path: str, body: bytes, content_type: str, mode: str
) -> tuple[TestResponse, bool]:
    """The answer, and whether the body got past the limit and the signature check."""
    before = inbox_count(app)
    params = _parsed(body, content_type)
    url = BASE + path
    signature = {
        "good": twilio_signed(url, list(params.items(multi=True))),
        "missing": "",
        "wrong": "bm90IGEgc2lnbmF0dXJl",
        "other_url": twilio_signed(BASE + "/elsewhere", list(params.items(multi=True))),
    }[mode]
    headers = {"X-Twilio-Signature": signature}
    response = client.post(path, data=body, content_type=content_type, headers=headers)
    assert_clean(response)
    # sms-status reads no body before it looks for a signature header at all
    checks_size = path != "/inbound/twilio/sms-status" or mode != "missing"
    if checks_size and _too_large(app, path, body, before, response):
        return response, False
    if mode == "missing":
        assert response.status_code == 403, response.status
        assert error_of(response)["code"] == "missing_signature"
        return response, False
    if content_type != FORM:  # only url-encoded fields are signed (issue 15, finding 12)
        assert response.status_code == 415, response.status
        assert error_of(response)["code"] == "unsupported_media_type"
        assert inbox_count(app) == before
        return response, False
    if mode != "good":
        assert response.status_code == 403, response.status
        assert error_of(response)["code"] == "bad_signature"
        return response, False
    return response, True


form_types = st.sampled_from([FORM] * 8 + ["application/json", "text/plain"])


@fuzz(50)
@given(body=_form_bodies(S.voice_forms), mode=twilio_modes, content_type=form_types)
@example(  # NUL in a SID that becomes a dedup key: PostgreSQL refused the VARCHAR
    body=urlencode({"CallSid": CALL_SID, "RecordingSid": "RE\x00"}).encode(),
    mode="good",
    content_type=FORM,
)
def test_twilio_voice_webhook(
    app: Flask, client: FlaskClient, body: bytes, mode: str, content_type: str
) -> None:
    before = inbox_count(app)
    response, signed = _twilio_post(app, client, "/inbound/twilio/voice", body, content_type, mode)
    if not signed:
        assert inbox_count(app) == before
        return
    assert_stored(app, before, body, response)
    if response.status_code < 300:
        assert response.mimetype == "text/xml"
        assert response.get_data(as_text=True).startswith("<?xml")
    else:
        assert response.status_code in (415, 422), response.status


@fuzz(40)
@given(body=_form_bodies(S.sms_forms), mode=twilio_modes, content_type=form_types)
def test_twilio_sms_webhook(
    app: Flask, client: FlaskClient, body: bytes, mode: str, content_type: str
) -> None:
    before = inbox_count(app)
    response, signed = _twilio_post(app, client, "/inbound/twilio/sms", body, content_type, mode)
    if not signed:
        assert inbox_count(app) == before
        return
    assert_stored(app, before, body, response, ticket=False)
    if response.status_code < 300:
        assert response.mimetype == "text/xml"
    else:
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_sms"


def _outbox_sms(app: Flask, sid: str | None, recipient: str = "+4791234567") -> None:
    """An SMS the desk sent (``sid``), or handed over without learning its SID (None)."""
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    with sessions_of(app)() as session:
        session.add(
            SmsOutbox(
                recipient=recipient,
                body="KRIT #1",
                status="sent" if sid else "sending",
                provider="twilio",
                provider_sid=sid,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()


@pytest.fixture
def outbox(app: Flask) -> None:
    _outbox_sms(app, S.KNOWN_SMS_SID)
    _outbox_sms(app, None, "+4791234568")


@fuzz(30)
@given(body=_form_bodies(S.status_forms), mode=twilio_modes, content_type=form_types)
def test_twilio_sms_status_webhook(
    app: Flask, client: FlaskClient, outbox: None, body: bytes, mode: str, content_type: str
) -> None:
    before = inbox_count(app)
    response, signed = _twilio_post(
        app, client, "/inbound/twilio/sms-status", body, content_type, mode
    )
    assert inbox_count(app) == before  # a delivery status is no message: not stored
    if signed:
        assert response.status_code in (204, 400), response.status


# ------------------------------------------------------------------ known bugs elsewhere


def _status_post(client: FlaskClient, fields: dict[str, str]) -> TestResponse:
    url = f"{BASE}/inbound/twilio/sms-status"
    headers = {"X-Twilio-Signature": twilio_signed(url, list(fields.items()))}
    return client.post("/inbound/twilio/sms-status", data=fields, headers=headers)


def test_superscript_error_code(client: FlaskClient) -> None:
    response = _status_post(
        client, {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "²"}
    )
    assert_clean(response)


def test_nul_in_sms_webhooks(app: Flask, client: FlaskClient) -> None:
    fields = {"MessageSid": "SM\x00", "From": "+4791234567", "Body": "ACK\x00 1"}
    url = f"{BASE}/inbound/twilio/sms"
    headers = {"X-Twilio-Signature": twilio_signed(url, list(fields.items()))}
    assert_clean(client.post("/inbound/twilio/sms", data=fields, headers=headers))
    assert_clean(_status_post(client, {"MessageSid": "SM\x00", "MessageStatus": "sent"}))


def test_error_code_too_large_for_the_column(app: Flask, client: FlaskClient) -> None:
    _outbox_sms(app, S.KNOWN_SMS_SID)
    fields = {"MessageSid": S.KNOWN_SMS_SID, "MessageStatus": "undelivered", "ErrorCode": "9" * 30}
    assert_clean(_status_post(client, fields))
