"""Personal data: export, erase on request (requesters and staff), retention purge.

The data arrives the way production gets it: raw payloads stored in the inbox, parsed by
the webhook parsers and ingested; SMS composed from real pages and answered through the
inbound SMS use-case. "No trace" is checked by reading every column of every table and
looking for the person's values in it (text, JSON and the raw payload bytes alike).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from config.catalog import load_catalog
from config.settings import Settings
from sla.severity import Severity
from tests.workers.escalation_support import MANAGER, ONCALL, new_ticket, roster
from triage.store import sms_outbox
from triage.store import ticket_actions as actions
from triage.store.escalations import due_points, fire_due
from triage.store.intake import IntakeResult, ingest, quarantine, store_raw
from triage.store.models import (
    Base,
    ChannelMessage,
    EscalationPoint,
    InboxItem,
    RosterOverride,
    SmsInbound,
    SmsOutbox,
    Staff,
    Ticket,
    TicketEvent,
)
from triage.store.personal_data import (
    ERASED,
    ERASED_EVENT,
    PersonalDataError,
    UnknownStaff,
    erase_requester,
    erase_staff,
    export_requester,
    export_staff,
    phone_forms,
    purge_raw_payloads,
    redact_page,
    scrub_event_data,
)
from triage.store.roster import add_override, load_roster
from triage.store.sms_replies import take_inbound
from workers.channels.payloads import parsers as make_parsers
from workers.channels.payloads import twilio_parser

CATALOG = load_catalog()
PARSERS = make_parsers(Settings.from_env({}))  # the defaults: no on-call line
OFFICE = CATALOG.calendars["office-hours"]
NOW = datetime(2026, 3, 10, 8, 15, tzinfo=UTC)  # Tuesday 09:15 Oslo
WINDOW = timedelta(seconds=60)

# The person who asks to be erased, and everything she wrote.
KARI_NAME = "Kari Nordmann"
KARI_EMAIL = "kari.nordmann@kunde.no"
KARI_PHONE = "+4799887766"
KARI_SUBJECT = "Telefonsentralen hos Nordmann Regnskap svarer ikke"
KARI_BODY = "Ingen kommer gjennom til oss. Hilsen Kari, tlf 998 87 766"
KARI_CHAT_1 = "Sentralbordet er nede igjen i Bjerkelia"
KARI_CHAT_2 = "Fortsatt ingen lyd i Bjerkelia, ring meg"
KARI_VOICEMAIL = "Hei dette er Kari fra Bjerkelia omsorgssenter"
KARI_REPLY = "Samme feil hos oss i Lillevik i dag"
KARI_NOTE = "Kari ringte og purret, hun sitter i Lillevik"
KARI_SMS = "Har dere fått meldingen min om Bjerkelia?"
KARI_VALUES = (
    KARI_NAME,
    KARI_EMAIL,
    KARI_PHONE,
    "99887766",
    "998 87 766",
    KARI_SUBJECT,
    KARI_BODY,
    KARI_CHAT_1,
    KARI_CHAT_2,
    KARI_VOICEMAIL,
    KARI_REPLY,
    KARI_NOTE,
    KARI_SMS,
    "Bjerkelia",
    "Lillevik",
)
# Someone else, who must keep everything.
OLA_NAME = "Ola Hansen"
OLA_EMAIL = "ola.hansen@firma.no"
OLA_SUBJECT = "Mobilnettet faller ut på lageret i Storvik"
OLA_TEXT = "Ingen dekning på lageret i Storvik siden i morges"
OLA_VALUES = (OLA_NAME, OLA_EMAIL, OLA_SUBJECT, OLA_TEXT, "Storvik")


def email_bytes(
    message_id: str, sender: str, subject: str, text: str, in_reply_to: str | None = None
) -> bytes:
    lines = [
        f"From: {sender}",
        "To: support@desk.example.no",
        f"Subject: {subject}",
        "Date: Tue, 10 Mar 2026 09:10:00 +0100",
        f"Message-ID: {message_id}",
        *([f"In-Reply-To: {in_reply_to}"] if in_reply_to else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        text,
    ]
    return "\r\n".join(lines).encode("utf-8")


def chat_bytes(message_id: str, text: str, **sender: str) -> bytes:
    return json.dumps(
        {
            "conversation_id": "conv-kari",
            "message_id": message_id,
            "sender": sender or {"name": KARI_NAME, "email": KARI_EMAIL},
            "text": text,
            "sent_at": "2026-03-10T09:00:00+01:00",
        }
    ).encode()


def arrive(
    sessions: sessionmaker[Session], channel: str, content_type: str, payload: bytes, at: datetime
) -> IntakeResult | None:
    """Store the raw payload, parse it as the webhook would, ingest or quarantine it."""
    parser = twilio_parser(None) if channel == "twilio" else PARSERS[channel]
    with sessions() as session:
        item_id = store_raw(session, channel, content_type, payload, at)
        try:
            message = parser(payload, content_type)
        except ValueError as exc:
            quarantine(session, item_id, str(exc))
            return None
    return ingest(sessions, CATALOG, item_id, message, at)


@dataclass
class World:
    sessions: sessionmaker[Session]
    kari_email: int = 0
    kari_chat: int = 0
    kari_phone: int = 0
    ola: int = 0
    quarantined: int = 0
    ids: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    w = World(sessions)
    made = arrive(
        sessions,
        "email",
        "message/rfc822",
        email_bytes(
            "<k1.20260310@mail.kunde.no>", f"{KARI_NAME} <{KARI_EMAIL}>", KARI_SUBJECT, KARI_BODY
        ),
        NOW,
    )
    assert made is not None
    w.kari_email = made.ticket_id
    chat = arrive(sessions, "chat", "application/json", chat_bytes("k-msg-1", KARI_CHAT_1), NOW)
    assert chat is not None
    w.kari_chat = chat.ticket_id
    again = arrive(sessions, "chat", "application/json", chat_bytes("k-msg-2", KARI_CHAT_2), NOW)
    assert again is not None and again.ticket_id == w.kari_chat and not again.created
    call = {
        "AccountSid": "AC" + "1" * 32,
        "CallSid": "CA" + "ab" * 16,
        "From": KARI_PHONE,
        "To": "+4721000001",
        "CallStatus": "completed",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "TranscriptionSid": "TR" + "cd" * 16,
        "TranscriptionText": KARI_VOICEMAIL,
        "TranscriptionStatus": "completed",
        "RecordingSid": "RE" + "ef" * 16,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    }
    voice = arrive(
        sessions,
        "twilio",
        "application/x-www-form-urlencoded",
        urlencode(call).encode(),
        NOW,
    )
    assert voice is not None
    w.kari_phone = voice.ticket_id
    ola = arrive(
        sessions,
        "email",
        "message/rfc822",
        email_bytes(
            "<o1.20260310@mail.firma.no>", f"{OLA_NAME} <{OLA_EMAIL}>", OLA_SUBJECT, OLA_TEXT
        ),
        NOW,
    )
    assert ola is not None
    w.ola = ola.ticket_id
    # Kari writes on Ola's ticket (it was forwarded to her, and she answers his mail: a
    # "[#N]" tag alone would not let a non-party in): her event on his ticket.
    reply = arrive(
        sessions,
        "email",
        "message/rfc822",
        email_bytes(
            "<k2.20260310@mail.kunde.no>",
            f"{KARI_NAME} <{KARI_EMAIL}>",
            f"Re: [#{w.ola}] samme her",
            KARI_REPLY,
            in_reply_to="<o1.20260310@mail.firma.no>",
        ),
        NOW,
    )
    assert reply is not None and reply.ticket_id == w.ola
    # A chat payload from Kari that cannot be parsed (no text): quarantined, no ticket.
    bad = json.dumps(
        {
            "conversation_id": "conv-kari-2",
            "message_id": "k-msg-3",
            "sender": {"name": KARI_NAME, "email": KARI_EMAIL},
            "sent_at": "2026-03-10T09:00:00+01:00",
        }
    ).encode()
    assert arrive(sessions, "chat", "application/json", bad, NOW) is None
    with sessions() as session:
        w.quarantined = session.scalars(
            select(InboxItem.id).where(InboxItem.status == "quarantined")
        ).one()
    # An escalation SMS about Kari's e-mail ticket quotes her subject.
    roster(sessions, NOW - timedelta(days=1), manager=False)
    with sessions() as session:
        ticket = session.get(Ticket, w.kari_email)
        assert ticket is not None
        if ticket.contract_id != "nettsoft-mbn":
            actions.set_contract(
                session, CATALOG, w.kari_email, "agent1", NOW, "nettsoft-mbn", "telefoni"
            )
        if ticket.severity != "critical":
            actions.reclassify(
                session, CATALOG, w.kari_email, "agent1", NOW, Severity.CRITICAL, "alle nede"
            )
    with sessions() as session:
        fired_at = session.scalars(
            select(EscalationPoint.fire_at)
            .where(EscalationPoint.ticket_id == w.kari_email)
            .order_by(EscalationPoint.fire_at)
        ).first()
        assert fired_at is not None
        due = [p for p in due_points(session, fired_at) if p[0] == w.kari_email]
        fire_due(session, load_roster(session, OFFICE, fired_at), fired_at, due)
    with sessions() as session:
        composed = sms_outbox.compose(session, CATALOG, ONCALL[1], fired_at, WINDOW)
        assert composed.outbox_id is not None
        sms_outbox.mark_sent(session, composed.outbox_id, "outbox", "SM" + "1" * 32, fired_at)
        outbox = session.get(SmsOutbox, composed.outbox_id)
        assert outbox is not None
        w.ids["outbox"] = outbox.id
    # Agents write about her; she texts the desk's number from her own phone.
    with sessions() as session:
        actions.add_note(session, w.kari_email, "agent1", fired_at, KARI_NOTE)
        actions.pause(session, CATALOG, w.kari_email, "agent1", fired_at, "venter på Kari Nordmann")
        take_inbound(session, CATALOG, "SM" + "9" * 32, KARI_PHONE, KARI_SMS, fired_at)
    return w


def all_text(sessions: sessionmaker[Session]) -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) for every non-empty value in the database."""
    with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        text = bytes(value).decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    yield table.name, column, text


def traces(sessions: sessionmaker[Session], values: tuple[str, ...]) -> list[str]:
    found = []
    for table, column, text in all_text(sessions):
        folded = text.casefold()
        for value in values:
            if value.casefold() in folded:
                found.append(f"{table}.{column} holds {value!r}")
    return found


def load(sessions: sessionmaker[Session], ticket_id: int) -> Ticket:
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id, options=[selectinload(Ticket.events)])
        assert ticket is not None
        session.expunge_all()
        return ticket


# ------------------------------------------------------------------ pure parts


def test_phone_forms_cover_the_spellings_a_number_is_stored_in() -> None:
    assert phone_forms("+47 998 87 766") == ("+4799887766",)
    assert phone_forms("0047 99887766") == ("+4799887766",)
    assert set(phone_forms("99887766")) == {"99887766", "+4799887766"}
    assert phone_forms(None) == phone_forms("  ") == ()
    with pytest.raises(PersonalDataError, match="phone"):
        phone_forms("ring meg")


def test_scrub_keeps_the_structure_and_drops_the_person() -> None:
    data = {
        "inbox_item": 7,
        "key": "message:k-1",
        "text": "hei",
        "sender_name": "Kari",
        "sender_email": "kari@kunde.no",
        "recipients": ["support@desk.example.no", "kari@kunde.no"],
        "attachments": [{"filename": "kari-pass.jpg", "content_type": "image/jpeg", "size": 9}],
        "contract": "nettsoft-mbn",
        "empty": None,
    }
    scrubbed = scrub_event_data("message", data, ("kari@kunde.no",))
    assert scrubbed == {
        "inbox_item": 7,
        "key": "message:k-1",
        "text": ERASED,
        "sender_name": ERASED,
        "sender_email": ERASED,
        "recipients": ["support@desk.example.no", ERASED],
        "attachments": [{"content_type": "image/jpeg", "size": 9}],
        "contract": "nettsoft-mbn",
        "empty": None,
    }
    page = 'KRIT #12 MBN frist 10:15 (1t) "Hos Kari er alt nede" Svar ACK 12'
    assert redact_page(page) == f'KRIT #12 MBN frist 10:15 (1t) "{ERASED}" Svar ACK 12'
    assert scrub_event_data("sms_sent", {"body": page, "to": "+47******01"}, ()) == {
        "body": redact_page(page),
        "to": "+47******01",
    }


# ------------------------------------------------------------------ export


def test_export_holds_the_persons_tickets_and_nothing_of_anyone_else(world: World) -> None:
    with world.sessions() as session:
        by_email = export_requester(session, email=KARI_EMAIL.upper())
        by_phone = export_requester(session, phone="998 87 766")
        both = export_requester(session, email=KARI_EMAIL, phone=KARI_PHONE)
    assert {t["id"] for t in by_email["tickets"]} == {world.kari_email, world.kari_chat}
    assert {t["id"] for t in by_phone["tickets"]} == {world.kari_phone}
    assert {t["id"] for t in both["tickets"]} == {
        world.kari_email,
        world.kari_chat,
        world.kari_phone,
    }
    text = json.dumps(both, ensure_ascii=False)  # JSON-serialisable as it is
    for value in (KARI_SUBJECT, KARI_BODY, KARI_CHAT_1, KARI_CHAT_2, KARI_VOICEMAIL, KARI_NOTE):
        assert value in text
    # Her reply on Ola's ticket, as an event and as its raw payload, decoded.
    (reply,) = both["events_on_other_tickets"]
    assert reply["ticket_id"] == world.ola and reply["data"]["text"].strip() == KARI_REPLY
    payloads = {item["id"]: item for item in both["inbox"]}
    assert reply["data"]["inbox_item"] in payloads
    assert KARI_REPLY in payloads[reply["data"]["inbox_item"]]["payload"]
    # The quarantined payload that never became a ticket is found by its text.
    assert payloads[world.quarantined]["status"] == "quarantined"
    assert KARI_EMAIL in payloads[world.quarantined]["payload"]
    assert any(KARI_VOICEMAIL in item["payload"].replace("+", " ") for item in both["inbox"])
    assert [m["body"] for m in both["sms_inbound"]] == [KARI_SMS]
    for value in OLA_VALUES:
        assert value not in text, value


def test_export_of_nobody_is_empty_and_bad_input_is_refused(world: World) -> None:
    with world.sessions() as session:
        nothing = export_requester(session, email="ingen@example.no")
        assert nothing["tickets"] == nothing["inbox"] == nothing["events_on_other_tickets"] == []
        with pytest.raises(PersonalDataError, match="email or phone"):
            export_requester(session)
        with pytest.raises(PersonalDataError, match="email"):
            export_requester(session, email="ikke en adresse")


# ------------------------------------------------------------------ erase


def test_erase_keeps_the_tickets_but_no_trace_of_the_person(world: World) -> None:
    ids = (world.kari_email, world.kari_chat, world.kari_phone)
    before = {i: load(world.sessions, i) for i in (*ids, world.ola)}
    with world.sessions() as session:
        keys_before = session.scalars(select(ChannelMessage.key).order_by(ChannelMessage.id)).all()
    assert traces(world.sessions, KARI_VALUES)  # the scan sees her before
    with world.sessions() as session:
        counts = erase_requester(
            session, email=KARI_EMAIL, phone=KARI_PHONE, actor="admin1", now=NOW + timedelta(days=1)
        )
    assert counts.tickets == 3 and counts.sms_inbound == 1 and counts.sms_outbox == 1
    assert counts.inbox_items == 6  # 2 e-mails, 2 chats, the call, the quarantined chat
    assert traces(world.sessions, KARI_VALUES) == []
    for ticket_id in ids:
        old, new = before[ticket_id], load(world.sessions, ticket_id)
        assert (new.requester_name, new.requester_email, new.requester_phone) == (None,) * 3
        assert (new.subject, new.body) == (ERASED, ERASED)
        sla = (
            *("contract_id", "severity", "status", "received_at", "clock_starts_at", "due_at"),
            *("responded_at", "response_seconds", "resolved_at", "terms_valid_from"),
        )
        assert [getattr(new, c) for c in sla] == [getattr(old, c) for c in sla]
        assert [e.kind for e in new.events] == [e.kind for e in old.events] + [ERASED_EVENT]
        assert [(e.id, e.at, e.actor) for e in new.events[:-1]] == [
            (e.id, e.at, e.actor) for e in old.events
        ]
        erased = new.events[-1]
        assert erased.actor == "admin1" and "subject" in erased.data["fields"]
    # Ola keeps everything; only Kari's message on his ticket is scrubbed (and noted).
    ola = load(world.sessions, world.ola)
    assert (ola.requester_name, ola.requester_email, ola.subject) == (
        OLA_NAME,
        OLA_EMAIL,
        OLA_SUBJECT,
    )
    assert ola.body.strip() == OLA_TEXT
    assert [e.kind for e in ola.events] == [e.kind for e in before[world.ola].events] + [
        ERASED_EVENT
    ]
    assert traces(world.sessions, OLA_VALUES)
    with world.sessions() as session:
        rows = session.scalars(select(InboxItem).order_by(InboxItem.id)).all()
        emptied = [r for r in rows if r.payload == b""]
        assert len(emptied) == 6 and all("erased on request" in (r.error or "") for r in emptied)
        assert {r.status for r in emptied} == {"processed", "quarantined"}
        assert b"Storvik" in next(r.payload for r in rows if r.ticket_id == world.ola and r.payload)
        sms = session.get(SmsOutbox, world.ids["outbox"])
        assert sms is not None and f'"{ERASED}"' in sms.body and f"#{world.kari_email}" in sms.body
        keys_after = session.scalars(select(ChannelMessage.key).order_by(ChannelMessage.id)).all()
    assert keys_after == keys_before
    # The keys still make a redelivery idempotent: no second ticket for the same message.
    again = arrive(
        world.sessions, "chat", "application/json", chat_bytes("k-msg-1", KARI_CHAT_1), NOW
    )
    assert again is not None and again.duplicate and again.ticket_id == world.kari_chat


def test_erase_by_phone_only_and_of_nobody(world: World) -> None:
    with world.sessions() as session:
        counts = erase_requester(session, phone="998 87 766", actor="admin1", now=NOW)
        assert counts.tickets == 1 and counts.sms_inbound == 1
        assert erase_requester(session, email="ingen@example.no", actor="a", now=NOW).total == 0
    phone_ticket = load(world.sessions, world.kari_phone)
    assert phone_ticket.requester_phone is None and phone_ticket.body == ERASED
    assert load(world.sessions, world.kari_chat).requester_email == KARI_EMAIL


# ------------------------------------------------------------------ staff


@pytest.fixture
def paged(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Kari Vakt paged about a critical MBN ticket, her ACK and a free-text SMS."""
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 Oslo
    roster(sessions, start - timedelta(days=1))
    ticket_id = new_ticket(sessions, CATALOG, "nettsoft-mbn", start, start)
    at = start + timedelta(minutes=31)
    with sessions() as session:
        fire_due(session, load_roster(session, OFFICE, at), at, due_points(session, at))
    with sessions() as session:
        composed = sms_outbox.compose(session, CATALOG, ONCALL[1], at, WINDOW)
        assert composed.outbox_id is not None
        sms_outbox.mark_sent(session, composed.outbox_id, "outbox", "SM" + "2" * 32, at)
        kari = session.scalars(select(Staff).where(Staff.phone == ONCALL[1])).one()
        mette = session.scalars(select(Staff).where(Staff.phone == MANAGER[1])).one()
        add_override(session, 1, at, at + timedelta(days=1), mette, at, reason="Kari Vakt er syk")
        take_inbound(session, CATALOG, "SM" + "3" * 32, ONCALL[1], f"ACK {ticket_id}", at)
        take_inbound(session, CATALOG, "SM" + "4" * 32, ONCALL[1], "Kari her, er på vei", at)
        return {"staff": kari.id, "ticket": ticket_id, "at": at}


def test_staff_export_and_erase(sessions: sessionmaker[Session], paged: dict[str, Any]) -> None:
    kari_values = (ONCALL[0], ONCALL[1], "91000001", "Kari her")
    with sessions() as session:
        exported = export_staff(session, paged["staff"])
    assert exported["staff"]["name"] == ONCALL[0] and exported["staff"]["phone"] == ONCALL[1]
    assert exported["rotations"] == [{"level": 1, "shift": "always", "position": 0}]
    assert len(exported["sms_outbox"]) == 1 and len(exported["sms_inbound"]) == 2
    assert {e["kind"] for e in exported["events"]} >= {"sms_received", "acknowledged", "escalated"}
    json.dumps(exported)
    assert traces(sessions, kari_values)

    with sessions() as session:
        counts = erase_staff(session, paged["staff"], actor="admin1", now=paged["at"])
        assert counts.sms_outbox == 1 and counts.sms_inbound == 2 and counts.overrides == 1
    assert traces(sessions, kari_values) == []
    with sessions() as session:
        staff = session.get(Staff, paged["staff"])
        assert staff is not None and not staff.active and staff.name == ERASED
        inbound = session.scalars(select(SmsInbound).order_by(SmsInbound.id)).all()
        assert [m.body for m in inbound] == [f"ACK {paged['ticket']}", ERASED]
        assert {m.sender for m in inbound} == {"+47******01"}
        sms = session.scalars(select(SmsOutbox)).one()
        assert sms.recipient == "+47******01" and f"#{paged['ticket']}" in sms.body
        actors = set(session.scalars(select(TicketEvent.actor)))
        assert f"staff#{paged['staff']}" in actors
        escalated = session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "escalated")
        ).first()
        assert escalated is not None and escalated.data["staff"] == [f"staff#{paged['staff']}"]
        roster_now = load_roster(session, OFFICE, paged["at"])
        assert all(m.id != paged["staff"] for r in roster_now.rotations for m in r.members)
        override = session.scalars(select(RosterOverride)).one()
        assert override.reason == ERASED
        # Mette is untouched; erasing twice changes nothing.
        assert session.scalars(select(Staff).where(Staff.name == MANAGER[0])).one().active
        assert erase_staff(session, paged["staff"], actor="a", now=paged["at"]).total == 0
        with pytest.raises(UnknownStaff):
            export_staff(session, 999_999)


# ------------------------------------------------------------------ retention


def test_purge_empties_only_old_payloads_and_keeps_the_rows(
    sessions: sessionmaker[Session],
) -> None:
    old = NOW - timedelta(days=91)
    arrive(sessions, "chat", "application/json", chat_bytes("old-1", "gammel melding"), old)
    arrive(sessions, "chat", "application/json", b'{"broken": ', old)  # quarantined
    arrive(sessions, "chat", "application/json", chat_bytes("new-1", "ny melding"), NOW)
    cutoff = NOW - timedelta(days=90)
    with sessions() as session:
        assert purge_raw_payloads(session, cutoff) == 2
        assert purge_raw_payloads(session, cutoff) == 0  # nothing new the second time
        rows = session.scalars(select(InboxItem).order_by(InboxItem.id)).all()
    old_ok, old_bad, recent = rows
    assert (old_ok.payload, old_ok.status) == (b"", "processed")
    assert old_ok.error is not None and old_ok.error.startswith("payload emptied by the retention")
    assert (old_bad.payload, old_bad.status) == (b"", "quarantined")
    assert old_bad.error is not None and "; was: body is not valid JSON" in old_bad.error
    assert recent.payload == chat_bytes("new-1", "ny melding") and recent.error is None
    assert old_ok.ticket_id is not None  # the audit trail: which ticket it made


def test_retention_purge_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from triage.store import db
    from web.cli import main

    url = f"sqlite:///{tmp_path / 'retention.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRIAGE_RETENTION_DAYS", raising=False)
    db.upgrade(url)
    now = datetime.now(UTC)
    with db.session_factory(url)() as session:
        store_raw(session, "chat", "application/json", b"{}", now - timedelta(days=40))
        store_raw(session, "chat", "application/json", b"{}", now - timedelta(days=100))
    capsys.readouterr()
    assert main(["retention", "purge"]) == 0
    assert json.loads(capsys.readouterr().out)["purged"] == 1  # the default: 90 days
    assert main(["retention", "purge", "--days", "30"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["purged"], out["days"]) == (1, 30)
    assert main(["retention", "purge", "--days", "0"]) == 2
    assert "--days" in capsys.readouterr().err


def test_an_emptied_payload_cannot_be_reprocessed_through_any_door(sessions) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest

    from config.catalog import load_catalog as _load_catalog
    from triage.store.intake import quarantine as _quarantine
    from triage.store.intake import store_raw as _store_raw
    from triage.store.ticket_actions import Emptied, reprocess_item

    with sessions() as session:
        item_id = _store_raw(
            session, "chat", "application/json", b"", datetime(2026, 1, 1, tzinfo=UTC)
        )
        _quarantine(session, item_id, "emptied by retention")
    with _pytest.raises(Emptied):
        reprocess_item(sessions, _load_catalog(), item_id, {}, datetime(2026, 6, 1, tzinfo=UTC))


# ------------------------------------------------------------------ issue 15, finding 7


def _raw_sms(sessions: sessionmaker[Session], sender: str, text: str, sid: str, at: datetime):  # type: ignore[no-untyped-def]
    """An SMS in through the webhook's own path: the raw form body is kept in the inbox."""
    from triage.store.sms_replies import receive_sms

    raw = urlencode({"MessageSid": sid, "From": sender, "Body": text}).encode()
    with sessions() as session:
        return receive_sms(
            session, CATALOG, raw, "application/x-www-form-urlencoded", sid, sender, text, at
        )


def test_erasing_staff_empties_their_raw_inbound_sms(
    sessions: sessionmaker[Session], paged: dict[str, Any], database_url: str
) -> None:
    """18 raw inbound SMS in ``inbox`` still held the number after the erasure."""
    at = paged["at"]
    for i in range(3):
        _raw_sms(sessions, ONCALL[1], f"Kari her, melding {i}", "SM" + f"{i}" * 32, at)
    _raw_sms(sessions, MANAGER[1], f"ACK {paged['ticket']}", "SM" + "7" * 32, at)
    kari_values = (ONCALL[1], ONCALL[1].lstrip("+"), "91000001", "Kari her")
    assert any("inbox.payload" in t for t in traces(sessions, kari_values))
    with sessions() as session:
        counts = erase_staff(session, paged["staff"], actor="admin1", now=at)
    assert counts.inbox_items == 3
    assert traces(sessions, kari_values) == []
    with sessions() as session:
        payloads = [bytes(p) for p in session.scalars(select(InboxItem.payload))]
    assert sum(1 for p in payloads if MANAGER[1].lstrip("+").encode() in p) == 1  # not hers
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for name in (path, Path(f"{path}-wal")):
            if name.exists():
                data = name.read_bytes()
                assert b"91000001" not in data, f"{name.name} still holds the number"
                assert b"Kari her" not in data, f"{name.name} still holds her text"
