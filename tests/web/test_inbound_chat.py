"""POST /inbound/chat: one ticket per conversation, however often a message is delivered.

Hand-worked deadline: nettsoft-mbn answers within 60 business minutes, Mon-Fri 08-16
Europe/Oslo. A message received Tuesday 2026-03-10 09:15 (+01:00) is due 10:15 the same
day, 09:15 UTC.
"""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from tests.web.conftest import Clock
from tests.web.support import (
    chat_payload,
    event,
    get_receipt,
    inbox,
    ingest_all,
    kinds,
    oslo,
    post_chat,
    sign,
    taken,
    tickets,
)


@pytest.fixture
def defer_intake() -> bool:
    return True  # the webhook stores and answers; these tests run the batch intake


def test_a_message_makes_one_ticket_with_contract_severity_and_deadline_even_when_redelivered(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    first_answer = post_chat(client, chat_payload())
    again_answer = post_chat(client, chat_payload())

    assert (first_answer.status_code, again_answer.status_code) == (202, 202)
    receipt = first_answer.json["receipt"]
    assert first_answer.json == {"receipt": receipt, "status_url": f"/inbound/receipts/{receipt}"}
    # the redelivery is answered at once with the first delivery's receipt, still pending
    assert again_answer.json == {
        "receipt": receipt,
        "status_url": f"/inbound/receipts/{receipt}",
        "duplicate": True,
        "state": "pending",
        "ticket": None,
        "error": None,
    }
    assert get_receipt(client, receipt).json == {"state": "pending", "ticket": None, "error": None}
    assert tickets(sessions) == []
    assert ingest_all(client.application) == 2
    first = get_receipt(client, receipt).json
    assert first == {"state": "ticket", "ticket": first["ticket"], "error": None}
    third = post_chat(client, chat_payload())  # once ingested, a redelivery names the ticket
    assert (third.json["receipt"], third.json["ticket"]) == (receipt, first["ticket"])
    assert ingest_all(client.application) == 1
    [ticket] = tickets(sessions)
    assert ticket.id == first["ticket"]

    assert ticket.channel == "chat"
    assert ticket.contract_id == "nettsoft-mbn"
    assert ticket.severity == "critical"
    assert ticket.received_at == clock.now  # the server's clock, not the claimed 08:59
    assert ticket.clock_starts_at == oslo(2026, 3, 10, 9, 15)
    assert ticket.due_at == oslo(2026, 3, 10, 10, 15)
    assert ticket.requester_email == "kari@kunde.no"
    assert ticket.body.startswith("Sentralbordet svarer ikke")
    assert kinds(ticket) == ["received", "classified", "routed"]
    assert event(ticket, "received")["sent_at"] == "2026-03-10T08:59:00+01:00"
    assert event(ticket, "classified")["reasons"]
    assert "nettsoft-mbn" in event(ticket, "routed")["reasons"][0]
    items = inbox(sessions)
    assert [(i.channel, i.status, i.ticket_id) for i in items] == [
        ("chat", "processed", ticket.id)
    ] * 3
    assert json.loads(items[0].payload) == chat_payload()


def test_messages_of_one_conversation_thread_into_its_ticket(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    opened = taken(client, post_chat(client, chat_payload()))
    clock.now = oslo(2026, 3, 10, 9, 20)
    follow_up = taken(
        client,
        post_chat(client, chat_payload(message_id="msg-2", text="Gjelder alle tre avdelinger")),
    )
    other = taken(
        client, post_chat(client, chat_payload(conversation_id="conv-2", message_id="msg-3"))
    )

    assert (follow_up.ticket, follow_up.created, follow_up.duplicate) == (
        opened.ticket,
        False,
        False,
    )
    assert other.created and other.ticket != opened.ticket
    first, second = tickets(sessions)
    assert kinds(first) == ["received", "classified", "routed", "message"]
    assert event(first, "message")["text"] == "Gjelder alle tre avdelinger"
    assert first.received_at == oslo(2026, 3, 10, 9, 15)
    assert first.due_at == oslo(2026, 3, 10, 10, 15)  # a follow-up does not move the clock
    assert first.updated_at == oslo(2026, 3, 10, 9, 20)
    assert second.due_at == oslo(2026, 3, 10, 10, 20)


def test_each_bad_field_is_named_and_the_raw_payload_is_quarantined(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    payload = chat_payload(
        sender={"name": "Kari", "email": "kari@"},
        sent_at="yesterday",
        colour="blue",
    )
    del payload["text"]
    body = json.dumps(payload).encode()

    response = post_chat(client, body)

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"sender.email", "text", "sent_at", "colour"}
    assert error["fields"]["colour"] == ["Unknown field."]
    assert tickets(sessions) == []
    [item] = inbox(sessions)
    assert (item.channel, item.status, item.payload) == ("chat", "quarantined", body)
    assert "sender.email" in (item.error or "")


def test_a_sender_without_email_or_phone_is_rejected_on_the_sender(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    response = post_chat(client, chat_payload(sender={"name": "Kari"}))

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["sender"]
    assert inbox(sessions)[0].status == "quarantined"


def test_text_must_be_1_to_20000_characters(client: FlaskClient) -> None:
    assert post_chat(client, chat_payload(text="")).status_code == 422
    assert post_chat(client, chat_payload(text="x" * 20_001)).json["error"]["fields"].keys() == {
        "text"
    }
    longest = post_chat(client, chat_payload(message_id="long", text="MBN " + "x" * 19_996))
    assert taken(client, longest).created


def test_not_json_and_wrong_media_type_are_refused_but_kept(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    broken = post_chat(client, b'{"conversation_id": ')
    not_object = post_chat(client, b"[1, 2]")
    wrong_type = client.post(
        "/inbound/chat",
        data=b"text=hei",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Triage-Signature": sign(b"text=hei")},
    )

    assert broken.status_code == 422 and broken.json["error"]["code"] == "invalid_json"
    assert "not valid JSON" in broken.json["error"]["message"]
    assert not_object.status_code == 422
    assert wrong_type.status_code == 415
    assert wrong_type.json["error"]["code"] == "unsupported_media_type"
    items = inbox(sessions)
    assert [i.status for i in items] == ["quarantined"] * 3
    assert [i.payload for i in items] == [b'{"conversation_id": ', b"[1, 2]", b"text=hei"]


def test_text_the_databases_refuse_is_cleaned_not_fatal(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    body = (
        b'{"conversation_id": "c", "message_id": "m", "sender": {"name": "K\\u0000ari", '
        b'"phone": "+47 22 00 00 09"}, "text": "MBN nede \\u0000 \\ud800", '
        b'"sent_at": "2026-03-10T09:00:00"}'
    )
    response = post_chat(client, body)

    assert taken(client, response).created
    [ticket] = tickets(sessions)
    assert ticket.body == "MBN nede  \ufffd"
    assert ticket.requester_name == "Kari"
    assert ticket.requester_phone == "+4722000009"


def test_bad_or_missing_signature_is_401_and_nothing_is_stored(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    body = json.dumps(chat_payload()).encode()
    wrong = post_chat(client, body, signature=sign(body, "not-the-secret"))
    tampered = post_chat(client, body + b" ", signature=sign(body))
    missing = client.post("/inbound/chat", data=body, content_type="application/json")

    for response in (wrong, tampered, missing):
        assert response.status_code == 401
        assert set(response.json["error"]) == {"code", "message", "fields"}
    assert missing.json["error"]["code"] == "missing_signature"
    assert wrong.json["error"]["code"] == "bad_signature"
    assert inbox(sessions) == []


def test_an_oversized_chat_body_is_413(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    body = b"{" + b" " * (1024 * 1024) + b"}"
    response = post_chat(client, body)

    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert inbox(sessions) == []
