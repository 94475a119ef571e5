"""A new ticket written whole: the same rows on every database, whichever way it is
written (one statement on PostgreSQL, one per table on SQLite)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from triage.store.escalations import NewPoint, _planned
from triage.store.intake import _write, store_raw
from triage.store.models import ChannelMessage, EscalationPoint, InboxItem, Ticket, TicketEvent
from triage.store.opening import Opening
from triage.store.tickets import NewEvent

NOW = datetime(2026, 3, 10, 8, 15, tzinfo=UTC)


def opening(item_id: int | None, keys: tuple[str, ...] = ("m-1", "conv-1")) -> Opening:
    return Opening(
        {
            "channel": "chat",
            "subject": "Sentralbordet er nede",
            "body": "Ingen får ringt ut «nå» – hele bedriften",
            "requester_name": "Åse Ødegård",
            "contract_id": "telenor-mbn",
            "severity": "critical",
            "severity_reasons": ["outage", "company-wide"],
            "status": "open",
            "received_at": NOW,
            "terms_valid_from": date(2024, 1, 1),
            "clock_starts_at": NOW,
            "due_at": NOW + timedelta(hours=1),
            "response_seconds": 3600.0,
            "created_at": NOW,
            "updated_at": NOW,
        },
        [
            NewEvent("received", NOW, "chat", {"item": item_id, "text": "æøå"}),
            NewEvent("classified", NOW, data={"severity": "critical", "score": 7}),
            NewEvent("routed", NOW, data={"contract": "telenor-mbn", "reasons": ["mbn"]}),
        ],
        [
            NewPoint("half", 1, NOW + timedelta(minutes=30), "pending"),
            NewPoint("due", 2, NOW + timedelta(hours=1), "pending"),
            NewPoint("stale", 1, NOW - timedelta(hours=2), "skipped"),
        ],
        "chat",
        keys,
        item_id,
        NOW,
    )


def test_a_new_ticket_is_written_whole(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        item_id = store_raw(session, "chat", "application/json", b"{}", NOW)
    with sessions() as session:
        ticket_id = _write(session, opening(item_id))
        session.commit()
    with sessions() as session:
        ticket = session.get_one(Ticket, ticket_id)
        assert (ticket.requester_name, ticket.body) == (
            "Åse Ødegård",
            "Ingen får ringt ut «nå» – hele bedriften",
        )
        assert ticket.severity_reasons == ["outage", "company-wide"]
        assert (ticket.due_at, ticket.terms_valid_from) == (
            NOW + timedelta(hours=1),
            date(2024, 1, 1),
        )
        assert (ticket.external_id, ticket.assignee, ticket.responded_at) == (None, None, None)
        events = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        ).all()
        assert [(e.kind, e.actor, e.data) for e in events] == [
            ("received", "chat", {"item": item_id, "text": "æøå"}),
            ("classified", "system", {"severity": "critical", "score": 7}),
            ("routed", "system", {"contract": "telenor-mbn", "reasons": ["mbn"]}),
        ]
        rungs = session.scalars(
            select(EscalationPoint).where(EscalationPoint.ticket_id == ticket_id)
        ).all()
        assert sorted((r.point, r.level, r.fire_at, r.status, r.updated_at) for r in rungs) == [
            ("due", 2, NOW + timedelta(hours=1), "pending", NOW),
            ("half", 1, NOW + timedelta(minutes=30), "pending", NOW),
            ("stale", 1, NOW - timedelta(hours=2), "skipped", NOW),
        ]
        keys = session.scalars(
            select(ChannelMessage).where(ChannelMessage.ticket_id == ticket_id)
        ).all()
        assert sorted((k.channel, k.key, k.created_at) for k in keys) == [
            ("chat", "conv-1", NOW),
            ("chat", "m-1", NOW),
        ]
        item = session.get_one(InboxItem, item_id)
        assert (item.status, item.ticket_id, item.error) == ("processed", ticket_id, None)


def test_without_ladder_keys_or_item_only_the_ticket_and_events_are_written(sessions) -> None:  # type: ignore[no-untyped-def]
    bare = opening(None, keys=())
    bare = Opening(bare.columns, bare.events[:1], [], "chat", (), None, NOW)
    with sessions() as session:
        ticket_id = _write(session, bare)
        session.commit()
    with sessions() as session:
        assert session.get(Ticket, ticket_id) is not None
        assert (
            len(
                session.scalars(
                    select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id)
                ).all()
            )
            == 1
        )
        for model in (EscalationPoint, ChannelMessage):
            assert session.scalars(select(model.id).where(model.ticket_id == ticket_id)).all() == []


def test_a_key_taken_meanwhile_fails_the_whole_write(sessions) -> None:  # type: ignore[no-untyped-def]
    """The lost race intake retries: nothing of the loser is left behind."""
    with sessions() as session:
        winner = _write(session, opening(None, keys=("race-1",)))
        session.commit()
    with sessions() as session:
        item_id = store_raw(session, "chat", "application/json", b"{}", NOW)
    with sessions() as session, pytest.raises(IntegrityError):
        _write(session, opening(item_id, keys=("race-2", "race-1")))
        session.commit()
    with sessions() as session:
        assert session.scalar(select(Ticket.id).order_by(Ticket.id.desc())) == winner
        assert session.get_one(InboxItem, item_id).status == "received"
        keys = select(ChannelMessage.key).where(ChannelMessage.key.like("race-%"))
        assert session.scalars(keys).all() == ["race-1"]


def test_an_unknown_column_is_refused() -> None:
    good = opening(None)
    with pytest.raises(ValueError, match="tickets has no column colour"):
        Opening({**good.columns, "colour": "red"}, good.events, [], "chat", (), None, NOW)


def test_the_ladder_is_handed_to_the_scheduler_as_planned() -> None:
    planned = _planned(7, opening(None).ladder)
    assert [(p.job_id, p.pending) for p in planned] == [
        ("escalate-7-half", True),
        ("escalate-7-due", True),
        ("escalate-7-stale", False),
    ]
