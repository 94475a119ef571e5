"""Escalation end to end: the database plans, RQ on a real Redis fires, the real ``twilio``
client sends to the fake Twilio API (``tests.fakes.twilio_api``).

RQ's scheduler runs on real time, so the RQ-path tests backdate tickets against the real
now and run the worker in burst mode. Tests that need a controlled clock install a worker
context with a ``Clock`` and call the sweeper or the job functions directly; those that
ask Twilio what it already has (``find_sent``) keep that clock close to real time, since
the fake stamps messages with the real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from sla.severity import Severity
from tests.fakes.twilio_api import FakeTwilio
from tests.workers.escalation_support import (
    ONCALL,
    Clock,
    installed,
    new_ticket,
    oslo,
    roster,
    run_worker,
    settings_for,
)
from triage.sms_text import septets
from triage.store import sms_outbox
from triage.store.escalations import Planned, due_points, fire_due
from triage.store.models import EscalationPoint, SmsOutbox, TicketEvent
from triage.store.roster import load_roster
from triage.store.ticket_actions import reclassify, record_response
from workers import enqueue
from workers.channels.twilio_sms import TwilioSms
from workers.enqueue import SCHEDULE_AHEAD, escalation_job_id, wire_scheduling
from workers.jobs.escalation import EARLY, fire_due_second, send, send_sms
from workers.queues import NOTIFY, SLA, connection, queue
from workers.sweeper import INTERVAL, sweep

VPS = "nettsoft-vps-terminal"
MBN = "nettsoft-mbn"
KARI = ONCALL[1]
FROM = "+4759440000"

Sessions = sessionmaker[Session]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def rq_settings(
    database_url: str, tmp_path: Path, redis_url: str, fake_twilio: FakeTwilio
) -> Settings:
    """The workers' settings for this test's database, Redis and fake Twilio."""
    return settings_for(database_url, tmp_path, redis_url, fake_twilio)


@pytest.fixture
def direct_settings(database_url: str, tmp_path: Path, fake_twilio: FakeTwilio) -> Settings:
    """The same without Redis: the test calls the jobs itself."""
    return settings_for(database_url, tmp_path, None, fake_twilio)


def _now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ reading the results


def _outbox(sessions: Sessions) -> list[SmsOutbox]:
    with sessions() as session:
        return list(session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)))


def _only_outbox(sessions: Sessions) -> SmsOutbox:
    rows = _outbox(sessions)
    assert len(rows) == 1, [(r.id, r.status, r.body) for r in rows]
    return rows[0]


def _events(sessions: Sessions, ticket_id: int) -> list[TicketEvent]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
        )


def _kinds(sessions: Sessions, ticket_id: int) -> list[str]:
    return [event.kind for event in _events(sessions, ticket_id)]


def _points(sessions: Sessions, ticket_id: int) -> dict[str, EscalationPoint]:
    with sessions() as session:
        rows = session.scalars(
            select(EscalationPoint).where(EscalationPoint.ticket_id == ticket_id)
        )
        return {row.point: row for row in rows}


def _scheduled(redis_url: str, name: str) -> ScheduledJobRegistry:
    return ScheduledJobRegistry(queue=queue(name, redis_url))  # type: ignore[no-untyped-call]


def _whole_second(at: datetime) -> datetime:
    """RQ keeps a scheduled job's time in whole seconds; ours are rounded up, never early."""
    whole = at.astimezone(UTC).replace(microsecond=0)
    return whole if whole == at else whole + timedelta(seconds=1)


def _job_of(at: datetime) -> str:
    """The id of the fire job of the second a point due at ``at`` is scheduled in."""
    return escalation_job_id(int(_whole_second(at).timestamp()))


def _wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _wired(sessions: Sessions, redis_url: str) -> Sessions:
    """The test's session factory, committing plans to RQ as the composition roots do."""
    wire_scheduling(sessions, redis_url)
    return sessions


def _received_ticket(
    sessions: Sessions, catalog: Catalog, now: datetime, redis_url: str | None = None
) -> int:
    """Kari and Mette on the roster, then one VPS ticket received a minute before ``now``;
    with ``redis_url`` its plans go to RQ (``_wired``)."""
    roster(sessions, now)
    target = _wired(sessions, redis_url) if redis_url is not None else sessions
    return new_ticket(target, catalog, VPS, now - timedelta(minutes=1), now)


def _short_timeout_channel(fake: FakeTwilio, timeout: float) -> TwilioSms:
    return TwilioSms(
        fake.account_sid, fake.auth_token, FROM, api_base=fake.base_url, timeout=timeout
    )


def _queue_one_sms(ctx: Any, catalog: Catalog, now: datetime) -> int:
    """Fire what is due and compose Kari's SMS (status "queued"), without sending it."""
    with ctx.sessions() as session:
        roster_now = load_roster(session, ctx.office_hours, now)
        fired = fire_due(session, roster_now, now, due_points(session, now))
    assert fired.recipients == {KARI}
    with ctx.sessions() as session:
        composed = sms_outbox.compose(session, catalog, KARI, now, ctx.group_window)
    assert composed.outbox_id is not None
    return composed.outbox_id


# ------------------------------------------------------------------ 1. the RQ path


def test_due_point_pages_once_through_rq_and_twilio(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    now = _now()
    ticket_id = _received_ticket(sessions, catalog, now, redis_url)
    # the "received" point is due: the job of the current second, enqueued at once
    [job_id] = queue(SLA, redis_url).get_job_ids()
    assert job_id.startswith("escalate-at-")

    with installed(rq_settings, catalog):
        run_worker(redis_url)
        [message] = fake_twilio.sent()
        assert message["to"] == KARI
        assert message["from"] == FROM
        assert f"ACK {ticket_id}" in message["body"]
        size = septets(message["body"])
        assert size is not None and size <= 160, message["body"]

        row = _only_outbox(sessions)
        assert (row.status, row.provider, row.provider_sid) == ("sent", "twilio", message["sid"])
        assert (row.recipient, row.body, row.ticket_ids, row.attempts) == (
            KARI,
            message["body"],
            [ticket_id],
            1,
        )
        kinds = _kinds(sessions, ticket_id)
        assert kinds.count("escalated") == 1 and kinds.count("sms_sent") == 1
        points = _points(sessions, ticket_id)
        assert points["received"].status == "fired"
        assert points["due"].status == points["overdue"].status == "pending"

        run_worker(redis_url)  # nothing left to do: no second SMS
        assert len(fake_twilio.sent()) == 1
        assert len(_outbox(sessions)) == 1


def test_jobs_carry_ids_never_a_phone_number(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    """Issue 15: Redis's append-only file held the on-call number in ``flush_pages``'s
    arguments after the staff member's erasure. Every job the escalation path leaves in
    Redis names ids only (arguments, description, id)."""
    from rq.job import Job

    now = _now()
    _received_ticket(sessions, catalog, now, redis_url)
    with installed(rq_settings, catalog):
        run_worker(redis_url)
    assert fake_twilio.sent()  # the page went out through the flush job
    redis = connection(redis_url)
    jobs = [
        Job.fetch(key.decode().removeprefix("rq:job:"), connection=redis)
        for key in redis.scan_iter("rq:job:*")
    ]
    assert any(job.func_name.endswith("flush_pages") for job in jobs)
    digits = KARI.lstrip("+")[-8:]
    for job in jobs:
        seen = f"{job.id} {job.description} {job.args!r} {job.kwargs!r}"
        assert digits not in seen, seen


# ------------------------------------------------------------------ 2. scheduling


def test_future_points_are_scheduled_moved_and_cancelled(
    sessions: Sessions, redis_url: str, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workers.enqueue.SCHEDULE_AHEAD", timedelta(days=7))  # all in RQ
    now = _now()
    wired = _wired(sessions, redis_url)
    ticket_id = new_ticket(wired, catalog, VPS, now - timedelta(minutes=1), now)
    registry = _scheduled(redis_url, SLA)

    points = _points(sessions, ticket_id)
    assert points["due"].fire_at > now and points["overdue"].fire_at > points["due"].fire_at
    due_job, overdue_job = _job_of(points["due"].fire_at), _job_of(points["overdue"].fire_at)
    assert set(registry.get_job_ids()) == {due_job, overdue_job}
    old_due = points["due"].fire_at
    assert registry.get_scheduled_time(due_job) == _whole_second(old_due)
    assert registry.get_scheduled_time(overdue_job) == _whole_second(points["overdue"].fire_at)
    job = queue(SLA, redis_url).fetch_job(due_job)
    assert job is not None and tuple(job.args) == (int(_whole_second(old_due).timestamp()),)

    # critical -> non-critical: 4 office hours instead of "immediately"; the deadline moves
    with wired() as session:
        reclassify(session, catalog, ticket_id, "agent", _now(), Severity.NON_CRITICAL, "one user")
    points = _points(sessions, ticket_id)
    assert points["due"].status == "pending" and points["due"].fire_at > old_due
    for name in ("half-budget", "late", "due", "overdue"):  # the standard ladder's rungs
        assert points[name].status == "pending"
        assert registry.get_scheduled_time(_job_of(points[name].fire_at)) == _whole_second(
            points[name].fire_at
        )
    # "received" is not on the standard ladder: cancelled; the old seconds' jobs stay (they
    # may serve other tickets) and find nothing of this ticket's left to fire
    assert points["received"].status == "cancelled"
    assert {due_job, overdue_job} <= set(registry.get_job_ids())
    kept = set(registry.get_job_ids())

    # a response stops the ladder: every pending point cancelled, without a word to Redis
    with wired() as session:
        record_response(session, catalog, ticket_id, "agent", _now())
    assert {p.status for p in _points(sessions, ticket_id).values()} == {"cancelled"}
    assert set(registry.get_job_ids()) == kept
    with sessions() as session:
        assert due_points(session, _now() + timedelta(days=7)) == []  # nothing for them to fire


def test_points_beyond_the_horizon_are_left_to_the_sweeper(redis_url: str) -> None:
    """The sweeper schedules them once they are due before its next pass
    (``test_sweeper_pages_once_after_redis_flush`` shows that path)."""
    now = datetime.now(UTC)
    near = Planned(1, "due", now + SCHEDULE_AHEAD - timedelta(seconds=30), pending=True)
    far = Planned(1, "overdue", now + SCHEDULE_AHEAD + timedelta(seconds=30), pending=True)

    enqueue.schedule_escalations(redis_url, [near, far])

    assert _scheduled(redis_url, SLA).get_job_ids() == [_job_of(near.fire_at)]
    assert INTERVAL < SCHEDULE_AHEAD


def test_rungs_due_in_the_same_second_share_one_job(redis_url: str) -> None:
    """600 rungs of 600 tickets due within one second: one job for RQ's scheduler to move
    and a worker to run, not 600; the next second has its own."""
    second = datetime.fromtimestamp(int(time.time()) + 120, UTC)
    same = [
        Planned(n, "due", second - timedelta(microseconds=1000 * (n % 999) + 1), pending=True)
        for n in range(600)
    ]
    later = Planned(600, "due", second + timedelta(milliseconds=300), pending=True)
    enqueue.schedule_escalations(redis_url, [*same, later])

    registry = _scheduled(redis_url, SLA)
    assert sorted(registry.get_job_ids()) == sorted([_job_of(second), _job_of(later.fire_at)])
    assert registry.get_scheduled_time(_job_of(second)) == second  # never before a rung


def test_rungs_already_due_share_one_job_queued_at_once(redis_url: str) -> None:
    now = datetime.now(UTC)
    enqueue.schedule_escalations(
        redis_url,
        [Planned(n, "received", now - timedelta(seconds=n), pending=True) for n in range(50)],
    )
    assert len(queue(SLA, redis_url).get_job_ids()) == 1
    assert _scheduled(redis_url, SLA).get_job_ids() == []


def test_cancelling_points_costs_redis_nothing(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answered ticket's rungs, near or far: no round trip at all (a due second's job
    may serve other tickets; it re-checks the database when it runs)."""
    now = datetime.now(UTC)
    near = Planned(1, "due", now + timedelta(seconds=30), pending=True)
    far = Planned(1, "overdue", now + SCHEDULE_AHEAD + timedelta(seconds=30), pending=True)
    enqueue.schedule_escalations(redis_url, [near, far])
    calls: list[str] = []
    monkeypatch.setattr(enqueue, "queue", lambda name, url: calls.append(name))
    monkeypatch.setattr(enqueue, "connection", calls.append)

    enqueue.schedule_escalations(
        redis_url, [Planned(1, p.point, p.fire_at, pending=False) for p in (near, far)]
    )

    assert calls == []


def test_cancelling_points_whose_jobs_redis_lost_keeps_the_commit(
    sessions: Sessions, redis_url: str, catalog: Catalog
) -> None:
    """A flushed Redis has no job to remove; the answer must still be recorded without an
    error (the sweeper is the guarantee, scheduling is best effort)."""
    now = _now()
    wired = _wired(sessions, redis_url)
    ticket_id = new_ticket(wired, catalog, VPS, now - timedelta(minutes=1), now)
    connection(redis_url).flushdb()

    with wired() as session:
        record_response(session, catalog, ticket_id, "agent", _now())
    points = _points(sessions, ticket_id)
    assert {p.status for p in points.values()} == {"cancelled"}
    assert "response_started" in _kinds(sessions, ticket_id)


# ------------------------------------------------------------------ 3. Redis lost


def test_sweeper_pages_once_after_redis_flush(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    now = _now()
    ticket_id = _received_ticket(sessions, catalog, now, redis_url)
    assert queue(SLA, redis_url).count == 1
    connection(redis_url).flushdb()  # before any worker ran: the job is lost

    with installed(rq_settings, catalog) as ctx:
        assert sweep(ctx).fired == 1
        [message] = fake_twilio.sent()
        assert message["to"] == KARI and f"ACK {ticket_id}" in message["body"]

        assert sweep(ctx).fired == 0
        run_worker(redis_url)  # the flush job the sweeper's firing enqueued finds nothing
        assert len(fake_twilio.sent()) == 1
    row = _only_outbox(sessions)
    assert (row.status, row.provider_sid) == ("sent", message["sid"])
    assert _kinds(sessions, ticket_id).count("sms_sent") == 1


# ------------------------------------------------------------------ 4. an outage


def test_outage_of_many_tickets_sends_one_grouped_sms(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    now = _now()
    roster(sessions, now)
    wired = _wired(sessions, redis_url)
    ids = [
        new_ticket(wired, catalog, VPS, now - timedelta(minutes=1), now, subject=f"Nede {n}")
        for n in range(6)
    ]

    with installed(rq_settings, catalog):
        run_worker(redis_url)
        run_worker(redis_url)
    [message] = fake_twilio.sent()
    assert message["to"] == KARI
    body = message["body"]
    assert body.startswith("6 saker") and "ACK" in body, body
    size = septets(body)
    assert size is not None and size <= 160, body
    assert f"#{ids[0]}" in body
    row = _only_outbox(sessions)
    assert row.status == "sent" and row.provider_sid == message["sid"]
    assert sorted(row.ticket_ids) == sorted(ids)
    for ticket_id in ids:
        kinds = _kinds(sessions, ticket_id)
        assert kinds.count("escalated") == 1 and kinds.count("sms_sent") == 1


# ------------------------------------------------------------------ 5-7. Twilio faults


def test_twilio_500_is_retried_with_backoff(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    now = _now()
    clock = Clock(now)
    ticket_id = _received_ticket(sessions, catalog, now, redis_url)
    fake_twilio.fail_next(500)

    with installed(rq_settings, catalog, clock) as ctx:
        run_worker(redis_url)
        assert fake_twilio.sent() == []
        row = _only_outbox(sessions)
        assert (row.status, row.attempts) == ("queued", 1)
        assert row.next_attempt_at > now
        assert row.error is not None and "500" in row.error
        registry = _scheduled(redis_url, NOTIFY)
        assert registry.get_job_ids() == [f"sms-{row.id}-1"]
        assert registry.get_scheduled_time(f"sms-{row.id}-1") == _whole_second(row.next_attempt_at)
        assert "sms_failed" not in _kinds(sessions, ticket_id)

        assert send(ctx, row.id) == "skipped"  # not due yet
        clock.now = row.next_attempt_at + timedelta(seconds=1)
        assert send(ctx, row.id) == "sent"
        assert send_sms(row.id) == "skipped"  # the scheduled retry job, when it comes
        assert sweep(ctx).sent == 0

    [message] = fake_twilio.sent()
    row = _only_outbox(sessions)
    assert (row.status, row.attempts, row.provider_sid) == ("sent", 2, message["sid"])
    assert _kinds(sessions, ticket_id).count("sms_sent") == 1


def test_a_page_retried_after_its_ticket_was_answered_is_withdrawn(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    now = _now()
    clock = Clock(now)
    ticket_id = _received_ticket(sessions, catalog, now, redis_url)
    fake_twilio.fail_next(503)  # Twilio is down when the page is first sent

    with installed(rq_settings, catalog, clock) as ctx:
        run_worker(redis_url)
        row = _only_outbox(sessions)
        assert (row.status, row.attempts) == ("queued", 1)
        with _wired(sessions, redis_url)() as session:  # an agent answers meanwhile
            record_response(session, catalog, ticket_id, "agent", clock.now)
        clock.now = row.next_attempt_at + timedelta(seconds=1)
        assert send(ctx, row.id) == "withdrawn"
        assert send(ctx, row.id) == "skipped"

    assert fake_twilio.sent() == []  # the lookup found no earlier copy; nothing went out
    row = _only_outbox(sessions)
    assert row.status == "withdrawn"
    kinds = _kinds(sessions, ticket_id)
    assert "sms_withdrawn" in kinds and "sms_sent" not in kinds


def test_twilio_400_invalid_number_fails_without_retry(
    sessions: Sessions,
    redis_url: str,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    rq_settings: Settings,
) -> None:
    now = _now()
    ticket_id = _received_ticket(sessions, catalog, now, redis_url)
    fake_twilio.fail_next(400, code=21211)

    with installed(rq_settings, catalog) as ctx:
        run_worker(redis_url)
        row = _only_outbox(sessions)
        assert (row.status, row.error_code, row.attempts) == ("failed", 21211, 1)
        assert _scheduled(redis_url, NOTIFY).get_job_ids() == []
        assert queue(NOTIFY, redis_url).count == 0
        assert sweep(ctx).sent == 0  # the sweeper does not retry it either
    assert fake_twilio.sent() == []
    failed = [e for e in _events(sessions, ticket_id) if e.kind == "sms_failed"]
    assert len(failed) == 1 and failed[0].data["code"] == 21211
    assert "sms_sent" not in _kinds(sessions, ticket_id)


def test_twilio_timeout_is_retried_and_not_sent_twice(
    sessions: Sessions,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    direct_settings: Settings,
) -> None:
    now = _now()
    clock = Clock(now)
    ticket_id = _received_ticket(sessions, catalog, now)
    fake_twilio.delay_next(0.9)

    with installed(direct_settings, catalog, clock) as ctx:
        ctx.channel = _short_timeout_channel(fake_twilio, 0.3)
        assert sweep(ctx).fired == 1
        row = _only_outbox(sessions)
        assert (row.status, row.attempts) == ("queued", 1)
        assert row.next_attempt_at > now
        assert row.error is not None and "no answer" in row.error
        assert "sms_failed" not in _kinds(sessions, ticket_id)

        # Twilio took it after all (the answer came too late for the client)
        _wait_for(lambda: len(fake_twilio.sent()) == 1)
        clock.now = row.next_attempt_at + timedelta(seconds=1)
        sweep(ctx)
    [message] = fake_twilio.sent()
    row = _only_outbox(sessions)
    assert (row.status, row.provider_sid) == ("sent", message["sid"])
    assert _kinds(sessions, ticket_id).count("sms_sent") == 1


# ------------------------------------------------------------------ 8. crashes mid-send


def test_dropped_answer_is_retried_without_a_second_sms(
    sessions: Sessions,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    direct_settings: Settings,
) -> None:
    now = _now()
    clock = Clock(now)
    _received_ticket(sessions, catalog, now)
    fake_twilio.accept_then_drop()

    with installed(direct_settings, catalog, clock) as ctx:
        sweep(ctx)
        assert len(fake_twilio.sent()) == 1  # Twilio has it; we never heard back
        row = _only_outbox(sessions)
        assert (row.status, row.attempts, row.provider_sid) == ("queued", 1, None)

        clock.now = row.next_attempt_at + timedelta(seconds=1)
        sweep(ctx)
        sweep(ctx)
    [message] = fake_twilio.sent()
    row = _only_outbox(sessions)
    assert (row.status, row.provider_sid) == ("sent", message["sid"])


def test_worker_killed_after_twilio_took_the_sms_is_reconciled_not_resent(
    sessions: Sessions,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    direct_settings: Settings,
) -> None:
    now = _now()
    clock = Clock(now)
    ticket_id = _received_ticket(sessions, catalog, now)

    with installed(direct_settings, catalog, clock) as ctx:
        outbox_id = _queue_one_sms(ctx, catalog, now)
        with ctx.sessions() as session:
            sms = sms_outbox.claim(session, outbox_id, now, EARLY)
            assert sms is not None and sms.status == "sending"
            to, body = sms.recipient, sms.body
        ctx.channel.send(to, body)  # the dead worker's request went out
        [message] = fake_twilio.sent()

        clock.advance(minutes=1)
        assert sweep(ctx).reconciled == 0  # not stuck yet: the request may still be running
        assert _only_outbox(sessions).status == "sending"

        clock.advance(minutes=2)
        result = sweep(ctx)
        assert (result.reconciled, result.released, result.sent) == (1, 0, 0)
        sweep(ctx)
    assert len(fake_twilio.sent()) == 1
    row = _only_outbox(sessions)
    assert (row.status, row.provider_sid, row.attempts) == ("sent", message["sid"], 1)
    assert _kinds(sessions, ticket_id).count("sms_sent") == 1


def test_worker_killed_before_the_request_releases_and_sends_once(
    sessions: Sessions,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    direct_settings: Settings,
) -> None:
    now = _now()
    clock = Clock(now)
    ticket_id = _received_ticket(sessions, catalog, now)

    with installed(direct_settings, catalog, clock) as ctx:
        outbox_id = _queue_one_sms(ctx, catalog, now)
        with ctx.sessions() as session:
            assert sms_outbox.claim(session, outbox_id, now, EARLY) is not None

        clock.advance(minutes=3)
        result = sweep(ctx)  # released and sent in the same pass, not a minute later
        assert (result.reconciled, result.released, result.sent) == (0, 1, 1)
        assert sweep(ctx).sent == 0
    [message] = fake_twilio.sent()
    assert message["to"] == KARI and f"ACK {ticket_id}" in message["body"]
    row = _only_outbox(sessions)
    assert (row.status, row.provider_sid, row.attempts) == ("sent", message["sid"], 2)


# ------------------------------------------------------------------ 9. night and weekend


def test_immediately_contract_pages_on_receipt_on_a_sunday_night(
    sessions: Sessions,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    direct_settings: Settings,
) -> None:
    received = oslo("2026-03-22T03:00:00")  # a Sunday
    assert received.weekday() == 6
    clock = Clock(received + timedelta(seconds=30))
    roster(sessions, received)
    vps = new_ticket(sessions, catalog, VPS, received, received)
    office = new_ticket(sessions, catalog, MBN, received, received)  # waits for Monday 08:00

    with installed(direct_settings, catalog, clock) as ctx:
        assert sweep(ctx).fired == 1
    [message] = fake_twilio.sent()
    assert message["to"] == KARI
    assert f"KRIT #{vps}" in message["body"] and f"ACK {vps}" in message["body"]
    assert _only_outbox(sessions).ticket_ids == [vps]
    assert _points(sessions, vps)["received"].status == "fired"
    mbn_points = _points(sessions, office)
    assert {p.status for p in mbn_points.values()} == {"pending"}
    assert min(p.fire_at for p in mbn_points.values()) >= oslo("2026-03-23T08:00:00")


# ------------------------------------------------------------------ 10. many rungs at once


def test_one_job_fires_every_rung_due_together_and_the_rest_find_nothing(
    sessions: Sessions,
    fake_twilio: FakeTwilio,
    catalog: Catalog,
    direct_settings: Settings,
) -> None:
    now = _now()
    roster(sessions, now)
    received = now - timedelta(seconds=30)
    for _ in range(230):
        new_ticket(sessions, catalog, VPS, received, received)
    with installed(direct_settings, catalog, Clock(now)):
        second = int(_whole_second(now).timestamp())
        assert fire_due_second(second) == 230  # three chunks of at most 100
        assert fire_due_second(second) == 0
    with sessions() as session:
        statuses = session.scalars(
            select(EscalationPoint.status).where(EscalationPoint.point == "received")
        ).all()
    assert statuses == ["fired"] * 230
    # without Redis each chunk composed at once: the first chunk's SMS, then the number's
    # window holds the rest for one grouped SMS a minute later
    assert len(fake_twilio.sent()) == 1


def test_an_immediate_job_already_waiting_is_not_queued_twice(redis_url: str) -> None:
    enqueue.flush_pages(redis_url, 12)
    enqueue.flush_pages(redis_url, 12)
    enqueue.send_sms(redis_url, 7)
    enqueue.send_sms(redis_url, 7)
    assert queue(NOTIFY, redis_url).count == 2


def test_after_a_redis_failure_requests_leave_scheduling_to_the_sweeper_for_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"unix://{tmp_path / 'no-redis.sock'}"
    tried: list[str] = []
    real_queue = enqueue.queue
    monkeypatch.setattr(
        enqueue, "queue", lambda name, url: tried.append(url) or real_queue(name, url)
    )
    point = Planned(1, "due", datetime.now(UTC) + timedelta(minutes=1), pending=True)

    enqueue.schedule_escalations(dead, [point])  # fails, logged, swallowed
    enqueue.schedule_escalations(dead, [point])  # not even tried: no second connect wait
    enqueue.send_sms(dead, 7)

    assert tried == [dead]
    monkeypatch.setattr(enqueue, "REDIS_PAUSE_SECONDS", 0.0)
    enqueue._paused_until.clear()
    enqueue.schedule_escalations(dead, [point])
    assert tried == [dead, dead]  # the pause is over: Redis is tried again


def test_a_due_seconds_job_fires_nothing_before_its_instant(
    sessions: Sessions, catalog: Catalog, direct_settings: Settings
) -> None:
    """RQ may run a job up to a second early: it fires its own second's rungs (within
    ``EARLY``) and leaves the next seconds' to their jobs."""
    base = datetime.fromtimestamp(int(time.time()) + 60, UTC)
    roster(sessions, base)
    soon = new_ticket(sessions, catalog, VPS, base + timedelta(milliseconds=400), base)
    later = new_ticket(sessions, catalog, VPS, base + timedelta(seconds=3.4), base)
    second = int(_whole_second(base + timedelta(milliseconds=400)).timestamp())
    clock = Clock(base - timedelta(seconds=1))  # two seconds before the job's second
    with installed(direct_settings, catalog, clock):
        assert fire_due_second(second) == 0
        clock.now = base + timedelta(milliseconds=200)  # RQ's worst: 0.8 s early
        assert fire_due_second(second) == 1
    assert _points(sessions, soon)["received"].status == "fired"
    assert _points(sessions, later)["received"].status == "pending"
