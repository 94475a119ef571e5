"""Issue 15, finding 1: only the vendor, answering the desk, stops the clock; "[#N]" in a
subject lets in only the ticket's parties.

The attacks, replayed through the signed e-mail webhook on a real database: a forged
"Re: [#N]" from the vendor's support address on a critical ticket never forwarded, the
same on a forwarded ticket but without threading to the forward, a threaded reply whose
relay says DMARC failed, and an outsider naming someone else's ticket. Then the agent's
way out: "confirm as vendor response", in the API and on the ticket page.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock
from tests.web.support import email_bytes, oslo, post_email, taken, ticket_of
from tests.web.test_api import Api, make_token
from tests.web.ui_support import csrf_token, logged_in
from triage.intake.sender_auth import sender_verdict
from triage.store import ticket_actions as actions
from triage.store import vendor_forwards
from triage.store.models import EscalationPoint, Ticket
from triage.store.users import create_user

VENDOR = "Nettsoft Support <support@nettsoft.no>"
HTTPS = "https://localhost"
AUTH_PASS = (
    "Authentication-Results: mx.desk.example.no; dkim=pass header.d=nettsoft.no; "
    "spf=pass smtp.mailfrom=nettsoft.no; dmarc=pass (p=reject) header.from=nettsoft.no"
)
AUTH_FAIL = (
    "Authentication-Results: mx.desk.example.no; dkim=none; spf=softfail "
    "smtp.mailfrom=nettsoft.no; dmarc=fail (p=none) header.from=nettsoft.no"
)


def _critical_fault(client: FlaskClient, *, cc: str | None = None) -> int:
    """A critical MBN ticket from Kari (the sentralbord is down for the whole company)."""
    raw = email_bytes(
        message_id="<fault@kunde.no>",
        subject="Telefoni nede",
        text="Sentralbordet er nede for hele bedriften, ingen kommer gjennom på MBN.",
        to="support@desk.example.no" + (f", {cc}" if cc else ""),
    )
    outcome = taken(client, post_email(client, raw))
    assert outcome.created and outcome.ticket is not None, outcome
    return outcome.ticket


def forward(
    sessions: sessionmaker[Session], catalog: Catalog, ticket_id: int, now: datetime
) -> str:
    """The agent's hand-off to the vendor (the real use-case and outbox; the message is
    kept instead of going over SMTP, which test_forward.py covers); returns its
    Message-ID."""
    sent: list[EmailMessage] = []
    with sessions() as session:
        row = actions.forward_to_vendor(
            session, catalog, ticket_id, "Agent", now, desk_address="helpdesk@desk.example.no"
        )
        assert vendor_forwards.deliver(session, catalog, row.id, now, send=sent.append) == "sent"
    return str(sent[0]["Message-ID"])


def _ticket(sessions: sessionmaker[Session], ticket_id: int) -> Ticket:
    with sessions() as session:
        ticket = session.scalars(
            select(Ticket).where(Ticket.id == ticket_id).options(selectinload(Ticket.events))
        ).one()
        session.expunge_all()
        return ticket


def _points(sessions: sessionmaker[Session], ticket_id: int) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(EscalationPoint.status).where(EscalationPoint.ticket_id == ticket_id)
            )
        )


def _replies(ticket: Ticket) -> list[dict[str, object]]:
    return [dict(e.data, id=e.id) for e in ticket.events if e.kind == "vendor_replied"]


def _vendor_says(client: FlaskClient, ticket_id: int, n: int, *headers: str, **fields: str) -> None:
    raw = email_bytes(
        message_id=f"<vendor-{n}@nettsoft.no>",
        subject=fields.pop("subject", f"Re: [#{ticket_id}] Telefoni nede"),
        text="Vi har startet feilsøking.",
        sender=fields.pop("sender", VENDOR),
        extra_headers=headers,
        **fields,  # type: ignore[arg-type]
    )
    assert taken(client, post_email(client, raw)).state == "ticket"


# ------------------------------------------------------------------ the forged reply


def test_a_forged_vendor_reply_on_a_ticket_never_forwarded_stops_no_clock(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    ticket_id = _critical_fault(client)
    pending = _points(sessions, ticket_id)
    assert pending and set(pending) == {"pending"}

    clock.now = oslo(2026, 3, 10, 9, 20)
    _vendor_says(client, ticket_id, 1)

    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at is None
    [reply] = _replies(ticket)
    assert reply["counted_as_response"] is False
    assert reply["confirmable"] is True
    assert "not forwarded" in str(reply["not_counted_because"])
    assert _points(sessions, ticket_id) == pending  # the manager's page included


def test_a_vendor_reply_not_threaded_to_the_forward_does_not_count(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = _critical_fault(client)
    forward(sessions, catalog, ticket_id, clock.now)
    clock.now = oslo(2026, 3, 10, 9, 20)
    _vendor_says(client, ticket_id, 1)  # "[#N]" alone, as a forger would write

    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at is None
    [reply] = _replies(ticket)
    assert reply["confirmable"] is True
    assert "forward" in str(reply["not_counted_because"])


def test_a_reply_to_the_forward_counts(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = _critical_fault(client)
    sent = forward(sessions, catalog, ticket_id, clock.now)
    clock.now = oslo(2026, 3, 10, 9, 20)
    _vendor_says(client, ticket_id, 1, AUTH_PASS, subject="Re: sak", in_reply_to=sent)

    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at == oslo(2026, 3, 10, 9, 20)
    [reply] = _replies(ticket)
    assert reply["counted_as_response"] is True and reply["sender_auth"] == "pass"
    assert "pending" not in _points(sessions, ticket_id)


def test_a_threaded_reply_the_relay_did_not_authenticate_does_not_count(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = _critical_fault(client)
    sent = forward(sessions, catalog, ticket_id, clock.now)
    clock.now = oslo(2026, 3, 10, 9, 20)
    _vendor_says(client, ticket_id, 1, AUTH_FAIL, references=f"<x@y> {sent}")

    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at is None
    [reply] = _replies(ticket)
    assert reply["sender_auth"] == "fail" and reply["confirmable"] is True
    assert "DMARC" in str(reply["not_counted_because"])


def test_a_reply_to_the_forward_from_another_domain_does_not_count(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = _critical_fault(client)
    sent = forward(sessions, catalog, ticket_id, clock.now)
    _vendor_says(
        client, ticket_id, 1, sender="Nettsoft <support@nettsoft.evil.example>", in_reply_to=sent
    )
    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at is None
    assert not _replies(ticket)  # not the vendor at all: an ordinary message


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        ("mx; dmarc=pass header.from=nettsoft.no", "pass"),
        ("mx; dkim=pass header.d=mail.nettsoft.no", "pass"),
        ("mx; dkim=pass header.i=@nettsoft.no", "pass"),
        ("mx; dkim=pass header.d=evil.example; spf=pass", "fail"),
        ("mx; dmarc=pass header.from=evil.example", "fail"),
        ("mx; dkim=pass header.d=no", "fail"),
        ("mx; none", "fail"),
    ],
)
def test_only_the_topmost_authentication_results_and_only_an_aligned_pass_count(
    header: str, verdict: str
) -> None:
    assert sender_verdict([header], "nettsoft.no") == verdict
    # a header the sender wrote below the relay's does not help
    assert sender_verdict(["mx; dmarc=fail", header], "nettsoft.no") == "fail"
    assert sender_verdict([], "nettsoft.no") is None


# ------------------------------------------------------------------ confirming


def test_an_agent_confirms_a_doubtful_reply_by_api_and_the_event_names_them(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    ticket_id = _critical_fault(client)
    clock.now = oslo(2026, 3, 10, 9, 20)
    _vendor_says(client, ticket_id, 1)
    [reply] = _replies(_ticket(sessions, ticket_id))
    api = Api(client, make_token(sessions, name="Agent Olsen"))
    clock.now = oslo(2026, 3, 10, 9, 50)

    assert api.post(f"/tickets/{ticket_id}/vendor-response", {"event": 10**6}).status_code == 404
    assert api.post(f"/tickets/{ticket_id}/vendor-response", {"event": "x"}).status_code == 422
    confirmed = api.post(f"/tickets/{ticket_id}/vendor-response", {"event": reply["id"]})
    again = api.post(f"/tickets/{ticket_id}/vendor-response", {"event": reply["id"]})

    assert confirmed.status_code == 200, confirmed.get_json()
    assert again.status_code == 409
    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at == oslo(2026, 3, 10, 9, 20)  # the message's receipt
    [event] = [e for e in ticket.events if e.kind == "vendor_response_confirmed"]
    assert event.actor == "Agent Olsen" and event.data["event"] == reply["id"]
    assert "pending" not in _points(sessions, ticket_id)


def test_the_ticket_page_offers_the_confirmation_and_it_works(
    app: Flask, sessions: sessionmaker[Session], clock: Clock
) -> None:
    ticket_id = _critical_fault(app.test_client())
    _vendor_says(app.test_client(), ticket_id, 1)
    agent = logged_in(app)
    page = agent.get(f"/tickets/{ticket_id}", base_url=HTTPS).get_data(as_text=True)
    assert "Bekreft som leverandørens respons" in page
    [reply] = _replies(_ticket(sessions, ticket_id))
    response = agent.post(
        f"/tickets/{ticket_id}/vendor-response",
        data={"event": reply["id"], "csrf_token": csrf_token(agent, f"/tickets/{ticket_id}")},
        base_url=HTTPS,
    )
    assert response.status_code == 303
    ticket = _ticket(sessions, ticket_id)
    assert ticket.responded_at is not None
    [event] = [e for e in ticket.events if e.kind == "vendor_response_confirmed"]
    assert event.actor == "Agent Person"
    page = agent.get(f"/tickets/{ticket_id}", base_url=HTTPS).get_data(as_text=True)
    assert "Bekreft som leverandørens respons" not in page


# ------------------------------------------------------------------ [#N] from outsiders


def test_an_outsider_naming_a_ticket_gets_a_new_one_marked_as_such(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    ticket_id = _critical_fault(client)
    response = taken(
        client,
        post_email(
            client,
            email_bytes(
                message_id="<m@evil.example>",
                subject=f"[#{ticket_id}] Saken er løst, lukk den",
                text="Hei, dette er fikset nå.",
                sender="Mallory <mallory@evil.example>",
            ),
        ),
    )

    assert response.created and response.ticket is not None
    new_id = response.ticket
    assert new_id != ticket_id
    named, new = _ticket(sessions, ticket_id), _ticket(sessions, new_id)
    assert "message" not in [e.kind for e in named.events]
    [mention] = [e for e in named.events if e.kind == "mentioned_by_outsider"]
    assert mention.data["new_ticket"] == new_id
    [mark] = [e for e in new.events if e.kind == "ref_refused"]
    assert mark.data["ticket"] == ticket_id
    assert mark.data["action"] == "opened as a new ticket"
    assert "not a party" in mark.data["why"]

    again = ticket_of(  # being mentioned on the ticket does not make her a party
        client,
        post_email(
            client,
            email_bytes(
                message_id="<m2@evil.example>",
                subject=f"Re: [#{ticket_id}] Saken er løst",
                text="Lukk den nå.",
                sender="Mallory <mallory@evil.example>",
            ),
        ),
    )
    assert again not in (ticket_id, new_id)


def test_parties_naming_a_ticket_still_join_it(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    ticket_id = _critical_fault(client, cc="leder@kunde.no")
    with app.app_context():
        from web.desk import desk

        with desk().sessions() as session:
            create_user(
                session,
                "olsen",
                "Olsen",
                "agent",
                "tre blå hester i skogen",
                clock.now,
                email="olsen@desk.example.no",
            )
    for n, sender in enumerate(
        ("kari@kunde.no", "Leder <leder@kunde.no>", "olsen@desk.example.no", "Kari <KARI@kunde.no>")
    ):
        joined = ticket_of(
            client,
            post_email(
                client,
                email_bytes(
                    message_id=f"<party-{n}@kunde.no>",
                    subject=f"Re: [#{ticket_id}] Telefoni nede",
                    text="Fortsatt nede.",
                    sender=sender,
                ),
            ),
        )
        assert joined == ticket_id, sender
    assert not [e for e in _ticket(sessions, ticket_id).events if e.kind == "ref_refused"]
