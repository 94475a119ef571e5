"""Send a fault report the agent forwarded to the vendor, from the notify queue.

The request wrote the outbox row (``triage.store.vendor_forwards``) and rang the queue
(``dispatch``); this job makes one attempt. A failed attempt that has another due raises
``ForwardNotSent``, and RQ runs the job again after the outbox's backoff
(``workers.enqueue.FORWARD_RETRY``); the claim in the row makes a second job, an early
retry or the sweeper a no-op, so the vendor gets the report once. Without Redis the
request makes the one attempt itself, as the claim notices do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from config.settings import Settings
from triage.store import vendor_forwards
from workers import enqueue
from workers.channels.smtp import sender
from workers.context import context

if TYPE_CHECKING:  # the row ``dispatch`` answers with
    from triage.store.models import VendorForward

log = logging.getLogger(__name__)


class Desk(Protocol):
    """What an attempt needs: the web app's ``Desk`` and the workers' context both are."""

    settings: Settings
    catalog: Catalog
    sessions: sessionmaker[Session]

    @property
    def clock(self) -> Callable[[], datetime]: ...


class ForwardNotSent(Exception):
    """This attempt failed and the outbox has another due: RQ's retry runs it."""


def send_vendor_forward(forward_id: int) -> str:
    """The notify queue's job: one attempt; raises for RQ to retry."""
    outcome = attempt(context(), forward_id)
    if outcome == vendor_forwards.RETRY:
        raise ForwardNotSent(f"vendor forward {forward_id}: attempt failed, retried later")
    return outcome


def attempt(desk: Desk, forward_id: int, *, retry: bool = True) -> str:
    """One attempt at sending the forward (``vendor_forwards.deliver``'s outcome)."""
    with desk.sessions() as session:
        outcome = vendor_forwards.deliver(
            session,
            desk.catalog,
            forward_id,
            desk.clock(),
            send=sender(desk.settings.smtp_url),
            retry=retry,
        )
    if outcome in (vendor_forwards.RETRY, vendor_forwards.FAILED):
        log.warning("vendor forward %d: not sent (%s)", forward_id, outcome)
    return outcome


def dispatch(desk: Desk, forward_id: int) -> VendorForward:
    """After the request queued a forward: ring the notify queue, or without Redis make
    the one attempt now, final on failure (the agent is waiting and may try again). The
    row as it stands then: queued (or already sending or sent by a quick worker), or
    sent or failed with the error."""
    redis_url = desk.settings.redis_url
    if redis_url is not None:
        enqueue.send_vendor_forward(redis_url, forward_id)
    else:
        attempt(desk, forward_id, retry=False)
    with desk.sessions() as session:
        row = vendor_forwards.get_forward(session, forward_id)
    assert row is not None  # written by this request
    return row
