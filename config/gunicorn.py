"""gunicorn's settings for the desk's web process.

The Procfile, ``triage up`` and ``bench/load.py`` all start gunicorn with
``--config python:config.gunicorn``; options on the command line override these.
"""

from __future__ import annotations

import os

#: Sync workers when ``WEB_CONCURRENCY`` is not set: two per core plus one (gunicorn's
#: advice), at most eight. A sync worker waits for PostgreSQL and Redis during every
#: request, and with one worker per core the CPU idles through those waits: under intake
#: load on 2 cores, 2 workers kept 172 % of the CPU busy, 4 workers 198 %.
MAX_DEFAULT_WORKERS = 8


def default_workers(cpus: int | None = None) -> int:
    return min(2 * (cpus or os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
accesslog = "-"
