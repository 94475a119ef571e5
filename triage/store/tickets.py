"""Ticket repository: the queries and writes the use-cases need, and nothing else."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from sla.targets import Pause
from triage.report import TicketFacts
from triage.sla_state import SlaState
from triage.store.models import Ticket, TicketEvent, table_of
from triage.store.row_inserts import RowInserts

TICKETS = table_of(Ticket)
EVENTS = table_of(TicketEvent)
# Built once (intake runs them per ticket): one multi-row INSERT each (see row_inserts).
_INSERT_TICKET = RowInserts(TICKETS, returning=TICKETS.c.id)
_INSERT_EVENTS = RowInserts(EVENTS)


@dataclass(frozen=True)
class NewEvent:
    """An event of a ticket being inserted (``insert_ticket``)."""

    kind: str
    at: datetime
    actor: str = "system"
    data: Mapping[str, Any] = field(default_factory=dict)


def add_event(
    session: Session, ticket: Ticket, kind: str, at: datetime, actor: str = "system", **data: Any
) -> None:
    session.add(TicketEvent(ticket=ticket, kind=kind, at=at, actor=actor, data=data))


def insert_ticket(session: Session, columns: Mapping[str, Any], events: Sequence[NewEvent]) -> int:
    """Insert a new ticket and its first events in two statements; returns its id.

    For intake, which opens a ticket per webhook: the ORM's unit of work spent more CPU on
    its bookkeeping for these rows than the rest of the request did, and nothing in the
    transaction reads them back. Events keep their order (ids ascend as listed).
    """
    (returned,) = _INSERT_TICKET.execute(session.connection(), [columns])
    ticket_id = int(returned)
    insert_events(session, [(ticket_id, e) for e in events])
    return ticket_id


def insert_events(session: Session, events: Sequence[tuple[int, NewEvent]]) -> None:
    """(ticket id, event) rows in one multi-row INSERT, bypassing the unit of work (which
    would load each ticket's events to append one): for writers that never read them
    back in the transaction (intake, firing escalations)."""
    if not events:
        return
    _INSERT_EVENTS.execute(
        session.connection(),
        [
            {
                "ticket_id": ticket_id,
                "kind": e.kind,
                "at": e.at,
                "actor": e.actor,
                "data": dict(e.data),
            }
            for ticket_id, e in events
        ],
    )


def sla_values(state: SlaState | None) -> dict[str, Any]:
    """The derived SLA columns' values (all None = unrouted, no clock)."""
    return {
        "terms_valid_from": state.terms_valid_from if state else None,
        "clock_starts_at": state.clock_starts_at if state else None,
        "due_at": state.due_at if state else None,
        "response_seconds": state.response_seconds if state else None,
    }


def apply_sla_state(ticket: Ticket, state: SlaState | None) -> None:
    """Write the derived SLA columns onto a loaded ticket."""
    for name, value in sla_values(state).items():
        setattr(ticket, name, value)


def by_external_id(session: Session, external_id: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.external_id == external_id)).one_or_none()


def report_facts(
    session: Session, start: datetime, end: datetime, *, stream: bool = False
) -> Iterator[TicketFacts]:
    """Routed tickets received in [start, end), as the pure report wants them.

    ``stream``: read through a server-side cursor on PostgreSQL, a batch at a time, for
    a caller that hands the rows on as it goes (the ticket CSV of a period of any size):
    memory stays flat and the first rows come before the last are read. The caller
    iterates inside the session's transaction."""
    query = facts_query(start, end).order_by(Ticket.received_at, Ticket.id)
    return facts_of(session, query, stream=stream)


def facts_query(start: datetime, end: datetime) -> Select[*tuple[Any, ...]]:
    """The ``TicketFacts`` columns of routed tickets received in [start, end), unordered:
    ``report_facts``, and the report's breaches (``triage.store.report_figures``) narrow
    and order it."""
    return select(
        Ticket.contract_id,
        Ticket.received_at,
        Ticket.due_at,
        Ticket.responded_at,
        Ticket.response_seconds,
        Ticket.id,
        Ticket.severity,
        Ticket.subject,
    ).where(*routed_in(start, end))


def routed_in(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Routed tickets received in [start, end): the one definition of a report's period."""
    return (
        Ticket.contract_id.is_not(None),
        Ticket.received_at >= start,
        Ticket.received_at < end,
    )


def facts_of(
    session: Session, query: Select[*tuple[Any, ...]], *, stream: bool = False
) -> Iterator[TicketFacts]:
    """The rows of a ``facts_query`` as ``TicketFacts``, in the query's order; ``stream``
    as ``report_facts`` says."""
    if session.get_bind().dialect.name == "postgresql":
        # A quarter is ~100,000 rows: straight from psycopg's cursor, which already hands
        # back aware datetimes, instead of through SQLAlchemy's per-row result processing
        # (most of the report page's time at a million tickets).
        dialect = session.get_bind().dialect
        compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        driver = session.connection().connection.driver_connection
        assert driver is not None
        name = f"facts_{next(_CURSORS)}" if stream else None
        # A named cursor is a server-side one (DECLARE ... CURSOR in the transaction):
        # each fetchmany reads the next batch. An unnamed one holds the whole result.
        with driver.cursor(name=name) if name else driver.cursor() as cursor:
            cursor.execute(str(compiled), compiled.params)
            while batch := cursor.fetchmany(FETCH_BATCH):
                yield from _facts_of_rows(batch)
        return
    yield from _facts_of_rows(session.execute(query.execution_options(yield_per=FETCH_BATCH)))


FETCH_BATCH = 5000
_CURSORS = itertools.count(1)


def _facts_of_rows(rows: Iterable[Any]) -> Iterator[TicketFacts]:
    for contract_id, received, due, responded, seconds, id_, severity, subject in rows:
        yield TicketFacts(
            str(contract_id), received, due, responded, seconds, id_, severity, subject or ""
        )


def pauses_from_events(events: Sequence[TicketEvent], now: datetime) -> tuple[Pause, ...]:
    """Paused/resumed pairs; a pause still running ends "now" for the purpose of the sum.

    Events at the same instant keep the order they were recorded in: by id, and events
    not yet flushed (no id) after those, in the order they were added.
    """
    pauses: list[Pause] = []
    started: datetime | None = None
    for event in sorted(events, key=lambda e: (e.at, math.inf if e.id is None else e.id)):
        if event.kind == "paused" and started is None:
            started = event.at
        elif event.kind == "resumed" and started is not None:
            pauses.append((started, event.at))
            started = None
    if started is not None:
        pauses.append((started, max(now, started)))
    return tuple(pauses)
