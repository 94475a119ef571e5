"""The only module that puts jobs on RQ queues (DESIGN.md: web and store never do).

Job ids are deterministic: scheduling the same work again replaces the scheduled job,
and an immediate job already waiting in its queue is not queued a second time (RQ itself
would push the id again and run it twice). Every job re-checks the database when it runs
anyway: Redis is a doorbell, not the record. Failures to reach Redis are logged and
swallowed (and Redis is left alone for a while); the sweeper finds the work in the
database within a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session, sessionmaker

from triage.store import vendor_forwards
from triage.store.escalations import Planned, on_planned
from workers.queues import INTAKE, NOTIFY, SLA, connection, queue

log = logging.getLogger(__name__)
JOB_TIMEOUT = 60
RESULT_TTL = 300  # seconds a finished job's result is kept (nobody reads it)
# A job that fails (the database restarting, a lock conflict) runs again soon rather than
# waiting for the sweeper's next minute.
RETRY = Retry(max=3, interval=[1, 3, 10])
#: Points due further ahead than this are left to the sweeper, which schedules every
#: point due before its next pass (``workers.sweeper``). A new ticket's ladder mostly
#: lies hours ahead: building and storing those RQ jobs was 7 % of an intake request, and
#: an import or recompute of thousands of tickets would fill Redis with them. A job left
#: from an earlier, nearer plan is harmless: a fire job never fires a point early.
SCHEDULE_AHEAD = timedelta(minutes=10)


#: After Redis failed, this process leaves scheduling to the sweeper for this long
#: instead of making every request wait for Redis's connect timeout again.
REDIS_PAUSE_SECONDS = 15.0
_paused_until: dict[str, float] = {}  # Redis URL -> monotonic time


def _redis_paused(url: str) -> bool:
    return time.monotonic() < _paused_until.get(url, 0.0)


def _redis_failed(url: str, what: str, exc: RedisError) -> None:
    _paused_until[url] = time.monotonic() + REDIS_PAUSE_SECONDS
    log.warning(
        "%s failed (%s); the sweeper will catch up; Redis left alone for %.0f s",
        what,
        type(exc).__name__,
        REDIS_PAUSE_SECONDS,
    )


def wire_scheduling(sessions: sessionmaker[Session], redis_url: str | None) -> None:
    """Escalation plans committed through ``sessions`` are scheduled in RQ (if any Redis)."""
    if redis_url is not None:
        on_planned(sessions, lambda changes: schedule_escalations(redis_url, changes))


def _when(at: datetime) -> datetime:
    """The instant for RQ, rounded UP to the whole second: RQ keeps scheduled times in
    whole seconds, and rounding down would page before the rung's instant."""
    utc = at.astimezone(UTC)
    return utc if utc.microsecond == 0 else utc.replace(microsecond=0) + timedelta(seconds=1)


def escalation_job_id(second: int) -> str:
    """The id of the fire job of one due second (epoch seconds, UTC): every point due in
    that second shares it, so scheduling a second again replaces its job."""
    return f"escalate-at-{second}"


def schedule_escalations(url: str, changes: Iterable[Planned]) -> None:
    """One fire job per due second (``escalation_job_id``) of the pending points due
    within ``SCHEDULE_AHEAD``, at that second (one job at once for those already due).

    A job per second, not per rung: 600 rungs due in one second were 600 jobs for RQ's
    scheduler to move and the workers to run (each finding its rung fired by the first),
    and p99 lateness was 4.5 s; now they are one job that fires them all. Cancelled and
    moved points cost Redis nothing: their old second's job may be shared with other
    tickets' points, so it stays and, when it runs, fires only what the database still
    holds pending and due. One pipeline for the lot: an import re-plans thousands.
    """
    now = datetime.now(UTC)
    horizon = now + SCHEDULE_AHEAD
    # Pending beyond the horizon: the sweeper's turn. Most new tickets have nothing nearer.
    seconds = {
        _second(change.fire_at, now)
        for change in changes
        if change.pending and change.fire_at <= horizon
    }
    if not seconds or _redis_paused(url):
        return
    try:
        sla = queue(SLA, url)
        func = "workers.jobs.escalation.fire_due_second"
        at_once = int(now.timestamp())  # already due: the job of "now", queued at once
        with connection(url).pipeline() as pipe:
            for second in sorted(seconds):
                kwargs = {
                    "job_id": escalation_job_id(second),
                    "job_timeout": JOB_TIMEOUT,
                    "result_ttl": RESULT_TTL,
                    "failure_ttl": 86400,
                    "retry": RETRY,
                    "pipeline": pipe,
                }
                if second <= at_once:
                    sla.enqueue(func, second, **kwargs)
                else:
                    sla.enqueue_at(datetime.fromtimestamp(second, UTC), func, second, **kwargs)
            pipe.execute()
    except RedisError as exc:
        _redis_failed(url, "escalation scheduling", exc)


def _second(fire_at: datetime, now: datetime) -> int:
    """The due second a point's job runs at (``_when``: never before the point), or the
    current second for a point already due (one job for all of those)."""
    if fire_at <= now:
        return int(now.timestamp())
    return int(_when(fire_at).timestamp())


def flush_pages(url: str, page_id: int, at: datetime | None = None) -> None:
    """Compose the waiting pages of the number that page ``page_id`` is for into an SMS,
    now or when its window opens.

    The job carries the page's id, never the number: RQ keeps a job's arguments in Redis,
    whose append-only file outlives the staff member's erasure (issue 15). The first
    waiting page of a number names its flush until that number's SMS is composed, so two
    firings for the same number still make one job."""
    job_id = f"flush-{page_id}" + (f"-{int(at.timestamp())}" if at else "")
    _notify(url, "workers.jobs.escalation.flush_pages", (page_id,), job_id, at, job_id)


def send_sms(url: str, outbox_id: int, at: datetime | None = None, attempt: int = 0) -> None:
    job_id = f"sms-{outbox_id}-{attempt}"
    _notify(url, "workers.jobs.escalation.send_sms", (outbox_id,), job_id, at, job_id)


def send_claim_notice(url: str, notice_id: int) -> None:
    """Send a notice of breach the manager queued (``workers.jobs.claim_notice``)."""
    job_id = f"claim-notice-{notice_id}"
    _notify(url, "workers.jobs.claim_notice.send_claim_notice", (notice_id,), job_id, None, job_id)


#: The outbox's waits between attempts (``triage.store.vendor_forwards.BACKOFF``), one RQ
#: retry each: the last attempt's failure is final in the row and raises no more.
FORWARD_RETRY = Retry(
    max=len(vendor_forwards.BACKOFF),
    interval=[int(wait.total_seconds()) for wait in vendor_forwards.BACKOFF],
)


def send_vendor_forward(url: str, forward_id: int) -> None:
    """Send a queued fault report to the vendor (``workers.jobs.vendor_forward``). A failed
    SMTP attempt raises in the job, and RQ runs it again after the outbox's backoff
    (``FORWARD_RETRY``); the row, not the job, counts the attempts."""
    job_id = f"vendor-forward-{forward_id}"
    func = "workers.jobs.vendor_forward.send_vendor_forward"
    _notify(url, func, (forward_id,), job_id, None, job_id, FORWARD_RETRY)


def _notify(
    url: str,
    func: str,
    args: tuple[object, ...],
    job_id: str,
    at: datetime | None,
    description: str,
    retry: Retry = RETRY,
) -> None:
    if _redis_paused(url):
        return
    try:
        notify = queue(NOTIFY, url)
        kwargs = {
            "job_id": job_id,
            "description": description,
            "job_timeout": JOB_TIMEOUT,
            "result_ttl": RESULT_TTL,
            "failure_ttl": 86400,
            "retry": retry,
        }
        if at is None or at <= datetime.now(UTC) + timedelta(milliseconds=50):
            if not _waiting(job_id, url):
                notify.enqueue(func, *args, **kwargs)
        else:
            notify.enqueue_at(_when(at), func, *args, **kwargs)
    except RedisError as exc:
        _redis_failed(url, f"enqueue of {func.rsplit('.', 1)[-1]}", exc)


def _waiting(job_id: str, url: str) -> bool:
    """The job is in its queue and has not started: enqueueing it again would run it twice."""
    try:
        return Job.fetch(job_id, connection=connection(url)).get_status() == JobStatus.QUEUED
    except NoSuchJobError:
        return False


#: The doorbell of the batch intake: set by the first webhook that finds it unset, which
#: then enqueues one intake job; the job clears it when it starts, so payloads stored
#: while it runs ring again. At most one intake job waits in the queue however many
#: webhooks arrive. The expiry only matters if the job was lost with the flag still set.
INTAKE_FLAG = "triage:intake:wake"
INTAKE_FLAG_SECONDS = 10


def wake_intake(url: str) -> bool:
    """Make sure an intake job will run after this payload was stored: one SET NX per
    webhook, and an enqueue only for the webhook that rang first. False when Redis could
    not be reached (the caller ingests itself rather than wait for the sweeper)."""
    if _redis_paused(url):
        return False
    try:
        if connection(url).set(INTAKE_FLAG, 1, nx=True, ex=INTAKE_FLAG_SECONDS):
            queue(INTAKE, url).enqueue(
                "workers.jobs.intake.ingest_inbox",
                job_timeout=JOB_TIMEOUT,
                result_ttl=0,
                failure_ttl=86400,
                description="ingest the inbox",
            )
    except RedisError as exc:
        _redis_failed(url, "intake wake-up", exc)
        return False
    return True


def intake_started(url: str) -> None:
    """The intake job is running: the next stored payload must ring again."""
    try:
        connection(url).delete(INTAKE_FLAG)
    except RedisError as exc:
        _redis_failed(url, "intake flag reset", exc)


def poll_mailbox(url: str) -> None:
    try:
        queue("intake", url).enqueue(
            "workers.jobs.mailbox.poll_support_mailbox",
            job_id="poll-mailbox",
            job_timeout=120,
            result_ttl=RESULT_TTL,
        )
    except RedisError as exc:
        log.warning("enqueue of the mailbox poll failed (%s)", type(exc).__name__)


#: The scheduler's heartbeat job runs every this many seconds, each run scheduling the next.
BEAT_CHAIN_SECONDS = 30


def heartbeats(url: str) -> None:
    """The dead-man's switch's jobs (``workers.heartbeat``): the worker's at once (fixed
    id: one still waiting is not queued twice, so a dead worker does not pile them up),
    and the scheduler's chain (``next_scheduler_beat``), which the sweeper only repairs."""
    try:
        options = {"job_timeout": JOB_TIMEOUT, "result_ttl": RESULT_TTL, "failure_ttl": 3600}
        if not _waiting("beat-worker", url):
            queue(SLA, url).enqueue(
                "workers.heartbeat.beat", "worker", job_id="beat-worker", **options
            )
    except RedisError as exc:
        _redis_failed(url, "enqueue of the heartbeats", exc)
    next_scheduler_beat(url)


def next_scheduler_beat(url: str) -> None:
    """Schedule the scheduler's next heartbeat job at the next ``BEAT_CHAIN_SECONDS`` slot.

    Each run of that job schedules the next one, so the chain beats (and watches the
    sweeper) with the sweeper dead; one id per slot, so the sweeper's repair and the
    chain never schedule a slot twice."""
    slot = int(time.time() // BEAT_CHAIN_SECONDS) + 1
    job_id = f"beat-scheduler-{slot}"
    try:
        if _scheduled(job_id, url):
            return
        queue(SLA, url).enqueue_at(
            datetime.fromtimestamp(slot * BEAT_CHAIN_SECONDS, UTC),
            "workers.heartbeat.beat",
            "scheduler",
            job_id=job_id,
            job_timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL,
            failure_ttl=3600,
        )
    except RedisError as exc:
        _redis_failed(url, "scheduling of the scheduler's heartbeat", exc)


def _scheduled(job_id: str, url: str) -> bool:
    try:
        status = Job.fetch(job_id, connection=connection(url)).get_status()
    except NoSuchJobError:
        return False
    return status in (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.STARTED)
