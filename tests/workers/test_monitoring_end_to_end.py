"""The issue's "done when", with nobody typing: a probed service goes down and up; the
outage, the critical ticket, the SMS, the call after the person's delay and the month's
live uptime all follow (real HTTP target, real database, fake Twilio via the real client)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sla.periods import Period
from tests.fakes.twilio_api import FakeTwilio
from tests.workers.escalation_support import (
    ONCALL,
    Clock,
    installed,
    oslo,
    roster,
    settings_for,
)
from tests.workers.test_probes import VPS, Target, http_spec, probed
from triage.availability_register import month_figures
from triage.store.models import Outage, Staff, Ticket
from triage.store.outages import outages_between
from triage.store.voice_calls import set_call_rule
from workers.probes import run_due
from workers.sweeper import sweep
from workers.voice import place_due_calls


@pytest.fixture
def served() -> Iterator[Target]:
    found = Target()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_down_and_up_again_makes_outage_ticket_sms_call_and_live_uptime(
    served: Target,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    fake_twilio: FakeTwilio,
) -> None:
    clock = Clock(oslo("2026-03-10T09:00"))
    roster(sessions, clock.now)
    with sessions() as session:
        kari = session.scalars(select(Staff).where(Staff.phone == ONCALL[1])).one()
        set_call_rule(session, kari.id, timedelta(minutes=5))
    catalog = probed(http_spec(served.url, keyword=None))
    settings = settings_for(database_url, tmp_path, None, fake_twilio)
    with installed(settings, catalog, clock) as ctx:
        run_due(ctx)
        served.status = 503
        down_at = clock.advance(seconds=30)
        for _ in range(3):
            run_due(ctx)
            clock.advance(seconds=30)
        sweep(ctx)  # the ticket's "on receipt" rung: SMS to the on-call
        assert [m["to"] for m in fake_twilio.sent()] == [ONCALL[1]]
        clock.advance(minutes=5)
        assert place_due_calls(ctx) == 1  # nobody acknowledged: the call
        served.status = 200
        up_at = clock.advance(minutes=30)
        run_due(ctx)
    (call,) = fake_twilio.placed()
    assert call["to"] == ONCALL[1]
    with sessions() as session:
        (outage,) = session.scalars(select(Outage)).all()
        assert (outage.starts_at, outage.ends_at, outage.source) == (down_at, up_at, "probe")
        (ticket,) = session.scalars(select(Ticket)).all()
        assert (ticket.contract_id, ticket.severity) == (VPS, "critical")
        entries = outages_between(session, oslo("2026-03-01T00:00"), oslo("2026-04-01T00:00"))
    figures = month_figures(catalog.get(VPS), Period.month("2026-03"), 40, entries, clock.now)
    assert figures is not None and figures.so_far is not None
    # 09:00:30 -> 09:37:00 Tuesday, 40 users: 36.5 minutes of core time down
    assert figures.so_far.downtime_hours == Fraction(73, 120)
    assert figures.so_far.uptime < 100
