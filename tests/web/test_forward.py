"""Hand-off round trip: the agent forwards a ticket to the vendor over a real SMTP server
(aiosmtpd on loopback); the vendor's reply threads back by In-Reply-To and records the
vendor's first response, which is the contract's response.

These apps have no Redis, so the forward is sent in the request (200 with the forward's
state); tests/workers/test_vendor_forward.py covers the notify queue (202)."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock, make_settings
from tests.web.support import email_bytes, oslo, post_email
from tests.web.test_api import Api, make_ticket, make_token
from triage.store.models import Ticket
from web.app import create_app


def _client(
    database_url: str, tmp_path: Path, catalog: Catalog, clock: Clock, **env: str
) -> FlaskClient:
    settings = make_settings(
        database_url, tmp_path, TRIAGE_DESK_ADDRESS="helpdesk@desk.example.no", **env
    )
    return create_app(settings, catalog=catalog, clock=clock).test_client()


def test_forward_then_vendor_reply_records_the_response(  # type: ignore[no-untyped-def]
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    smtp,
) -> None:
    url, server = smtp
    client = _client(database_url, tmp_path, catalog, clock, SMTP_URL=url)
    api = Api(client, make_token(sessions))
    ticket_id = make_ticket(
        sessions,
        catalog,
        received=oslo(2026, 3, 10, 9, 0),
        subject="MBN: sentralbord nede",
        body="Ingen kommer gjennom.",
    )

    forwarded = api.post(f"/tickets/{ticket_id}/forward")
    assert forwarded.status_code == 200, forwarded.get_json()
    state = forwarded.get_json()
    assert state["status"] == "sent" and state["to"] == "support@nettsoft.no"
    assert state["attempts"] == 1 and state["error"] is None
    ticket = api.get(f"/tickets/{ticket_id}").get_json()
    assert ticket["forwards"] == [state]
    kinds = [e["kind"] for e in ticket["events"]]
    assert kinds.index("forward_queued") < kinds.index("forwarded")
    event = next(e for e in ticket["events"] if e["kind"] == "forwarded")
    assert event["data"]["to"] == "support@nettsoft.no"
    assert event["data"]["late"] is False
    assert event["data"]["message_id"] == state["message_id"]
    assert len(server.messages) == 1
    sent = email.message_from_bytes(server.messages[0].as_bytes(), policy=default)
    assert sent["Subject"] == f"[#{ticket_id}] MBN: sentralbord nede"
    assert sent["From"] == "helpdesk@desk.example.no"

    clock.now = oslo(2026, 3, 10, 9, 40)
    reply = email_bytes(
        message_id="<reply-1@nettsoft.no>",
        subject="Re: sak",  # no [#id] tag: only In-Reply-To can thread it
        text="Vi har startet feilsøking.",
        sender="Nettsoft Support <support@nettsoft.no>",
        in_reply_to=sent["Message-ID"],
        date="Tue, 10 Mar 2026 09:40:00 +0100",
    )
    assert post_email(client, reply).status_code == 202  # ingested inline: no Redis
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.responded_at == oslo(2026, 3, 10, 9, 40)
        assert ticket.due_at == oslo(2026, 3, 10, 10, 0)
        assert ticket.response_seconds == 40 * 60


def test_forward_without_smtp_or_vendor_address_is_refused_clearly(  # type: ignore[no-untyped-def]
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
) -> None:
    client = _client(database_url, tmp_path, catalog, clock)
    api = Api(client, make_token(sessions))
    mbn = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 0))
    no_smtp = api.post(f"/tickets/{mbn}/forward")
    assert no_smtp.status_code == 503
    assert "SMTP_URL" in no_smtp.get_json()["error"]["message"]

    client = _client(database_url, tmp_path, catalog, clock, SMTP_URL="smtp://127.0.0.1:9")
    api = Api(client, make_token(sessions, name="second"))
    pindena = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 0), contract="pindena")
    refused = api.post(f"/tickets/{pindena}/forward")
    assert refused.status_code == 409
    assert "no support e-mail" in refused.get_json()["error"]["message"]
    down = api.post(f"/tickets/{mbn}/forward")  # nothing listens on port 9
    assert down.status_code == 503
    assert "not sent" in down.get_json()["error"]["message"]
    [failed] = api.get(f"/tickets/{mbn}").get_json()["forwards"]  # kept, with the error
    assert failed["status"] == "failed" and "ConnectionRefusedError" in failed["error"]
    assert api.post(f"/tickets/{mbn}/forwards/{failed['id']}/retry").status_code == 503
    assert api.post(f"/tickets/{mbn}/forwards/{failed['id'] + 99}/retry").status_code == 404

    client = _client(database_url, tmp_path, catalog, clock, SMTP_URL="http://mail.example")
    api = Api(client, make_token(sessions, name="third"))
    misconfigured = api.post(f"/tickets/{mbn}/forward")
    assert misconfigured.status_code == 503
    assert "SMTP_URL must look like" in misconfigured.get_json()["error"]["message"]


def test_a_failed_forward_is_tried_again_with_its_message_id(  # type: ignore[no-untyped-def]
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    smtp,
) -> None:
    """The mail server was down; the agent tries again once it is up: the same forward,
    the same Message-ID (the reply's thread key), sent once; a sent one is not retried."""
    token = make_token(sessions)
    closed = _client(database_url, tmp_path, catalog, clock, SMTP_URL="smtp://127.0.0.1:9")
    api = Api(closed, token)
    mbn = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 0))
    assert api.post(f"/tickets/{mbn}/forward").status_code == 503
    [failed] = api.get(f"/tickets/{mbn}").get_json()["forwards"]

    url, server = smtp
    api = Api(_client(database_url, tmp_path, catalog, clock, SMTP_URL=url), token)
    again = api.post(f"/tickets/{mbn}/forwards/{failed['id']}/retry")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == failed["id"] and again.get_json()["status"] == "sent"
    assert len(server.messages) == 1
    sent = email.message_from_bytes(server.messages[0].as_bytes(), policy=default)
    assert sent["Message-ID"].strip() == failed["message_id"]  # folded when long
    twice = api.post(f"/tickets/{mbn}/forwards/{failed['id']}/retry")
    assert twice.status_code == 409 and "sent, not failed" in twice.get_json()["error"]["message"]
    assert len(server.messages) == 1
