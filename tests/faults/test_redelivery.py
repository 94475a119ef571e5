"""Fault: the same e-mail, chat message, call and SMS delivered twice, at the same moment,
and out of order.

Senders retry webhooks they think failed, and relays deliver late: the desk must make one
ticket per message whatever the number and order of deliveries, and act on a staff SMS
once. Concurrent deliveries go through the real app from several threads (each its own
test client, released together by a barrier), on SQLite and PostgreSQL. Every test ends
with the invariant check over every payload the desk answered 2xx.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload, sessionmaker
from werkzeug.test import TestResponse

from config.catalog import Catalog
from tests.faults.invariants import Accepted, assert_nothing_lost
from tests.faults.support import wait_for
from tests.web.conftest import Clock
from tests.web.conftest import app as web_app
from tests.web.conftest import app_env as web_app_env
from tests.web.conftest import clock as web_clock
from tests.web.conftest import defer_intake as web_defer_intake
from tests.web.support import (
    CALL_SID,
    email_bytes,
    get_receipt,
    oslo,
    sign,
    sms_params,
    twilio_params,
    twilio_signature,
)
from tests.workers.escalation_support import ONCALL, new_ticket, roster
from triage.store.escalations import fire_due
from triage.store.models import SmsInbound, SmsOutbox, Ticket
from triage.store.roster import load_roster
from triage.store.sms_outbox import claim, compose, mark_sent
from workers.channels.payloads import parsers

DELIVERIES = 6  # concurrent copies of one payload
KARI = ONCALL[1]
VPS_ACCESS = "nettsoft-vps-access"
RECORDING = {
    "RecordingSid": "RE" + "a" * 32,
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32,
    "RecordingDuration": "14",
}


# The web tests' app and clock, on this package's catalog (tests/faults/conftest.py).
app, app_env, clock = web_app, web_app_env, web_clock
defer_intake = web_defer_intake  # inline: a web app without Redis


# ------------------------------------------------------------------ one delivery


@dataclass(frozen=True)
class Delivery:
    """One webhook call: where, the exact body, its content type and how it is signed."""

    channel: str  # inbox channel
    path: str
    body: bytes
    content_type: str
    headers: dict[str, str]

    def post(self, client: FlaskClient) -> TestResponse:
        return client.post(
            self.path, data=self.body, content_type=self.content_type, headers=self.headers
        )


def email(raw: bytes) -> Delivery:
    return Delivery(
        "email", "/inbound/email", raw, "message/rfc822", {"X-Triage-Signature": sign(raw)}
    )


def chat(**fields: Any) -> Delivery:
    body = json.dumps(
        {
            "conversation_id": "conv-1",
            "message_id": "msg-1",
            "sender": {"name": "Kari Nordmann", "email": "kari@kunde.no"},
            "text": "Sentralbordet svarer ikke, hele bedriften er uten telefon",
            "sent_at": "2026-03-10T08:59:00+01:00",
            **fields,
        }
    ).encode()
    return Delivery(
        "chat", "/inbound/chat", body, "application/json", {"X-Triage-Signature": sign(body)}
    )


def _form(channel: str, path: str, params: dict[str, str]) -> Delivery:
    url = f"http://localhost{path}"
    return Delivery(
        channel,
        path,
        urlencode(params).encode(),
        "application/x-www-form-urlencoded",
        {"X-Twilio-Signature": twilio_signature(params, url)},
    )


def voice(**overrides: str) -> Delivery:
    return _form("twilio", "/inbound/twilio/voice", twilio_params(**overrides))


def sms(body: str, sid: str) -> Delivery:
    return _form("sms", "/inbound/twilio/sms", sms_params(body, sid=sid))


class Desk:
    """Posts deliveries and keeps what was accepted, for the invariant check."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.accepted: list[Accepted] = []
        self._lock = threading.Lock()

    def deliver(self, delivery: Delivery, client: FlaskClient | None = None) -> TestResponse:
        response = delivery.post(client or self.app.test_client())
        assert response.status_code < 300, (response.status_code, response.get_data(as_text=True))
        with self._lock:
            self.accepted.append(
                Accepted(delivery.channel, delivery.body, _ticket_of(response, self.app))
            )
        return response

    def at_once(self, delivery: Delivery, copies: int = DELIVERIES) -> list[TestResponse]:
        """``copies`` deliveries released together, one thread and client each."""
        barrier = threading.Barrier(copies)
        clients = [self.app.test_client() for _ in range(copies)]

        def one(client: FlaskClient) -> TestResponse:
            barrier.wait()
            return self.deliver(delivery, client)

        with ThreadPoolExecutor(copies) as pool:
            return list(pool.map(one, clients))

    def check(self, sessions: sessionmaker[Session], clock: Clock) -> Any:
        return assert_nothing_lost(
            sessions,
            accepted=self.accepted,
            now=clock.now,
            parsers=parsers(self.app.extensions["triage"].settings),
        )


def _ticket_of(response: TestResponse, app: Flask) -> int | None:
    if response.mimetype == "application/json":  # 202 + receipt: what became of it
        state = get_receipt(app.test_client(), response.json["receipt"]).json  # type: ignore[index]
        return None if state is None else state["ticket"]  # a copy of one still pending: None
    if response.mimetype == "text/xml":  # the call's TwiML speaks the number digit by digit
        said = " ".join(e.text or "" for e in ET.fromstring(response.data).iter("Say"))
        found = re.search(r"nummer ((?:\d )*\d)", said)
        return int(found.group(1).replace(" ", "")) if found else None
    return None


def _tickets(sessions: sessionmaker[Session]) -> list[Ticket]:
    with sessions() as session:
        query = select(Ticket).order_by(Ticket.id).options(selectinload(Ticket.events))
        return list(session.scalars(query))


def _kinds(ticket: Ticket) -> list[str]:
    return [e.kind for e in ticket.events]


# ------------------------------------------------------------------ twice, at the same moment

SAME_MOMENT: dict[str, Callable[[], Delivery]] = {
    "email": lambda: email(
        email_bytes(
            message_id="<orig.1@kunde.no>", subject="MBN nede", text="Sentralbordet er nede"
        )
    ),
    "chat": chat,
    "call": voice,
}


@pytest.mark.parametrize("kind", list(SAME_MOMENT))
def test_one_message_delivered_many_times_at_once_is_one_ticket(
    app: Flask, sessions: sessionmaker[Session], clock: Clock, kind: str
) -> None:
    desk = Desk(app)
    responses = desk.at_once(SAME_MOMENT[kind]())

    [ticket] = _tickets(sessions)
    assert {a.ticket_id for a in desk.accepted} - {None} == {ticket.id}
    if kind != "call":  # JSON answers: accepted, each copy's receipt leads to the ticket
        assert [r.status_code for r in responses] == [202] * DELIVERIES
        client = app.test_client()
        for response in responses:
            receipt = get_receipt(client, response.json["receipt"]).json  # type: ignore[index]
            assert receipt == {"state": "ticket", "ticket": ticket.id, "error": None}
    kinds = _kinds(ticket)
    assert kinds.count("received") == 1
    assert not {"message", "call"} & set(kinds), kinds  # a redelivery adds nothing
    report = desk.check(sessions, clock)
    assert report.inbox_items == DELIVERIES  # every copy kept, all pointing at the ticket


def _page_kari(sessions: sessionmaker[Session], catalog: Catalog, clock: Clock) -> int:
    """A critical ticket whose "received" point paged Kari by an SMS Twilio accepted."""
    roster(sessions, clock.now)
    ticket_id = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now)
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], clock.now)
        assert fire_due(session, on_call, clock.now, [(ticket_id, "received")]).fired == 1
        composed = compose(session, catalog, KARI, clock.now, timedelta(seconds=60))
        assert composed.outbox_id is not None
        mark_sent(session, composed.outbox_id, "twilio", "SM" + "a" * 32, clock.now)
    clock.now += timedelta(minutes=2)
    return ticket_id


def test_one_staff_sms_delivered_many_times_at_once_is_taken_once(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = _page_kari(sessions, catalog, clock)
    desk = Desk(app)
    responses = desk.at_once(sms(f"ACK {ticket_id}", "SM" + "1" * 32))

    replies = [[m.text for m in ET.fromstring(r.data).iter("Message")] for r in responses]
    with sessions() as session:
        [row] = session.scalars(select(SmsInbound)).all()
    assert row.outcome == "ack"
    assert [row.reply] in replies  # at least one copy was answered with the receipt
    assert all(r in ([], [row.reply]) for r in replies), replies
    [ticket] = _tickets(sessions)
    assert "acknowledged" in _kinds(ticket)
    desk.check(sessions, clock)
    # How often it *acted* is left to the next test: with free-running threads the
    # duplicate handling described there shows up in most runs, but not all.


def test_a_staff_sms_redelivered_while_the_first_is_handled_acts_once(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock, database_url: str
) -> None:
    """Deterministic form of the race above, on PostgreSQL: an agent's transaction holds
    the ticket's row (as ``record_response`` does, FOR UPDATE) while Twilio's first
    delivery is inside the handling and its retry arrives; then the lock goes."""
    if database_url.startswith("sqlite"):
        pytest.skip("row locks (FOR UPDATE) are PostgreSQL's; SQLite serialises writers")
    ticket_id = _page_kari(sessions, catalog, clock)
    desk = Desk(app)
    delivery = sms(f"ACK {ticket_id}", "SM" + "2" * 32)
    engine = app.extensions["triage"].sessions.kw["bind"]

    def waiting_on_locks() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            )

    results: list[TestResponse] = []
    threads = [
        threading.Thread(target=lambda: results.append(desk.deliver(delivery))) for _ in "ab"
    ]
    with engine.connect() as agent:
        agent.execute(text("SELECT id FROM tickets WHERE id = :id FOR UPDATE"), {"id": ticket_id})
        threads[0].start()
        wait_for(lambda: waiting_on_locks() >= 1, 10, "the first delivery to reach the ticket")
        threads[1].start()
        with contextlib.suppress(AssertionError):  # a fixed desk never lets it get this far
            wait_for(lambda: waiting_on_locks() >= 2, 3, "the second delivery to wait too")
        agent.rollback()
    for thread in threads:
        thread.join(10)

    replies = [[m.text for m in ET.fromstring(r.data).iter("Message")] for r in results]
    [ticket] = _tickets(sessions)
    kinds = _kinds(ticket)
    assert len(results) == 2
    assert (kinds.count("sms_received"), kinds.count("acknowledged")) == (1, 1), kinds
    assert sum(1 for r in replies if r) == 1, replies  # one receipt for one SMS


# ------------------------------------------------------------------ out of order


def test_a_chat_reply_before_the_original_and_both_again_is_one_ticket(
    app: Flask, sessions: sessionmaker[Session], clock: Clock
) -> None:
    desk = Desk(app)
    original = chat(message_id="msg-1", text="MBN: sentralbordet er nede")
    follow_up = chat(message_id="msg-2", text="Er det noen som ser på dette?")
    first = desk.deliver(follow_up)
    clock.now += timedelta(seconds=5)
    second = desk.deliver(original)
    desk.at_once(follow_up, 3)
    desk.at_once(original, 3)

    assert (first.status_code, second.status_code) == (202, 202)
    [ticket] = _tickets(sessions)
    assert desk.accepted[0].ticket_id == desk.accepted[1].ticket_id == ticket.id
    assert _kinds(ticket).count("received") == 1
    assert _kinds(ticket).count("message") == 1  # the original, continuing; no duplicates
    desk.check(sessions, clock)


def test_call_callbacks_before_the_call_and_again_are_one_ticket(
    app: Flask, sessions: sessionmaker[Session], clock: Clock
) -> None:
    """Twilio's status callback and the voicemail's recording callback overtake the call
    webhook (a slow first request); then everything is delivered again, twice at once."""
    desk = Desk(app)
    status = voice(CallStatus="completed")
    recording = voice(CallStatus="in-progress", **RECORDING)
    call = voice()
    for delivery in (status, recording, call):
        desk.deliver(delivery)
        clock.now += timedelta(seconds=10)
    for delivery in (call, recording, status):
        desk.at_once(delivery, 2)

    [ticket] = _tickets(sessions)
    kinds = _kinds(ticket)
    assert kinds.count("received") == 1
    assert (kinds.count("call_status"), kinds.count("recording"), kinds.count("call")) == (1, 1, 1)
    assert {a.ticket_id for a in desk.accepted if a.ticket_id is not None} == {ticket.id}
    assert ticket.received_at == oslo(2026, 3, 10, 9, 15)  # the first delivery's receipt
    report = desk.check(sessions, clock)
    assert report.inbox_items == 9
    with sessions() as session:
        [key] = {t.requester_phone for t in session.scalars(select(Ticket))}
        assert key == "+4799887766"
    assert CALL_SID in json.dumps([e.data for e in ticket.events])


def test_an_email_reply_before_its_original_is_one_ticket(
    app: Flask, sessions: sessionmaker[Session], clock: Clock
) -> None:
    desk = Desk(app)
    original = email(
        email_bytes(
            message_id="<orig.1@kunde.no>", subject="MBN nede", text="Sentralbordet er nede"
        )
    )
    reply = email(
        email_bytes(
            message_id="<reply.2@kunde.no>",
            subject="Re: MBN nede",
            text="Fortsatt nede, noen som ser på det?",
            in_reply_to="<orig.1@kunde.no>",
            references="<orig.1@kunde.no>",
        )
    )
    desk.deliver(reply)  # the relay held the original back
    clock.now += timedelta(minutes=3)
    desk.deliver(original)
    desk.at_once(original, 2)
    desk.at_once(reply, 2)
    desk.check(sessions, clock)  # nothing lost either way ...
    assert len(_tickets(sessions)) == 1  # ... but one conversation should be one ticket


def test_a_delivery_report_that_overtakes_the_send_answer_is_not_lost(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    roster(sessions, clock.now)
    ticket_id = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now)
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], clock.now)
        fire_due(session, on_call, clock.now, [(ticket_id, "received")])
        outbox_id = compose(session, catalog, KARI, clock.now, timedelta(seconds=60)).outbox_id
        assert outbox_id is not None
        assert claim(session, outbox_id, clock.now, timedelta(seconds=1)) is not None
    sid = "SM" + "c" * 32  # Twilio took it; its answer to the desk is still on the way
    report = {
        "AccountSid": "AC" + "1" * 32,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "undelivered",
        "SmsStatus": "undelivered",
        "ErrorCode": "30005",
        "To": KARI,
        "From": "+4759440000",
        "ApiVersion": "2010-04-01",
    }
    status = _form("sms-status", "/inbound/twilio/sms-status", report).post(app.test_client())
    assert status.status_code == 204
    clock.now += timedelta(minutes=3)
    with sessions() as session:  # the reconcile finds the SID at Twilio and records it
        mark_sent(session, outbox_id, "twilio", sid, clock.now)
    with sessions() as session:
        row = session.get(SmsOutbox, outbox_id)
        assert row is not None
        assert (row.status, row.error_code) == ("undelivered", 30005)
