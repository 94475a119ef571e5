"""Forwarding the fault report to the vendor from the notify queue (issue 18): the agent's
request writes the outbox row and rings a real Redis; a real RQ worker sends it over a
real SMTP server (aiosmtpd on loopback), retries on the outbox's backoff when the server
is down, and records the outcome the ticket page shows. Without Redis the request sends
at once. On SQLite and PostgreSQL (``database_url``).

RQ's retries are scheduled jobs (``FORWARD_RETRY``); the tests check the schedule RQ
keeps and then move the due job to its queue themselves, with the clock the job reads
moved to the attempt's time, instead of waiting for RQ's scheduler.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import datetime
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, load_catalog
from tests.web.conftest import make_settings
from tests.web.test_api import Api, make_token
from tests.web.test_ui_queue import followed, page, post
from tests.web.ui_support import logged_in
from tests.workers.escalation_support import (
    Clock,
    installed,
    new_ticket,
    oslo,
    run_worker,
    settings_for,
)
from triage.store import vendor_forwards
from triage.store.models import TicketEvent, VendorForward
from triage.store.ticket_actions import forward_to_vendor
from web.app import create_app
from workers import enqueue
from workers.queues import NOTIFY, connection, queue
from workers.sweeper import sweep

MBN = "nettsoft-mbn"
DESK = "helpdesk@desk.example.no"
CLOSED = "smtp://127.0.0.1:9"  # nothing listens on the discard port
Sessions = sessionmaker[Session]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def clock() -> Clock:
    return Clock(oslo("2026-03-10T09:05"))


@pytest.fixture
def ticket(sessions: Sessions, catalog: Catalog) -> int:
    received = oslo("2026-03-10T09:00")
    return new_ticket(sessions, catalog, MBN, received, received, "non-critical", "MBN nede")


def _app(database_url: str, tmp_path: Path, catalog: Catalog, clock: Clock, **env: str) -> Flask:
    settings = make_settings(database_url, tmp_path, TRIAGE_DESK_ADDRESS=DESK, **env)
    return create_app(settings, catalog=catalog, clock=clock)


@pytest.fixture
def worker(  # type: ignore[no-untyped-def]
    database_url: str, tmp_path: Path, catalog: Catalog, clock: Clock, redis_url: str, smtp
) -> Iterator[None]:
    """The worker context the RQ jobs of these tests run in: the SMTP server is up."""
    settings = settings_for(database_url, tmp_path, redis_url, smtp_url=smtp[0], desk_address=DESK)
    with installed(settings, catalog, clock):
        yield


def _forwards(sessions: Sessions) -> list[VendorForward]:
    with sessions() as session:
        return list(session.scalars(select(VendorForward).order_by(VendorForward.id)))


def _events(sessions: Sessions, ticket_id: int) -> list[tuple[str, dict[str, Any]]]:
    with sessions() as session:
        rows = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [(e.kind, dict(e.data or {})) for e in rows]


def _kinds(sessions: Sessions, ticket_id: int) -> list[str]:
    return [kind for kind, _ in _events(sessions, ticket_id)]


def _queue(
    sessions: Sessions, catalog: Catalog, ticket_id: int, now: datetime, actor: str = "Agent"
) -> int:
    with sessions() as session:
        return forward_to_vendor(session, catalog, ticket_id, actor, now, desk_address=DESK).id


def test_queued_in_the_request_then_sent_once_by_the_notify_queue(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    redis_url: str,
    smtp,
    ticket: int,
    worker: None,
) -> None:
    url, server = smtp
    agent = logged_in(
        _app(database_url, tmp_path, catalog, clock, REDIS_URL=redis_url, SMTP_URL=url)
    )
    html = followed(agent, post(agent, ticket, "forward"))
    assert "Feilmeldingen er lagt i kø og sendes til support@nettsoft.no straks." in html
    assert 'class="forward forward-queued"' in html
    assert server.messages == []  # the request only queued it
    [row] = _forwards(sessions)
    assert (row.status, row.attempts, row.to_address) == ("queued", 0, "support@nettsoft.no")
    assert _kinds(sessions, ticket)[-1] == "forward_queued"
    assert "forwarded" not in _kinds(sessions, ticket)
    refused = post(agent, ticket, "forward")  # a second click while it waits
    assert refused.status_code == 409 and "already queued" in refused.get_data(as_text=True)

    clock.now = oslo("2026-03-10T09:06")
    run_worker(redis_url)
    assert len(server.messages) == 1
    sent = email.message_from_bytes(server.messages[0].as_bytes(), policy=default)
    assert sent["Message-ID"].strip() == row.message_id  # the thread key the vendor's reply names
    assert sent["To"] == "support@nettsoft.no" and sent["From"] == DESK
    assert sent["Subject"] == f"[#{ticket}] MBN nede"
    [row] = _forwards(sessions)
    assert (row.status, row.attempts, row.error) == ("sent", 1, None)
    assert row.sent_at == oslo("2026-03-10T09:06")
    kind, data = _events(sessions, ticket)[-1]
    assert kind == "forwarded" and data["message_id"] == row.message_id
    assert data["to"] == "support@nettsoft.no" and data["late"] is False
    html = page(agent, f"/tickets/{ticket}")
    assert 'class="forward forward-sent"' in html and "10.03.2026 09:06" in html
    run_worker(redis_url)  # nothing left to run; and nothing is sent again
    assert len(server.messages) == 1


def test_the_api_answers_202_with_the_queued_forward(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    redis_url: str,
    smtp,
    ticket: int,
    worker: None,
) -> None:
    url, server = smtp
    app = _app(database_url, tmp_path, catalog, clock, REDIS_URL=redis_url, SMTP_URL=url)
    api = Api(app.test_client(), make_token(sessions))
    queued = api.post(f"/tickets/{ticket}/forward")
    assert queued.status_code == 202, queued.get_json()
    body = queued.get_json()
    assert body["status"] == "queued" and body["to"] == "support@nettsoft.no"
    assert body["ticket"] == ticket and body["attempts"] == 0 and body["sent_at"] is None
    assert api.post(f"/tickets/{ticket}/forward").status_code == 409
    run_worker(redis_url)
    [shown] = api.get(f"/tickets/{ticket}").get_json()["forwards"]
    assert shown["id"] == body["id"] and shown["status"] == "sent"
    assert shown["sent_at"] == "2026-03-10T09:05:00+01:00"
    assert len(server.messages) == 1


def _run_due_retry(redis_url: str, forward_id: int) -> Job:
    """RQ scheduled the job's retry: check it, and move it to its queue as RQ's scheduler
    does when its time comes."""
    notify = queue(NOTIFY, redis_url)
    job_id = f"vendor-forward-{forward_id}"
    assert job_id in notify.scheduled_job_registry
    job = Job.fetch(job_id, connection=connection(redis_url))
    notify.scheduled_job_registry.remove(job)
    notify.enqueue_job(job)
    return job


def test_smtp_down_is_retried_on_the_backoff_then_failed_and_shown(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    redis_url: str,
    smtp,
    ticket: int,
) -> None:
    down = _app(database_url, tmp_path, catalog, clock, REDIS_URL=redis_url, SMTP_URL=CLOSED)
    agent = logged_in(down)
    followed(agent, post(agent, ticket, "forward"))
    [row] = _forwards(sessions)
    settings = settings_for(database_url, tmp_path, redis_url, smtp_url=CLOSED, desk_address=DESK)
    with installed(settings, catalog, clock):
        run_worker(redis_url)
        for attempt, wait in enumerate(vendor_forwards.BACKOFF, start=1):
            [row] = _forwards(sessions)
            assert (row.status, row.attempts) == ("queued", attempt)
            assert row.error is not None and "ConnectionRefusedError" in row.error
            assert row.next_attempt_at == clock.now + wait
            html = page(agent, f"/tickets/{ticket}")
            assert f"{attempt} forsøk feilet, neste forsøk" in html
            job = _run_due_retry(redis_url, row.id)
            assert job.retries_left == len(vendor_forwards.BACKOFF) - attempt
            assert job.retry_intervals == [int(w.total_seconds()) for w in vendor_forwards.BACKOFF]
            clock.now = row.next_attempt_at
            run_worker(redis_url)
    [row] = _forwards(sessions)
    assert (row.status, row.attempts) == ("failed", vendor_forwards.MAX_ATTEMPTS)
    assert f"vendor-forward-{row.id}" not in queue(NOTIFY, redis_url).scheduled_job_registry
    kind, data = _events(sessions, ticket)[-1]
    assert kind == "forward_failed" and "ConnectionRefusedError" in data["error"]
    assert "forwarded" not in _kinds(sessions, ticket)
    html = page(agent, f"/tickets/{ticket}")
    assert 'class="forward forward-failed"' in html and "ConnectionRefusedError" in html
    assert f"/tickets/{ticket}/forwards/{row.id}/retry" in html and "Prøv igjen" in html

    # The mail server is back: the agent tries again; the same message goes, once.
    url, server = smtp
    up = logged_in(
        _app(database_url, tmp_path, catalog, clock, REDIS_URL=redis_url, SMTP_URL=url),
        username="agent2",
    )
    html = followed(up, post(up, ticket, f"forwards/{row.id}/retry"))
    assert "Feilmeldingen er lagt i kø" in html
    settings = settings_for(database_url, tmp_path, redis_url, smtp_url=url, desk_address=DESK)
    with installed(settings, catalog, clock):
        run_worker(redis_url)
    assert len(server.messages) == 1
    sent = email.message_from_bytes(server.messages[0].as_bytes(), policy=default)
    assert sent["Message-ID"].strip() == row.message_id  # a long one is folded on the wire
    [after] = _forwards(sessions)
    assert (after.id, after.status, after.attempts) == (row.id, "sent", 1)


def test_without_redis_the_request_sends_at_once(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    smtp,
    ticket: int,
) -> None:
    url, server = smtp
    down = logged_in(_app(database_url, tmp_path, catalog, clock, SMTP_URL=CLOSED))
    refused = post(down, ticket, "forward")
    assert refused.status_code == 503
    html = refused.get_data(as_text=True)
    assert "Ikke sendt: ConnectionRefusedError" in html
    assert 'class="forward forward-failed"' in html and "Prøv igjen" in html
    [failed] = _forwards(sessions)
    assert (failed.status, failed.attempts) == ("failed", 1)  # no retries in a request

    agent = logged_in(_app(database_url, tmp_path, catalog, clock, SMTP_URL=url), username="a2")
    html = followed(agent, post(agent, ticket, "forward"))
    assert "Feilmeldingen er sendt til support@nettsoft.no." in html
    assert len(server.messages) == 1
    assert [(r.status, r.attempts) for r in _forwards(sessions)] == [("failed", 1), ("sent", 1)]
    assert _kinds(sessions, ticket)[-2:] == ["forward_queued", "forwarded"]


def test_two_jobs_for_one_forward_send_it_once(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    catalog: Catalog,
    clock: Clock,
    redis_url: str,
    smtp,
    ticket: int,
    worker: None,
) -> None:
    _, server = smtp
    forward_id = _queue(sessions, catalog, ticket, clock.now)
    notify = Queue(NOTIFY, connection=connection(redis_url))
    jobs = [
        notify.enqueue("workers.jobs.vendor_forward.send_vendor_forward", forward_id)
        for _ in range(2)
    ]
    run_worker(redis_url)
    assert sorted(str(job.latest_result().return_value) for job in jobs) == ["sent", "sent"]
    assert len(server.messages) == 1
    assert _kinds(sessions, ticket).count("forwarded") == 1


def test_a_forward_another_sender_claimed_is_not_sent_again(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    catalog: Catalog,
    clock: Clock,
    redis_url: str,
    smtp,
    ticket: int,
    worker: None,
) -> None:
    """A second job runs while the first is sending: it finds the claim and leaves."""
    _, server = smtp
    forward_id = _queue(sessions, catalog, ticket, clock.now)
    with sessions() as session:
        assert vendor_forwards.claim(session, forward_id, clock.now) is not None
    enqueue.send_vendor_forward(redis_url, forward_id)
    run_worker(redis_url)
    assert server.messages == []
    assert _forwards(sessions)[0].status == "sending"


def test_the_sweeper_rings_again_for_a_lost_job_and_fails_a_stuck_send(  # type: ignore[no-untyped-def]
    sessions: Sessions,
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    redis_url: str,
    smtp,
    ticket: int,
) -> None:
    url, server = smtp
    lost = _queue(sessions, catalog, ticket, clock.now)  # its job never reached Redis
    other = new_ticket(sessions, catalog, MBN, clock.now, clock.now, "non-critical", "Nede")
    stuck = _queue(sessions, catalog, other, clock.now)
    with sessions() as session:  # a worker claimed it and stopped before the outcome
        assert vendor_forwards.claim(session, stuck, clock.now) is not None
    settings = settings_for(database_url, tmp_path, redis_url, smtp_url=url, desk_address=DESK)
    with installed(settings, catalog, clock) as ctx:
        assert sweep(ctx).forwards_requeued == 0  # just queued: its job may still come
        run_worker(redis_url)
        assert server.messages == []
        clock.now = oslo("2026-03-10T09:08")
        assert sweep(ctx).forwards_requeued == 1
        run_worker(redis_url)
    assert len(server.messages) == 1 and server.messages[0]["Subject"] == f"[#{ticket}] MBN nede"
    rows = {r.id: r for r in _forwards(sessions)}
    assert rows[lost].status == "sent"
    assert (rows[stuck].status, rows[stuck].error) == ("failed", vendor_forwards.ABANDONED)
    kind, data = _events(sessions, other)[-1]
    assert kind == "forward_failed" and "may or may not have received it" in data["error"]
