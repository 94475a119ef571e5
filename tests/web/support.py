"""Helpers for the web tests: signing, payload builders and database reads.

Signatures are computed here from the documented schemes (HMAC-SHA256 of the raw body;
Twilio's own ``RequestValidator.compute_signature``), not with the app's helpers, so a
change to the app's scheme fails the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from tests.workers.escalation_support import ONCALL
from triage.store.intake_batch import ingest_pending
from triage.store.models import InboxItem, Ticket

OSLO = ZoneInfo("Europe/Oslo")
SECRET = "test-inbound-secret"
TWILIO_TOKEN = "test-twilio-auth-token"
ONCALL_NUMBER = "+4791000000"
MBN_LINE = "+4721000001"  # the test catalog lists it in nettsoft-mbn's addresses
CALLER = "+4799887766"
TWILIO_URL = "http://localhost/inbound/twilio/voice"
CALL_SID = "CA" + "0123456789abcdef" * 2
OTHER_CALL_SID = "CA" + "fedcba9876543210" * 2


def oslo(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(
    client: FlaskClient,
    path: str,
    body: bytes,
    content_type: str,
    *,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    all_headers = {"X-Triage-Signature": signature if signature is not None else sign(body)}
    all_headers.update(headers or {})
    return client.post(path, data=body, content_type=content_type, headers=all_headers)


# ------------------------------------------------------------------ the batch intake


def ingest_all(app: Flask) -> int:
    """Run the batch intake over everything pending, as the intake worker does (the
    ``app`` stores only: ``defer_intake``). Returns how many payloads it took."""
    desk = app.extensions["triage"]
    taken = 0
    while batch := ingest_pending(desk.sessions, desk.catalog, desk.parsers, desk.clock()):
        taken += batch.taken
        if not batch.taken:
            break
    return taken


def get_receipt(client: FlaskClient, receipt: str | int, secret: str = SECRET) -> TestResponse:
    """``GET /inbound/receipts/<id>``, signed as documented: the HMAC of the path."""
    path = f"/inbound/receipts/{receipt}"
    return client.get(path, headers={"X-Triage-Signature": sign(path.encode(), secret)})


@dataclass(frozen=True)
class Taken:
    """What became of one accepted webhook delivery once the batch intake ran: what the
    old synchronous answer said, now read from the receipt and the ticket's events."""

    receipt: int
    state: str
    ticket: int | None
    created: bool  # this delivery opened the ticket
    duplicate: bool  # a delivery of a message already taken: nothing changed
    answer: dict[str, Any]  # the webhook's 202 body


def taken(client: FlaskClient, response: TestResponse) -> Taken:
    """Assert the 202 answer, drive the batch intake, and read what the delivery became."""
    assert response.status_code == 202, response.get_data(as_text=True)
    answer = response.json
    assert answer is not None
    receipt = int(answer["receipt"])
    assert answer["status_url"] == f"/inbound/receipts/{receipt}"
    assert client.application is not None
    ingest_all(client.application)
    status = get_receipt(client, receipt)
    assert status.status_code == 200, status.get_data(as_text=True)
    state = status.json
    assert state is not None
    ticket_id = state["ticket"]
    own_events: list[str] = []
    if ticket_id is not None:
        sessions = client.application.extensions["triage"].sessions
        with sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            own_events = [e.kind for e in ticket.events if e.data.get("inbox_item") == receipt]
    duplicate = bool(answer.get("duplicate")) or (ticket_id is not None and not own_events)
    return Taken(
        receipt=receipt,
        state=state["state"],
        ticket=ticket_id,
        created=not duplicate and "received" in own_events,
        duplicate=duplicate,
        answer=answer,
    )


def ticket_of(client: FlaskClient, response: TestResponse) -> int:
    """The ticket an accepted delivery became (opened, continued or duplicate of)."""
    outcome = taken(client, response)
    assert outcome.ticket is not None, outcome
    return outcome.ticket


# ------------------------------------------------------------------ chat and CTI


def chat_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "conversation_id": "conv-1",
        "message_id": "msg-1",
        "sender": {"name": "Kari Nordmann", "email": "kari@kunde.no"},
        "text": "Sentralbordet svarer ikke, hele bedriften er uten telefon",
        "sent_at": "2026-03-10T08:59:00+01:00",
    }
    payload.update(overrides)
    return payload


def post_chat(client: FlaskClient, payload: dict[str, Any] | bytes, **kwargs: Any) -> TestResponse:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return post_signed(client, "/inbound/chat", body, "application/json", **kwargs)


def post_cti(client: FlaskClient, payload: dict[str, Any], **kwargs: Any) -> TestResponse:
    return post_signed(
        client, "/inbound/cti", json.dumps(payload).encode(), "application/json", **kwargs
    )


# ------------------------------------------------------------------ e-mail


def email_bytes(
    *,
    message_id: str,
    subject: str,
    text: str,
    sender: str = "Kari Nordmann <kari@kunde.no>",
    to: str = "support@desk.example.no",
    date: str = "Tue, 10 Mar 2026 09:10:00 +0100",
    in_reply_to: str | None = None,
    references: str | None = None,
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    lines.append(f"Message-ID: {message_id}")
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += list(extra_headers)
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        text,
    ]
    return "\r\n".join(lines).encode("utf-8")


def post_email(client: FlaskClient, raw: bytes, **kwargs: Any) -> TestResponse:
    return post_signed(client, "/inbound/email", raw, "message/rfc822", **kwargs)


# ------------------------------------------------------------------ Twilio


def twilio_params(**overrides: str) -> dict[str, str]:
    params = {
        "AccountSid": "AC" + "1" * 32,
        "CallSid": CALL_SID,
        "From": CALLER,
        "To": MBN_LINE,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update(overrides)
    return params


def twilio_signature(
    params: dict[str, str], url: str = TWILIO_URL, token: str = TWILIO_TOKEN
) -> str:
    """What Twilio sends in X-Twilio-Signature, from the library's own algorithm."""
    return str(RequestValidator(token).compute_signature(url, params))


def post_twilio(
    client: FlaskClient,
    params: dict[str, str],
    *,
    signed_url: str = TWILIO_URL,
    token: str = TWILIO_TOKEN,
    headers: dict[str, str] | None = None,
    signature: str | None = None,
) -> TestResponse:
    computed = twilio_signature(params, signed_url, token)
    all_headers = {"X-Twilio-Signature": signature if signature is not None else computed}
    all_headers.update(headers or {})
    return client.post("/inbound/twilio/voice", data=params, headers=all_headers)


# ------------------------------------------------------------------ reading back


def tickets(sessions: sessionmaker[Session]) -> list[Ticket]:
    with sessions() as session:
        query = select(Ticket).order_by(Ticket.id).options(selectinload(Ticket.events))
        return list(session.scalars(query))


def inbox(sessions: sessionmaker[Session]) -> list[InboxItem]:
    with sessions() as session:
        return list(session.scalars(select(InboxItem).order_by(InboxItem.id)))


def kinds(ticket: Ticket) -> list[str]:
    return [event.kind for event in ticket.events]


def event(ticket: Ticket, kind: str) -> dict[str, Any]:
    """The data of the ticket's last event of ``kind``."""
    found = [e for e in ticket.events if e.kind == kind]
    assert found, f"no {kind!r} event in {kinds(ticket)}"
    return dict(found[-1].data)


# ------------------------------------------------------------------ Twilio SMS webhooks

DESK_NUMBER = "+4759440000"
ACCOUNT = "AC" + "1" * 32


def message_sid(n: int) -> str:
    return f"SM{n:032x}"


def sms_params(
    body: str, sender: str = ONCALL[1], sid: str = message_sid(1), **extra: str
) -> dict[str, str]:
    """The form Twilio posts for an SMS to the desk's number (from Kari by default)."""
    params = {
        "AccountSid": ACCOUNT,
        "MessageSid": sid,
        "SmsSid": sid,
        "From": sender,
        "To": DESK_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params
