"""Fault: the worker is SIGKILLed mid-send, while Twilio holds its request.

``tests/workers/test_escalation_rq.py`` covers the same two cases by *simulating* the dead
worker in-process (claiming the row by hand). Here the worker is the real thing: ``rq
worker`` as the Procfile runs it, in its own process, fires the point, composes the SMS
and sends it with the real ``twilio`` client to a fake Twilio that holds the request;
the test SIGKILLs the process while the request hangs, once after Twilio stored the
message and once before. Then the sweeper's reconcile runs (it asks Twilio, never resends
blindly), the dead worker's jobs run again as RQ's retry would run them, and the invariant
check proves exactly one SMS reached Twilio and the desk recorded it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.faults.invariants import assert_nothing_lost
from tests.faults.support import WorkerProcess, wait_for, worker_env
from tests.faults.twilio import CreateFault, ScriptedTwilio
from tests.workers.escalation_support import (
    ONCALL,
    Clock,
    installed,
    new_ticket,
    roster,
    settings_for,
)
from triage.store.models import SmsOutbox
from workers.enqueue import wire_scheduling
from workers.jobs.escalation import flush_pages, send_sms
from workers.sweeper import sweep

VPS = "nettsoft-vps-terminal"
KARI = ONCALL[1]


def _outbox(sessions: sessionmaker[Session]) -> list[SmsOutbox]:
    with sessions() as session:
        return list(session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)))


@pytest.mark.parametrize(
    "twilio_took_it", [True, False], ids=["twilio-stored-it", "twilio-had-not"]
)
def test_worker_killed_while_twilio_holds_the_request_pages_exactly_once(
    sessions: sessionmaker[Session],
    database_url: str,
    redis_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
    twilio_took_it: bool,
) -> None:
    now = datetime.now(UTC)
    roster(sessions, now)
    wire_scheduling(sessions, redis_url)  # the ticket's "received" job goes to Redis
    ticket_id = new_ticket(sessions, catalog, VPS, now - timedelta(minutes=1), now)
    twilio.script_creates(CreateFault(hold=30, accept=twilio_took_it))

    worker = WorkerProcess(
        worker_env(database_url, redis_url, twilio, tmp_path), redis_url, tmp_path / "worker.log"
    )
    try:
        try:
            wait_for(twilio.holding.is_set, 30, "the worker's SMS request reaching Twilio")
        except AssertionError:
            raise AssertionError(f"worker log:\n{worker.log()}") from None
        [row] = _outbox(sessions)
        assert (row.status, row.attempts, row.provider_sid) == ("sending", 1, None)
        assert len(twilio.sent()) == (1 if twilio_took_it else 0)
    finally:
        worker.kill()
    assert worker.process.returncode < 0, worker.log()  # killed, not finished
    twilio.release()
    wait_for(lambda: not twilio.holding.is_set(), 5, "the held request to end")
    assert len(twilio.sent()) == (1 if twilio_took_it else 0)  # nothing more got through
    [row] = _outbox(sessions)
    assert row.status == "sending"  # the dead worker never heard back

    clock = Clock(datetime.now(UTC))
    with installed(settings_for(database_url, tmp_path, None, twilio), catalog, clock) as ctx:
        clock.advance(minutes=1)
        assert sweep(ctx).reconciled == 0  # the request might still be running: hands off
        clock.advance(minutes=2)
        result = sweep(ctx)
        if twilio_took_it:
            assert (result.reconciled, result.released, result.sent) == (1, 0, 0)
        else:
            assert (result.reconciled, result.released, result.sent) == (0, 1, 1)
        # RQ runs the dead worker's job again (its Retry): it finds nothing left to do
        assert flush_pages(KARI) is None
        assert send_sms(row.id) == "skipped"
        assert sweep(ctx).sent == 0

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now)
    [message] = twilio.sent()
    assert message["to"] == KARI and f"ACK {ticket_id}" in message["body"]
    assert report.paged == {(ticket_id, "received", KARI): message["sid"]}
    [row] = _outbox(sessions)
    assert (row.status, row.attempts) == ("sent", 1 if twilio_took_it else 2)
    assert twilio.creates == (1 if twilio_took_it else 2)
