"""The checker itself: a check that never fails proves nothing, so each kind of loss or
duplicate it exists for is planted here and must be reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.faults.invariants import Accepted, assert_nothing_lost
from tests.faults.support import FROM
from tests.faults.twilio import ScriptedTwilio
from tests.workers.escalation_support import (
    ONCALL,
    Clock,
    installed,
    new_ticket,
    roster,
    settings_for,
)
from triage.store.intake import store_raw
from triage.store.models import EscalationPoint, SmsOutbox
from workers.channels.twilio_sms import TwilioSms
from workers.sweeper import sweep

VPS = "nettsoft-vps-terminal"
KARI = ONCALL[1]


def _paged(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> tuple[int, datetime]:
    now = datetime.now(UTC)
    roster(sessions, now)
    ticket_id = new_ticket(sessions, catalog, VPS, now - timedelta(minutes=1), now)
    with installed(settings_for(database_url, tmp_path, None, twilio), catalog, Clock(now)) as ctx:
        assert sweep(ctx).fired == 1
    assert len(twilio.sent()) == 1
    return ticket_id, now


def test_a_clean_desk_passes(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    ticket_id, now = _paged(sessions, database_url, twilio, catalog, tmp_path)
    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=now)
    assert report.paged == {(ticket_id, "received", KARI): twilio.sent()[0]["sid"]}


def test_a_second_sms_at_twilio_is_caught(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    _, now = _paged(sessions, database_url, twilio, catalog, tmp_path)
    [message] = twilio.sent()
    TwilioSms(twilio.account_sid, twilio.auth_token, FROM, api_base=twilio.base_url).send(
        message["to"], message["body"]
    )
    with pytest.raises(AssertionError, match="reached Twilio 2 times") as caught:
        assert_nothing_lost(sessions, fake_twilio=twilio, now=now)
    assert "no outbox row accounts for" in str(caught.value)


def test_a_due_point_never_fired_and_an_unsettled_sms_are_caught(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    ticket_id, now = _paged(sessions, database_url, twilio, catalog, tmp_path)
    with sessions() as session:
        session.execute(
            update(EscalationPoint)
            .where(EscalationPoint.ticket_id == ticket_id, EscalationPoint.point == "due")
            .values(fire_at=now - timedelta(seconds=1))
        )
        session.execute(update(SmsOutbox).values(status="sending"))
        session.commit()
    with pytest.raises(AssertionError) as caught:
        assert_nothing_lost(sessions, fake_twilio=twilio, now=now)
    assert "'due' of ticket" in str(caught.value) and "never fired" in str(caught.value)
    assert "is not settled" in str(caught.value)


def test_a_lost_or_stuck_payload_is_caught(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with sessions() as session:
        store_raw(session, "chat", "application/json", b'{"stuck": 1}', now)
    accepted = [Accepted("chat", b'{"never": "stored"}', 7)]
    with pytest.raises(AssertionError) as caught:
        assert_nothing_lost(sessions, accepted=accepted, now=now)
    assert "is still 'received'" in str(caught.value)
    assert "is not in the inbox" in str(caught.value)
