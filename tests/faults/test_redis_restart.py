"""Fault: Redis is flushed and restarted (or only restarted) with escalations scheduled.

``tests/workers/test_escalation_rq.py`` flushes the shared Redis and runs the sweeper.
Here the Redis is the test's own ``redis-server``, really stopped and started again on
the same socket while jobs wait in it: once emptied first (FLUSHDB: every job lost), once
not (the append-only file brings the jobs back, and they run after the sweeper already
did their work). Two tickets are open: A with its "received" point due, B with
"received" due and "due" two seconds ahead. After the restart the sweeper fires what is
due and schedules B's "due" in the *new* Redis; RQ's worker with its scheduler (burst
mode, in this process) fires it once its second has come; the next sweep sends the page
the grouping window held back.
Exactly one SMS per (ticket, point) in the end.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.faults.invariants import assert_nothing_lost
from tests.faults.twilio import ScriptedTwilio
from tests.workers.escalation_support import (
    ONCALL,
    Clock,
    installed,
    new_ticket,
    roster,
    settings_for,
)
from triage.store.models import EscalationPoint
from workers.embedded_redis import EmbeddedRedis
from workers.enqueue import escalation_job_id, wire_scheduling
from workers.queues import QUEUES, SLA, connection, queue
from workers.sweeper import sweep

VPS = "nettsoft-vps-terminal"  # critical: "received" at once, "due" 15 minutes later
KARI = ONCALL[1]


def _status(sessions: sessionmaker[Session], ticket_id: int, point: str) -> EscalationPoint:
    with sessions() as session:
        return session.scalars(
            select(EscalationPoint).where(
                EscalationPoint.ticket_id == ticket_id, EscalationPoint.point == point
            )
        ).one()


def _run_worker_with_scheduler(url: str) -> None:
    """The RQ worker in burst mode: its scheduler moves due scheduled jobs to the queues
    once, then every queued job runs here (against the installed context)."""
    SimpleWorker(list(QUEUES), connection=connection(url)).work(burst=True, with_scheduler=True)


@pytest.mark.parametrize("flushed", [True, False], ids=["flushed-and-restarted", "restarted"])
def test_points_fire_once_after_redis_is_restarted(
    sessions: sessionmaker[Session],
    database_url: str,
    private_redis: EmbeddedRedis,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
    flushed: bool,
) -> None:
    url = private_redis.url
    start = datetime.now(UTC)
    roster(sessions, start)
    wire_scheduling(sessions, url)
    a = new_ticket(sessions, catalog, VPS, start - timedelta(minutes=1), start, subject="A nede")
    b_received = start - timedelta(minutes=15) + timedelta(seconds=2)
    b = new_ticket(sessions, catalog, VPS, b_received, start, subject="B nede")
    b_due = _status(sessions, b, "due").fire_at
    assert b_due == b_received + timedelta(minutes=15)
    sla = queue(SLA, url)
    queued = set(sla.get_job_ids())  # A's and B's "received": the job of the current second
    assert 1 <= len(queued) <= 2 and all(job.startswith("escalate-at-") for job in queued)
    b_due_job = escalation_job_id(math.ceil(b_due.timestamp()))
    assert b_due_job in ScheduledJobRegistry(queue=sla).get_job_ids()  # type: ignore[no-untyped-call]

    if flushed:
        connection(url).flushdb()
    private_redis.stop()
    private_redis.start()
    assert private_redis.url == url  # the same socket, as after a real restart
    kept = set(queue(SLA, url).get_job_ids())
    assert kept == (set() if flushed else queued)

    clock = Clock(start)  # B's "due" is still two seconds away
    settings = settings_for(database_url, tmp_path, url, twilio)
    with installed(settings, catalog, clock) as ctx:
        first = sweep(ctx)
        assert (first.fired, first.composed) == (2, 1)  # A and B received: one grouped SMS
        assert len(twilio.sent()) == 1
        assert first.rescheduled >= 1
        registry = ScheduledJobRegistry(queue=queue(SLA, url))  # type: ignore[no-untyped-call]
        assert b_due_job in registry.get_job_ids()  # back in the new Redis

        time.sleep(max(0.0, (b_due - datetime.now(UTC)).total_seconds()) + 1.1)
        clock.now = datetime.now(UTC)
        _run_worker_with_scheduler(url)  # the job fires B's "due" (and the rest find nothing)
        assert _status(sessions, b, "due").status == "fired"
        assert len(twilio.sent()) == 1  # Kari's window is still shut: the page waits

        clock.advance(seconds=61)
        assert sweep(ctx).composed == 1
        assert sweep(ctx).sent == 0
        _run_worker_with_scheduler(url)

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now)
    assert set(report.paged) == {(a, "received", KARI), (b, "received", KARI), (b, "due", KARI)}
    assert report.sms_by_recipient == {KARI: 2}
    assert len(twilio.sent()) == 2
