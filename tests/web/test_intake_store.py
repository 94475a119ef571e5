"""The intake use-case below the web layer: races, reprocessing, the IMAP entry point."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.support import email_bytes, inbox, kinds, oslo, tickets
from triage.intake.message import IncomingMessage, RejectedPayload
from triage.store import intake
from triage.store.intake import (
    ingest,
    quarantine,
    reprocess,
    store_raw,
)
from triage.store.intake_batch import accept_email, ingest_pending
from triage.store.ticket_actions import quarantined
from workers.channels.payloads import check_email, parse_email_payload

NOW = oslo(2026, 3, 10, 9, 15)


def _message(key: str = "message:1", conversation: str = "conversation:1") -> IncomingMessage:
    return IncomingMessage(
        channel="chat",
        source="chat",
        dedup_key=key,
        conversation_key=conversation,
        text="MBN: sentralbordet er nede for hele bedriften",
        sender_name="Kari",
        sender_email="kari@kunde.no",
    )


def _stored(sessions: sessionmaker[Session], payload: bytes = b"{}") -> int:
    with sessions() as session:
        return store_raw(session, "chat", "application/json", payload, NOW)


def test_store_raw_commits_alone_and_leaves_the_session_transactional(
    sessions: sessionmaker[Session],
) -> None:
    """The payload is committed as a statement of its own; what the same session does
    next is an ordinary transaction again, which a rollback undoes."""
    with sessions() as session:
        kept = store_raw(session, "chat", "application/json", b'{"a": 1}', NOW)
        undone = store_raw(session, "chat", "application/json", b'{"a": 2}', NOW)
        session.execute(
            update(intake.InboxItem).where(intake.InboxItem.id == kept).values(error="x")
        )
        session.execute(delete(intake.InboxItem).where(intake.InboxItem.id == undone))
        session.rollback()
    assert {i.id: i.error for i in inbox(sessions)} == {kept: None, undone: None}

    with sessions() as session:  # inside a transaction begun by its caller: part of it
        session.execute(select(intake.InboxItem.id)).all()
        later = store_raw(session, "chat", "application/json", b'{"a": 3}', NOW)
    with sessions() as session:
        assert session.get(intake.InboxItem, later) is not None


def test_a_lost_race_on_the_unique_key_is_a_duplicate(
    sessions: sessionmaker[Session], catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulate the window between the lookup and the insert: the second delivery does
    not see the first one's key row, inserts its own, and loses on the constraint."""
    first = ingest(sessions, catalog, _stored(sessions), _message(), NOW)
    real_known = intake._known
    calls = {"n": 0}

    def blind_once(*args: object, **kwargs: object) -> dict[str, int]:
        calls["n"] += 1
        return {} if calls["n"] == 1 else real_known(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(intake, "_known", blind_once)
    second = ingest(sessions, catalog, _stored(sessions), _message(), NOW)

    assert calls["n"] == 2  # the first attempt was rolled back and run again
    assert second == intake.IntakeResult(first.ticket_id, created=False, duplicate=True)
    assert len(tickets(sessions)) == 1
    assert [i.ticket_id for i in inbox(sessions)] == [first.ticket_id] * 2


def test_concurrent_deliveries_make_one_ticket(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    workers = 6
    items = [_stored(sessions) for _ in range(workers)]
    barrier = threading.Barrier(workers)

    def deliver(item_id: int) -> intake.IntakeResult:
        barrier.wait()
        return ingest(sessions, catalog, item_id, _message(), NOW)

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(deliver, items))

    assert sum(r.created for r in results) == 1
    assert sum(r.duplicate for r in results) == workers - 1
    assert len({r.ticket_id for r in results}) == 1
    assert len(tickets(sessions)) == 1


def test_the_first_messages_of_one_conversation_racing_make_one_ticket(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    workers = 4
    items = [_stored(sessions) for _ in range(workers)]
    barrier = threading.Barrier(workers)

    def deliver(n: int) -> intake.IntakeResult:
        barrier.wait()
        return ingest(sessions, catalog, items[n], _message(key=f"message:{n}"), NOW)

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(deliver, range(workers)))

    assert sum(r.created for r in results) == 1
    assert not any(r.duplicate for r in results)
    [ticket] = tickets(sessions)
    assert kinds(ticket).count("message") == workers - 1


def test_reprocess_ingests_a_quarantined_payload_at_its_original_receipt_time(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    item_id = _stored(sessions, b'{"text": "MBN nede"}')
    with sessions() as session:
        quarantine(session, item_id, "sender is missing")
        assert [i.id for i in quarantined(session)] == [item_id]

    def still_broken(payload: bytes, content_type: str) -> IncomingMessage:
        raise RejectedPayload("sender is still missing")

    later = NOW + timedelta(days=2)
    assert reprocess(sessions, catalog, item_id, {"chat": still_broken}, later) is None
    assert inbox(sessions)[0].error == "sender is still missing"

    result = reprocess(sessions, catalog, item_id, {"chat": lambda p, c: _message()}, later)

    assert result is not None and result.created
    [ticket] = tickets(sessions)
    assert ticket.received_at == NOW  # not the day the parser was fixed
    assert ticket.due_at == oslo(2026, 3, 10, 10, 15)
    with sessions() as session:
        assert quarantined(session) == []
    assert (inbox(sessions)[0].status, inbox(sessions)[0].ticket_id) == ("processed", ticket.id)
    with pytest.raises(LookupError):
        reprocess(sessions, catalog, 999_999, {}, later)


def test_accept_email_is_the_pollers_accept_step_as_the_webhooks(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """The IMAP poller's entry point: stored pending with the e-mail webhook's key (a
    repeat names the first delivery), ingested by the batch; one the webhook's check
    refuses is kept quarantined with the reason."""
    raw = email_bytes(
        message_id="<imap.1@kunde.no>", subject="MBN", text="Mobilsvar virker ikke for meg"
    )

    with sessions() as session:
        first = accept_email(session, raw, NOW, check_email)
        again = accept_email(session, raw, NOW + timedelta(minutes=3), check_email)
        refused = accept_email(session, b" \r\n", NOW, check_email)
    batch = ingest_pending(sessions, catalog, {"email": parse_email_payload}, NOW)

    assert first is not None and first.first is None
    assert again is not None and again.first == first.item_id
    assert refused is None
    assert batch.taken == 2 and len(set(batch.tickets)) == 1
    items = inbox(sessions)
    assert [(i.channel, i.content_type, i.status, i.error) for i in items] == [
        ("email", "message/rfc822", "processed", None),
        ("email", "message/rfc822", "processed", None),
        ("email", "message/rfc822", "quarantined", "message is empty"),
    ]
    assert items[2].payload == b" \r\n"
    [ticket] = tickets(sessions)
    assert ticket.received_at == NOW
