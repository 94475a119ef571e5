"""The dead-man's switch: every part beats, the others watch, level 2 is paged by SMS.

- the sweeper beats on every pass and, when Redis is set, enqueues ``beat("worker")`` at
  once (a worker ran it: the worker is alive);
- ``beat("scheduler")`` runs every 30 s through RQ's scheduler, each run scheduling the
  next (the scheduler moved it, a worker ran it), so it goes on with the sweeper dead; the
  sweeper only repairs a broken chain (a flushed Redis);
- the sweeper watches the worker and the scheduler; both heartbeat jobs watch the sweeper. A part silent past ``TRIAGE_HEARTBEAT_LIMIT_SECONDS`` makes the watcher page the
  on-call level 2 directly: an SMS outbox row sent at once through the SMS channel, no
  ticket, no web app involved (CONTRACTS.md §4). One page per silence.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sla.local_time import OSLO
from triage.oncall import recipients
from triage.phone import mask_phone
from triage.store import heartbeats, sms_outbox
from triage.store.roster import load_roster
from workers import enqueue
from workers.context import WorkerContext, context
from workers.jobs.escalation import send

log = logging.getLogger(__name__)
WATCHES = {"sweeper": ("worker", "scheduler"), "worker": ("sweeper",), "scheduler": ("sweeper",)}
LEVEL = 2
NAMES = {"sweeper": "sweeperen", "worker": "arbeideren (RQ worker)", "scheduler": "planleggeren"}


def beat(part: str) -> int:
    """The RQ job: record the worker's (or scheduler's) beat, then watch the sweeper; the
    scheduler's job schedules its next run first, so a failure below cannot break the chain."""
    ctx = context()
    if part == "scheduler" and ctx.redis_url:
        enqueue.next_scheduler_beat(ctx.redis_url)
    with ctx.sessions() as session:
        heartbeats.beat(session, part, ctx.clock())
    return watch(ctx, part)


def watch(ctx: WorkerContext, watcher: str) -> int:
    """Page level 2 about each part ``watcher`` watches that has fallen silent; returns
    how many SMS were sent."""
    now = ctx.clock()
    limit = timedelta(seconds=ctx.settings.heartbeat_limit_seconds)
    watched = WATCHES.get(watcher, ())
    with ctx.sessions() as session:
        silent = [
            s for s in heartbeats.states(session, now, limit) if s.silent and s.part in watched
        ]
    sent = 0
    for state in silent:
        with ctx.sessions() as session:
            if not heartbeats.claim_alarm(session, state.part, now, limit):
                continue
            roster = load_roster(session, ctx.office_hours, now)
            people = recipients(roster, LEVEL, now)
            stamp = state.beat_at.astimezone(OSLO).strftime("%H:%M")
            body = (
                f"DRIFT: {NAMES.get(state.part, state.part)} har vært stille siden {stamp}. "
                "Varsler kan utebli. Sjekk deskens prosesser."
            )
            ids = sms_outbox.queue_messages(session, (p.phone for p in people), body, now)
        if not ids:
            log.error("heartbeat: %s silent and nobody on level %d to page", state.part, LEVEL)
        for outbox_id, person in zip(ids, people, strict=True):
            result = send(ctx, outbox_id)
            sent += result == "sent"
            log.error(
                "heartbeat: %s silent since %s; level %d paged (%s): %s",
                state.part,
                state.beat_at.isoformat(),
                LEVEL,
                mask_phone(person.phone),
                result,
            )
    return sent
