"""Mail in a real IMAP mailbox is accepted into the inbox first and becomes exactly one
ticket per message in the intake's batches, however often the mailbox is polled and
wherever a poll breaks off, on SQLite and PostgreSQL."""

from __future__ import annotations

import imaplib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import load_catalog
from config.settings import Settings
from tests.workers.dovecot import Dovecot, Mailbox
from tests.workers.escalation_support import Clock, installed, run_worker, settings_for
from triage.store.models import InboxItem, Ticket
from workers.channels import imap
from workers.jobs.mailbox import poll_support_mailbox
from workers.queues import INTAKE, connection

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=OSLO)  # Monday, office hours


def message(number: int = 1, *, sender: bool = True) -> bytes:
    """A critical MBN fault report (routed to nettsoft-mbn: 60 business minutes)."""
    return (
        (b"From: Kari Nordmann <kari@example.no>\r\n" if sender else b"")
        + b"To: support@example.no\r\n"
        + b"Subject: MBN nede - sentralbordet svarer ikke\r\n"
        + f"Message-ID: <mbn-outage-{number}@example.no>\r\n".encode()
        + b"Date: Mon, 30 Mar 2026 08:55:00 +0200\r\n"
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + b"\r\n"
        + b"Hele bedriften mangler telefoni, ingen kommer gjennom p\xc3\xa5 sentralbordet.\r\n"
    )


MESSAGE = message()


def _settings(
    dovecot: Dovecot, mailbox: Mailbox, database_url: str, tmp_path: Path, redis: str | None
) -> Settings:
    return settings_for(database_url, tmp_path, redis, imap_url=dovecot.url(folder=mailbox.name))


def _tickets(sessions: sessionmaker[Session]) -> list[Ticket]:
    with sessions() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def _inbox(sessions: sessionmaker[Session]) -> list[InboxItem]:
    with sessions() as session:
        return list(session.scalars(select(InboxItem).order_by(InboxItem.id)))


def test_polled_mail_becomes_one_ticket_with_its_deadline(
    dovecot: Dovecot,
    mailbox: Mailbox,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    """Without Redis the poll ingests what it stored itself (the web app's fallback)."""
    settings = _settings(dovecot, mailbox, database_url, tmp_path, None)
    mailbox.append(MESSAGE)
    with installed(settings, load_catalog(), Clock(NOW)) as ctx:
        first = poll_support_mailbox(ctx)
        assert first is not None and (first.fetched, first.stored, first.failed) == (1, 1, 0)
        assert mailbox.unseen() == set()

        mailbox.append(MESSAGE)  # the same message delivered again (a resend, a second rule)
        second = poll_support_mailbox(ctx)
        assert second is not None and second.stored == 1

    tickets = _tickets(sessions)
    assert len(tickets) == 1
    inbox = _inbox(sessions)
    assert [(i.status, i.ticket_id) for i in inbox] == [("processed", tickets[0].id)] * 2
    ticket = tickets[0]
    assert ticket.contract_id == "nettsoft-mbn"
    assert ticket.severity == "critical"
    assert ticket.due_at == datetime(2026, 3, 30, 10, 0, tzinfo=OSLO)


def test_a_poll_stores_n_messages_which_the_intake_job_makes_n_tickets(
    dovecot: Dovecot,
    mailbox: Mailbox,
    sessions: sessionmaker[Session],
    database_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    settings = _settings(dovecot, mailbox, database_url, tmp_path, redis_url)
    for number in range(1, 6):
        mailbox.append(message(number))
    clock = Clock(NOW)
    with installed(settings, load_catalog(), clock) as ctx:
        result = poll_support_mailbox(ctx)
        assert result is not None and (result.fetched, result.stored, result.failed) == (5, 5, 0)
        assert mailbox.unseen() == set()
        # accepted, not ingested: five pending rows, one intake job rung for the poll
        assert [(i.channel, i.status) for i in _inbox(sessions)] == [("email", "received")] * 5
        assert _tickets(sessions) == []
        assert Queue(INTAKE, connection=connection(redis_url)).count == 1

        clock.advance(minutes=40)  # the worker runs late: no deadline may move
        run_worker(redis_url)

    tickets = _tickets(sessions)
    assert len(tickets) == 5
    assert {i.status for i in _inbox(sessions)} == {"processed"}
    assert {i.ticket_id for i in _inbox(sessions)} == {t.id for t in tickets}
    assert {t.received_at for t in tickets} == {NOW}
    assert {t.due_at for t in tickets} == {NOW + timedelta(minutes=60)}


@pytest.mark.parametrize("with_redis", [True, False], ids=["intake-job", "inline"])
def test_a_crash_between_storing_and_flagging_makes_no_second_ticket(
    dovecot: Dovecot,
    mailbox: Mailbox,
    sessions: sessionmaker[Session],
    database_url: str,
    redis_server_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    with_redis: bool,
) -> None:
    """The message is committed to the inbox, then the flag fails: it stays unseen, the
    next poll stores it again, and the copy settles onto the first one's ticket, whose
    clock started at the first store."""
    redis = redis_server_url if with_redis else None
    if redis:
        connection(redis).flushdb()
    settings = _settings(dovecot, mailbox, database_url, tmp_path, redis)
    uid = mailbox.append(MESSAGE)
    real_mark_seen = imap._mark_seen

    def crash(client: imaplib.IMAP4, uid: str) -> None:
        raise imaplib.IMAP4.abort("connection lost while flagging")

    clock = Clock(NOW)
    with installed(settings, load_catalog(), clock) as ctx:
        monkeypatch.setattr(imap, "_mark_seen", crash)
        with pytest.raises(imaplib.IMAP4.abort):
            poll_support_mailbox(ctx)
        assert mailbox.unseen() == {uid}
        assert [i.payload for i in _inbox(sessions)] == [MESSAGE]  # stored before the flag

        monkeypatch.setattr(imap, "_mark_seen", real_mark_seen)
        clock.advance(minutes=5)
        again = poll_support_mailbox(ctx)
        assert again is not None and (again.fetched, again.stored) == (1, 1)
        assert mailbox.unseen() == set()
        if redis:
            run_worker(redis)

    [ticket] = _tickets(sessions)
    inbox = _inbox(sessions)
    assert [(i.status, i.ticket_id) for i in inbox] == [("processed", ticket.id)] * 2
    assert ticket.received_at == NOW  # the first store, not the redelivery's
    assert ticket.due_at == NOW + timedelta(minutes=60)


def test_a_malformed_message_is_quarantined_with_its_raw_bytes_kept(
    dovecot: Dovecot,
    mailbox: Mailbox,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    raw = message(sender=False)
    settings = _settings(dovecot, mailbox, database_url, tmp_path, None)
    mailbox.append(raw)
    mailbox.append(message(2))
    with installed(settings, load_catalog(), Clock(NOW)) as ctx:
        result = poll_support_mailbox(ctx)
    assert result is not None and (result.stored, result.failed) == (2, 0)
    assert mailbox.unseen() == set()  # kept in the inbox: nothing for the next poll
    bad, good = _inbox(sessions)
    assert (bad.status, bad.payload, bad.error) == ("quarantined", raw, "From header is missing")
    assert bad.ticket_id is None
    [ticket] = _tickets(sessions)
    assert (good.status, good.ticket_id) == ("processed", ticket.id)


def test_no_mailbox_configured_means_no_poll(database_url: str, tmp_path: Path) -> None:
    with installed(settings_for(database_url, tmp_path), load_catalog()) as ctx:
        assert poll_support_mailbox(ctx) is None
