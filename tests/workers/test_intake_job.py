"""The batch intake behind the HMAC webhooks (issue 18), with a real Redis and RQ.

The web app (with ``REDIS_URL``) stores and answers 202; the first webhook that finds the
doorbell unset enqueues one intake job, however many follow; the job (run by a real
``SimpleWorker`` in this process) ingests them in batches; escalations due on receipt
("immediately" contracts) are fired from the batch itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import load_catalog
from tests.web.conftest import make_settings
from tests.web.support import chat_payload, get_receipt, post_chat
from tests.workers.escalation_support import installed, roster, run_worker, settings_for
from triage.store.intake_batch import ingest_pending
from triage.store.models import EscalationPoint, InboxItem, SmsPage, Ticket
from web.app import create_app
from workers.channels.payloads import parsers
from workers.enqueue import INTAKE_FLAG
from workers.jobs.intake import drain
from workers.queues import INTAKE, connection

#: A critical fault on a hosted service: nettsoft-vps-terminal pages on receipt.
VPS_DOWN = "Terminalserveren svarer ikke, ingen får logget inn"


def test_a_storm_rings_one_intake_job_which_ingests_every_payload(
    sessions: sessionmaker[Session], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    catalog = load_catalog()
    app = create_app(make_settings(database_url, tmp_path, REDIS_URL=redis_url), catalog=catalog)
    client = app.test_client()

    answers = [
        post_chat(client, chat_payload(message_id=f"m{n}", conversation_id=f"c{n % 7}"))
        for n in range(30)
    ]

    assert [a.status_code for a in answers] == [202] * 30
    redis = connection(redis_url)
    assert Queue(INTAKE, connection=redis).count == 1  # one job for thirty webhooks
    assert redis.exists(INTAKE_FLAG)
    with sessions() as session:
        assert session.scalars(select(Ticket)).all() == []  # nothing ingested in the request
    settings = settings_for(database_url, tmp_path, redis_url)
    with installed(settings, catalog) as ctx:
        ctx.parsers = parsers(settings)
        run_worker(redis_url)
    assert not redis.exists(INTAKE_FLAG)  # cleared by the job: the next webhook rings again
    states = [get_receipt(client, a.json["receipt"]).json for a in answers]
    assert {s["state"] for s in states} == {"ticket"}
    with sessions() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 7  # one per conversation
        assert {s["ticket"] for s in states} == {t.id for t in tickets}
        assert {i.status for i in session.scalars(select(InboxItem))} == {"processed"}

    post_chat(client, chat_payload(message_id="late", conversation_id="c-late"))
    assert Queue(INTAKE, connection=redis).count == 1  # rung again after the job ran


def test_a_batch_pages_what_is_due_on_receipt_at_once(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    """No Redis, no sla job: the batch itself fires the "received" rung it planned."""
    catalog = load_catalog()
    now = datetime.now(UTC)
    roster(sessions, now)
    app = create_app(make_settings(database_url, tmp_path), catalog=catalog, defer_intake=True)
    client = app.test_client()
    answer = post_chat(client, chat_payload(text=VPS_DOWN))
    assert answer.status_code == 202

    settings = settings_for(database_url, tmp_path)
    with installed(settings, catalog) as ctx:
        ctx.parsers = parsers(settings)
        assert drain(ctx, 5.0) == (1, False)
    with sessions() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert (ticket.contract_id, ticket.severity) == ("nettsoft-vps-terminal", "critical")
        received = session.scalars(
            select(EscalationPoint).where(
                EscalationPoint.ticket_id == ticket.id, EscalationPoint.point == "received"
            )
        ).one()
        assert received.status == "fired"
        assert session.scalars(select(SmsPage).where(SmsPage.ticket_id == ticket.id)).all()


def test_the_clock_starts_when_the_payload_was_stored_not_when_it_was_ingested(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    catalog = load_catalog()
    stored_at = datetime(2026, 3, 10, 8, 15, tzinfo=UTC)  # 09:15 Oslo, a Tuesday
    app = create_app(
        make_settings(database_url, tmp_path),
        catalog=catalog,
        clock=lambda: stored_at,
        defer_intake=True,
    )
    assert post_chat(app.test_client(), chat_payload()).status_code == 202
    later = datetime(2026, 3, 10, 8, 55, tzinfo=UTC)  # the batch runs 40 minutes late

    batch = ingest_pending(sessions, catalog, parsers(app.extensions["triage"].settings), later)

    assert batch.taken == len(batch.tickets) == 1
    with sessions() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.received_at == stored_at
        assert ticket.due_at == datetime(2026, 3, 10, 9, 15, tzinfo=UTC)  # 60 business minutes


def test_a_full_batch_rings_a_second_job_to_drain_beside_it_on_postgresql_only(
    sessions: sessionmaker[Session], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """A backlog wider than one batch: the running job rings once so a second worker
    ingests beside it (SKIP LOCKED keeps their batches apart); SQLite has one writer, so
    there the job drains alone. Every payload still becomes one ticket."""
    catalog = load_catalog()
    app = create_app(
        make_settings(database_url, tmp_path, REDIS_URL=redis_url),
        catalog=catalog,
        defer_intake=True,
    )
    client = app.test_client()
    for n in range(25):
        assert (
            post_chat(client, chat_payload(message_id=f"m{n}", conversation_id=f"c{n}")).status_code
            == 202
        )
    redis = connection(redis_url)
    redis.delete(INTAKE_FLAG)
    Queue(INTAKE, connection=redis).empty()

    settings = settings_for(database_url, tmp_path, redis_url)
    with installed(settings, catalog) as ctx:
        ctx.parsers = parsers(settings)
        assert drain(ctx, 60.0, batch_size=10) == (25, False)

    rung = Queue(INTAKE, connection=redis).count
    assert rung == (1 if database_url.startswith("postgresql") else 0)
    with sessions() as session:
        assert len(session.scalars(select(Ticket)).all()) == 25
