"""POST /inbound/email: raw RFC 5322 in, one ticket per Message-ID, replies threaded.

Hand-worked deadlines (Europe/Oslo; office hours Mon-Fri 08-16; holidays closed):
- nettsoft-mbn, 60 business minutes. Received Saturday 2026-03-28 10:00: the clock starts
  at the next window, Monday 2026-03-30 08:00 - after the switch to summer time on Sunday
  03-29, so +02:00 - and the ticket is due 09:00 +02:00 (07:00 UTC). CONTRACTS.md §1.
- nettsoft-mbn received Tuesday 2026-03-10 09:15 (+01:00): due 10:15. A vendor reply
  at 09:45 is a response of 30 business minutes (1800 s).
- pindena, end of the next working day (16:00). Received Tuesday 2026-03-31 10:00:
  due Wednesday 2026-04-01 16:00 +02:00.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock
from tests.web.support import (
    Taken,
    email_bytes,
    event,
    get_receipt,
    inbox,
    kinds,
    oslo,
    post_email,
    sign,
    taken,
    tickets,
)
from tests.web.test_vendor_trust import forward
from triage.store import ticket_actions as actions

FIRST_ID = "<first.1@kunde.no>"


@pytest.fixture
def defer_intake() -> bool:
    return True  # the webhook stores and answers; these tests run the batch intake


def deliver(client: FlaskClient, raw: bytes) -> Taken:
    """Post the e-mail, run the batch intake, and say what the delivery became."""
    return taken(client, post_email(client, raw))


def _fault(**overrides: str) -> bytes:
    fields = {
        "message_id": FIRST_ID,
        "subject": "Mobilsvar virker ikke",
        "text": "Hei, mobilsvar på MBN virker ikke for meg.\n\nHilsen Kari",
    }
    fields.update(overrides)
    return email_bytes(**fields)


def test_an_email_makes_one_ticket_and_its_deadline_follows_the_contract_calendar(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = oslo(2026, 3, 28, 10, 0)  # Saturday

    first = deliver(client, _fault())
    again = deliver(client, _fault())

    assert first.created
    assert (again.ticket, again.created, again.duplicate) == (first.ticket, False, True)
    [ticket] = tickets(sessions)
    assert (ticket.channel, ticket.contract_id, ticket.severity) == (
        "email",
        "nettsoft-mbn",
        "non-critical",
    )
    assert ticket.subject == "Mobilsvar virker ikke"
    assert ticket.requester_email == "kari@kunde.no"
    assert ticket.requester_name == "Kari Nordmann"
    assert ticket.received_at == oslo(2026, 3, 28, 10, 0)
    assert ticket.clock_starts_at == oslo(2026, 3, 30, 8, 0)
    assert ticket.due_at == oslo(2026, 3, 30, 9, 0)
    assert ticket.due_at.utcoffset() is not None
    assert ticket.due_at.isoformat() == "2026-03-30T07:00:00+00:00"
    received = event(ticket, "received")
    assert received["sent_at"] == "2026-03-10T09:10:00+01:00"  # claimed, kept, not used
    assert received["recipients"] == ["support@desk.example.no"]
    assert [i.status for i in inbox(sessions)] == ["processed", "processed"]


def test_a_reply_with_in_reply_to_threads_into_the_ticket(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    opened = deliver(client, _fault())
    clock.now = oslo(2026, 3, 10, 9, 40)
    reply = deliver(
        client,
        email_bytes(
            message_id="<reply.2@kunde.no>",
            subject="Re: Mobilsvar virker ikke",
            text="Det gjelder fortsatt.",
            in_reply_to=FIRST_ID,
            references=FIRST_ID,
        ),
    )
    # a reply to the reply finds the ticket through the reply's own Message-ID
    clock.now = oslo(2026, 3, 10, 9, 50)
    nested = deliver(
        client,
        email_bytes(
            message_id="<reply.3@kunde.no>",
            subject="Re: Re: Mobilsvar virker ikke",
            text="Og nå?",
            in_reply_to="<reply.2@kunde.no>",
        ),
    )

    assert (reply.ticket, reply.created, reply.duplicate) == (opened.ticket, False, False)
    assert nested.ticket == opened.ticket
    [ticket] = tickets(sessions)
    assert kinds(ticket) == ["received", "classified", "routed", "message", "message"]
    assert event(ticket, "message")["text"] == "Og nå?"
    assert ticket.responded_at is None  # the requester answering is not the vendor's response
    assert ticket.due_at == oslo(2026, 3, 10, 10, 15)


def test_a_ticket_tag_in_the_subject_threads_without_in_reply_to(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    opened = deliver(client, _fault())
    ticket_id = opened.ticket

    tagged = deliver(
        client,
        email_bytes(
            message_id="<new.thread@kunde.no>",
            subject=f"SV: [#{ticket_id}] Mobilsvar virker ikke",
            text="Skjermbilde vedlagt.",
        ),
    )
    unknown = deliver(
        client,
        email_bytes(message_id="<x@kunde.no>", subject="[#999999] Noe annet", text="MBN er treg"),
    )

    assert (tagged.ticket, tagged.created, tagged.duplicate) == (ticket_id, False, False)
    assert unknown.created  # a tag naming no ticket opens a new one
    assert [kinds(t)[-1] for t in tickets(sessions)] == ["message", "routed"]


def test_the_vendors_first_real_reply_is_the_response(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    opened = deliver(client, _fault())
    vendor = "Nettsoft Support <support@nettsoft.no>"
    sent = forward(sessions, catalog, opened.ticket, clock.now)

    clock.now = oslo(2026, 3, 10, 9, 16)
    deliver(
        client,
        email_bytes(
            message_id="<auto@nettsoft.no>",
            subject="Automatic reply: Mobilsvar virker ikke",
            text="Vi har mottatt saken din.",
            sender=vendor,
            in_reply_to=sent,
            extra_headers=("Auto-Submitted: auto-replied",),
        ),
    )
    clock.now = oslo(2026, 3, 10, 9, 45)
    answered = deliver(
        client,
        email_bytes(
            message_id="<real@nettsoft.no>",
            subject=f"Re: [#{opened.ticket}] Mobilsvar",
            text="Vi ser på det nå.",
            sender=vendor,
            references=sent,
        ),
    )
    clock.now = oslo(2026, 3, 10, 11, 0)
    deliver(
        client,
        email_bytes(
            message_id="<later@nettsoft.no>",
            subject="Re: Mobilsvar virker ikke",
            text="Løst.",
            sender=vendor,
            in_reply_to="<real@nettsoft.no>",
        ),
    )

    assert (answered.ticket, answered.created) == (opened.ticket, False)
    [ticket] = tickets(sessions)
    assert ticket.responded_at == oslo(2026, 3, 10, 9, 45)
    assert ticket.response_seconds == 30 * 60
    assert ticket.due_at == oslo(2026, 3, 10, 10, 15)  # met
    replies = [e.data for e in ticket.events if e.kind == "vendor_replied"]
    assert [r["counted_as_response"] for r in replies] == [False, True, False]
    assert "automatic reply" in replies[0]["not_counted_because"]
    assert "already recorded" in replies[2]["not_counted_because"]


def test_a_vendor_recognised_by_sender_domain_is_offered_for_confirmation(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    """Pindena has no support address in the catalog, so the desk sent it nothing to
    answer: its reply is the vendor's (by sender domain) but counts only once an agent
    confirms it (issue 15, finding 1)."""
    clock.now = oslo(2026, 3, 31, 10, 0)
    opened = deliver(
        client,
        email_bytes(
            message_id="<p1@kunde.no>",
            subject="Pindena: påmelding feiler",
            text="Påmelding feiler for aktivitets-id 7, kan gjenskapes.",
        ),
    )
    clock.now = oslo(2026, 4, 1, 15, 0)
    deliver(
        client,
        email_bytes(
            message_id="<answer@pindena.no>",
            subject="Re: Pindena: påmelding feiler",
            text="Vi undersøker.",
            sender="Ola <ola@pindena.no>",
            in_reply_to="<p1@kunde.no>",
        ),
    )

    assert opened.created
    [ticket] = tickets(sessions)
    assert ticket.contract_id == "pindena"
    assert ticket.due_at == oslo(2026, 4, 1, 16, 0)
    assert ticket.responded_at is None
    reply = event(ticket, "vendor_replied")
    assert (reply["counted_as_response"], reply["confirmable"]) == (False, True)
    reply_id = next(e.id for e in ticket.events if e.kind == "vendor_replied")
    with sessions() as session:
        actions.confirm_vendor_response(
            session, catalog, ticket.id, "Agent", clock.now, event_id=reply_id
        )
    [ticket] = tickets(sessions)
    assert ticket.responded_at == oslo(2026, 4, 1, 15, 0)


def test_people_answering_one_unknown_mail_get_separate_tickets(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """References to a message the desk never saw (an announcement) do not merge tickets."""
    for n, person in enumerate(("a@kunde.no", "b@kunde.no")):
        response = deliver(
            client,
            email_bytes(
                message_id=f"<answer{n}@kunde.no>",
                subject="Re: Planlagt vedlikehold i kveld",
                text="Gjelder dette MBN også?",
                sender=person,
                in_reply_to="<announcement@desk.example.no>",
            ),
        )
        assert response.created
    assert len(tickets(sessions)) == 2

    announcement = email_bytes(
        message_id="<announcement@desk.example.no>",
        subject="Planlagt vedlikehold i kveld",
        text="Vi oppgraderer i kveld.",
        sender="helpdesk@desk.example.no",
    )
    assert deliver(client, announcement).created  # its own ticket: no guess
    assert len(tickets(sessions)) == 3


def test_a_reply_that_overtakes_its_original_is_one_ticket_with_it(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    reply = email_bytes(
        message_id="<reply@kunde.no>",
        subject="Re: Sentralbordet er nede",
        text="Fortsatt nede!",
        in_reply_to="<first@kunde.no>",
    )
    original = email_bytes(
        message_id="<first@kunde.no>", subject="Sentralbordet er nede", text="MBN er nede."
    )

    first = deliver(client, reply)
    second = deliver(client, original)
    again = deliver(client, original)

    assert (first.created, second.created) == (True, False)
    assert first.ticket == second.ticket == again.ticket
    assert again.duplicate is True
    assert len(tickets(sessions)) == 1


def test_a_message_id_longer_than_the_key_column_still_dedups(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    long_id = "<" + "x" * 900 + "@kunde.no>"
    raw = _fault(message_id=long_id)

    assert deliver(client, raw).created
    assert deliver(client, raw).duplicate is True
    reply = email_bytes(message_id="<r@kunde.no>", subject="Re", text="?", in_reply_to=long_id)
    assert deliver(client, reply).created is False
    assert len(tickets(sessions)) == 1


def test_a_malformed_email_is_accepted_then_quarantined_naming_the_problem(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """The MIME parse runs in the batch, not in the request: its refusal is the receipt's."""
    raw = b"To: support@desk.example.no\r\nSubject: no sender\r\n\r\nMBN er nede\r\n"

    outcome = deliver(client, raw)

    assert (outcome.state, outcome.ticket) == ("quarantined", None)
    error = get_receipt(client, outcome.receipt).json["error"]
    assert "From header is missing" in error["message"]
    assert tickets(sessions) == []
    [item] = inbox(sessions)
    assert (item.status, item.payload, item.error) == ("quarantined", raw, "From header is missing")


def test_an_email_must_come_as_message_rfc822(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    raw = _fault()
    response = client.post(
        "/inbound/email",
        data=raw,
        content_type="text/plain",
        headers={"X-Triage-Signature": sign(raw)},
    )

    assert response.status_code == 415
    assert "message/rfc822" in response.json["error"]["message"]
    assert [(i.status, i.payload) for i in inbox(sessions)] == [("quarantined", raw)]


def test_an_empty_email_is_422_at_once(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    response = post_email(client, b"\r\n")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "malformed_email"
    assert [i.status for i in inbox(sessions)] == ["quarantined"]


def test_a_bad_signature_is_401_and_nothing_is_stored(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    response = post_email(client, _fault(), signature="sha256=" + "0" * 64)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "bad_signature"
    assert "WWW-Authenticate" in response.headers
    assert inbox(sessions) == []


def test_an_email_over_25_mib_is_413_before_anything_is_stored(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    raw = _fault(text="x" * (25 * 1024 * 1024))

    response = post_email(client, raw)

    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert inbox(sessions) == []


def test_three_people_answering_one_unseen_announcement_make_three_tickets(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    for n in range(1, 4):  # the third used to fail: its "answered by several" mark existed
        raw = email_bytes(
            message_id=f"<reply-{n}@kunde.no>",
            subject="Re: Planlagt vedlikehold",
            text=f"Svar {n}",
            sender=f"Person {n} <p{n}@kunde.no>",
            in_reply_to="<announcement@desk.example.no>",
        )
        assert deliver(client, raw).created
    assert len(tickets(sessions)) == 3
