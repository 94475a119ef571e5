"""Escalation jobs: fire a ladder point, compose a number's SMS, send one SMS.

Each job takes ids, re-reads the database and is safe to run twice or early: the claims
are conditional UPDATEs (``triage.store.escalations``, ``triage.store.sms_outbox``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from triage.phone import mask_phone
from triage.store import sms_outbox
from triage.store.escalations import due_points, fire_due
from triage.store.roster import load_roster
from workers import enqueue
from workers.channels.twilio_sms import ReconcileError, Rejected, Retryable, SendResult, Sent
from workers.context import WorkerContext, context

log = logging.getLogger(__name__)
EARLY = timedelta(seconds=1)  # RQ's scheduler may run a job up to a second early
BATCH = 100  # points fired per transaction; their SMS leave after each chunk


def fire_due_second(second: int) -> int:
    """The job of one due second (``enqueue.schedule_escalations``): fire every pending
    point due by that second, and any other already due, in chunks of ``BATCH`` (one
    transaction each; their SMS leave after each chunk). Returns how many paged.

    RQ may run the job up to a second early; the database decides again: a point fires
    only once its instant is within ``EARLY`` of now (``fire_due``'s claim), and points of
    later seconds wait for their own jobs.
    """
    ctx = context()
    now = ctx.clock()
    until = max(now, min(datetime.fromtimestamp(second, UTC), now + EARLY))
    return fire_until(ctx, until)


def fire_escalation(ticket_id: int, point: str) -> int:
    """The per-rung job of earlier releases (``escalate-<ticket>-<point>``), which may
    still wait in Redis after an upgrade: its own point (with RQ's leeway) and whatever
    else is due, as before."""
    ctx = context()
    now = ctx.clock()
    with ctx.sessions() as session:
        mine = due_points(session, now + EARLY, ticket_id=ticket_id, point=point)
    return (fire_points(ctx, mine) if mine else 0) + fire_until(ctx, now)


def fire_until(ctx: WorkerContext, until: datetime) -> int:
    """Fire the pending points due by ``until``, oldest first, in chunks."""
    fired = 0
    previous: list[tuple[int, str]] = []
    while True:
        with ctx.sessions() as session:
            due = due_points(session, until, limit=BATCH)
        if not due or due == previous:  # nothing left, or nothing this job may claim
            return fired
        fired += fire_points(ctx, due)
        if len(due) < BATCH:
            return fired
        previous = due


def fire_points(ctx: WorkerContext, points: list[tuple[int, str]]) -> int:
    """Fire points and compose the SMS of everyone they paged (the sweeper's path too)."""
    now = ctx.clock()
    if not points:
        return 0
    with ctx.sessions() as session:
        roster = load_roster(session, ctx.office_hours, now)
        fired = fire_due(session, roster, now, points, EARLY)
    if ctx.redis_url:  # the notify workers send, so a slow provider never delays firing
        with ctx.sessions() as session:
            first = sms_outbox.first_waiting_pages(session, fired.recipients)
        for phone in sorted(first):  # a number with none waiting was composed meanwhile
            enqueue.flush_pages(ctx.redis_url, first[phone])
    else:
        for phone in sorted(fired.recipients):
            compose_and_send(ctx, phone)
    return fired.fired


def flush_pages(page: int | str) -> int | None:
    """The RQ job: compose the SMS of the number that ``page`` (an ``sms_pages`` id) is
    for. A job queued by an earlier release carries the number itself; it still runs."""
    ctx = context()
    if isinstance(page, str):
        return compose_and_send(ctx, page)
    with ctx.sessions() as session:
        phone = sms_outbox.page_recipient(session, page)
    return None if phone is None else compose_and_send(ctx, phone)


def compose_and_send(ctx: WorkerContext, phone: str) -> int | None:
    """Compose the number's waiting pages; send at once, or come back when the number's
    grouping window opens. Returns the outbox id sent, if any."""
    with ctx.sessions() as session:
        composed = sms_outbox.compose(session, ctx.catalog, phone, ctx.clock(), ctx.group_window)
    if composed.retry_at is not None and composed.page_id is not None and ctx.redis_url:
        enqueue.flush_pages(ctx.redis_url, composed.page_id, composed.retry_at)
    if composed.outbox_id is None:
        return None
    send(ctx, composed.outbox_id)
    return composed.outbox_id


def send_sms(outbox_id: int) -> str:
    return send(context(), outbox_id)


def send(ctx: WorkerContext, outbox_id: int) -> str:
    """One attempt at one SMS. Returns what happened: sent, retry, failed, withdrawn or
    skipped."""
    with ctx.sessions() as session:
        sms = sms_outbox.claim(session, outbox_id, ctx.clock(), EARLY)
        if sms is None:
            return "skipped"
        to, body, attempts, created = sms.recipient, sms.body, sms.attempts, sms.created_at
    started = time.monotonic()
    result: SendResult | None = _earlier_attempt(ctx, to, body, created) if attempts > 1 else None
    if result is None:  # it has certainly not gone out yet
        with ctx.sessions() as session:
            if sms_outbox.withdraw_if_answered(session, outbox_id, ctx.clock()):
                log.info("sms %d to %s withdrawn: answered meanwhile", outbox_id, mask_phone(to))
                return "withdrawn"
        result = ctx.channel.send(to, body, ctx.status_callback())
    now = ctx.clock()
    with ctx.sessions() as session:
        if isinstance(result, Sent):
            sms_outbox.mark_sent(session, outbox_id, ctx.provider, result.sid, now)
            log.info(
                "sms %d sent to %s in %.0f ms",
                outbox_id,
                mask_phone(to),
                1000 * (time.monotonic() - started),
            )
            return "sent"
        if isinstance(result, Rejected):
            sms_outbox.mark_failed(session, outbox_id, result.code, result.error, now)
            log.warning("sms %d to %s refused: %s", outbox_id, mask_phone(to), result.code)
            return "failed"
        assert isinstance(result, Retryable)
        retry_at = sms_outbox.mark_retry(session, outbox_id, result.error, now)
    if retry_at is None:
        log.error("sms %d to %s: gave up after %d attempts", outbox_id, mask_phone(to), attempts)
        return "failed"
    log.warning(
        "sms %d to %s: attempt %d failed, retry at %s",
        outbox_id,
        mask_phone(to),
        attempts,
        retry_at.isoformat(),
    )
    if ctx.redis_url:
        enqueue.send_sms(ctx.redis_url, outbox_id, retry_at, attempts)
    return "retry"


def _earlier_attempt(
    ctx: WorkerContext, to: str, body: str, created: datetime
) -> Sent | Retryable | None:
    """Before a retry: did an earlier attempt reach the provider after all (a timeout or a
    dropped connection does not mean it did not)? Its ``Sent`` if so, None if not, and
    ``Retryable`` if the provider could not be asked: never send blindly a second time."""
    try:
        sid = ctx.channel.find_sent(to, body, created - timedelta(minutes=1))
    except ReconcileError as exc:
        return Retryable(f"could not check for an earlier attempt: {exc}")
    return None if sid is None else Sent(sid=sid, status="found")
