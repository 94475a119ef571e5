"""Issue 15, finding 13: bidirectional overrides and control characters that a sender
put in a subject or a name are neither shown by the desk nor sent on by it.

"Faktura \u202efdp.exe" displays as "Faktura exe.pdf"; the attack came in by chat and
e-mail and was shown on the queue and ticket pages and forwarded to the vendor as is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.support import chat_payload, post_chat, ticket_of
from tests.web.ui_support import logged_in
from tests.workers.escalation_support import ONCALL, new_ticket, roster
from triage.handoff import forward_message
from triage.shown_text import neutralise, neutralise_line
from triage.sms_text import to_gsm7
from triage.store.models import Ticket

TRICKS = ("\u202e", "\u202d", "\u2066", "\u2069", "\u202a", "\x07", "\x1b", "\x85", "\u2028")
HTTPS = "https://localhost"


def test_neutralise_removes_direction_tricks_and_shows_controls() -> None:
    assert neutralise("Faktura \u202efdp.exe") == "Faktura fdp.exe"
    assert neutralise("bell\x07") == "bell\ufffd"
    assert neutralise("linje 1\nlinje 2\ttab") == "linje 1\nlinje 2\ttab"  # bodies keep lines
    assert neutralise_line("Re:\r\n  emne\u2066x\u2069") == "Re: emnex"
    assert neutralise("שלום\u200f ok") == "שלום\u200f ok"  # a plain RLM is no trick
    for trick in TRICKS:
        assert trick not in neutralise(f"a{trick}b")


def test_the_queue_and_ticket_pages_show_no_tricks(
    app: Flask, sessions: sessionmaker[Session]
) -> None:
    payload = chat_payload(
        sender={"name": "Kari \u202eadmin\u202c Nordmann\x07", "email": "kari@kunde.no"},
        text="Faktura \u202efdp.exe\x1b[2J er nede\nHele sentralbordet svarer ikke",
    )
    client = app.test_client()
    ticket_of(client, post_chat(client, payload))
    with sessions() as session:
        [ticket] = session.query(Ticket).all()
        ticket_id = ticket.id
        assert "\u202e" in ticket.subject  # the sender's words are kept as evidence
    agent = logged_in(app)
    for path in ("/", f"/tickets/{ticket_id}"):
        page = agent.get(path, base_url=HTTPS).get_data(as_text=True)
        assert "Faktura fdp.exe" in page, path
        for trick in TRICKS:
            assert trick not in page, (path, repr(trick))


def test_the_vendor_forward_and_the_sms_page_send_no_tricks(catalog: Catalog) -> None:
    message = forward_message(
        ticket_id=7,
        contract=catalog.get("nettsoft-mbn"),
        desk_address="helpdesk@desk.example.no",
        subject="Faktura \u202efdp.exe\x07 nede",
        text="Hei\u2066 \u202ehemmelig\x1b[2J",
        received=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        now=datetime(2026, 3, 10, 8, 5, tzinfo=UTC),
    )
    sent = message.as_string()
    assert str(message["Subject"]) == "[#7] Faktura fdp.exe\ufffd nede"
    for trick in TRICKS:
        assert trick not in sent and trick not in message.get_content()
    assert not any(trick in to_gsm7(f"Faktura {trick}fdp.exe") for trick in TRICKS)


def test_an_sms_page_about_a_tricked_subject_carries_no_tricks(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    from triage.store.escalations import fire_due
    from triage.store.models import SmsOutbox
    from triage.store.roster import load_roster
    from triage.store.sms_outbox import compose

    now = datetime(2026, 3, 10, 8, 15, tzinfo=UTC)
    roster(sessions, now)
    ticket_id = new_ticket(
        sessions, catalog, "nettsoft-vps-access", now, now, subject="VPS \u202enede\x07"
    )
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], now)
        fire_due(session, on_call, now, [(ticket_id, "received")])
        composed = compose(session, catalog, ONCALL[1], now, now - now)
        sms = session.get(SmsOutbox, composed.outbox_id)
        assert sms is not None
        assert "nede" in sms.body
        assert not any(trick in sms.body for trick in TRICKS)


def test_a_csv_export_carries_no_tricks() -> None:
    from web.ui.reports import _csv_cell

    assert _csv_cell("Faktura \u202efdp.exe\x07") == "Faktura fdp.exe\ufffd"
    assert _csv_cell("\u202e=1+2") == "'=1+2"  # a trick cannot hide a formula either


def test_a_notice_of_breach_sends_no_tricks(catalog: Catalog) -> None:
    from datetime import date, timedelta

    from triage.claim_notice import notice_email, notice_text

    received = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    text = notice_text(
        number="R-2026-0001",
        contract=catalog.get("nettsoft-mbn"),
        ticket_id=7,
        subject="Faktura \u202efdp.exe\x07 nede",
        received_at=received,
        due_at=received + timedelta(hours=1),
        responded_at=None,
        claim_by=date(2026, 3, 24),
        customer={},
        today=date(2026, 3, 10),
        signer="Agent",
    )
    sent = notice_email(
        text, to="support@nettsoft.no", sender="d@desk.example.no", now=received, ticket_id=7
    ).as_string()
    assert "Faktura fdp.exe" in text.body
    for trick in TRICKS:
        assert trick not in text.body and trick not in sent
