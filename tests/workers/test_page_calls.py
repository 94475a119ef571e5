"""SMS first, then a phone call when nobody acknowledges: the real twilio client against the
fake Calls API, the key press through the signed Gather webhook and the SMS answers' path."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from config.catalog import load_catalog
from tests.fakes.twilio_api import FakeTwilio
from tests.workers.escalation_support import (
    ONCALL,
    Clock,
    installed,
    new_ticket,
    oslo,
    roster,
    settings_for,
)
from triage.store.models import EscalationPoint, Staff, TicketEvent, VoiceCall
from triage.store.voice_calls import set_call_rule
from web.app import create_app
from workers.sweeper import sweep
from workers.voice import place_due_calls

VPS = "nettsoft-vps-terminal"
PUBLIC = "https://desk.example.org"


def test_an_unacknowledged_page_is_followed_by_one_call_and_key_4_acknowledges(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    catalog = load_catalog()
    now = oslo("2026-03-10T09:00")
    clock = Clock(now)
    roster(sessions, now)
    with sessions() as session:
        kari = session.scalars(select(Staff).where(Staff.phone == ONCALL[1])).one()
        set_call_rule(session, kari.id, timedelta(minutes=5))
    ticket_id = new_ticket(sessions, catalog, VPS, now, now)  # critical: paged on receipt
    settings = settings_for(database_url, tmp_path, None, fake_twilio, public_url=PUBLIC)
    with installed(settings, catalog, clock) as ctx:
        sweep(ctx)
        assert [m["to"] for m in fake_twilio.sent()] == [ONCALL[1]]
        clock.advance(minutes=4, seconds=59)
        assert place_due_calls(ctx) == 0  # not yet: the rule says five minutes
        clock.advance(seconds=1)
        assert place_due_calls(ctx) == 1
        assert place_due_calls(ctx) == 0  # one call per rung, person and attempt
        sweep(ctx)
    (call,) = fake_twilio.placed()
    assert call["to"] == ONCALL[1] and call["from"] == "+4759440000"
    assert f"Kritisk sak nummer {' '.join(str(ticket_id))}" in call["twiml"]
    assert f'action="{PUBLIC}/inbound/twilio/page-call"' in call["twiml"]
    assert 'language="nb-NO"' in call["twiml"]

    app = create_app(dataclasses.replace(settings, data_dir=tmp_path), catalog=catalog, clock=clock)
    client = app.test_client()
    params = {"CallSid": call["sid"], "Digits": "4", "From": "+4759440000", "To": ONCALL[1]}
    url = "http://localhost/inbound/twilio/page-call"
    signature = RequestValidator(fake_twilio.auth_token).compute_signature(url, params)
    forged = client.post(
        "/inbound/twilio/page-call", data=params, headers={"X-Twilio-Signature": "x"}
    )
    assert forged.status_code == 403
    for _ in range(2):  # Twilio retries a callback: the second changes nothing
        answer = client.post(
            "/inbound/twilio/page-call", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert answer.status_code == 200 and "Kvittert" in answer.get_data(as_text=True)
    with sessions() as session:
        statuses = session.scalars(
            select(EscalationPoint.status).where(EscalationPoint.ticket_id == ticket_id)
        ).all()
        assert "acknowledged" in statuses
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
        ).all()
        assert kinds.count("sms_received") == 1
        (row,) = session.scalars(select(VoiceCall)).all()
        assert (row.status, row.digits) == ("placed", "4")


def test_an_acknowledged_page_places_no_call(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    catalog = load_catalog()
    now = oslo("2026-03-10T09:00")
    clock = Clock(now)
    roster(sessions, now)
    with sessions() as session:
        kari = session.scalars(select(Staff).where(Staff.phone == ONCALL[1])).one()
        set_call_rule(session, kari.id, timedelta(minutes=5))
    ticket_id = new_ticket(sessions, catalog, VPS, now, now)
    settings = settings_for(database_url, tmp_path, None, fake_twilio)
    with installed(settings, catalog, clock) as ctx:
        sweep(ctx)
        with ctx.sessions() as session:
            from triage.store.sms_replies import take_inbound

            take_inbound(session, catalog, "SM" + "1" * 32, ONCALL[1], f"ACK {ticket_id}", now)
        clock.advance(minutes=6)
        assert place_due_calls(ctx) == 0
    assert fake_twilio.placed() == []
