"""Payloads stored but never ingested: the request died between the two steps.

The webhooks commit the raw payload before parsing it (nothing the client sent is lost),
then ingest it in a second transaction. A database outage, a killed web worker or a
deploy between the two leaves the item ``received`` with no ticket, and the client was
answered 5xx or nothing. Most clients send again, which ingests the copy; the sweeper
ingests the original too, so a client that gave up still gets its ticket, and a client
that did send again is a duplicate of the same message (one ticket either way).

SMS replies (``ACK 12``) are not replayed: an acknowledgement minutes late could silence
paging that has since moved on. They are quarantined so an admin sees them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from triage.store.intake import Parser, quarantine, reprocess
from triage.store.models import InboxItem

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class Recovered:
    ingested: int  # became (part of) a ticket
    quarantined: int  # could not be parsed, or a channel that is not replayed


def recover_stuck(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    parsers: Mapping[str, Parser],
    before: datetime,
    now: datetime,
) -> Recovered:
    """Ingest inbox items still ``received`` that arrived before ``before``.

    ``before`` must lie well past any request's lifetime, or a request still running
    would race this (harmlessly: ingest is idempotent, but it would be double work).
    """
    with sessions() as session:
        stuck = session.execute(
            select(InboxItem.id, InboxItem.channel)
            .where(InboxItem.status == "received", InboxItem.received_at < before)
            .order_by(InboxItem.id)
            .limit(BATCH)
        ).all()
    ingested = quarantined = 0
    for item_id, channel in stuck:
        if channel not in parsers:
            with sessions() as session:
                status = session.scalar(select(InboxItem.status).where(InboxItem.id == item_id))
                if status == "received":
                    quarantine(
                        session,
                        item_id,
                        f"not processed when it arrived; {channel} payloads are not replayed",
                    )
            quarantined += 1
            continue
        result = reprocess(sessions, catalog, item_id, parsers, now)
        if result is None:
            quarantined += 1
        else:
            ingested += 1
            log.info("inbox item %d recovered -> ticket %d", item_id, result.ticket_id)
    return Recovered(ingested, quarantined)
