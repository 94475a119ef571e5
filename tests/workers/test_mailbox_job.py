"""Mail in a real IMAP mailbox becomes exactly one ticket per message, however often the
mailbox is polled, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from config.settings import Settings
from tests.workers.dovecot import Dovecot, Mailbox
from triage.store.models import InboxItem, Ticket
from workers.jobs.mailbox import poll_support_mailbox

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=OSLO)  # Monday, office hours

MESSAGE = (
    b"From: Kari Nordmann <kari@example.no>\r\n"
    b"To: support@example.no\r\n"
    b"Subject: MBN nede - sentralbordet svarer ikke\r\n"
    b"Message-ID: <mbn-outage-1@example.no>\r\n"
    b"Date: Mon, 30 Mar 2026 08:55:00 +0200\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hele bedriften mangler telefoni, ingen kommer gjennom p\xc3\xa5 sentralbordet.\r\n"
)


def test_polled_mail_becomes_one_ticket_with_its_deadline(
    dovecot: Dovecot,
    mailbox: Mailbox,
    sessions,
    database_url: str,  # type: ignore[no-untyped-def]
) -> None:
    settings = dataclasses.replace(
        Settings.from_env({}), database_url=database_url, imap_url=dovecot.url(folder=mailbox.name)
    )
    mailbox.append(MESSAGE)
    first = poll_support_mailbox(settings, clock=lambda: NOW)
    assert first is not None and (first.fetched, first.stored, first.failed) == (1, 1, 0)
    assert mailbox.unseen() == set()

    mailbox.append(MESSAGE)  # the same message delivered again (a resend, a second rule)
    second = poll_support_mailbox(settings, clock=lambda: NOW)
    assert second is not None and second.stored == 1

    with sessions() as session:
        tickets = session.scalars(select(Ticket)).all()
        inbox = session.scalars(select(InboxItem)).all()
    assert len(tickets) == 1
    assert len(inbox) == 2  # both raw copies kept; one ticket
    ticket = tickets[0]
    assert ticket.contract_id == "nettsoft-mbn"
    assert ticket.severity == "critical"
    assert ticket.due_at == datetime(2026, 3, 30, 10, 0, tzinfo=OSLO)


def test_no_mailbox_configured_means_no_poll() -> None:
    assert poll_support_mailbox(Settings.from_env({})) is None
