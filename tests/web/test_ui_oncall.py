"""The on-call page: who is paged, the outbox, and managers' overrides and staff."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from tests.web.conftest import Clock
from tests.web.ui_support import csrf_token, logged_in
from tests.workers.escalation_support import MANAGER, ONCALL, roster
from triage.store import sms_outbox
from triage.store.models import RosterOverride, SmsOutbox, Staff
from web.desk import desk

HTTPS = "https://localhost"


def _seed(app: Flask, clock: Clock) -> None:
    with app.app_context():
        sessions = desk().sessions
    roster(sessions, clock.now - timedelta(days=1))
    with sessions() as session:
        session.add(
            SmsOutbox(
                recipient=ONCALL[1],
                body="KRIT #7 MBN frist 09:30 <b>x</b>",
                ticket_ids=[7],
                status=sms_outbox.SENT,
                provider="outbox",
                attempts=1,
                next_attempt_at=clock.now,
                sent_at=clock.now,
                created_at=clock.now,
                updated_at=clock.now,
            )
        )
        session.commit()


def test_agents_see_who_is_on_call_and_the_outbox_with_masked_numbers(
    app: Flask, clock: Clock
) -> None:
    _seed(app, clock)
    agent = logged_in(app, "agent")
    html = agent.get("/oncall", base_url=HTTPS).get_data(as_text=True)
    assert ONCALL[0] in html and MANAGER[0] in html
    assert "KRIT #7 MBN frist 09:30 &lt;b&gt;x&lt;/b&gt;" in html  # escaped
    assert ONCALL[1] not in html and "+47******01" in html
    assert "Legg til overstyring" not in html  # managers only


def test_a_manager_adds_an_override_that_wins(app: Flask, clock: Clock) -> None:
    _seed(app, clock)
    manager = logged_in(app, "manager")
    with app.app_context(), desk().sessions() as session:
        mette = session.scalars(select(Staff).where(Staff.name == MANAGER[0])).one()
    start = clock.now - timedelta(hours=1)
    end = clock.now + timedelta(hours=2)
    form = {
        "level": "1",
        "staff_id": str(mette.id),
        "starts": start.strftime("%Y-%m-%dT%H:%M"),
        "ends": end.strftime("%Y-%m-%dT%H:%M"),
        "reason": "bytte",
        "csrf_token": csrf_token(manager, "/oncall"),
    }
    assert manager.post("/oncall/overrides", data=form, base_url=HTTPS).status_code == 303
    html = manager.get("/oncall", base_url=HTTPS).get_data(as_text=True)
    assert f"Nivå 1: <strong>{MANAGER[0]}</strong>" in html
    bad = dict(form, ends=form["starts"], csrf_token=csrf_token(manager, "/oncall"))
    assert manager.post("/oncall/overrides", data=bad, base_url=HTTPS).status_code == 422
    with app.app_context(), desk().sessions() as session:
        assert len(session.scalars(select(RosterOverride)).all()) == 1


def test_agents_cannot_change_the_roster_and_forms_need_csrf(app: Flask, clock: Clock) -> None:
    _seed(app, clock)
    agent = logged_in(app, "agent")
    form = {"name": "Ny", "phone": "912 34 567", "csrf_token": csrf_token(agent, "/oncall")}
    assert agent.post("/oncall/staff", data=form, base_url=HTTPS).status_code == 403
    manager = logged_in(app, "manager")
    no_token = {"name": "Ny", "phone": "912 34 567"}
    assert manager.post("/oncall/staff", data=no_token, base_url=HTTPS).status_code == 400
    form["csrf_token"] = csrf_token(manager, "/oncall")
    assert manager.post("/oncall/staff", data=form, base_url=HTTPS).status_code == 303
    bad = dict(form, phone="12", csrf_token=csrf_token(manager, "/oncall"))
    assert manager.post("/oncall/staff", data=bad, base_url=HTTPS).status_code == 422
    with app.app_context(), desk().sessions() as session:
        assert session.scalars(select(Staff.phone).where(Staff.name == "Ny")).all() == [
            "+4791234567"
        ]
