"""The minute sweeper: the database says what is due; make sure it happens.

RQ jobs are the fast path (they fire on the second); the sweeper is the guarantee. Each
pass, from the database alone:

1. fires pending escalation points whose instant has passed (lost jobs: a flushed or
   restarted Redis, a worker killed mid-job) — the same claim as the jobs, so nothing
   fires twice;
2. schedules again in RQ the points due before the next pass, so after a Redis flush
   they still fire on time rather than up to a minute late;
3. composes SMS for numbers whose pages wait and whose window has opened;
4. reconciles SMS left "sending" by a dead worker: asks the provider whether it went out
   and records it, or queues it again — never blindly resends;
5. sends queued SMS whose attempt is due;
6. polls the support mailbox, when one is configured;
7. ingests what the intake worker left (payloads of the HMAC webhooks still pending
   after ``INTAKE_LEFT_AFTER``: a lost job, a flushed Redis, a killed worker), in
   batches, and payloads a dead request stored but never ingested (``inbox_recovery``);
8. drafts a notice of breach (reklamasjon) for each ticket whose deadline passed without
   response on a contract with a penalty or credit, and sends notices a manager queued
   whose job was lost;
   the same for the fault reports agents forwarded to a vendor: a forward whose job was
   lost goes to the notify queue again; one left "sending" by a stopped worker fails,
   saying the vendor may have it (never resent without an agent);
   The dead-man's switch (``workers.heartbeat``) too: it beats in the database, sends the
   worker its heartbeat job (and repairs the scheduler's chain), and pages level 2 about a
   part that fell silent;
9. once a day (the first pass of each day, and at start), empties raw inbound payloads
   older than ``TRIAGE_RETENTION_DAYS`` (``triage retention purge`` does the same by hand).

Between passes, every second, it runs the desk's probes that are due (``workers.probes``),
so a probe's interval can be shorter than the minute, and places the page calls that are
due (``workers.voice``: an SMS page not acknowledged within the person's call delay).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.phone import mask_phone
from triage.store import claim_notices, sms_outbox, vendor_forwards
from triage.store.escalations import due_points, pending_points
from triage.store.heartbeats import beat
from triage.store.inbox_recovery import recover_stuck
from triage.store.intake_batch import BATCH, ingest_pending
from triage.store.personal_data import purge_raw_payloads
from workers import enqueue
from workers.channels.twilio_sms import ReconcileError
from workers.context import WorkerContext, context
from workers.health import sweeper_beat
from workers.heartbeat import watch
from workers.jobs.claim_notice import send_notice
from workers.jobs.escalation import compose_and_send, fire_points, send
from workers.jobs.vendor_forward import attempt
from workers.probes import run_due
from workers.voice import place_due_calls

log = logging.getLogger(__name__)
INTERVAL = timedelta(minutes=1)
STUCK_AFTER = timedelta(minutes=2)  # well past the client's timeout: the request is over
TICK_SECONDS = 1.0  # how often, between passes, the sweeper looks for due probes and calls
#: A payload the intake worker would have taken within milliseconds; older means it will
#: not (its job was lost). Younger ones are left to the worker, not raced.
INTAKE_LEFT_AFTER = timedelta(seconds=10)
#: Batches the sweeper ingests per pass at most; the rest wait for the next minute.
INTAKE_BATCHES = 50


@dataclass(frozen=True)
class SweepResult:
    fired: int
    rescheduled: int
    composed: int
    sent: int
    reconciled: int
    released: int
    recovered: int = 0
    notices_drafted: int = 0
    forwards_requeued: int = 0


def sweep(ctx: WorkerContext) -> SweepResult:
    now = ctx.clock()
    with ctx.sessions() as session:  # the dead-man's switch: alive, and watching
        beat(session, "sweeper", now)
    if ctx.redis_url:
        enqueue.heartbeats(ctx.redis_url)
    watch(ctx, "sweeper")
    with ctx.sessions() as session:
        due = due_points(session, now)
        upcoming = pending_points(session, now, now + INTERVAL + timedelta(seconds=30))
    fired = fire_points(ctx, due) if due else 0
    if upcoming and ctx.redis_url:
        enqueue.schedule_escalations(ctx.redis_url, upcoming)
    with ctx.sessions() as session:
        numbers = sms_outbox.waiting_recipients(session, now)
    composed = sum(1 for phone in numbers if compose_and_send(ctx, phone) is not None)
    reconciled, released = _reconcile(ctx, now)  # before sending: a released SMS goes now
    with ctx.sessions() as session:
        queued = sms_outbox.due_for_send(session, now)
    sent = sum(1 for outbox_id in queued if send(ctx, outbox_id) == "sent")
    if ctx.redis_url and ctx.settings.imap_url:
        enqueue.poll_mailbox(ctx.redis_url)
    left = _ingest_left(ctx, now)
    recovered = recover_stuck(ctx.sessions, ctx.catalog, ctx.parsers, now - STUCK_AFTER, now)
    drafted = _claim_notices(ctx, now)
    forwards = _vendor_forwards(ctx, now)
    place_due_calls(ctx)
    result = SweepResult(
        fired,
        len(upcoming),
        composed,
        sent,
        reconciled,
        released,
        left + recovered.ingested + recovered.quarantined,
        drafted,
        forwards,
    )
    if any(vars(result).values()):
        log.info("sweep: %s", result)
    return result


def _claim_notices(ctx: WorkerContext, now: datetime) -> int:
    """Draft the notices of breach due by now; send the queued ones whose job was lost."""
    with ctx.sessions() as session:
        drafted = claim_notices.draft_due(session, ctx.catalog, now)
        session.commit()
        stuck = claim_notices.stuck_queued(session, now - STUCK_AFTER)
    for notice_id in stuck:
        send_notice(ctx, notice_id)
    return len(drafted)


def _vendor_forwards(ctx: WorkerContext, now: datetime) -> int:
    """Forwards a stopped worker left "sending" fail with the reason; queued ones whose
    job was lost ring the notify queue again (without Redis: one attempt here, the next
    pass takes the next). How many were due again."""
    with ctx.sessions() as session:
        vendor_forwards.abandon_stuck(session, now, STUCK_AFTER)
        lost = vendor_forwards.due_again(session, now, STUCK_AFTER)
    for forward_id in lost:
        if ctx.redis_url:
            enqueue.send_vendor_forward(ctx.redis_url, forward_id)
        else:
            attempt(ctx, forward_id)
    return len(lost)


def _ingest_left(ctx: WorkerContext, now: datetime) -> int:
    """Pending payloads of the HMAC webhooks no intake job took; their escalations due on
    receipt page at once, as from the worker's batches."""
    taken = 0
    for _ in range(INTAKE_BATCHES):
        batch = ingest_pending(
            ctx.sessions, ctx.catalog, ctx.parsers, now, before=now - INTAKE_LEFT_AFTER
        )
        taken += batch.taken
        if batch.due:
            fire_points(ctx, batch.due)
        if batch.taken < BATCH:
            break
    if taken:
        log.warning("sweep: %d payloads the intake worker left were ingested", taken)
    return taken


def _reconcile(ctx: WorkerContext, now: datetime) -> tuple[int, int]:
    found = released = 0
    with ctx.sessions() as session:
        for sms in sms_outbox.stuck(session, now, STUCK_AFTER):
            assert sms.claimed_at is not None
            try:
                sid = ctx.channel.find_sent(
                    sms.recipient, sms.body, sms.claimed_at - timedelta(minutes=1)
                )
            except ReconcileError as exc:
                log.warning(
                    "sms %d to %s: cannot reconcile yet (%s)",
                    sms.id,
                    mask_phone(sms.recipient),
                    exc,
                )
                continue
            if sid is not None:
                sms_outbox.mark_sent(session, sms.id, ctx.provider, sid, now)
                found += 1
            else:
                sms_outbox.release(session, sms.id, now)
                released += 1
    return found, released


def purge_old_payloads(ctx: WorkerContext) -> int:
    """Raw payloads past the retention period are emptied (their rows stay, for the trail)."""
    if ctx.settings.retention_days <= 0:  # 0 = keep for ever (0 days would empty the unparsed)
        return 0
    cutoff = ctx.clock() - timedelta(days=ctx.settings.retention_days)
    with ctx.sessions() as session:
        count = purge_raw_payloads(session, cutoff)
    if count:
        log.info(
            "retention: %d raw payloads older than %d days emptied",
            count,
            ctx.settings.retention_days,
        )
    return count


def run(ctx: WorkerContext | None = None, *, once: bool = False) -> None:
    """Sweep at the top of every minute until stopped (the Procfile's ``sweeper``)."""
    ctx = ctx or context()
    log.info("sweeper started (every %d s)", INTERVAL.total_seconds())
    purged_on = None
    while True:
        started = time.monotonic()
        if ctx.redis_url:  # /readyz: the sweeper runs (workers/health.py)
            sweeper_beat(ctx.redis_url, INTERVAL)
        try:
            sweep(ctx)
            today = ctx.clock().date()
            if purged_on != today:
                purge_old_payloads(ctx)
                purged_on = today
        except Exception as exc:  # a database or Redis outage: try again next minute
            log.error("sweep failed: %s", type(exc).__name__)
        if once:
            return
        _tick_until(ctx, started + max(1.0, INTERVAL.total_seconds()))


def _watch(ctx: WorkerContext) -> int:
    """The dead-man's switch between passes: a silent worker is paged within a second of
    its limit, not at the next minute."""
    return watch(ctx, "sweeper")


def _tick_until(ctx: WorkerContext, deadline: float) -> None:
    """Every second until ``deadline`` (``time.monotonic``): due probes, due page calls,
    silent parts."""
    while True:
        for step in (run_due, place_due_calls, _watch):
            try:
                step(ctx)
            except Exception as exc:  # the database is away: the next tick tries again
                log.error("%s failed: %s", step.__name__, type(exc).__name__)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(TICK_SECONDS, left))
