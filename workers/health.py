"""Heartbeats in Redis, so the web's ``/readyz`` can say which background part is down
where no supervisor of ours runs (the Procfile: the platform restarts processes, but
nobody else tells that the desk has no RQ worker or no sweeper).

* RQ workers register themselves in Redis and keep their key alive with their own
  heartbeat (RQ drops a worker whose key expired): a live worker that listens to the
  ``sla`` queue means escalations fire.
* The sweeper sets ``triage:heartbeat:sweeper`` on every pass, expiring after three
  missed passes.

Issue 15: a stopped worker stopped the desk without any sign in ``/readyz``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from redis.exceptions import RedisError
from rq import Worker

from workers.queues import SLA, connection

log = logging.getLogger(__name__)
SWEEPER_KEY = "triage:heartbeat:sweeper"


def sweeper_beat(url: str, interval: timedelta) -> None:
    """The sweeper is alive (until three of its passes are missed)."""
    try:
        connection(url).set(SWEEPER_KEY, str(time.time()), ex=int(interval.total_seconds() * 3))
    except RedisError as exc:
        log.warning("sweeper heartbeat not written (%s)", type(exc).__name__)


def background_parts(url: str) -> dict[str, str]:
    """``{"worker": "running"|"missing", "sweeper": ...}`` from Redis, or
    ``{"redis": "unavailable"}`` when Redis does not answer."""
    try:
        redis = connection(url)
        workers = [w for w in Worker.all(connection=redis) if SLA in w.queue_names()]
        sweeper = bool(redis.exists(SWEEPER_KEY))
    except RedisError as exc:
        log.warning("readiness: Redis unavailable (%s)", type(exc).__name__)
        return {"redis": "unavailable"}
    return {
        "worker": "running" if workers else "missing",
        "sweeper": "running" if sweeper else "missing",
    }
