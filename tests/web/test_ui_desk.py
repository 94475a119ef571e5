"""The desk's own work paths beyond the plain actions: "Ny sak" (through the same path as
``POST /api/v1/tickets``), jumping to a ticket by number, "Kvitter"/"Start arbeid" from
the ticket page for the person paged, reopening a resolved ticket, and the demo's "svar
som vakt" on the on-call page (through ``receive_sms``, as Twilio's webhook), on SQLite and
PostgreSQL. The test clock is Tuesday 2026-03-10 09:15 Oslo (office hours)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock, make_settings
from tests.web.ui_support import PASSWORD, browser, csrf_token, logged_in
from tests.workers.escalation_support import ONCALL, new_ticket, roster
from triage.store import ticket_actions
from triage.store.escalations import ACKNOWLEDGED, due_points, fire_due
from triage.store.models import EscalationPoint, InboxItem, SmsInbound, Ticket, TicketEvent
from triage.store.roster import load_roster
from triage.store.sms_outbox import compose
from triage.store.users import create_user
from web.app import create_app
from web.desk import desk

HTTPS = "https://localhost"
VPS_ACCESS = "nettsoft-vps-access"


def post(client: FlaskClient, path: str, data: dict[str, str], page: str = "/"):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)}, base_url=HTTPS)


def kinds_of(sessions: sessionmaker[Session], ticket_id: int) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TicketEvent.kind)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
        )


@pytest.fixture
def agent(app: Flask) -> FlaskClient:
    return logged_in(app, "agent")


NEW = {
    "subject": "Telefonen til resepsjonen er død",
    "text": "Kunden ringte: ingen summetone på sentralbordet siden 09:00.",
    "channel": "phone",
    "requester_name": "Kari Kunde",
    "requester_phone": "+4791234567",
    "key": "form-1",
}


def test_ny_sak_registers_through_the_manual_path_once_per_form(
    agent: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    response = post(agent, "/tickets/new", NEW)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    ticket_id = int(response.headers["Location"].rsplit("/", 1)[1])
    again = post(agent, "/tickets/new", NEW)  # a double click: the same form key
    assert again.headers["Location"].endswith(f"/tickets/{ticket_id}")
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert (ticket.subject, ticket.channel) == (NEW["subject"], "phone")
        assert ticket.requester_name == "Kari Kunde"
        items = session.scalars(select(InboxItem).where(InboxItem.ticket_id == ticket_id)).all()
        # kept in the inbox first, both deliveries (nothing sent is lost), one ticket
        assert {item.channel for item in items} == {"manual"}
        assert session.scalar(select(Ticket.id).where(Ticket.id != ticket_id)) is None
    page = agent.get(f"/tickets/{ticket_id}", base_url=HTTPS).get_data(as_text=True)
    assert "Sak #" in page and "er registrert" in page


def test_ny_sak_with_a_bad_form_stores_nothing_and_says_why(
    agent: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    bad = {**NEW, "requester_phone": "", "key": "form-2", "contract": "no-such-contract"}
    response = post(agent, "/tickets/new", bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Saken ble ikke registrert" in html
    assert "Give an email or a phone number" in html  # the schema's own message
    assert 'value="Telefonen til resepsjonen er død"' in html  # what was typed is kept
    with sessions() as session:
        assert session.scalar(select(Ticket.id)) is None
        assert session.scalar(select(InboxItem.id)) is None


def test_the_search_box_jumps_to_a_ticket_by_number(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now)
    for query in (str(ticket_id), f"#{ticket_id}", f" # {ticket_id} "):
        response = agent.get("/", query_string={"q": query}, base_url=HTTPS)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/tickets/{ticket_id}")
    missing = agent.get("/", query_string={"q": "#999999"}, base_url=HTTPS)
    assert missing.status_code == 303 and missing.headers["Location"].endswith("/")
    words = agent.get("/", query_string={"q": "Adgang 12"}, base_url=HTTPS)
    assert words.status_code == 200  # words and numbers together are a search


def _paged(sessions: sessionmaker[Session], catalog: Catalog, clock: Clock) -> int:
    """A critical hosted-service ticket that paged Kari (level 1) on receipt."""
    roster(sessions, clock.now)
    ticket_id = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now)
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], clock.now)
        assert fire_due(session, on_call, clock.now, due_points(session, clock.now)).fired == 1
        composed = compose(session, catalog, ONCALL[1], clock.now, timedelta(seconds=60))
        assert composed.outbox_id is not None
    return ticket_id


def _as_kari(app: Flask) -> FlaskClient:
    """Kari's desk account: the same name as her roster entry (no e-mail on either)."""
    with app.app_context(), desk().sessions() as session:
        create_user(session, "kari", ONCALL[0], "agent", PASSWORD, datetime.now(UTC))
    client = browser(app)
    response = client.post(
        "/login",
        data={"username": "kari", "password": PASSWORD, "csrf_token": csrf_token(client)},
        base_url=HTTPS,
    )
    assert response.status_code == 302
    return client


def test_the_person_paged_acknowledges_and_starts_from_the_ticket_page(
    app: Flask,
    agent: FlaskClient,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    clock: Clock,
) -> None:
    ticket_id = _paged(sessions, catalog, clock)
    path = f"/tickets/{ticket_id}"
    # someone who was not paged sees no buttons and cannot answer for Kari
    assert 'value="ack"' not in agent.get(path, base_url=HTTPS).get_data(as_text=True)
    refused = post(agent, f"{path}/answer", {"command": "ack"}, path)
    assert refused.status_code == 409

    kari = _as_kari(app)
    page = kari.get(path, base_url=HTTPS).get_data(as_text=True)
    assert 'value="ack"' in page and 'value="start"' in page
    assert "Kvitter" in page and "Start arbeid" in page
    assert post(kari, f"{path}/answer", {"command": "ack"}, path).status_code == 303
    with sessions() as session:
        statuses = set(
            session.scalars(
                select(EscalationPoint.status).where(
                    EscalationPoint.ticket_id == ticket_id, EscalationPoint.level == 1
                )
            )
        )
        assert ACKNOWLEDGED in statuses
    assert "acknowledged" in kinds_of(sessions, ticket_id)
    page = kari.get(path, base_url=HTTPS).get_data(as_text=True)
    assert 'value="ack"' not in page and 'value="start"' in page  # acknowledged already

    assert post(kari, f"{path}/answer", {"command": "start"}, path).status_code == 303
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.responded_at is not None
        started = session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "response_started"
            )
        ).one()
        assert started.actor == ONCALL[0]
    again = post(kari, f"{path}/answer", {"command": "start"}, path)
    assert again.status_code in (303, 409)  # no second response either way
    assert kinds_of(sessions, ticket_id).count("response_started") == 1
    bad = post(kari, f"{path}/answer", {"command": "wipe"}, path)
    assert bad.status_code == 422


def test_a_resolved_ticket_can_be_reopened_and_shows_only_what_applies(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = _paged(sessions, catalog, clock)
    with sessions() as session:
        ticket_actions.resolve(session, catalog, ticket_id, "Agnes", clock.now)
    path = f"/tickets/{ticket_id}"
    page = agent.get(path, base_url=HTTPS).get_data(as_text=True)
    assert "Åpne saken igjen" in page
    for gone in ("Registrer respons", "Endre alvorlighet", "Pause (stopp klokken)", "Løs saken"):
        assert gone not in page, gone
    assert 'class="banner paged"' not in page  # no red escalation banner once resolved
    assert post(agent, f"{path}/reopen", {"reason": ""}, path).status_code == 422
    assert post(agent, f"{path}/reopen", {"reason": "feilen kom tilbake"}, path).status_code == 303
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert (ticket.status, ticket.resolved_at) == ("open", None)
    assert kinds_of(sessions, ticket_id)[-1] == "reopened"
    page = agent.get(path, base_url=HTTPS).get_data(as_text=True)
    assert "Registrer respons" in page and "Åpne saken igjen" not in page
    again = post(agent, f"{path}/reopen", {"reason": "igjen"}, path)
    assert again.status_code == 409  # not resolved


def test_svar_som_vakt_answers_only_as_yourself(
    app: Flask, agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    """An agent who is not Kari cannot acknowledge (or start) in her name: ACK and START
    stop a clock (issue 15; found by review: any agent could pick any staff member)."""
    ticket_id = _paged(sessions, catalog, clock)
    page = agent.get("/oncall", base_url=HTTPS).get_data(as_text=True)
    staff_id = re.search(rf'<option value="(\d+)">{ONCALL[0]}</option>', page)
    assert staff_id
    answer = {"staff_id": staff_id.group(1), "body": f"START {ticket_id}"}
    assert post(agent, "/oncall/reply", answer).status_code == 403
    with sessions() as session:
        assert session.scalars(select(SmsInbound)).all() == []
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.responded_at is None
    assert post(_as_kari(app), "/oncall/reply", answer).status_code == 303


def test_svar_som_vakt_answers_through_the_sms_path_and_shows_next_to_the_sms(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    agent = _as_kari(app)  # Kari answers as herself
    ticket_id = _paged(sessions, catalog, clock)
    page = agent.get("/oncall", base_url=HTTPS).get_data(as_text=True)
    assert "Svar som vakt" in page  # no Twilio account in these settings
    staff_id = re.search(rf'<option value="(\d+)">{ONCALL[0]}</option>', page)
    assert staff_id
    clock.now += timedelta(minutes=2)
    response = post(
        agent, "/oncall/reply", {"staff_id": staff_id.group(1), "body": f"ACK {ticket_id}"}
    )
    assert response.status_code == 303
    with sessions() as session:
        inbound = session.scalars(select(SmsInbound)).one()
        assert (inbound.sender, inbound.body, inbound.outcome) == (
            ONCALL[1],
            f"ACK {ticket_id}",
            "ack",
        )
        assert session.scalars(select(InboxItem.channel)).all().count("sms") == 1  # kept raw
    assert kinds_of(sessions, ticket_id)[-2:] == ["sms_received", "acknowledged"]
    page = agent.get("/oncall", base_url=HTTPS).get_data(as_text=True)
    sms_row = re.search(r"<tr><td class=\"title\">SMS \d+</td>(.*?)</tr>", page, re.S)
    assert sms_row and f"«ACK {ticket_id}»" in sms_row.group(1)  # beside the SMS it answers
    empty = post(agent, "/oncall/reply", {"staff_id": staff_id.group(1), "body": " "})
    assert empty.status_code == 422


def test_with_twilio_set_up_there_is_no_svar_som_vakt(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
) -> None:
    del sessions  # an emptied database
    settings = make_settings(database_url, tmp_path, TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    app = create_app(settings, catalog=catalog, clock=clock)
    agent = logged_in(app, "agent")
    page = agent.get("/oncall", base_url=HTTPS).get_data(as_text=True)
    assert "Svar som vakt" not in page
    assert post(agent, "/oncall/reply", {"staff_id": "1", "body": "ACK 1"}).status_code == 409
