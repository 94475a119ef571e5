"""POST /inbound/twilio/sms and /inbound/twilio/sms-status: on-call staff answering pages
by SMS, and Twilio's delivery reports for the pages the desk sent (SQLite and PostgreSQL).

The set-up is what the pager does: Kari (level 1) and Mette (level 2) on the roster, a
critical VPS-Access fault received at the test clock's "now" (Tuesday 2026-03-10 09:15
Oslo), which on the "immediate" ladder has the points received (level 1, 09:15), due
(level 1, 09:30) and overdue (level 2, 09:45). The "received" point is fired with
``fire_due`` and composed into one SMS to Kari that Twilio accepted (``mark_sent``), so
her number has a "last SMS" for a bare ACK.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from werkzeug.test import TestResponse

from config.catalog import Catalog
from tests.web.conftest import Clock
from tests.web.support import (
    ACCOUNT,
    DESK_NUMBER,
    TWILIO_TOKEN,
    message_sid,
    sms_params,
    twilio_signature,
)
from tests.workers.escalation_support import MANAGER, ONCALL, new_ticket, roster
from triage.store.escalations import fire_due
from triage.store.models import (
    EscalationPoint,
    InboxItem,
    SmsInbound,
    SmsOutbox,
    Ticket,
    TicketEvent,
)
from triage.store.roster import load_roster
from triage.store.sms_outbox import compose, mark_sent

VPS_ACCESS = "nettsoft-vps-access"
KARI = ONCALL[1]
METTE = MANAGER[1]
STRANGER = "+4799887766"
SMS_URL = "http://localhost/inbound/twilio/sms"
STATUS_URL = "http://localhost/inbound/twilio/sms-status"
WINDOW = timedelta(seconds=60)


# ------------------------------------------------------------------ set-up helpers


@dataclass
class Paged:
    """What the pager left: the tickets Kari was paged about and the SMS she got."""

    ticket_ids: list[int]
    outbox_id: int
    provider_sid: str
    body: str


def page_kari(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    now: datetime,
    *subjects: str,
    sid: str = "SM" + "a" * 32,
) -> Paged:
    """One critical VPS-Access ticket per subject, each "received" point fired, all
    composed into one SMS to Kari that Twilio accepted."""
    ids = [
        new_ticket(sessions, catalog, VPS_ACCESS, now, now, subject=subject)
        for subject in subjects or ("Adgangskontroll nede",)
    ]
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], now)
        fired = fire_due(session, on_call, now, [(i, "received") for i in ids])
        assert fired.fired == len(ids) and fired.recipients == {KARI}
        composed = compose(session, catalog, KARI, now, WINDOW)
        assert composed.outbox_id is not None
        mark_sent(session, composed.outbox_id, "twilio", sid, now)
        sms = session.get(SmsOutbox, composed.outbox_id)
        assert sms is not None and sorted(sms.ticket_ids) == sorted(ids)
        return Paged(ids, composed.outbox_id, sid, sms.body)


@pytest.fixture
def paged(sessions: sessionmaker[Session], catalog: Catalog, clock: Clock) -> Paged:
    roster(sessions, clock.now)
    paged = page_kari(sessions, catalog, clock.now)
    clock.now += timedelta(minutes=2)  # Kari answers two minutes later
    return paged


def post_form(
    client: FlaskClient,
    path: str,
    signed_url: str,
    params: dict[str, str],
    *,
    signature: str | None = None,
    token: str = TWILIO_TOKEN,
) -> TestResponse:
    headers = {}
    if signature != "":
        headers["X-Twilio-Signature"] = (
            signature if signature is not None else twilio_signature(params, signed_url, token)
        )
    return client.post(path, data=params, headers=headers)


def post_sms(client: FlaskClient, params: dict[str, str], **kwargs: Any) -> TestResponse:
    return post_form(client, "/inbound/twilio/sms", SMS_URL, params, **kwargs)


def post_status(client: FlaskClient, params: dict[str, str], **kwargs: Any) -> TestResponse:
    return post_form(client, "/inbound/twilio/sms-status", STATUS_URL, params, **kwargs)


def status_params(sid: str, status: str, **extra: str) -> dict[str, str]:
    params = {
        "AccountSid": ACCOUNT,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": KARI,
        "From": DESK_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def twiml_messages(response: TestResponse) -> list[str]:
    """The texts of the TwiML answer's <Message> elements (none for an empty answer)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return [child.text or "" for child in root]


def reply_of(response: TestResponse) -> str:
    [text] = twiml_messages(response)
    return text


# ------------------------------------------------------------------ reading back


def points(sessions: sessionmaker[Session], ticket_id: int) -> dict[str, str]:
    with sessions() as session:
        rows = session.scalars(
            select(EscalationPoint).where(EscalationPoint.ticket_id == ticket_id)
        )
        return {row.point: row.status for row in rows}


def ticket(sessions: sessionmaker[Session], ticket_id: int) -> Ticket:
    with sessions() as session:
        found = session.scalars(
            select(Ticket).where(Ticket.id == ticket_id).options(selectinload(Ticket.events))
        ).one()
        session.expunge_all()
        return found


def events(sessions: sessionmaker[Session], ticket_id: int, kind: str) -> list[TicketEvent]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
                .order_by(TicketEvent.id)
            )
        )


def all_events(sessions: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.actor).order_by(
                TicketEvent.id
            )
        )
        return [(int(t), str(k), str(a)) for t, k, a in rows]


def inbox_items(sessions: sessionmaker[Session]) -> list[InboxItem]:
    with sessions() as session:
        return list(session.scalars(select(InboxItem).order_by(InboxItem.id)))


def inbound_rows(sessions: sessionmaker[Session]) -> list[SmsInbound]:
    with sessions() as session:
        return list(session.scalars(select(SmsInbound).order_by(SmsInbound.id)))


def outbox(sessions: sessionmaker[Session], outbox_id: int) -> SmsOutbox:
    with sessions() as session:
        row = session.get(SmsOutbox, outbox_id)
        assert row is not None
        return row


def all_points(sessions: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(
                EscalationPoint.ticket_id, EscalationPoint.point, EscalationPoint.status
            ).order_by(EscalationPoint.id)
        )
        return [(int(t), str(p), str(s)) for t, p, s in rows]


def responded(sessions: sessionmaker[Session]) -> list[tuple[int, datetime | None]]:
    with sessions() as session:
        return [(t.id, t.responded_at) for t in session.scalars(select(Ticket).order_by(Ticket.id))]


def state(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Everything an SMS could change: points, events, responses."""
    return all_points(sessions), all_events(sessions), responded(sessions)


# ------------------------------------------------------------------ ACK


def test_ack_n_acknowledges_level_1_and_level_2_keeps_paging(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    [ticket_id] = paged.ticket_ids
    assert points(sessions, ticket_id) == {
        "received": "fired",
        "due": "pending",
        "overdue": "pending",
    }

    response = post_sms(client, sms_params(f"ACK {ticket_id}"))

    assert reply_of(response) == f"Kvittert: #{ticket_id}"
    assert points(sessions, ticket_id) == {
        "received": "fired",  # history stays as it was
        "due": "acknowledged",
        "overdue": "pending",  # the manager is still paged if nobody starts
    }
    [received] = events(sessions, ticket_id, "sms_received")
    assert received.actor == ONCALL[0]
    assert received.at == clock.now
    assert received.data["text"] == f"ACK {ticket_id}"
    assert received.data["from"] == "+47******01"
    [ack] = events(sessions, ticket_id, "acknowledged")
    assert ack.actor == ONCALL[0]
    assert ack.data["levels"] == [1]
    assert ack.data["stopped"] == 1
    assert ticket(sessions, ticket_id).responded_at is None  # an ACK is not the response

    [item] = inbox_items(sessions)
    assert item.channel == "sms"
    assert item.status == "processed"
    assert item.content_type.startswith("application/x-www-form-urlencoded")
    assert b"ACK+" in item.payload or b"ACK%20" in item.payload
    assert b"MessageSid=" + message_sid(1).encode() in item.payload
    [inbound] = inbound_rows(sessions)
    assert (inbound.provider_sid, inbound.sender, inbound.outcome) == (
        message_sid(1),
        KARI,
        "ack",
    )


@pytest.mark.parametrize("text", ["ack", "Ack.", "ok", " ACK "])
def test_a_bare_ack_acknowledges_every_ticket_of_the_last_sms(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    clock: Clock,
    text: str,
) -> None:
    roster(sessions, clock.now)
    earlier = page_kari(sessions, catalog, clock.now, "Gammel sak", sid="SM" + "0" * 32)
    clock.now += WINDOW  # the next SMS to Kari may go out
    last = page_kari(
        sessions, catalog, clock.now, "Dørene låser ikke", "Kortleser død", sid="SM" + "b" * 32
    )
    assert len(last.ticket_ids) == 2 and last.body.startswith("2 saker")
    clock.now += timedelta(minutes=1)

    response = post_sms(client, sms_params(text))

    reply = reply_of(response)
    assert reply.startswith("Kvittert: ")
    for ticket_id in last.ticket_ids:
        assert f"#{ticket_id}" in reply
        assert points(sessions, ticket_id)["due"] == "acknowledged"
        assert points(sessions, ticket_id)["overdue"] == "pending"
        assert len(events(sessions, ticket_id, "acknowledged")) == 1
        assert len(events(sessions, ticket_id, "sms_received")) == 1
    # the ticket of the SMS before is not in the last one: it keeps paging
    [older] = earlier.ticket_ids
    assert f"#{older}" not in reply
    assert points(sessions, older)["due"] == "pending"
    assert events(sessions, older, "acknowledged") == []


def test_an_ack_from_the_manager_stops_her_level_only(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    paged: Paged,
    clock: Clock,
) -> None:
    [ticket_id] = paged.ticket_ids
    clock.now += timedelta(minutes=45)  # past "overdue"; "due" not fired yet (a slow worker)
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], clock.now)
        fired = fire_due(session, on_call, clock.now, [(ticket_id, "overdue")])
        assert fired.recipients == {METTE}

    response = post_sms(client, sms_params(f"ACK {ticket_id}", sender=METTE))

    assert reply_of(response) == f"Kvittert: #{ticket_id}"
    [ack] = events(sessions, ticket_id, "acknowledged")
    assert ack.actor == MANAGER[0]
    assert ack.data["levels"] == [2]
    assert points(sessions, ticket_id)["due"] == "pending"  # level 1 was not hers to stop

    reply_of(post_sms(client, sms_params(f"ACK {ticket_id}", sid=message_sid(2))))
    assert points(sessions, ticket_id)["due"] == "acknowledged"
    assert [e.data["levels"] for e in events(sessions, ticket_id, "acknowledged")] == [[2], [1]]


# ------------------------------------------------------------------ START


def test_start_n_is_the_response_and_cancels_every_pending_point(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    [ticket_id] = paged.ticket_ids

    response = post_sms(client, sms_params(f"START {ticket_id}"))

    reply = reply_of(response)
    assert reply.startswith(f"Startet: #{ticket_id}")
    answered = ticket(sessions, ticket_id)
    assert answered.responded_at == clock.now
    [started] = [e for e in answered.events if e.kind == "response_started"]
    assert started.actor == ONCALL[0]
    assert started.at == clock.now
    assert points(sessions, ticket_id) == {
        "received": "fired",
        "due": "cancelled",
        "overdue": "cancelled",
    }
    assert len(events(sessions, ticket_id, "sms_received")) == 1
    [inbound] = inbound_rows(sessions)
    assert inbound.outcome == "start"


def test_start_for_an_answered_ticket_is_refused_and_changes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    [ticket_id] = paged.ticket_ids
    first = reply_of(post_sms(client, sms_params(f"START {ticket_id}", sid=message_sid(1))))
    assert first.startswith("Startet:")
    answered_at = clock.now
    before = points(sessions, ticket_id)
    clock.now += timedelta(minutes=3)

    second = post_sms(client, sms_params(f"START {ticket_id}", sid=message_sid(2)))

    refusal = reply_of(second)
    assert refusal.startswith(f"#{ticket_id}: ")
    assert "Startet" not in refusal
    assert len(refusal) <= 160
    assert ticket(sessions, ticket_id).responded_at == answered_at
    assert len(events(sessions, ticket_id, "response_started")) == 1
    assert points(sessions, ticket_id) == before
    assert [r.outcome for r in inbound_rows(sessions)] == ["start", "start refused"]


def test_start_for_several_tickets_at_once_is_not_understood(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    before = state(sessions)
    [ticket_id] = paged.ticket_ids
    reply = reply_of(post_sms(client, sms_params(f"START {ticket_id} {ticket_id + 1}")))
    assert reply.startswith("Svar ACK n")
    assert state(sessions) == before


# ------------------------------------------------------------------ help, nonsense, unknown


@pytest.mark.parametrize("text", ["HJELP", "help", "?", "hva betyr dette", "ACK tolv", ""])
def test_help_and_gibberish_get_the_help_text_and_change_nothing(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, text: str
) -> None:
    before = state(sessions)

    reply = reply_of(post_sms(client, sms_params(text)))

    assert reply.startswith("Svar ACK n for å kvittere sak n")
    assert "START n" in reply and "HJELP" in reply
    assert state(sessions) == before


def test_an_unknown_ticket_id_is_named_in_the_reply_and_changes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    [ticket_id] = paged.ticket_ids
    missing = ticket_id + 1000
    before = state(sessions)

    ack = reply_of(post_sms(client, sms_params(f"ACK {ticket_id} {missing}", sid=message_sid(1))))
    start = reply_of(post_sms(client, sms_params(f"START {missing}", sid=message_sid(2))))

    assert ack == f"Finner ingen åpen sak #{missing}. Svar HJELP for bruk."
    assert start == ack
    # all or nothing: the known ticket of the same ACK is not acknowledged either
    assert state(sessions) == before
    assert [r.outcome for r in inbound_rows(sessions)] == ["unknown ticket", "unknown ticket"]


def test_an_unknown_sender_gets_an_empty_answer_and_is_logged_masked(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [ticket_id] = paged.ticket_ids
    before = state(sessions)

    with caplog.at_level(logging.DEBUG):
        response = post_sms(client, sms_params(f"START {ticket_id}", sender=STRANGER))

    assert response.status_code == 200
    assert twiml_messages(response) == []
    assert state(sessions) == before
    assert ticket(sessions, ticket_id).responded_at is None
    [line] = [r.getMessage() for r in caplog.records if "unknown number" in r.getMessage()]
    assert "+47******66" in line
    assert STRANGER not in caplog.text
    assert STRANGER[3:] not in caplog.text  # not even without the country code
    [inbound] = inbound_rows(sessions)
    assert (inbound.outcome, inbound.reply, inbound.staff_id) == ("unknown sender", None, None)


def test_the_log_of_a_staff_sms_names_neither_number_nor_text(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [ticket_id] = paged.ticket_ids
    with caplog.at_level(logging.DEBUG):
        reply_of(post_sms(client, sms_params(f"ACK {ticket_id} hemmelig")))
        reply_of(post_sms(client, sms_params(f"ACK {ticket_id}", sid=message_sid(2))))
    assert KARI not in caplog.text and KARI[3:] not in caplog.text
    assert "hemmelig" not in caplog.text


# ------------------------------------------------------------------ Twilio retries


def test_the_same_message_sid_twice_gets_the_same_answer_and_acts_once(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    [ticket_id] = paged.ticket_ids
    params = sms_params(f"ACK {ticket_id}")

    first = reply_of(post_sms(client, params))
    clock.now += timedelta(seconds=15)
    second = reply_of(post_sms(client, params))

    assert first == second == f"Kvittert: #{ticket_id}"
    assert len(events(sessions, ticket_id, "acknowledged")) == 1
    assert len(events(sessions, ticket_id, "sms_received")) == 1
    assert len(inbound_rows(sessions)) == 1
    assert [item.channel for item in inbox_items(sessions)] == ["sms", "sms"]  # raw kept


@pytest.mark.parametrize(
    ("claimed_ago", "redone"),
    [(timedelta(seconds=20), False), (timedelta(minutes=3), True)],
    ids=["still-handled", "died-half-way"],
)
def test_a_claimed_sid_is_redone_only_when_its_first_delivery_died(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    clock: Clock,
    claimed_ago: timedelta,
    redone: bool,
) -> None:
    [ticket_id] = paged.ticket_ids
    params = sms_params(f"ACK {ticket_id}")
    with sessions() as session:  # the first delivery claimed the SID, then nothing more
        session.add(
            SmsInbound(
                provider_sid=params["MessageSid"],
                sender=KARI,
                body=params["Body"],
                outcome="handling",
                received_at=clock.now - claimed_ago,
            )
        )
        session.commit()

    answer = twiml_messages(post_sms(client, params))
    again = twiml_messages(post_sms(client, params))

    assert answer == ([f"Kvittert: #{ticket_id}"] if redone else [])
    assert again == answer  # a later copy: the recorded answer, or still nothing
    assert len(events(sessions, ticket_id, "acknowledged")) == (1 if redone else 0)
    [row] = inbound_rows(sessions)
    assert row.outcome == ("ack" if redone else "handling")


def test_a_repeated_start_sid_is_not_refused_the_second_time(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    [ticket_id] = paged.ticket_ids
    params = sms_params(f"START {ticket_id}")
    first = reply_of(post_sms(client, params))
    second = reply_of(post_sms(client, params))
    assert first == second
    assert first.startswith("Startet:")
    assert len(events(sessions, ticket_id, "response_started")) == 1


# ------------------------------------------------------------------ authentication, bad input


@pytest.mark.parametrize(
    ("signature", "signed_url", "token"),
    [
        pytest.param("", SMS_URL, TWILIO_TOKEN, id="missing"),
        pytest.param("bm9wZQ==", SMS_URL, TWILIO_TOKEN, id="garbage"),
        pytest.param(None, SMS_URL, "another-token", id="wrong-token"),
        pytest.param(None, STATUS_URL, TWILIO_TOKEN, id="other-url"),
    ],
)
def test_an_unsigned_or_badly_signed_sms_is_403_and_not_stored(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    signature: str | None,
    signed_url: str,
    token: str,
) -> None:
    [ticket_id] = paged.ticket_ids
    before = state(sessions)
    params = sms_params(f"START {ticket_id}")

    response = post_form(
        client, "/inbound/twilio/sms", signed_url, params, signature=signature, token=token
    )

    assert response.status_code == 403
    assert response.mimetype == "application/json"
    assert inbox_items(sessions) == []
    assert inbound_rows(sessions) == []
    assert state(sessions) == before


def test_a_tampered_body_is_403(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    [ticket_id] = paged.ticket_ids
    signed = sms_params(f"ACK {ticket_id}")
    sent = {**signed, "Body": f"START {ticket_id}"}
    response = post_form(
        client,
        "/inbound/twilio/sms",
        SMS_URL,
        sent,
        signature=twilio_signature(signed, SMS_URL),
    )
    assert response.status_code == 403
    assert inbox_items(sessions) == []
    assert ticket(sessions, ticket_id).responded_at is None


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        pytest.param(("MessageSid", "SmsSid"), {"MessageSid"}, id="no-sid"),
        pytest.param(("From",), {"From"}, id="no-from"),
        pytest.param(("MessageSid", "SmsSid", "From"), {"MessageSid", "From"}, id="neither"),
    ],
)
def test_a_signed_sms_without_sid_or_sender_is_400_and_quarantined(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    dropped: tuple[str, ...],
    named: set[str],
) -> None:
    [ticket_id] = paged.ticket_ids
    before = state(sessions)
    params = {k: v for k, v in sms_params(f"ACK {ticket_id}").items() if k not in dropped}

    response = post_sms(client, params)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]["code"] == "invalid_sms"
    assert set(body["error"]["fields"]) == named
    [item] = inbox_items(sessions)
    assert (item.channel, item.status) == ("sms", "quarantined")
    assert item.error and "MessageSid" in item.error
    assert inbound_rows(sessions) == []
    assert state(sessions) == before


# ------------------------------------------------------------------ delivery status callbacks


def test_delivered_marks_the_sms_and_tells_each_ticket(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    [ticket_id] = paged.ticket_ids
    clock.now += timedelta(seconds=5)

    response = post_status(client, status_params(paged.provider_sid, "delivered"))

    assert response.status_code == 204
    assert response.data == b""
    row = outbox(sessions, paged.outbox_id)
    assert row.status == "delivered"
    assert row.delivered_at == clock.now
    assert row.error_code is None
    [delivered] = events(sessions, ticket_id, "sms_delivered")
    assert delivered.data["outbox_id"] == paged.outbox_id
    assert delivered.data["to"] == "+47******01"

    # Twilio repeats itself, and a late "sent" arrives after "delivered": no change
    delivered_at = row.delivered_at
    clock.now += timedelta(seconds=5)
    for late in ("delivered", "sent", "queued"):
        assert post_status(client, status_params(paged.provider_sid, late)).status_code == 204
    row = outbox(sessions, paged.outbox_id)
    assert (row.status, row.delivered_at) == ("delivered", delivered_at)
    assert len(events(sessions, ticket_id, "sms_delivered")) == 1


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_undelivered_keeps_twilios_error_code(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    clock: Clock,
    status: str,
) -> None:
    [ticket_id] = paged.ticket_ids

    response = post_status(client, status_params(paged.provider_sid, status, ErrorCode="30003"))

    assert response.status_code == 204
    row = outbox(sessions, paged.outbox_id)
    assert row.status == "undelivered"
    assert row.error_code == 30003
    assert row.delivered_at is None
    assert row.error and status in row.error
    [undelivered] = events(sessions, ticket_id, "sms_undelivered")
    assert undelivered.data["error_code"] == 30003

    # a late "sent" does not turn it back into a success
    post_status(client, status_params(paged.provider_sid, "sent"))
    assert outbox(sessions, paged.outbox_id).status == "undelivered"


def test_a_status_for_an_unknown_sid_is_204_and_changes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    before = state(sessions)
    row_before = outbox(sessions, paged.outbox_id)

    response = post_status(client, status_params("SM" + "f" * 32, "delivered"))

    assert response.status_code == 204
    row = outbox(sessions, paged.outbox_id)
    assert (row.status, row.delivered_at) == (row_before.status, row_before.delivered_at)
    assert row.status == "sent"
    assert state(sessions) == before


@pytest.mark.parametrize(
    ("signature", "signed_url"),
    [
        pytest.param("", STATUS_URL, id="missing"),
        pytest.param("bm9wZQ==", STATUS_URL, id="garbage"),
        pytest.param(None, SMS_URL, id="other-url"),
    ],
)
def test_a_badly_signed_status_is_403_and_changes_nothing(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    paged: Paged,
    signature: str | None,
    signed_url: str,
) -> None:
    before = state(sessions)

    response = post_form(
        client,
        "/inbound/twilio/sms-status",
        signed_url,
        status_params(paged.provider_sid, "delivered"),
        signature=signature,
    )

    assert response.status_code == 403
    assert outbox(sessions, paged.outbox_id).status == "sent"
    assert state(sessions) == before


def test_a_signed_status_without_a_status_is_400(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    params = status_params(paged.provider_sid, "delivered")
    del params["MessageStatus"], params["SmsStatus"]
    response = post_status(client, params)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_status"
    assert outbox(sessions, paged.outbox_id).status == "sent"
