"""Escalation points in the database: planned from the ladder, fired once, stopped by a
response, an ACK or a pause; stale rungs skipped; SMS grouped per number per window.

Instants are computed by hand from the catalog (MBN: 60 business minutes, office hours
08-16 on Norwegian working days; hosted services: critical = immediately, 15 min grace).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from config.catalog import load_catalog
from sla.severity import Severity
from tests.workers.escalation_support import MANAGER, ONCALL, new_ticket, oslo, roster
from triage.sms_text import septets
from triage.store import sms_outbox
from triage.store import ticket_actions as actions
from triage.store.escalations import acknowledge, due_points, fire_due
from triage.store.models import EscalationPoint, SmsOutbox, SmsPage, Ticket, TicketEvent
from triage.store.roster import load_roster

CATALOG = load_catalog()
OFFICE = CATALOG.calendars["office-hours"]
WINDOW = timedelta(seconds=60)


@pytest.fixture
def staffed(sessions):  # type: ignore[no-untyped-def]
    roster(sessions, oslo("2026-01-01T00:00"))
    return sessions


def points(sessions, ticket_id: int) -> dict[str, tuple[str, int, datetime]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        rows = session.scalars(
            select(EscalationPoint).where(EscalationPoint.ticket_id == ticket_id)
        ).all()
        return {r.point: (r.status, r.level, r.fire_at) for r in rows}


def fire(sessions, now: datetime):  # type: ignore[no-untyped-def]
    with sessions() as session:
        due = due_points(session, now + timedelta(seconds=1))
        return fire_due(session, load_roster(session, OFFICE, now), now, due)


def events(sessions, ticket_id: int, kind: str) -> list[TicketEvent]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return list(
            session.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind
                )
            )
        )


@pytest.mark.parametrize(
    ("contract", "severity", "received", "expected"),
    [
        (  # plain office hours
            "nettsoft-mbn",
            "critical",
            "2026-11-23T09:00",
            {
                "half-budget": (1, "2026-11-23T09:30"),
                "late": (1, "2026-11-23T09:48"),
                "due": (1, "2026-11-23T10:00"),
                "overdue": (2, "2026-11-23T10:30"),
            },
        ),
        (  # Friday afternoon: the budget runs on into Monday
            "nettsoft-mbn",
            "critical",
            "2026-11-27T15:45",
            {
                "half-budget": (1, "2026-11-30T08:15"),
                "late": (1, "2026-11-30T08:33"),
                "due": (1, "2026-11-30T08:45"),
                "overdue": (2, "2026-11-30T09:15"),
            },
        ),
        (  # across the autumn DST change (Sunday 25 October 2026)
            "nettsoft-mbn",
            "non-critical",
            "2026-10-23T15:50",
            {
                "half-budget": (1, "2026-10-26T08:20"),
                "late": (1, "2026-10-26T08:38"),
                "due": (1, "2026-10-26T08:50"),
                "overdue": (2, "2026-10-26T09:20"),
            },
        ),
        (  # Christmas Eve is a working day here; 25 and 26 December are not
            "nettsoft-mbn",
            "critical",
            "2026-12-24T15:40",
            {
                "half-budget": (1, "2026-12-28T08:10"),
                "late": (1, "2026-12-28T08:28"),
                "due": (1, "2026-12-28T08:40"),
                "overdue": (2, "2026-12-28T09:10"),
            },
        ),
        (  # a critical fault on a hosted service pages on receipt, Sunday night
            "nettsoft-vps-terminal",
            "critical",
            "2026-11-22T03:00",
            {
                "received": (1, "2026-11-22T03:00"),
                "due": (1, "2026-11-22T03:15"),
                "overdue": (2, "2026-11-22T03:30"),
            },
        ),
    ],
)
def test_the_ladder_is_planned_at_the_contracts_instants(  # type: ignore[no-untyped-def]
    sessions, contract, severity, received, expected
):
    start = oslo(received)
    ticket_id = new_ticket(sessions, CATALOG, contract, start, start, severity)
    planned = points(sessions, ticket_id)
    assert {name: (level, at) for name, (_s, level, at) in planned.items()} == {
        name: (level, oslo(at)) for name, (level, at) in expected.items()
    }
    assert {status for status, _l, _a in planned.values()} == {"pending"}


def test_a_point_fires_once_at_its_instant_and_not_more_than_a_second_early(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, start)
    half = oslo("2026-11-23T09:30")
    with staffed() as session:
        roster_now = load_roster(session, OFFICE, half)
        early = fire_due(
            session, roster_now, half - timedelta(seconds=2), [(ticket_id, "half-budget")]
        )
    assert early.fired == 0
    with staffed() as session:
        on_time = fire_due(
            session, roster_now, half - timedelta(milliseconds=500), [(ticket_id, "half-budget")]
        )
    assert on_time.fired == 1 and on_time.recipients == {ONCALL[1]}
    with staffed() as session:
        again = fire_due(session, roster_now, half, [(ticket_id, "half-budget")])
    assert again.fired == 0
    with staffed() as session:
        pages = session.scalars(select(SmsPage).where(SmsPage.ticket_id == ticket_id)).all()
    assert [(p.recipient, p.level) for p in pages] == [(ONCALL[1], 1)]
    assert points(staffed, ticket_id)["half-budget"][0] == "fired"
    (escalated,) = events(staffed, ticket_id, "escalated")
    assert escalated.data["point"] == "half-budget" and escalated.data["staff"] == [ONCALL[0]]


def test_a_response_cancels_the_rest_of_the_ladder(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, start)
    with staffed() as session:
        actions.record_response(session, CATALOG, ticket_id, "agent", oslo("2026-11-23T09:20"))
    assert {s for s, _l, _a in points(staffed, ticket_id).values()} == {"cancelled"}
    assert fire(staffed, oslo("2026-11-23T11:00")).fired == 0


def test_an_ack_stops_its_level_and_the_manager_is_still_paged(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, start)
    assert fire(staffed, oslo("2026-11-23T09:30")).fired == 1
    with staffed() as session:
        ticket = session.get(Ticket, ticket_id)
        assert acknowledge(session, ticket, {1}, ONCALL[0], oslo("2026-11-23T09:31")) == 2
        session.commit()
    planned = points(staffed, ticket_id)
    assert planned["late"][0] == planned["due"][0] == "acknowledged"
    assert planned["overdue"][0] == "pending"
    result = fire(staffed, oslo("2026-11-23T10:30"))
    assert result.fired == 1 and result.recipients == {MANAGER[1]}


def test_pause_cancels_and_resume_plans_the_shifted_ladder(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, start)
    with staffed() as session:
        actions.pause(
            session, CATALOG, ticket_id, "agent", oslo("2026-11-23T09:10"), "venter på kunde"
        )
    assert {s for s, _l, _a in points(staffed, ticket_id).values()} == {"cancelled"}
    with staffed() as session:
        actions.resume(session, CATALOG, ticket_id, "agent", oslo("2026-11-23T11:10"))
    planned = points(staffed, ticket_id)
    # two business hours paused: everything moves two hours later
    assert planned["half-budget"] == ("pending", 1, oslo("2026-11-23T11:30"))
    assert planned["due"] == ("pending", 1, oslo("2026-11-23T12:00"))
    assert planned["overdue"] == ("pending", 2, oslo("2026-11-23T12:30"))


def test_reclassifying_swaps_the_ladder(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(
        staffed, CATALOG, "nettsoft-vps-terminal", start, start, severity="non-critical"
    )
    assert set(points(staffed, ticket_id)) == {"half-budget", "late", "due", "overdue"}
    with staffed() as session:
        actions.reclassify(
            session,
            CATALOG,
            ticket_id,
            "agent",
            oslo("2026-11-23T09:05"),
            Severity.CRITICAL,
            "alle nede",
        )
    planned = points(staffed, ticket_id)
    assert planned["half-budget"][0] == planned["late"][0] == "cancelled"
    assert planned["received"][0] == "pending"  # on receipt: 09:00, due at once
    assert planned["due"] == ("pending", 1, oslo("2026-11-23T09:15"))


def test_rungs_long_past_when_a_ticket_arrives_are_skipped(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    late_import = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, oslo("2026-11-23T12:00"))
    assert {s for s, _l, _a in points(staffed, late_import).values()} == {"skipped"}
    recent = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, oslo("2026-11-23T10:35"))
    planned = points(staffed, recent)
    assert planned["half-budget"][0] == "skipped"  # more than the lookback (1 h) ago
    assert planned["late"][0] == planned["due"][0] == planned["overdue"][0] == "pending"
    result = fire(staffed, oslo("2026-11-23T10:35"))
    assert result.fired == 2  # "due" to on-call, "overdue" to the manager
    planned = points(staffed, recent)
    assert planned["late"][0] == "skipped"
    assert planned["due"][0] == planned["overdue"][0] == "fired"


def test_of_several_due_rungs_of_one_level_only_the_latest_pages(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-mbn", start, start)
    result = fire(staffed, oslo("2026-11-23T09:50"))  # the worker was down since 09:29
    assert result.fired == 1
    planned = points(staffed, ticket_id)
    assert planned["half-budget"][0] == "skipped" and planned["late"][0] == "fired"
    with staffed() as session:
        assert len(session.scalars(select(SmsPage)).all()) == 1


def test_nobody_on_call_is_recorded_on_the_ticket(sessions) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-23T09:00")
    ticket_id = new_ticket(sessions, CATALOG, "nettsoft-mbn", start, start)
    assert fire(sessions, oslo("2026-11-23T09:30")).recipients == frozenset()
    (unstaffed,) = events(sessions, ticket_id, "escalation_unstaffed")
    assert unstaffed.data == {"point": "half-budget", "level": 1}


def test_a_manager_page_without_a_manager_goes_to_on_call(sessions) -> None:  # type: ignore[no-untyped-def]
    roster(sessions, oslo("2026-01-01T00:00"), manager=False)
    start = oslo("2026-11-23T09:00")
    new_ticket(sessions, CATALOG, "nettsoft-mbn", start, oslo("2026-11-23T10:29"))
    result = fire(sessions, oslo("2026-11-23T10:30"))
    assert result.recipients == {ONCALL[1]}


def test_an_outage_is_one_grouped_sms_per_number_per_window(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-22T03:00")
    ids = [
        new_ticket(staffed, CATALOG, "nettsoft-vps-terminal", start, start, subject=f"Nede {i}")
        for i in range(5)
    ]
    fire(staffed, start)
    with staffed() as session:
        first = sms_outbox.compose(session, CATALOG, ONCALL[1], start, WINDOW)
        assert first.outbox_id is not None
        sms = session.get(SmsOutbox, first.outbox_id)
        assert sorted(sms.ticket_ids) == sorted(ids)
        assert septets(sms.body) <= 160 and "5 saker" in sms.body
        assert (
            sms_outbox.compose(session, CATALOG, ONCALL[1], start, WINDOW) == sms_outbox.Composed()
        )
    # a sixth ticket 20 s later waits for the window, then goes alone
    later = start + timedelta(seconds=20)
    sixth = new_ticket(staffed, CATALOG, "nettsoft-vps-terminal", later, later, subject="Sjette")
    fire(staffed, later)
    with staffed() as session:
        held = sms_outbox.compose(session, CATALOG, ONCALL[1], later, WINDOW)
        assert held == sms_outbox.Composed(retry_at=start + WINDOW)
        sent = sms_outbox.compose(session, CATALOG, ONCALL[1], start + WINDOW, WINDOW)
        assert sent.outbox_id is not None
        body = session.get(SmsOutbox, sent.outbox_id).body
    assert f"ACK {sixth}" in body and "Sjette" in body


def test_a_page_answered_before_its_sms_leaves_is_dropped(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-22T03:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-vps-terminal", start, start)
    fire(staffed, start)
    with staffed() as session:
        actions.record_response(session, CATALOG, ticket_id, "agent", start + timedelta(seconds=5))
        assert (
            sms_outbox.compose(session, CATALOG, ONCALL[1], start + timedelta(seconds=6), WINDOW)
            == sms_outbox.Composed()
        )
        assert session.scalars(select(SmsPage.status)).all() == ["dropped"]
        assert session.scalars(select(SmsOutbox)).all() == []


def test_retries_back_off_and_give_up(staffed) -> None:  # type: ignore[no-untyped-def]
    start = oslo("2026-11-22T03:00")
    ticket_id = new_ticket(staffed, CATALOG, "nettsoft-vps-terminal", start, start)
    fire(staffed, start)
    now = start
    with staffed() as session:
        outbox_id = sms_outbox.compose(session, CATALOG, ONCALL[1], now, WINDOW).outbox_id
        waits = []
        while True:
            assert sms_outbox.claim(session, outbox_id, now, timedelta(seconds=1)) is not None
            assert sms_outbox.claim(session, outbox_id, now, timedelta(seconds=1)) is None
            retry_at = sms_outbox.mark_retry(session, outbox_id, "HTTP 503", now)
            if retry_at is None:
                break
            assert sms_outbox.claim(session, outbox_id, now, timedelta(seconds=1)) is None
            waits.append(retry_at - now)
            now = retry_at
        sms = session.get(SmsOutbox, outbox_id, populate_existing=True)
    assert waits == list(sms_outbox.BACKOFF)
    assert sms.status == "failed" and sms.attempts == sms_outbox.MAX_ATTEMPTS
    (failed,) = events(staffed, ticket_id, "sms_failed")
    assert "gave up after 8 attempts" in failed.data["error"]
