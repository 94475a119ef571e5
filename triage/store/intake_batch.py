"""Accept first, ingest in batches: the HMAC webhooks' intake (issue 18).

``/inbound/email``, ``/inbound/chat`` and ``/inbound/cti`` answer 202 with a receipt as
soon as ``store_pending`` has committed the raw payload (one INSERT, autocommit); the
ticket is made later by ``ingest_pending``, many payloads per transaction: parse,
dedupe, thread, classify, route, deadlines and ladders, one commit. Why: under an outage
storm the per-request cost of a synchronous intake (a transaction, its round trips and
the request around it, per ticket) capped intake near 200/s on two cores; a batch pays
the transaction once and the webhook pays only the INSERT.

Nothing changes for the clock: a ticket's ``received_at`` is the inbox row's receipt
time, stored before the answer, however late the batch runs.

Concurrency: on PostgreSQL a batch locks its rows (``FOR UPDATE SKIP LOCKED``), so two
intake workers (or a worker and the sweeper) take disjoint batches. SQLite has one
writer at a time; a row two batches both read is ingested by the first and is a
duplicate (the same ticket) to the second. A batch that loses a race on the unique
channel keys (``IntegrityError``: another path ingested one of its messages meanwhile)
is rolled back and its rows are ingested one by one, each with ``ingest``'s retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from triage.intake.message import IncomingMessage, RejectedPayload
from triage.store.escalations import Planned, planned_in
from triage.store.intake import (
    EMAIL_CONTENT_TYPE,
    INBOX,
    Parser,
    Settled,
    ingest,
    ingest_in,
    quarantine,
    quarantine_in,
    settle_all,
    storage_key,
    store_raw,
)

log = logging.getLogger(__name__)

#: The inbox channels taken asynchronously: the HMAC webhooks. Twilio Voice stays
#: synchronous (its TwiML reads the case number back) and SMS answers are never replayed.
ASYNC_CHANNELS = ("email", "chat", "cti")
#: Payloads per transaction. Larger batches pay the commit less often but hold SQLite's
#: one write lock longer (a webhook's INSERT waits for it).
BATCH = 100
PENDING, TICKET, QUARANTINED = "pending", "ticket", "quarantined"

# The first delivery with the same key, in the same statement (a redelivery is 1 % of
# the traffic: a second round trip on every webhook would be waste). Whether the row
# being inserted is visible to the subquery differs by database; it is ignored below.
_STORE_PENDING = insert(INBOX).returning(
    INBOX.c.id,
    select(func.min(INBOX.c.id))
    .where(
        INBOX.c.channel == bindparam("same_channel"),
        INBOX.c.delivery_key == bindparam("same_key"),
    )
    .scalar_subquery(),
)


@dataclass(frozen=True)
class Stored:
    """A payload just stored: its receipt, and the first delivery's when it was seen."""

    item_id: int
    first: int | None  # an earlier inbox item with the same delivery key


@dataclass(frozen=True)
class Receipt:
    item_id: int
    state: str  # pending | ticket | quarantined
    ticket_id: int | None
    error: str | None


@dataclass
class Batch:
    """What one ``ingest_pending`` did."""

    taken: int = 0
    tickets: list[int] = field(default_factory=list)  # one per ingested item (repeats)
    quarantined: int = 0
    #: (ticket, point) due on receipt ("immediately" contracts): page them at once
    due: list[tuple[int, str]] = field(default_factory=list)


# ------------------------------------------------------------------ accepting


def store_pending(
    session: Session,
    channel: str,
    content_type: str,
    payload: bytes,
    now: datetime,
    delivery_key: str | None,
) -> Stored:
    """Store an authenticated, well-shaped payload for the batch intake: one INSERT in
    autocommit (no BEGIN/COMMIT round trips), which also reads back the first earlier
    delivery with the same key, so a redelivery is answered with that one's receipt.
    The redelivery is stored too (nothing a client sent is dropped) and the batch
    settles it as a duplicate of the same ticket."""
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    key = storage_key(delivery_key) if delivery_key else None
    row = (
        session.connection()
        .execute(
            _STORE_PENDING,
            {
                "channel": channel,
                "content_type": content_type[:200],
                "payload": bytes(payload),
                "received_at": now,
                "status": "received",
                "delivery_key": key,
                "same_channel": channel,
                "same_key": key,
            },
        )
        .one()
    )
    session.commit()
    item_id, first = int(row[0]), row[1]
    return Stored(item_id, None if first is None or int(first) >= item_id else int(first))


def accept_email(
    session: Session, raw: bytes, now: datetime, check: Callable[[bytes, str], str]
) -> Stored | None:
    """Accept one raw e-mail fetched by the IMAP poller exactly as the e-mail webhook
    accepts a posted one: ``check`` is the webhook's (``payloads.check_email``), its key
    the webhook's delivery key, the row the same pending ``email`` row, ingested by the
    same batches with ``now`` as the receipt time the SLA clock starts from. A message
    the check refuses is kept quarantined with the reason, as the webhook keeps it.
    None when it was quarantined (there is nothing to ingest)."""
    try:
        key = check(raw, EMAIL_CONTENT_TYPE)
    except RejectedPayload as exc:
        item_id = store_raw(session, "email", EMAIL_CONTENT_TYPE, raw, now)
        quarantine(session, item_id, exc.message)
        return None
    return store_pending(session, "email", EMAIL_CONTENT_TYPE, raw, now, key)


def receipt(session: Session, item_id: int) -> Receipt | None:
    """The state of an asynchronously taken payload; None for an unknown id (or an item
    of another channel: SMS and Twilio payloads have no receipts)."""
    row = session.execute(
        select(INBOX.c.status, INBOX.c.ticket_id, INBOX.c.error).where(
            INBOX.c.id == item_id, INBOX.c.channel.in_(ASYNC_CHANNELS)
        )
    ).one_or_none()
    if row is None:
        return None
    status, ticket_id, error = row
    if status == "quarantined":
        return Receipt(item_id, QUARANTINED, None, error or "quarantined")
    if status == "processed":
        return Receipt(item_id, TICKET, ticket_id, None)
    return Receipt(item_id, PENDING, None, None)


# ------------------------------------------------------------------ ingesting


def ingest_pending(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    parsers: Mapping[str, Parser],
    now: datetime,
    *,
    limit: int = BATCH,
    before: datetime | None = None,
    items: Sequence[int] | None = None,
) -> Batch:
    """Ingest up to ``limit`` pending payloads of the async channels in one transaction,
    oldest first (only ``items``, or only those stored before ``before``, when given).

    A payload that does not parse is quarantined with the reason (its receipt says so);
    one whose parser is missing waits (the process that has it will take it).
    """
    query = select(
        INBOX.c.id, INBOX.c.channel, INBOX.c.content_type, INBOX.c.payload, INBOX.c.received_at
    ).where(
        INBOX.c.status == "received",
        INBOX.c.channel.in_([c for c in ASYNC_CHANNELS if c in parsers]),
    )
    if before is not None:
        query = query.where(INBOX.c.received_at < before)
    if items is not None:
        query = query.where(INBOX.c.id.in_(list(items)))
    query = query.order_by(INBOX.c.id).limit(limit).with_for_update(skip_locked=True)
    batch = Batch()
    with sessions() as session:
        rows = session.execute(query).all()
        if not rows:
            return batch
        batch.taken = len(rows)
        try:
            parsed = [_parse(session, parsers, row) for row in rows]
            settled: Settled = []
            for row, message in zip(rows, parsed, strict=True):
                if message is None:
                    batch.quarantined += 1
                    continue
                result = ingest_in(session, catalog, row.id, message, now, row.received_at, settled)
                batch.tickets.append(result.ticket_id)
            settle_all(session, settled)
            batch.due = _due(planned_in(session), now)
            session.commit()
        except OperationalError:
            raise  # the database went away: the rows stay pending for the next try
        except DBAPIError as exc:
            session.rollback()
            log.warning(
                "intake batch of %d rolled back (%s); ingesting one by one",
                len(rows),
                type(exc).__name__,
            )
            return _one_by_one(sessions, catalog, parsers, rows, now)
    return batch


def _parse(session: Session, parsers: Mapping[str, Parser], row: Any) -> IncomingMessage | None:
    """The row's message, or None after quarantining it with the reason."""
    try:
        return parsers[row.channel](row.payload, row.content_type)
    except ValueError as exc:  # RejectedPayload, MalformedEmail: the sender's fault
        detail = str(exc) or type(exc).__name__
        fields = getattr(exc, "fields", None)
        if fields:
            detail = f"{detail}; {fields}"
        quarantine_in(session, row.id, detail)
    except Exception as exc:  # a parser bug must not block the inbox behind this payload
        log.error("inbox item %d: parser failed with %s", row.id, type(exc).__name__)
        quarantine_in(session, row.id, f"the parser failed ({type(exc).__name__})")
    return None


def _due(planned: list[Planned], now: datetime) -> list[tuple[int, str]]:
    return [(p.ticket_id, p.point) for p in planned if p.pending and p.fire_at <= now]


def _one_by_one(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    parsers: Mapping[str, Parser],
    rows: Sequence[Any],
    now: datetime,
) -> Batch:
    """The batch's rows, each in its own transaction (after a lost race or a row the
    database refused). A row that fails alone is quarantined: kept, and shown to an
    admin, rather than retried for ever in front of the others."""
    batch = Batch(taken=len(rows))
    for row in rows:
        with sessions() as session:
            status = session.scalar(select(INBOX.c.status).where(INBOX.c.id == row.id))
            if status != "received":
                continue  # someone else took it meanwhile
            message = _parse(session, parsers, row)
            session.commit()
        if message is None:
            batch.quarantined += 1
            continue
        try:
            result = ingest(sessions, catalog, row.id, message, now, row.received_at)
        except OperationalError:
            raise
        except DBAPIError as exc:
            with sessions() as session:
                quarantine(session, row.id, f"ingest failed ({type(exc).__name__})")
            batch.quarantined += 1
            continue
        batch.tickets.append(result.ticket_id)
    return batch
