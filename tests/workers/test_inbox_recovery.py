"""The sweeper ingests payloads a dead request stored but never ingested."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from config.catalog import load_catalog
from tests.web.support import chat_payload
from tests.workers.escalation_support import Clock, installed, oslo, settings_for
from triage.store.intake import store_raw
from triage.store.models import InboxItem, Ticket
from workers.channels.payloads import parsers
from workers.sweeper import sweep


def test_stuck_payloads_become_tickets_and_sms_replies_are_parked(
    sessions, database_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    now = oslo("2026-11-19T10:00")
    body = json.dumps(chat_payload(message_id="chat-stuck")).encode()
    with sessions() as session:
        stuck = store_raw(session, "chat", "application/json", body, now - timedelta(minutes=5))
        fresh = store_raw(
            session,
            "chat",
            "application/json",
            json.dumps(chat_payload(message_id="chat-fresh")).encode(),
            now - timedelta(seconds=5),  # the intake worker (or its request) will take it
        )
        broken = store_raw(session, "chat", "application/json", b"{", now - timedelta(minutes=5))
        reply = store_raw(
            session,
            "sms",
            "application/x-www-form-urlencoded",
            b"Body=ACK+1",
            now - timedelta(hours=1),
        )
        ids = stuck, fresh, broken, reply
    settings = settings_for(database_url, tmp_path)
    with installed(settings, load_catalog(), Clock(now)) as ctx:
        ctx.parsers = parsers(settings)
        first = sweep(ctx)
        second = sweep(ctx)

    assert (first.recovered, second.recovered) == (3, 0)
    with sessions() as session:
        items = {i.id: i for i in session.scalars(select(InboxItem))}
        tickets = session.scalars(select(Ticket)).all()
    assert items[ids[0]].status == "processed"
    assert [t.id for t in tickets] == [items[ids[0]].ticket_id]
    assert tickets[0].received_at == now - timedelta(minutes=5)  # the deadline is not moved
    assert items[ids[1]].status == "received"
    assert items[ids[2]].status == "quarantined"
    assert items[ids[3]].status == "quarantined"
    assert "not replayed" in (items[ids[3]].error or "")


def test_a_stuck_copy_of_a_message_that_was_sent_again_is_the_same_ticket(
    sessions, database_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import Clock as AppClock
    from tests.web.conftest import make_settings
    from tests.web.support import post_chat
    from web.app import create_app

    now = oslo("2026-11-19T10:00")
    payload = chat_payload(message_id="chat-twice")
    with sessions() as session:
        store_raw(
            session,
            "chat",
            "application/json",
            json.dumps(payload).encode(),
            now - timedelta(minutes=3),
        )
    app = create_app(
        make_settings(database_url, tmp_path), catalog=load_catalog(), clock=AppClock(now)
    )
    assert post_chat(app.test_client(), payload).status_code == 202  # the client sent it again

    settings = settings_for(database_url, tmp_path)
    with installed(settings, load_catalog(), Clock(now)) as ctx:
        ctx.parsers = parsers(settings)
        assert sweep(ctx).recovered == 1
    with sessions() as session:
        assert len(session.scalars(select(Ticket)).all()) == 1
        assert {i.status for i in session.scalars(select(InboxItem))} == {"processed"}


def test_a_context_built_without_parsers_has_the_one_registry(
    sessions, database_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``triage sweeper`` (or any worker) builds its context with nothing handed in: a
    stuck payload still becomes a ticket, parsed like the webhook parses it."""
    now = oslo("2026-11-19T10:00")
    body = json.dumps(chat_payload(message_id="chat-own-registry")).encode()
    with sessions() as session:
        store_raw(session, "chat", "application/json", body, now - timedelta(minutes=5))
    settings = settings_for(database_url, tmp_path)
    with installed(settings, load_catalog(), Clock(now)) as ctx:
        assert set(ctx.parsers) == set(parsers(settings))
        assert sweep(ctx).recovered == 1
    with sessions() as session:
        assert {i.status for i in session.scalars(select(InboxItem))} == {"processed"}
