"""``RowInserts`` stores exactly what the Core statement it replaces stores, on both
databases: the same columns, JSON text, times, ids in the rows' order; and a refused
row is the same ``IntegrityError`` (the intake's retry and one-by-one fallback rely on it).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Table, cast, insert, select
from sqlalchemy import Text as TextType
from sqlalchemy.exc import IntegrityError

from triage.store.models import ChannelMessage, Ticket, TicketEvent, table_of
from triage.store.row_inserts import RowInserts

TICKETS = table_of(Ticket)
EVENTS = table_of(TicketEvent)
KEYS = table_of(ChannelMessage)
AT = datetime(2026, 3, 10, 9, 15, 30, 123456, tzinfo=timezone(timedelta(hours=1)))


def _ticket(n: int) -> dict[str, object]:
    return {
        "channel": "chat",
        "subject": f"Sentralbordet svarer ikke {n} ’æøå’ \\ %s %(x)s",
        "body": 'tekst\nmed linjeskift og "anførsel" og ☎',
        "requester_name": None,
        "requester_email": "kari@kunde.no",
        "requester_phone": None,
        "contract_id": "nettsoft-mbn" if n % 2 else None,
        "severity": "critical",
        "severity_reasons": ["hele bedriften", f"grunn {n}"],
        "needs_confirmation": bool(n % 2),
        "status": "open",
        "received_at": AT,
        "created_at": AT + timedelta(minutes=n),
        "updated_at": AT,
        "terms_valid_from": None,
        "clock_starts_at": AT,
        "due_at": AT + timedelta(hours=1),
        "response_seconds": 3600 if n % 2 else None,
    }


def _event(ticket_id: int, n: int) -> dict[str, object]:
    data = {"severity": "critical", "score": 0.5 + n, "reasons": ["a", "ø"], "nested": {"x": None}}
    return {"ticket_id": ticket_id, "kind": f"kind{n}", "at": AT, "actor": "chat", "data": data}


def _rows(session, table: Table) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """Every column but the id, JSON as the database stores its text."""
    columns = [
        cast(c, TextType) if c.type.__class__.__name__ == "JSON" else c
        for c in table.columns
        if c.name != "id"
    ]
    return [tuple(row) for row in session.execute(select(*columns).order_by(table.c.id))]


def test_rows_are_stored_as_the_core_statement_stores_them(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        connection = session.connection()
        core = [
            connection.execute(insert(TICKETS).returning(TICKETS.c.id), _ticket(n)).scalar_one()
            for n in range(3)
        ]
        fast = [
            RowInserts(TICKETS, returning=TICKETS.c.id).execute(connection, [_ticket(n)])[0]
            for n in range(3)
        ]
        assert fast == [core[-1] + 1 + n for n in range(3)]
        connection.execute(
            insert(EVENTS).returning(EVENTS.c.id), [_event(core[0], n) for n in range(4)]
        )
        assert RowInserts(EVENTS).execute(connection, [_event(core[0], n) for n in range(4)]) == []
        session.commit()
    with sessions() as session:
        tickets = _rows(session, TICKETS)
        assert tickets[3:] == tickets[:3]
        events = _rows(session, EVENTS)
        assert events[4:] == events[:4]  # same JSON text, same times, in the rows' order
        assert [e[1] for e in events] == [f"kind{n}" for n in range(4)] * 2


def test_returning_gives_the_ids_in_the_rows_order(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        connection = session.connection()
        ids = RowInserts(TICKETS, returning=TICKETS.c.id).execute(
            connection, [_ticket(n) for n in range(5)]
        )
        session.commit()
    with sessions() as session:
        stored = session.execute(select(Ticket.id, Ticket.created_at).order_by(Ticket.id)).all()
    assert [i for i, _ in stored] == ids
    assert [at for _, at in stored] == [AT + timedelta(minutes=n) for n in range(5)]
    assert all(at.tzinfo is not None and at.utcoffset() == timedelta(0) for _, at in stored)


def test_a_column_default_left_unset_is_filled_in_as_before(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        connection = session.connection()
        (ticket_id,) = RowInserts(TICKETS, returning=TICKETS.c.id).execute(connection, [_ticket(0)])
        RowInserts(EVENTS).execute(
            connection, [{"ticket_id": ticket_id, "kind": "received", "at": AT}]
        )  # actor and data unset: their defaults ("system", {}) apply
        session.commit()
    with sessions() as session:
        event = session.scalars(select(TicketEvent)).one()
    assert (event.actor, event.data) == ("system", {})


def test_a_refused_row_is_an_integrity_error(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        connection = session.connection()
        (ticket_id,) = RowInserts(TICKETS, returning=TICKETS.c.id).execute(connection, [_ticket(0)])
        key = {"channel": "chat", "key": "message:m1", "ticket_id": ticket_id, "created_at": AT}
        RowInserts(KEYS).execute(connection, [key])
        with pytest.raises(IntegrityError):
            RowInserts(KEYS).execute(connection, [{**key, "key": "message:m2"}, key])
        session.rollback()
