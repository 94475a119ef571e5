"""POST /inbound/twilio/voice and /inbound/cti: one ticket per call.

Hand-worked deadlines (nettsoft-mbn: 60 business minutes, Mon-Fri 08-16 Europe/Oslo):
- a call to the MBN line on Friday 2026-03-13 15:30 (+01:00) has 30 minutes on Friday and
  30 on Monday: due Monday 2026-03-16 08:30 +01:00;
- a CTI call on Tuesday 2026-03-10 09:15 (+01:00) is due 10:15.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock, make_settings
from tests.web.support import (
    CALL_SID,
    CALLER,
    MBN_LINE,
    ONCALL_NUMBER,
    OTHER_CALL_SID,
    TWILIO_URL,
    event,
    inbox,
    kinds,
    oslo,
    post_cti,
    post_twilio,
    taken,
    tickets,
    twilio_params,
    twilio_signature,
)
from web.app import create_app

RECORDING = {
    "RecordingSid": "RE" + "a" * 32,
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32,
    "RecordingDuration": "14",
}


@pytest.fixture
def defer_intake() -> bool:
    return True  # CTI events are stored and answered; these tests run the batch intake


def _twiml(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return root


# ------------------------------------------------------------------ Twilio


def test_a_call_makes_one_ticket_and_hears_its_number_in_norwegian(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = oslo(2026, 3, 13, 15, 30)  # Friday

    first = post_twilio(client, twilio_params())
    again = post_twilio(client, twilio_params())  # Twilio retrying the webhook

    assert first.status_code == 200 == again.status_code
    assert first.mimetype == "text/xml"
    [ticket] = tickets(sessions)
    assert (ticket.channel, ticket.contract_id, ticket.severity) == (
        "phone",
        "nettsoft-mbn",
        "non-critical",
    )
    assert ticket.requester_phone == CALLER
    assert ticket.subject == "Phone call"
    assert ticket.received_at == oslo(2026, 3, 13, 15, 30)
    assert ticket.due_at == oslo(2026, 3, 16, 8, 30)
    assert event(ticket, "received")["after_hours"] is False

    root = _twiml(first.data)
    says = root.findall("Say")
    assert says and all(s.get("language") == "nb-NO" for s in says)
    spoken = " ".join(str(ticket.id))
    assert f"nummer {spoken}" in (says[0].text or "")
    record = root.find("Record")
    assert record is not None
    assert record.get("action") == TWILIO_URL
    assert record.get("recordingStatusCallback") == TWILIO_URL
    assert record.get("method") == "POST"
    assert root.find("Hangup") is not None
    assert [c.tag for c in root] == ["Say", "Say", "Record", "Say", "Hangup"]
    assert _twiml(again.data).find("Say").text == says[0].text  # type: ignore[union-attr]


def test_voicemail_and_transcription_callbacks_add_to_the_calls_ticket(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = oslo(2026, 3, 13, 15, 30)
    post_twilio(client, twilio_params())
    clock.now = oslo(2026, 3, 13, 15, 32)

    action = post_twilio(client, twilio_params(CallStatus="in-progress", **RECORDING))
    status = post_twilio(
        client,
        {
            "CallSid": CALL_SID,
            "AccountSid": "AC" + "1" * 32,
            "RecordingStatus": "completed",
            **RECORDING,
        },
    )
    transcription = post_twilio(
        client,
        twilio_params(
            CallStatus="completed",
            TranscriptionSid="TR" + "b" * 32,
            TranscriptionStatus="completed",
            TranscriptionText="Sentralbordet er nede, ingen av oss kan ringe ut.",
            **RECORDING,
        ),
    )

    assert [r.status_code for r in (action, status, transcription)] == [200, 200, 200]
    goodbye = _twiml(action.data)
    assert [c.tag for c in goodbye] == ["Say", "Hangup"]
    assert goodbye.find("Say").get("language") == "nb-NO"  # type: ignore[union-attr]
    assert list(_twiml(status.data)) == []  # a status callback needs no instructions
    assert list(_twiml(transcription.data)) == []
    [ticket] = tickets(sessions)
    # the action and the status callback describe one recording: recorded once
    assert kinds(ticket) == [
        "received", "classified", "routed", "recording", "transcription", "reclassified",
    ]  # fmt: skip
    assert event(ticket, "recording")["recording_url"] == RECORDING["RecordingUrl"]
    # the ticket's first words reclassify it; MBN has one target, so the deadline stands
    assert ticket.body == "Sentralbordet er nede, ingen av oss kan ringe ut."
    assert ticket.severity == "critical"
    assert event(ticket, "reclassified")["before"] == "non-critical"
    assert ticket.due_at == oslo(2026, 3, 16, 8, 30)
    assert [i.status for i in inbox(sessions)] == ["processed"] * 4


def test_a_call_to_the_on_call_number_is_after_hours(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = oslo(2026, 3, 10, 22, 0)
    response = post_twilio(client, twilio_params(To="+47 91 00 00 00"))

    assert response.status_code == 200
    [ticket] = tickets(sessions)
    assert event(ticket, "received")["after_hours"] is True
    assert any("on-call" in reason for reason in ticket.severity_reasons)
    assert ONCALL_NUMBER.endswith("91000000")


def test_twilio_signatures_are_checked_against_the_url_and_parameters(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    params = twilio_params()
    wrong_token = post_twilio(client, params, token="someone-elses-token")
    wrong_url = post_twilio(client, params, signed_url="http://localhost/inbound/twilio/other")
    missing = client.post("/inbound/twilio/voice", data=params)
    tampered = post_twilio(
        client, params, signature=twilio_signature(params | {"From": "+4700000000"})
    )

    for response in (wrong_token, wrong_url, missing, tampered):
        assert response.status_code == 403
        assert set(response.json["error"]) == {"code", "message", "fields"}
    assert inbox(sessions) == []


def test_forwarded_headers_count_only_when_the_proxy_is_trusted(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    public = "https://desk.example.no/inbound/twilio/voice"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "desk.example.no"}
    trusting = create_app(
        make_settings(database_url, tmp_path, TRIAGE_TRUST_PROXY="1"), catalog=catalog
    ).test_client()
    wary = create_app(make_settings(database_url, tmp_path), catalog=catalog).test_client()

    refused = post_twilio(wary, twilio_params(), signed_url=public, headers=forwarded)
    accepted = post_twilio(trusting, twilio_params(), signed_url=public, headers=forwarded)

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert _twiml(accepted.data).find("Record").get("action") == public  # type: ignore[union-attr]
    assert len(tickets(sessions)) == 1


def test_a_signed_request_without_a_callsid_is_422_and_quarantined(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    params = twilio_params()
    del params["CallSid"]

    response = post_twilio(client, params)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["CallSid"]
    [item] = inbox(sessions)
    assert item.status == "quarantined" and b"From=%2B4799887766" in item.payload


# ------------------------------------------------------------------ CTI


def _cti(
    event_name: str, call_id: str = "call-1", at: str = "2026-03-10T09:15:00+01:00"
) -> dict[str, str]:
    return {"event": event_name, "call_id": call_id, "from": CALLER, "to": MBN_LINE, "at": at}


def test_cti_new_call_makes_one_ticket_and_answered_is_not_the_response(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    created = taken(client, post_cti(client, _cti("new_call")))
    repeated = taken(client, post_cti(client, _cti("new_call")))
    clock.now = oslo(2026, 3, 10, 9, 16)
    answered = taken(client, post_cti(client, _cti("answered", at="2026-03-10T09:16:00+01:00")))
    clock.now = oslo(2026, 3, 10, 9, 20)
    hung_up = taken(client, post_cti(client, _cti("hung_up", at="2026-03-10T09:20:00+01:00")))

    assert created.created
    assert (repeated.ticket, repeated.created, repeated.duplicate) == (created.ticket, False, True)
    assert (answered.ticket, answered.created, answered.duplicate) == (created.ticket, False, False)
    assert (hung_up.ticket, hung_up.created) == (created.ticket, False)
    [ticket] = tickets(sessions)
    assert (ticket.contract_id, ticket.received_at, ticket.due_at) == (
        "nettsoft-mbn",
        oslo(2026, 3, 10, 9, 15),
        oslo(2026, 3, 10, 10, 15),
    )
    assert kinds(ticket) == ["received", "classified", "routed", "answered", "hung_up"]
    assert ticket.responded_at is None
    assert ticket.response_seconds is None


def test_a_missed_call_seen_before_its_new_call_still_makes_one_ticket(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    missed = taken(client, post_cti(client, _cti("missed", call_id="call-2")))
    late = taken(client, post_cti(client, _cti("new_call", call_id="call-2")))
    other = taken(client, post_cti(client, _cti("new_call", call_id=OTHER_CALL_SID)))

    assert missed.created
    assert (late.ticket, late.created, late.duplicate) == (missed.ticket, False, False)
    assert other.created
    first, _ = tickets(sessions)
    assert kinds(first) == ["received", "missed", "classified", "routed", "call"]


def test_a_bad_cti_event_names_each_field_and_is_quarantined(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    payload = _cti("transferred") | {"to": "not a number", "agent": "x"}

    response = post_cti(client, payload)

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"event", "to", "agent"}
    assert [i.status for i in inbox(sessions)] == ["quarantined"]


def test_cti_needs_the_hmac_signature(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    response = post_cti(client, _cti("new_call"), signature="sha256=deadbeef")

    assert response.status_code == 401
    assert inbox(sessions) == []
