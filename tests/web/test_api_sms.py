"""GET /api/v1/sms (the SMS outbox) and GET /api/v1/oncall (who is paged now), on SQLite
and PostgreSQL. The test clock stands at Tuesday 2026-03-10 09:15 Oslo (office hours)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from config.catalog import Catalog
from tests.web.conftest import Clock
from tests.workers.escalation_support import MANAGER, ONCALL, ONCALL_2, new_ticket, roster
from triage.store.escalations import fire_due
from triage.store.models import SmsOutbox
from triage.store.roster import add_override, add_staff, find_staff, load_roster
from triage.store.sms_outbox import compose, mark_failed, mark_sent
from triage.store.tokens import create_token

KARI, METTE = ONCALL[1], MANAGER[1]
OUTSIDER = "+4798765432"  # a number on no staff list
STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed")


def token(sessions: sessionmaker[Session], now: datetime, role: str = "agent") -> str:
    with sessions() as session:
        return create_token(session, "Kari Agent", role, now)[1]


class Api:
    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", query_string=query, headers=self.headers)


@pytest.fixture
def api(client: FlaskClient, sessions: sessionmaker[Session], clock: Clock) -> Api:
    return Api(client, token(sessions, clock.now))


def ok(response: TestResponse) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def error(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return dict(body["error"])


def add_sms(
    sessions: sessionmaker[Session],
    at: datetime,
    recipient: str,
    status: str,
    body: str = "SAK #1 test",
    tickets: list[int] | None = None,
) -> int:
    with sessions() as session:
        row = SmsOutbox(
            recipient=recipient,
            body=body,
            ticket_ids=tickets or [],
            status=status,
            provider=None if status == "queued" else "twilio",
            attempts=0 if status == "queued" else 1,
            next_attempt_at=at,
            sent_at=None if status in ("queued", "sending", "failed") else at,
            delivered_at=at if status == "delivered" else None,
            created_at=at,
            updated_at=at,
        )
        session.add(row)
        session.commit()
        return row.id


def numbers_in(text: str) -> list[str]:
    """Every full number of the set-up that appears in ``text`` (with or without +47)."""
    found = []
    for number in (KARI, METTE, OUTSIDER, ONCALL_2[1]):
        if number in text or number.removeprefix("+47") in text:
            found.append(number)
    return found


# ------------------------------------------------------------------ /api/v1/sms


def test_the_outbox_needs_a_token(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_sms(sessions, clock.now, KARI, "sent")
    assert error(client.get("/api/v1/sms"), 401)["code"] == "missing_token"
    assert error(client.get("/api/v1/oncall"), 401)["code"] == "missing_token"
    bad = {"Authorization": "Bearer trg_1_" + "A" * 40}
    assert client.get("/api/v1/sms", headers=bad).status_code == 401
    # authentication comes before the query is checked: no 422 for a stranger
    assert client.get("/api/v1/sms", query_string={"status": "nonsense"}).status_code == 401


def test_the_outbox_lists_newest_first_with_numbers_masked(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    roster(sessions, clock.now)
    start = clock.now
    # one SMS the way the pager makes it: a fired point composed and sent
    ticket_id = new_ticket(sessions, catalog, "nettsoft-vps-access", start, start)
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], start)
        fire_due(session, on_call, start, [(ticket_id, "received")])
        paged = compose(session, catalog, KARI, start, timedelta(seconds=60)).outbox_id
        assert paged is not None
        mark_sent(session, paged, "twilio", "SM" + "a" * 32, start)
    to_mette = add_sms(sessions, start + timedelta(minutes=1), METTE, "delivered")
    to_outsider = add_sms(sessions, start + timedelta(minutes=2), OUTSIDER, "queued")

    response = api.get("/sms")

    rows = ok(response)
    assert [r["id"] for r in rows] == [to_outsider, to_mette, paged]
    assert [r["to"] for r in rows] == ["+47******32", "+47******03", "+47******01"]
    assert [r["staff"] for r in rows] == [None, MANAGER[0], ONCALL[0]]
    newest_first = [r["created_at"] for r in rows]
    assert newest_first == sorted(newest_first, reverse=True)
    kari = rows[2]
    assert kari["status"] == "sent"
    assert kari["tickets"] == [ticket_id]
    assert kari["body"].startswith(f"KRIT #{ticket_id} VPS-Access")
    assert kari["provider"] == "twilio"
    assert kari["created_at"] == "2026-03-10T09:15:00+01:00"  # Oslo, with its offset
    assert kari["sent_at"] == "2026-03-10T09:15:00+01:00"
    assert kari["delivered_at"] is None
    assert rows[1]["delivered_at"] == "2026-03-10T09:16:00+01:00"
    assert numbers_in(response.get_data(as_text=True)) == []


def test_a_refusal_quoting_the_number_does_not_leak_it(
    api: Api, sessions: sessionmaker[Session], clock: Clock
) -> None:
    """Twilio's refusal texts quote the recipient (code 21211: "The 'To' number
    +47... is not a valid phone number."); the outbox list must not hand them out."""
    failed = add_sms(sessions, clock.now, KARI, "sending")
    with sessions() as session:
        mark_failed(
            session,
            failed,
            21211,
            "Twilio rejected the message (HTTP 400, code 21211): "
            f"The 'To' number {KARI} is not a valid phone number.",
            clock.now,
        )

    response = api.get("/sms")

    [row] = ok(response)
    assert row["status"] == "failed"
    assert "21211" in row["error"]
    assert numbers_in(response.get_data(as_text=True)) == []


def test_the_outbox_filters_by_status_and_pages(
    api: Api, sessions: sessionmaker[Session], clock: Clock
) -> None:
    made: dict[str, list[int]] = {status: [] for status in STATUSES}
    for n in range(12):
        status = STATUSES[n % len(STATUSES)]
        made[status].append(add_sms(sessions, clock.now + timedelta(seconds=n), KARI, status))

    for status in STATUSES:
        rows = ok(api.get("/sms", status=status))
        assert [r["id"] for r in rows] == made[status][::-1]
        assert {r["status"] for r in rows} == {status}

    refused = error(api.get("/sms", status="lost"), 422)
    assert set(refused["fields"]) == {"status"}
    assert set(error(api.get("/sms", status=""), 422)["fields"]) == {"status"}

    everything = [r["id"] for r in ok(api.get("/sms"))]
    assert everything == sorted(everything, reverse=True) and len(everything) == 12
    first = api.get("/sms", page_size=5)
    assert [r["id"] for r in ok(first)] == everything[:5]
    assert first.headers["X-Total-Count"] == "12"
    assert json.loads(first.headers["X-Pagination"])["total_pages"] == 3
    assert [r["id"] for r in ok(api.get("/sms", page_size=5, page=3))] == everything[10:]
    filtered = api.get("/sms", status="sent", page_size=1)
    assert filtered.headers["X-Total-Count"] == "2"
    assert ok(api.get("/sms", page=99)) == []
    assert set(error(api.get("/sms", page_size=201), 422)["fields"]) == {"page_size"}


# ------------------------------------------------------------------ /api/v1/oncall


def test_oncall_names_level_1_and_2_with_masked_numbers(
    api: Api, sessions: sessionmaker[Session], clock: Clock
) -> None:
    roster(sessions, clock.now)

    response = api.get("/oncall")

    body = ok(response)
    assert body == [
        {"level": 1, "shift": "office", "staff": ONCALL[0], "to": "+47******01"},
        {"level": 2, "shift": "office", "staff": MANAGER[0], "to": "+47******03"},
    ]
    assert numbers_in(response.get_data(as_text=True)) == []


def test_oncall_follows_the_clock_and_overrides(
    api: Api, sessions: sessionmaker[Session], clock: Clock
) -> None:
    roster(sessions, clock.now, manager=False)
    with sessions() as session:
        per = add_staff(session, *ONCALL_2, clock.now)
        add_override(
            session,
            1,
            clock.now + timedelta(hours=8),  # 17:15, after hours
            clock.now + timedelta(hours=20),
            per,
            clock.now,
            reason="bytte",
        )
        assert find_staff(session, ONCALL_2[0]).id == per.id

    now = ok(api.get("/oncall"))
    assert [(r["level"], r["staff"]) for r in now] == [(1, ONCALL[0]), (2, None)]
    assert now[1]["to"] is None

    clock.now += timedelta(hours=9)  # 18:15: after hours, Per covers
    later = ok(api.get("/oncall"))
    assert later[0] == {
        "level": 1,
        "shift": "after-hours",
        "staff": ONCALL_2[0],
        "to": "+47******02",
    }
    assert later[1]["staff"] is None


def test_the_openapi_document_lists_both_routes_behind_a_token(client: FlaskClient) -> None:
    doc = ok(client.get("/api/v1/openapi.json"))
    for path in ("/api/v1/sms", "/api/v1/oncall"):
        responses = doc["paths"][path]["get"]["responses"]
        assert "200" in responses and "401" in responses
    params = {p["name"] for p in doc["paths"]["/api/v1/sms"]["get"]["parameters"]}
    assert {"status", "page", "page_size"} <= params
