"""Notices of breach (reklamasjon), drafted by the sweeper the minute a deadline passes and
sent over a real SMTP server (aiosmtpd on loopback) from the notify queue on a real Redis,
or by the sweeper when the queue lost the job.

Dates are worked out by hand from the seed clauses (004):

- §2.6 MBN: "Nettsoft garanterer påbegynt feilretting og wipe innen 60 minutter alle
  virkedager (kl. 08-16)."
- General terms: "Om kunden ønsker å reklamere på tjenester utført av Nettsoft må dette
  gjøres skriftlig snarest mulig og senest innen 10 virkedager etter at arbeidet er
  utført."
- §3.7 6.5 VPS-Terminalserver: "Ved ikke kritiske feil skal feilretting påbegynnes innen
  4 timer innenfor kontortid."
"""

from __future__ import annotations

import email
from datetime import date, timedelta
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, load_catalog
from tests.workers.escalation_support import (
    Clock,
    installed,
    new_ticket,
    oslo,
    run_worker,
    settings_for,
)
from triage.store import claim_notices
from triage.store.models import ClaimNotice, TicketEvent
from triage.store.ticket_actions import record_response
from workers import enqueue
from workers.jobs.claim_notice import send_notice
from workers.sweeper import sweep

MBN = "nettsoft-mbn"
Sessions = sessionmaker[Session]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _notices(sessions: Sessions) -> list[ClaimNotice]:
    with sessions() as session:
        return list(session.scalars(select(ClaimNotice).order_by(ClaimNotice.id)))


def _kinds(sessions: Sessions, ticket_id: int) -> list[str]:
    with sessions() as session:
        query = select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
        return list(session.scalars(query.order_by(TicketEvent.id)))


def test_sweeper_drafts_the_notice_the_minute_the_mbn_deadline_passes(
    sessions: Sessions, database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """Received Tuesday 2026-02-03 09:00, 60 working minutes (§2.6) -> due 10:00. At 10:00
    it is not yet breached; at 10:01 it is, and the notice is due 10 working days after
    the breach: 4, 5, 6, 9-13, 16, 17 February -> Tuesday 2026-02-17."""
    received = oslo("2026-02-03T09:00")
    clock = Clock(received)
    mbn = new_ticket(sessions, catalog, MBN, received, received, "non-critical")
    answered = new_ticket(sessions, catalog, MBN, received, received, "non-critical")
    pindena = new_ticket(sessions, catalog, "pindena", received, received, "non-critical")
    with sessions() as session:
        record_response(session, catalog, answered, "agent", oslo("2026-02-03T09:59"))
        session.commit()
    with installed(settings_for(database_url, tmp_path), catalog, clock) as ctx:
        clock.now = oslo("2026-02-03T10:00")
        assert sweep(ctx).notices_drafted == 0
        clock.now = oslo("2026-02-03T10:01")
        assert sweep(ctx).notices_drafted == 1
        assert sweep(ctx).notices_drafted == 0  # one notice per breach
        # Pindena §18 prices no miss: its tickets get none, even when late.
        clock.now = oslo("2026-02-10T09:00")
        assert sweep(ctx).notices_drafted == 0
    [notice] = _notices(sessions)
    assert notice.ticket_id == mbn
    assert notice.kind == "penalty"
    assert notice.breach_on == date(2026, 2, 3)
    assert notice.claim_promptly_by == date(2026, 2, 17)
    assert notice.status == "drafted"
    assert "claim_notice_drafted" in _kinds(sessions, mbn)
    assert "claim_notice_drafted" not in _kinds(sessions, pindena)


def test_a_late_response_is_a_breach_and_a_credit_notice_counts_from_the_month_end(
    sessions: Sessions, database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """VPS-Terminalserver non-critical, received Wednesday 2026-04-29 14:00: 4 office hours
    (§3.7 6.5) = 14-16 and Thursday 08-10 -> due 2026-04-30 10:00; answered 10:30. The
    credit is claimed 10 working days after the month ends (30 April): 1 May, 14 May
    (Ascension) and 17 May (a Sunday) are no working days: 4-8, 11-13, 15, 18 May ->
    Monday 2026-05-18."""
    received = oslo("2026-04-29T14:00")
    ticket = new_ticket(
        sessions, catalog, "nettsoft-vps-terminal", received, received, "non-critical"
    )
    with sessions() as session:
        record_response(session, catalog, ticket, "agent", oslo("2026-04-30T10:30"))
        session.commit()
    with installed(
        settings_for(database_url, tmp_path), catalog, Clock(oslo("2026-04-30T10:31"))
    ) as ctx:
        assert sweep(ctx).notices_drafted == 1
    [notice] = _notices(sessions)
    assert notice.kind == "credit"
    assert notice.due_at == oslo("2026-04-30T10:00")
    assert notice.claim_promptly_by == date(2026, 5, 18)


def _drafted(sessions: Sessions, catalog: Catalog) -> tuple[int, int, Clock]:
    received = oslo("2026-02-03T09:00")
    ticket = new_ticket(sessions, catalog, MBN, received, received, "non-critical", "MBN nede")
    clock = Clock(oslo("2026-02-03T10:30"))
    with sessions() as session:
        [notice_id] = claim_notices.draft_due(session, catalog, clock.now)
        session.commit()
    return ticket, notice_id, clock


def test_a_queued_notice_is_sent_from_the_notify_queue_and_recorded(  # type: ignore[no-untyped-def]
    sessions: Sessions, database_url: str, tmp_path: Path, catalog: Catalog, redis_url: str, smtp
) -> None:
    url, server = smtp
    ticket, notice_id, clock = _drafted(sessions, catalog)
    settings = settings_for(
        database_url,
        tmp_path,
        redis_url,
        smtp_url=url,
        desk_address="helpdesk@kunde.example.no",
        customer_name="Kunde AS",
        customer_orgnr="999 888 777",
    )
    with installed(settings, catalog, clock):
        with sessions() as session:
            claim_notices.request_send(session, notice_id, "Mette Leder", clock.now)
            session.commit()
        with sessions() as session, pytest.raises(claim_notices.NoticeError) as twice:
            claim_notices.request_send(session, notice_id, "Mette Leder", clock.now)
        assert twice.value.status == 409
        enqueue.send_claim_notice(redis_url, notice_id)
        run_worker(redis_url)
    assert len(server.messages) == 1
    sent = email.message_from_bytes(server.messages[0].as_bytes(), policy=default)
    assert sent["To"] == "support@nettsoft.no"
    assert sent["Subject"].startswith(f"[#{ticket}] Reklamasjon nr. R-2026-")
    body = sent.get_content()
    assert "Kunde AS" in body and "Org.nr. 999 888 777" in body
    assert "Mottatt: 03.02.2026 kl. 09:00" in body
    assert "Frist etter avtalen: 03.02.2026 kl. 10:00" in body
    assert "innen 17.02.2026" in body
    assert "50 % fratrekk" in body
    [notice] = _notices(sessions)
    assert notice.status == "sent"
    assert notice.sent_to == "support@nettsoft.no"
    assert notice.message is not None and sent["Message-ID"] in notice.message
    assert "claim_notice_sent" in _kinds(sessions, ticket)
    # The job running again (RQ retry, a second worker) sends nothing more.
    with installed(settings, catalog, clock) as ctx:
        assert send_notice(ctx, notice_id) == "sent"
    assert len(server.messages) == 1


def test_the_sweeper_sends_a_queued_notice_whose_job_was_lost(  # type: ignore[no-untyped-def]
    sessions: Sessions, database_url: str, tmp_path: Path, catalog: Catalog, smtp
) -> None:
    url, server = smtp
    _, notice_id, clock = _drafted(sessions, catalog)
    with sessions() as session:
        claim_notices.request_send(session, notice_id, "Mette Leder", clock.now)
        session.commit()
    with installed(settings_for(database_url, tmp_path, smtp_url=url), catalog, clock) as ctx:
        sweep(ctx)  # just queued: its job may still run
        assert server.messages == []
        clock.now += timedelta(minutes=3)
        sweep(ctx)
    assert len(server.messages) == 1
    assert _notices(sessions)[0].status == "sent"


def test_a_failed_send_is_kept_with_the_error_and_can_be_sent_again(
    sessions: Sessions, database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    _, notice_id, clock = _drafted(sessions, catalog)
    with sessions() as session:
        claim_notices.request_send(session, notice_id, "Mette Leder", clock.now)
        session.commit()
    closed = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    with installed(settings_for(database_url, tmp_path, smtp_url=closed), catalog, clock) as ctx:
        assert send_notice(ctx, notice_id) == "failed"
    [notice] = _notices(sessions)
    assert notice.status == "failed" and notice.error
    with sessions() as session:
        claim_notices.request_send(session, notice_id, "Mette Leder", clock.now)  # allowed
        session.commit()
