"""gunicorn's settings for the desk's web process.

The Procfile, ``triage up`` and ``bench/load.py`` all start gunicorn with
``--config python:config.gunicorn``; options on the command line override these.
"""

from __future__ import annotations

import os

#: Sync workers when ``WEB_CONCURRENCY`` is not set: one per core plus one, at most
#: eight. A sync worker waits for PostgreSQL and Redis during every request; with one
#: worker per core the CPU idles through those waits (intake load on 2 cores, 2 workers:
#: 172 % of the CPU busy, 138-158 tickets/s), and one more fills them (3 workers: 166/s).
#: gunicorn's "2 per core + 1" only added contention here (5 workers: 158-162/s, and
#: 11 % more CPU per request).
MAX_DEFAULT_WORKERS = 8


def default_workers(cpus: int | None = None) -> int:
    return min((cpus or os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
accesslog = "-"
