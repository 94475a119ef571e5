"""Fault: Twilio answers 500/503/429, times out (having stored the message or not), or
refuses with a 4xx, for several pages at once.

``tests/workers/test_escalation_rq.py`` has one 500, one 400 and one timeout, each on a
single SMS. Here a storm hits two SMS in flight (Kari's grouped page about two tickets,
Mette's overdue page) with every kind of failure in a row, the faults aimed at the
creates themselves (``ScriptedTwilio``) so that the "did an earlier attempt get through?"
question before each retry is asked for real; the sweeper retries on its backoff, moving
a test clock. In the end: every page sent exactly once (a timed-out send that Twilio
stored is found, not sent again); a 4xx is final, recorded on each ticket, never
retried; a storm that never ends gives up after the last attempt, also recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.faults.invariants import assert_nothing_lost
from tests.faults.support import FROM, sweep_until_settled, wait_for
from tests.faults.twilio import CreateFault, ScriptedTwilio
from tests.workers.escalation_support import (
    MANAGER,
    ONCALL,
    Clock,
    installed,
    new_ticket,
    roster,
    settings_for,
)
from triage.store.models import EscalationPoint, SmsOutbox, TicketEvent
from triage.store.sms_outbox import MAX_ATTEMPTS
from workers.channels.twilio_sms import TwilioSms
from workers.sweeper import sweep

VPS = "nettsoft-vps-terminal"
PINDENA = "pindena"  # standard ladder on a working-day budget: rungs hours apart
KARI, METTE = ONCALL[1], MANAGER[1]
CLIENT_TIMEOUT = 0.3
LATE = 0.8  # a held answer comes after the client gave up


def _short_timeout(twilio: ScriptedTwilio) -> TwilioSms:
    return TwilioSms(
        twilio.account_sid,
        twilio.auth_token,
        FROM,
        api_base=twilio.base_url,
        timeout=CLIENT_TIMEOUT,
    )


def _outbox(sessions: sessionmaker[Session]) -> dict[str, SmsOutbox]:
    with sessions() as session:
        return {row.recipient: row for row in session.scalars(select(SmsOutbox))}


def _events(sessions: sessionmaker[Session], kind: str) -> list[TicketEvent]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TicketEvent).where(TicketEvent.kind == kind).order_by(TicketEvent.id)
            )
        )


def _two_pages(sessions: sessionmaker[Session], catalog: Catalog, now: datetime) -> tuple[int, int]:
    """X: "received" due now (Kari). Y: received 31 minutes ago, so its "received" is
    superseded by "due" (Kari) and "overdue" is due too (Mette). Two SMS: Kari's about X
    and Y, Mette's about Y."""
    roster(sessions, now)
    x = new_ticket(sessions, catalog, VPS, now - timedelta(minutes=1), now, subject="X nede")
    y = new_ticket(sessions, catalog, VPS, now - timedelta(minutes=31), now, subject="Y nede")
    return x, y


def test_a_storm_of_5xx_429_and_timeouts_ends_with_every_page_sent_once(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    clock = Clock(datetime.now(UTC))  # near real time: Twilio stamps messages with it
    x, y = _two_pages(sessions, catalog, clock.now)
    storm = [
        CreateFault(status=500),
        CreateFault(status=429),
        CreateFault(hold=LATE, accept=True),  # stored; the client timed out
        CreateFault(hold=LATE, accept=False),  # held, then refused: not stored
        CreateFault(status=503),
    ]
    twilio.script_creates(*storm)
    twilio.fail_next(503)  # and the first "did it get through?" question fails too

    settings = settings_for(database_url, tmp_path, None, twilio)
    with installed(settings, catalog, clock) as ctx:
        ctx.channel = _short_timeout(twilio)
        sweep_until_settled(
            ctx,
            clock,
            rounds=30,
            before_each=lambda: wait_for(lambda: not twilio.holding.is_set(), 5, "hold to end"),
        )
        assert [sweep(ctx).sent for _ in range(2)] == [0, 0]

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now)
    assert set(report.paged) == {
        (x, "received", KARI),
        (y, "due", KARI),
        (y, "overdue", METTE),
    }
    assert report.sms_by_recipient == {KARI: 1, METTE: 1}
    assert report.points["skipped"] == 1  # Y's "received": "due" is the newer news
    rows = _outbox(sessions)
    assert all(row.status == "sent" for row in rows.values())
    assert sum(row.attempts for row in rows.values()) > len(storm)  # the storm was real
    # every scripted fault was used by a create; the stored-but-timed-out one was found
    # by asking, not created again: creates = faults + the successful ones - that one
    assert twilio.creates == len(storm) + 2 - 1
    assert len(_events(sessions, "sms_failed")) == 0


def test_a_4xx_is_final_recorded_on_each_ticket_and_never_retried(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    clock = Clock(datetime.now(UTC))
    x, y = _two_pages(sessions, catalog, clock.now)
    twilio.script_creates(
        CreateFault(status=503),  # Kari's first attempt: passing
        CreateFault(status=400, code=21610),  # Mette's: unsubscribed recipient, final
        CreateFault(status=400, code=21211),  # Kari's retry: invalid number, final
    )
    settings = settings_for(database_url, tmp_path, None, twilio)
    with installed(settings, catalog, clock) as ctx:
        ctx.channel = _short_timeout(twilio)
        sweep_until_settled(ctx, clock)
        requests, start = twilio.requests, clock.now
        for minutes in (5, 12):  # later sweeps (before X's next rung) leave them alone
            clock.now = start + timedelta(minutes=minutes)
            result = sweep(ctx)
            assert (result.fired, result.sent, result.composed) == (0, 0, 0)
        assert twilio.requests == requests

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now, allow_failed=True)
    assert report.sms_failed == 2 and report.sms_sent == 0
    assert twilio.sent() == []
    rows = _outbox(sessions)
    assert (rows[KARI].status, rows[KARI].error_code, rows[KARI].attempts) == ("failed", 21211, 2)
    assert (rows[METTE].status, rows[METTE].error_code, rows[METTE].attempts) == (
        "failed",
        21610,
        1,
    )
    failed = _events(sessions, "sms_failed")
    assert sorted((e.ticket_id, e.data["code"]) for e in failed) == sorted(
        [(x, 21211), (y, 21211), (y, 21610)]
    )
    assert "+4791" not in " ".join(str(e.data) for e in failed)  # numbers masked


def test_a_storm_that_never_ends_gives_up_once_and_says_so(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    roster(sessions, now)
    ticket = new_ticket(sessions, catalog, PINDENA, now, now, subject="Pindena nede")
    with sessions() as session:
        first = session.scalars(
            select(EscalationPoint)
            .where(EscalationPoint.ticket_id == ticket)
            .order_by(EscalationPoint.fire_at)
        ).first()
        assert first is not None and first.point == "half-budget"
    twilio.script_creates(*[CreateFault(status=503)] * (MAX_ATTEMPTS + 5))
    clock = Clock(first.fire_at)
    settings = settings_for(database_url, tmp_path, None, twilio)
    with installed(settings, catalog, clock) as ctx:
        sweep_until_settled(ctx, clock, rounds=MAX_ATTEMPTS + 2)
        assert sweep(ctx).sent == 0

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now, allow_failed=True)
    assert report.sms_failed == 1
    [row] = _outbox(sessions).values()
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.error is not None and row.error.startswith(f"gave up after {MAX_ATTEMPTS}")
    assert twilio.creates == MAX_ATTEMPTS
    [failed] = _events(sessions, "sms_failed")
    assert failed.ticket_id == ticket
