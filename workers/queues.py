"""The Redis connection and the purpose-named RQ queues.

``sla`` fires escalation points (time-critical), ``notify`` composes and sends SMS and
e-mail, ``intake`` polls mailboxes and re-processes inbox items. Workers listen in that
order, so a burst of intake never delays a page.
"""

from __future__ import annotations

from functools import lru_cache

from redis import Redis
from rq import Queue

SLA, NOTIFY, INTAKE = "sla", "notify", "intake"
QUEUES = (SLA, NOTIFY, INTAKE)


@lru_cache(maxsize=4)
def connection(url: str) -> Redis:
    """One client (with its pool) per URL per process; ``unix://`` URLs for the embedded
    server. Short timeouts: a web request must not hang on a dead Redis, the sweeper
    repairs what was not enqueued."""
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def queue(name: str, url: str) -> Queue:
    return Queue(name, connection=connection(url))
