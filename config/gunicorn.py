"""gunicorn's settings for the desk's web process.

The Procfile, ``triage up`` and ``bench/load.py`` all start gunicorn with
``--config python:config.gunicorn``; options on the command line override these.

Worker model: gevent. A webhook's signature covers its body, so the desk must read a
body before it can refuse it, and a sync worker gives its whole process to one socket
while it waits: four clients that declared ``Content-Length: 100000`` and sent one byte
held every sync worker, and ``/healthz`` answered after 37.7 s (issue 15). Under gevent a
waiting socket is a parked greenlet; ``worker_connections`` of them per process. Measured
with ``python bench/slow_clients.py --stalled 200`` (one 2-core machine, SQLite):
sync: every probe timed out (5 s); gthread (1 thread): /healthz max 5.0 s, signed chat
5.0 s; gevent: /healthz max 49 ms, signed chat max 110 ms (PostgreSQL: 11 ms, 138 ms).
psycopg 3 waits cooperatively under gevent's monkey-patching, redis-py too.

Time limits on slow clients: a request's headers must arrive within ``keepalive`` seconds
(the gevent worker reads them under that timeout, the first request of a connection
included), its body within the app's ``TRIAGE_BODY_READ_TIMEOUT`` / ``TRIAGE_BODY_DEADLINE``
(``web/body_deadline.py``); ``timeout`` restarts a worker whose loop stops answering
(CPU-bound code that never yields).
"""

from __future__ import annotations

import os

#: Worker processes when ``WEB_CONCURRENCY`` is not set: one per core plus one, at most
#: eight. A worker waits for PostgreSQL and Redis during every request; with one worker
#: per core the CPU idles through those waits (intake load on 2 cores, 2 workers: 172 %
#: of the CPU busy, 138-158 tickets/s), and one more fills them (3 workers: 166/s).
#: gunicorn's "2 per core + 1" only added contention here (5 workers: 158-162/s, and
#: 11 % more CPU per request).
MAX_DEFAULT_WORKERS = 8


def default_workers(cpus: int | None = None) -> int:
    return min((cpus or os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
worker_class = "gevent"
worker_connections = 1000  # open connections per worker, stalled ones included
keepalive = 5  # seconds for a request's headers (and an idle kept-alive connection)
timeout = 30  # a worker whose event loop is stuck this long is replaced
graceful_timeout = 20

#: The access log, gunicorn's default format with the values of query strings masked in
#: the request line and the referer (``web/access_log.py``): a search names people, and an
#: access log outlives their erasure (issue 15).
accesslog = "-"
logger_class = "web.access_log.MaskedQueryLogger"
