"""The intake job: ingest the inbox in batches (``triage.store.intake_batch``).

Enqueued by the first webhook that stores a payload while no job waits
(``enqueue.wake_intake``). It drains the inbox batch by batch, then returns; a job that
has run for ``RUN_SECONDS`` returns too and rings again, so the worker serves the
``sla`` and ``notify`` queues (listened to first) between two runs and a long storm
never holds back a page. Escalations due on receipt ("immediately" contracts) are fired
here, straight after the batch's commit, not left to a job of their own.

Killed mid-batch, the batch's transaction is rolled back and its payloads stay
``received``: the next job, or the sweeper, takes them again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from triage.store.intake_batch import BATCH, ingest_pending
from workers import enqueue
from workers.context import WorkerContext, context
from workers.jobs.escalation import fire_points

log = logging.getLogger(__name__)
RUN_SECONDS = 2.0


def ingest_inbox() -> int:
    """The RQ job. Returns how many payloads it took."""
    ctx = context()
    if ctx.redis_url:
        enqueue.intake_started(ctx.redis_url)
    taken, more = drain(ctx, RUN_SECONDS)
    if more and ctx.redis_url:
        enqueue.wake_intake(ctx.redis_url)
    return taken


def accepted(ctx: WorkerContext, items: Sequence[int]) -> None:
    """Payloads a worker-side channel (the IMAP poller) just stored: ring the intake job,
    as a webhook does; where no job can be rung (no Redis, or Redis unreachable) ingest
    them here, the same batch code on these items, as the web app's request does."""
    if not items:
        return
    if ctx.redis_url and enqueue.wake_intake(ctx.redis_url):
        return
    for start in range(0, len(items), BATCH):
        batch = ingest_pending(
            ctx.sessions,
            ctx.catalog,
            ctx.parsers,
            ctx.clock(),
            limit=BATCH,
            items=items[start : start + BATCH],
        )
        if batch.due:
            fire_points(ctx, batch.due)


def _parallel(ctx: WorkerContext) -> bool:
    """Whether two intake jobs can ingest side by side: on PostgreSQL (``SKIP LOCKED``)
    with Redis to ring the second. SQLite has one writer: a second job would only wait."""
    return bool(ctx.redis_url) and not ctx.settings.database_url.startswith("sqlite")


def drain(ctx: WorkerContext, seconds: float, batch_size: int = BATCH) -> tuple[int, bool]:
    """Ingest batches until the inbox is empty or ``seconds`` have passed. Returns the
    payloads taken and whether more may be waiting."""
    if not ctx.parsers:
        log.error("intake: this process has no payload parsers (run the desk's worker class)")
        return 0, False
    started = time.monotonic()
    taken = 0
    helped = not _parallel(ctx)
    while True:
        batch = ingest_pending(
            ctx.sessions, ctx.catalog, ctx.parsers, ctx.clock(), limit=batch_size
        )
        taken += batch.taken
        if batch.due:
            fire_points(ctx, batch.due)
        if batch.taken:
            log.info(
                "intake batch: %d payloads, %d tickets, %d quarantined, %d paged on receipt",
                batch.taken,
                len(batch.tickets),
                batch.quarantined,
                len(batch.due),
            )
        if batch.taken < batch_size:
            return taken, False
        if not helped:
            # a full batch: more is waiting. Ring once so another worker drains beside
            # this one (batches skip each other's locked rows); at most one more job waits.
            helped = enqueue.wake_intake(ctx.redis_url or "")
        if time.monotonic() - started >= seconds:
            return taken, True
