"""A new ticket written whole in one statement, on PostgreSQL.

Intake opens a ticket per webhook: the ticket row, its first events, its escalation
ladder, its channel keys, and the inbox item settled into it. Written one statement per
table, that is four or five round trips inside BEGIN ... COMMIT, and under load each
round trip costs more than its SQL: the web process and the database backend each block
and are woken again (~0.15 ms of CPU apiece on the 2-core load machine, measured with
``pg_sleep``), on top of SQLAlchemy's and psycopg's per-statement work. So on PostgreSQL
the whole write is one statement of data-modifying CTEs. The rows of each child table go
in as arrays that ``unnest`` expands, so the statement has one shape whatever the number
of events, rungs and keys: compiled once, and prepared once per connection by psycopg.

SQLite has no INSERT or UPDATE inside WITH; there intake writes the same rows with one
statement per table (``triage.store.intake``). Both paths are tested on both databases.

One statement is atomic on its own: a lost race on a channel key (two deliveries of one
message at once) fails the whole statement with IntegrityError, as the last of the
per-table statements would have failed the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from triage.store.escalations import POINTS, NewPoint
from triage.store.models import ChannelMessage, InboxItem, table_of
from triage.store.tickets import EVENTS, TICKETS, NewEvent

MESSAGE_KEYS = table_of(ChannelMessage)
INBOX = table_of(InboxItem)
#: Every column of the ticket row but its id; ``Opening.columns`` names each of them
#: that is not NULL.
TICKET_COLUMNS = tuple(c.name for c in TICKETS.c if c.name != "id")


@dataclass(frozen=True)
class Opening:
    """Everything a new ticket is written with."""

    columns: Mapping[str, Any]  # the ticket row; a column left out is NULL
    events: Sequence[NewEvent]  # in order: their ids ascend as listed
    ladder: Sequence[NewPoint]
    key_channel: str  # the channel keys' channel: the message's source
    keys: Sequence[str]  # channel keys, as stored (``intake.storage_key``)
    item_id: int | None  # the inbox item it was made from, settled into it
    now: datetime

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(TICKET_COLUMNS)
        if unknown:
            raise ValueError(f"tickets has no column {', '.join(sorted(unknown))}")


def _array(name: str, column: Any) -> Any:
    return bindparam(name, type_=ARRAY(column.type))


def _statement() -> Select[int]:
    ticket = (
        insert(TICKETS)
        .values({c: bindparam(f"ticket_{c}", type_=TICKETS.c[c].type) for c in TICKET_COLUMNS})
        .returning(TICKETS.c.id)
        .cte("new_ticket")
    )
    events = (
        func.unnest(
            _array("event_kind", EVENTS.c.kind),
            _array("event_at", EVENTS.c.at),
            _array("event_actor", EVENTS.c.actor),
            _array("event_data", EVENTS.c.data),
        )
        .table_valued("kind", "at", "actor", "data", with_ordinality="n")
        .render_derived(name="event")
    )
    rungs = (
        func.unnest(
            _array("point", POINTS.c.point),
            _array("point_level", POINTS.c.level),
            _array("point_at", POINTS.c.fire_at),
            _array("point_status", POINTS.c.status),
        )
        .table_valued("point", "level", "fire_at", "status")
        .render_derived(name="rung")
    )
    keys = (
        func.unnest(_array("key", MESSAGE_KEYS.c.key)).table_valued("key").render_derived(name="k")
    )
    now = bindparam("now", type_=TICKETS.c.created_at.type)
    inserted_events = insert(EVENTS).from_select(
        ["ticket_id", "kind", "at", "actor", "data"],
        select(ticket.c.id, events.c.kind, events.c.at, events.c.actor, events.c.data)
        .select_from(ticket)
        .join(events, true())
        .order_by(events.c.n),
    )
    inserted_points = insert(POINTS).from_select(
        ["ticket_id", "point", "level", "fire_at", "status", "updated_at"],
        select(ticket.c.id, rungs.c.point, rungs.c.level, rungs.c.fire_at, rungs.c.status, now)
        .select_from(ticket)
        .join(rungs, true()),
    )
    inserted_keys = insert(MESSAGE_KEYS).from_select(
        ["channel", "key", "ticket_id", "created_at"],
        select(
            bindparam("key_channel", type_=MESSAGE_KEYS.c.channel.type),
            keys.c.key,
            ticket.c.id,
            now,
        )
        .select_from(ticket)
        .join(keys, true()),
    )
    settled = (
        update(INBOX)
        .where(INBOX.c.id == bindparam("item"))
        .values(status="processed", ticket_id=select(ticket.c.id).scalar_subquery(), error=None)
    )
    return select(ticket.c.id).add_cte(
        inserted_events.cte("new_events"),
        inserted_points.cte("new_points"),
        inserted_keys.cte("new_keys"),
        settled.cte("settled"),
    )


_OPEN = _statement()


def insert_opening(session: Session, opening: Opening) -> int:
    """Write ``opening`` in one statement (PostgreSQL only); returns the ticket's id."""
    params: dict[str, Any] = {f"ticket_{c}": opening.columns.get(c) for c in TICKET_COLUMNS}
    params.update(
        event_kind=[e.kind for e in opening.events],
        event_at=[e.at for e in opening.events],
        event_actor=[e.actor for e in opening.events],
        event_data=[dict(e.data) for e in opening.events],
        point=[p.point for p in opening.ladder],
        point_level=[p.level for p in opening.ladder],
        point_at=[p.fire_at for p in opening.ladder],
        point_status=[p.status for p in opening.ladder],
        key_channel=opening.key_channel,
        key=list(opening.keys),
        item=opening.item_id,
        now=opening.now,
    )
    return int(session.connection().execute(_OPEN, params).scalar_one())
