"""RQ jobs for ``bench/escalation_bench.py``: the baseline's no-op, and a warm-up.

The bench schedules it with ``enqueue_at`` on the ``sla`` queue and the RQ workers import
it by name (``bench.bench_jobs.record``), so what it measures is RQ's scheduler and queue
alone: the time between the instant a job was scheduled for and the moment a worker ran it.
"""

from __future__ import annotations

import json
import os
import time

from rq import get_current_job

BASELINE_KEY = "bench:escalation:baseline"


def record(due: float) -> None:
    """Push ``[due, ran]`` (Unix seconds) onto a Redis list the bench reads afterwards."""
    ran = time.time()
    job = get_current_job()
    assert job is not None, "run only by an RQ worker"
    job.connection.rpush(BASELINE_KEY, json.dumps([due, ran]))


def warm(pause: float) -> list[float]:
    """Build what a fresh worker builds on its first escalation job (imports, the worker
    context with catalog, Twilio client and engine, a database connection), so the
    measurement starts with warm workers. Returns ``[pid, seconds it took]``; ``pause``
    keeps this worker busy so the next warm-up job goes to another one."""
    started = time.perf_counter()
    from sqlalchemy import text

    import workers.jobs.escalation  # noqa: F401 - what RQ imports for the first job
    from workers.context import context

    ctx = context()
    with ctx.sessions() as session:
        session.execute(text("select 1"))
    built = time.perf_counter() - started
    time.sleep(pause)
    return [float(os.getpid()), built]
