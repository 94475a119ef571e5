"""The queue's ``time_left`` order over every status, read from indexed sources and merged
(``triage.store.ticket_actions._by_time_left``), is the order the pure rule gives: group by
``judge`` (breached, running, met, no deadline; a paused ticket judged at its pause
start), then critical first, then deadline, receipt, id. Page by page, at every offset,
on SQLite and PostgreSQL, over tickets drawn to hit the edges: answered late and on
time, overdue and running, paused before and after the deadline and without a pause
event, resolved without a response, no deadline, equal deadlines and receipts. The order
is the one the queue had as a single sorted statement, which these sources replace.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from sla.targets import Outcome, judge
from triage.store import ticket_actions as actions
from triage.store.models import Ticket, TicketEvent

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
GROUP = {Outcome.BREACHED: 0, Outcome.OPEN: 1, Outcome.MET: 2, Outcome.NO_TARGET: 3}


def _ticket(rng: random.Random) -> tuple[dict[str, Any], datetime | None]:
    """A ticket's columns and the start of its running pause (None: not paused)."""
    received = NOW - timedelta(hours=rng.choice((1, 5, 30, 200)), minutes=rng.choice((0, 7)))
    due = None if rng.random() < 0.2 else received + timedelta(hours=rng.choice((2, 8, 48)))
    if due is not None and rng.random() < 0.05:
        due = NOW  # on the instant itself
    status = rng.choice(("open", "open", "paused", "resolved", "resolved"))
    responded = None
    if rng.random() < 0.45:
        responded = received + timedelta(hours=rng.choice((1, 3, 9, 60)))
        if due is not None and rng.random() < 0.2:
            responded = due  # met at the deadline
        responded = min(responded, NOW)
    pause = None
    if status == "paused" and rng.random() < 0.85:
        pause = received + (NOW - received) * rng.random()
    return {
        "channel": "email",
        "subject": "sak",
        "body": "",
        "contract_id": rng.choice(("nettsoft-mbn", "pindena", None)),
        "severity": rng.choice(("critical", "non-critical")),
        "severity_reasons": [],
        "status": status,
        "received_at": received,
        "due_at": due,
        "responded_at": responded,
        "created_at": received,
        "updated_at": received,
    }, pause


@pytest.fixture
def tickets(sessions):  # type: ignore[no-untyped-def]
    rng = random.Random(18)
    with sessions() as session:
        for _ in range(260):
            row, pause = _ticket(rng)
            ticket_id = session.execute(insert(Ticket).returning(Ticket.id), [row]).scalar_one()
            if pause is not None:
                for at in (pause - timedelta(hours=30), pause):  # the last one counts
                    session.execute(
                        insert(TicketEvent),
                        [{"ticket_id": ticket_id, "kind": "paused", "at": at, "data": {}}],
                    )
        session.commit()
    return sessions


def _expected(sessions, where: Any = None) -> list[int]:  # type: ignore[no-untyped-def]
    """The ids in the pure rule's order."""
    keyed = []
    with sessions() as session:
        query = select(Ticket) if where is None else select(Ticket).where(where)
        for ticket in session.scalars(query):
            pauses = [e.at for e in ticket.events if e.kind == "paused"]
            at = max(pauses) if ticket.status == "paused" and pauses else NOW
            outcome = judge(ticket.due_at, ticket.responded_at, at)
            if ticket.status == "paused" and not pauses and outcome is Outcome.BREACHED:
                # paused without a pause event (no such ticket is made by the desk): the
                # queue has always counted it running, its pause start being unknown
                outcome = Outcome.BREACHED if ticket.responded_at else Outcome.OPEN
            critical = 0 if ticket.severity == "critical" else 1
            keyed.append(
                (GROUP[outcome], critical, ticket.due_at or NOW, ticket.received_at, ticket.id)
            )
    return [key[-1] for key in sorted(keyed)]


def _paged(sessions, filters: actions.QueueFilter, size: int) -> list[int]:  # type: ignore[no-untyped-def]
    found: list[int] = []
    with sessions() as session:
        total = actions.count_queue(session, filters, NOW)
        for offset in range(0, total + size, size):
            page = actions.queue(session, filters, NOW, offset=offset, limit=size)
            assert len(page) == min(size, max(0, total - offset))
            found += [item.ticket.id for item in page]
    return found


@pytest.mark.parametrize("size", [1, 7, 50])
def test_every_status_comes_in_the_rules_order_on_every_page(tickets, size: int) -> None:  # type: ignore[no-untyped-def]
    expected = _expected(tickets)
    assert len(expected) == 260
    assert _paged(tickets, actions.QueueFilter(), size) == expected


def test_filtered_views_come_in_the_rules_order(tickets) -> None:  # type: ignore[no-untyped-def]
    for filters, where in (
        (actions.QueueFilter(status="resolved"), Ticket.status == "resolved"),
        (actions.QueueFilter(status="paused"), Ticket.status == "paused"),
        (actions.QueueFilter(severity="critical"), Ticket.severity == "critical"),
        (actions.QueueFilter(contract="pindena"), Ticket.contract_id == "pindena"),
    ):
        expected = _expected(tickets, where)
        assert len(expected) > 20
        assert _paged(tickets, filters, 9) == expected


def test_the_breached_filter_and_the_groups_agree(tickets) -> None:  # type: ignore[no-untyped-def]
    """``breached=true`` over every status is the head of the order: group 0 exactly."""
    everything = _paged(tickets, actions.QueueFilter(), 50)
    breached = _paged(tickets, replace(actions.QueueFilter(), breached=True), 11)
    assert breached == everything[: len(breached)]
    with tickets() as session:
        page = actions.queue(session, actions.QueueFilter(), NOW, limit=len(breached) + 1)
    outcomes = [item.standing.outcome for item in page]
    assert outcomes[:-1] == [Outcome.BREACHED] * len(breached)
    assert outcomes[-1] is not Outcome.BREACHED
