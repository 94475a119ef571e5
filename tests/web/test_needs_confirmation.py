"""Unsure classifications (issue 14): stored on the ticket by intake, critical clock until an
agent confirms or downgrades, downgrades accountable, corrections kept as labels."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, ClassificationTerms
from tests.web.support import oslo
from tests.web.test_api import AGENT, Api, error, make_ticket, make_token
from tests.web.test_ui_queue import HTTPS, page, post, ticket_row
from tests.web.ui_support import csrf_token, logged_in
from triage.classify import classify
from triage.intake.message import IncomingMessage
from triage.store.corrections import desk_corrections
from triage.store.intake import ingest
from triage.store.models import Ticket, TicketEvent

NOW = oslo(2026, 3, 10, 9, 15)


@pytest.fixture
def api(client: FlaskClient, sessions: sessionmaker[Session]) -> Api:
    return Api(client, make_token(sessions))


UNSURE_TEXT = "VPN virker ikke"


def _message(text: str, key: str = "m:1") -> IncomingMessage:
    return IncomingMessage(
        channel="chat",
        source="chat",
        dedup_key=key,
        conversation_key=f"c:{key}",
        text=text,
        sender_name="Kari",
        sender_email="kari@kunde.no",
    )


def _unsure(sessions: sessionmaker[Session], catalog: Catalog, severity: str = "critical") -> int:
    """A ticket on a hosted service (critical: immediately; non-critical: later)."""
    ticket_id = make_ticket(
        sessions,
        catalog,
        received=oslo(2026, 3, 10, 9),
        severity=severity,
        body=UNSURE_TEXT,
        contract="nettsoft-vps-access",
    )
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.needs_confirmation = True
        session.commit()
    return ticket_id


def _events(sessions: sessionmaker[Session], ticket_id: int, kind: str) -> list[TicketEvent]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind
                )
            )
        )


@pytest.mark.parametrize("confirm_below", [0.5, 1.0])
def test_intake_stores_the_flag_and_runs_the_critical_clock_when_unsure(
    sessions: sessionmaker[Session], catalog: Catalog, confirm_below: float
) -> None:
    """At 1.0 every ticket is unsure (critical); at 0.5 none is (the model's lean)."""
    terms = replace(catalog, classification=ClassificationTerms(confirm_below))
    result = ingest(sessions, terms, None, _message(UNSURE_TEXT), NOW)
    expected = classify(UNSURE_TEXT, confirm_below=confirm_below)
    with sessions() as session:
        ticket = session.get(Ticket, result.ticket_id)
        assert ticket is not None
        assert ticket.needs_confirmation is (confirm_below == 1.0)
        assert ticket.severity == expected.severity.value
        if confirm_below == 1.0:
            assert ticket.severity == "critical"
        (classified,) = [e for e in ticket.events if e.kind == "classified"]
        assert classified.data["confidence"] == expected.confidence
        assert classified.data["needs_confirmation"] is ticket.needs_confirmation


def test_agent_confirms_an_unsure_critical_once(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = _unsure(sessions, catalog)
    listed = api.get("/tickets").json or []
    assert [t["needs_confirmation"] for t in listed if t["id"] == ticket] == [True]
    body = api.post(f"/tickets/{ticket}/confirmation").json or {}
    assert body["severity"] == "critical" and body["needs_confirmation"] is False
    assert body["events"][-1]["kind"] == "classification_confirmed"
    assert body["events"][-1]["actor"] == AGENT
    assert error(api.post(f"/tickets/{ticket}/confirmation"), 409)


def test_agent_may_downgrade_an_unsure_ticket_and_name_the_wrong_reason(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = _unsure(sessions, catalog)
    before = (api.get(f"/tickets/{ticket}").json or {})["due_at"]
    body = (
        api.post(
            f"/tickets/{ticket}/classification",
            {"severity": "non-critical", "reason": "one user's VPN", "wrong_reason": "VPN = core"},
        ).json
        or {}
    )
    assert body["severity"] == "non-critical" and body["needs_confirmation"] is False
    assert body["due_at"] > before  # the non-critical clock is longer
    assert body["events"][-1]["data"] == {
        "before": "critical",
        "after": "non-critical",
        "reason": "one user's VPN",
        "downgrade": True,
        "was_unconfirmed": True,
        "wrong_reason": "VPN = core",
    }


def test_downgrading_a_confirmed_critical_needs_a_manager(
    api: Api, client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9), severity="critical")
    body = {"severity": "non-critical", "reason": "not that bad"}
    refused = error(api.post(f"/tickets/{ticket}/classification", body), 403)
    assert "manager" in refused["message"]
    manager = Api(client, make_token(sessions, "manager", "Mona Manager"))
    done = manager.post(f"/tickets/{ticket}/classification", body).json or {}
    assert done["severity"] == "non-critical"
    assert done["events"][-1]["data"]["downgrade"] is True
    assert done["events"][-1]["actor"] == "Mona Manager"


def test_corrections_are_the_latest_label_a_person_gave(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    confirmed = _unsure(sessions, catalog)
    downgraded = _unsure(sessions, catalog)
    api.post(f"/tickets/{confirmed}/confirmation")
    api.post(f"/tickets/{downgraded}/classification", {"severity": "non-critical", "reason": "x"})
    api.post(f"/tickets/{downgraded}/classification", {"severity": "critical", "reason": "y"})
    untouched = _unsure(sessions, catalog)
    with sessions() as session:
        labels = {e.id: e.label.value for e in desk_corrections(session)}
    assert labels == {f"ticket-{confirmed}": "critical", f"ticket-{downgraded}": "critical"}
    assert f"ticket-{untouched}" not in labels


def test_the_queue_shows_unsure_tickets_with_one_click_confirm_and_downgrade(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    unsure = _unsure(sessions, catalog)
    sure = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9), severity="critical")
    agent = logged_in(app, "agent")
    html = page(agent, "/", status="alle")
    rows = {
        int(m.group(1)): m.group(0) for m in re.finditer(r"#(\d+)</a></td>.*?</tr>", html, re.S)
    }
    assert "usikker" in rows[unsure] and "Bekreft kritisk" in rows[unsure]
    assert "Nedgrader" in rows[unsure]
    assert "usikker" not in rows[sure]
    token = csrf_token(agent, "/")
    confirmed = agent.post(
        f"/tickets/{unsure}/confirmation", data={"csrf_token": token}, base_url=HTTPS
    )
    assert confirmed.status_code == 303
    assert ticket_row(sessions, unsure).needs_confirmation is False
    # the queue's downgrade button, on a confirmed critical, is a manager's call
    refused = post(agent, sure, "classification", severity="non-critical", reason="x")
    assert refused.status_code == 403
    manager = logged_in(app, "manager")
    done = post(manager, sure, "classification", severity="non-critical", reason="x")
    assert done.status_code == 303
    assert ticket_row(sessions, sure).severity == "non-critical"
