"""The 202 answer of the HMAC webhooks and ``GET /inbound/receipts/<id>`` (issue 18).

The receipt is authenticated like the webhooks: ``X-Triage-Signature`` is the
HMAC-SHA256 of the request path (or of the empty body, which a GET has).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock, make_settings
from tests.web.support import (
    chat_payload,
    email_bytes,
    get_receipt,
    inbox,
    ingest_all,
    oslo,
    post_chat,
    post_email,
    sign,
    tickets,
)
from triage.store.intake import store_raw
from web.app import create_app


@pytest.fixture
def defer_intake() -> bool:
    return True


def test_the_answer_is_a_receipt_whose_state_follows_the_intake(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    answer = post_chat(client, chat_payload())

    assert answer.status_code == 202
    receipt = answer.json["receipt"]
    assert answer.json == {"receipt": receipt, "status_url": f"/inbound/receipts/{receipt}"}
    assert get_receipt(client, receipt).json == {"state": "pending", "ticket": None, "error": None}
    clock.now = oslo(2026, 3, 10, 9, 40)  # ingested 25 minutes later
    assert ingest_all(client.application) == 1
    state = get_receipt(client, receipt)
    [ticket] = tickets(sessions)
    assert (state.status_code, state.json) == (
        200,
        {"state": "ticket", "ticket": ticket.id, "error": None},
    )
    assert ticket.received_at == oslo(2026, 3, 10, 9, 15)  # the clock started at the store
    assert ticket.due_at == oslo(2026, 3, 10, 10, 15)


def test_a_payload_the_batch_refuses_is_quarantined_with_the_reason(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    raw = b"Subject: no sender\r\n\r\nMBN er nede\r\n"
    answer = post_email(client, raw)
    assert answer.status_code == 202

    ingest_all(client.application)

    state = get_receipt(client, answer.json["receipt"]).json
    assert (state["state"], state["ticket"]) == ("quarantined", None)
    assert state["error"]["code"] == "quarantined"
    assert "From header is missing" in state["error"]["message"]
    assert tickets(sessions) == []
    assert [i.payload for i in inbox(sessions)] == [raw]  # kept, byte for byte


def test_the_receipt_accepts_the_signature_of_its_path_or_of_the_empty_body(
    client: FlaskClient,
) -> None:
    receipt = post_chat(client, chat_payload()).json["receipt"]
    path = f"/inbound/receipts/{receipt}"

    by_path = client.get(path, headers={"X-Triage-Signature": sign(path.encode())})
    by_empty = client.get(path, headers={"X-Triage-Signature": sign(b"")})
    other_path = client.get(path, headers={"X-Triage-Signature": sign(b"/inbound/receipts/999")})
    wrong_key = client.get(path, headers={"X-Triage-Signature": sign(path.encode(), "nope")})
    missing = client.get(path)

    assert (by_path.status_code, by_empty.status_code) == (200, 200)
    for refused in (other_path, wrong_key, missing):
        assert refused.status_code == 401
        assert set(refused.json["error"]) == {"code", "message", "fields"}
    assert missing.json["error"]["code"] == "missing_signature"


def test_unknown_receipts_and_other_channels_are_404(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    with sessions() as session:
        sms = store_raw(session, "sms", "application/x-www-form-urlencoded", b"Body=ACK", clock())

    for receipt in ("424242", "abc", "0", "9" * 30, str(sms)):
        response = get_receipt(client, receipt)
        assert response.status_code == 404, receipt
        assert response.json["error"]["code"] == "unknown_receipt"


def test_a_redelivered_email_is_answered_with_the_first_receipt_and_its_ticket(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    raw = email_bytes(message_id="<a@kunde.no>", subject="MBN nede", text="Sentralbordet er nede")
    first = post_email(client, raw)
    ingest_all(client.application)

    again = post_email(client, raw)

    [ticket] = tickets(sessions)
    assert again.status_code == 202
    assert again.json == {
        "receipt": first.json["receipt"],
        "status_url": first.json["status_url"],
        "duplicate": True,
        "state": "ticket",
        "ticket": ticket.id,
        "error": None,
    }
    assert ingest_all(client.application) == 1  # the copy is kept and settled too
    assert [(i.status, i.ticket_id) for i in inbox(sessions)] == [("processed", ticket.id)] * 2


def test_without_redis_the_web_app_ingests_inline_before_answering(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """The web app alone (no ``REDIS_URL``, no worker): the request does the batch's work."""
    client = create_app(make_settings(database_url, tmp_path), catalog=catalog).test_client()

    answer = post_chat(client, chat_payload())

    assert answer.status_code == 202
    [ticket] = tickets(sessions)
    state = get_receipt(client, answer.json["receipt"]).json
    assert state == {"state": "ticket", "ticket": ticket.id, "error": None}
