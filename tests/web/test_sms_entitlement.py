"""Issue 15, findings 4 and 12: only staff entitled to a ticket ACK or START it by SMS,
and the Twilio webhooks take only the url-encoded form Twilio signs.

Set-up (``tests.web.test_inbound_sms``): Kari on call at level 1, Mette at level 2, a
critical VPS-Access ticket whose "received" point paged Kari. Per is on the roster
(staff with a number) but on no rotation and never paged: before the fix, his
``START n`` recorded the response and cancelled the manager's page.
"""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock
from tests.web.support import message_sid, sms_params, twilio_signature
from tests.web.test_inbound_sms import (
    SMS_URL,
    STATUS_URL,
    VPS_ACCESS,
    Paged,
    events,
    inbound_rows,
    paged,
    points,
    post_sms,
    reply_of,
    status_params,
    ticket,
)
from tests.workers.escalation_support import MANAGER, ONCALL, ONCALL_2, new_ticket
from triage.store.roster import add_staff

PER = ONCALL_2[1]
__all__ = ["paged"]  # the fixture, imported to be used here


def _per(sessions: sessionmaker[Session], clock: Clock) -> None:
    with sessions() as session:
        add_staff(session, *ONCALL_2, clock.now)


def test_start_from_a_number_never_paged_is_refused_and_recorded(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    _per(sessions, clock)
    [ticket_id] = paged.ticket_ids
    before = points(sessions, ticket_id)

    response = post_sms(client, sms_params(f"START {ticket_id}", sender=PER))

    assert "Avvist" in reply_of(response) and f"#{ticket_id}" in reply_of(response)
    assert ticket(sessions, ticket_id).responded_at is None
    assert points(sessions, ticket_id) == before
    [refused] = events(sessions, ticket_id, "sms_refused")
    assert refused.actor == ONCALL_2[0]
    assert refused.data["command"] == "start"
    assert refused.data["from"] == "+47******02"
    [inbound] = inbound_rows(sessions)
    assert inbound.outcome == "not entitled"


def test_ack_from_a_number_never_paged_is_refused(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    _per(sessions, clock)
    [ticket_id] = paged.ticket_ids
    before = points(sessions, ticket_id)

    response = post_sms(client, sms_params(f"ACK {ticket_id}", sender=PER))

    assert "Avvist" in reply_of(response)
    assert points(sessions, ticket_id) == before
    assert not events(sessions, ticket_id, "acknowledged")
    assert len(events(sessions, ticket_id, "sms_refused")) == 1


def test_whoever_is_on_call_for_a_level_of_the_ticket_may_answer(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged, clock: Clock
) -> None:
    """Mette was never paged, but she is the level-2 manager on call now and the
    ticket's ladder has a level-2 point: her ACK stops that level."""
    [ticket_id] = paged.ticket_ids

    response = post_sms(client, sms_params(f"ACK {ticket_id}", sender=MANAGER[1]))

    assert reply_of(response) == f"Kvittert: #{ticket_id}"
    assert points(sessions, ticket_id)["overdue"] == "acknowledged"
    assert not events(sessions, ticket_id, "sms_refused")


def test_the_on_call_engineer_may_start_a_ticket_not_yet_paged(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    paged: Paged,
    clock: Clock,
) -> None:
    quiet = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now, "non-critical")
    response = post_sms(client, sms_params(f"START {quiet}", sender=ONCALL[1]))
    assert reply_of(response).startswith(f"Startet: #{quiet}")
    assert ticket(sessions, quiet).responded_at == clock.now


def test_a_mixed_ack_acts_only_where_entitled(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    paged: Paged,
    clock: Clock,
) -> None:
    """Per is paged for nothing; after a handover he is no-one's: "ACK a b" from Kari
    for her paged ticket and one she is on call for both work."""
    [ticket_id] = paged.ticket_ids
    other = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now, "non-critical")
    _per(sessions, clock)
    refused = post_sms(client, sms_params(f"ACK {ticket_id} {other}", sender=PER))
    assert "Avvist" in reply_of(refused)
    clock.now += timedelta(seconds=5)
    accepted = post_sms(
        client, sms_params(f"ACK {ticket_id} {other}", sender=ONCALL[1], sid=message_sid(2))
    )
    assert reply_of(accepted).startswith("Kvittert:")


def test_a_multipart_body_is_refused_by_every_twilio_webhook(
    client: FlaskClient, sessions: sessionmaker[Session], paged: Paged
) -> None:
    """Only url-encoded fields are signed: a multipart body signed for the bare URL
    (no parameters) carried any fields it liked."""
    [ticket_id] = paged.ticket_ids
    for path, url, params in (
        ("/inbound/twilio/sms", SMS_URL, sms_params(f"START {ticket_id}")),
        ("/inbound/twilio/sms-status", STATUS_URL, status_params(paged.provider_sid, "delivered")),
        ("/inbound/twilio/voice", "http://localhost/inbound/twilio/voice", {"CallSid": "CA1"}),
    ):
        response = client.post(
            path,
            data={name: (None, value) for name, value in params.items()},  # type: ignore[misc]
            content_type="multipart/form-data",
            headers={"X-Twilio-Signature": twilio_signature({}, url)},
        )
        assert response.status_code == 415, (path, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert ticket(sessions, ticket_id).responded_at is None
    assert not inbound_rows(sessions)
