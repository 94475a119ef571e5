"""The REST API under /api/v1, on SQLite and PostgreSQL (via the ``app`` fixture).

Deadlines are worked out by hand from the test clock (Tuesday 2026-03-10 09:15 Oslo,
CET +01:00) and the shipped catalog: nettsoft-mbn is 60 business minutes on 08-16 working
days for both severities; nettsoft-vps-access is 4 business hours non-critical and
"immediately" (met within 15 minutes, any hour) critical; pindena is the end of the next
working day.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from config.catalog import Catalog
from sla.severity import Severity
from tests.web.conftest import Clock
from tests.web.support import chat_payload, oslo, post_chat, ticket_of
from triage.sla_state import derive_sla_state
from triage.store.intake import quarantine, store_raw
from triage.store.models import ApiToken, InboxItem, Ticket, TicketEvent
from triage.store.tickets import add_event, apply_sla_state
from triage.store.tokens import create_token, revoke_token
from web.cli import main as triage_main

MBN = "nettsoft-mbn"
VPS_ACCESS = "nettsoft-vps-access"
AGENT = "Kari Agent"

API_PATHS = {
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{ticket_id}": {"get"},
    "/api/v1/tickets/{ticket_id}/response": {"post"},
    "/api/v1/tickets/{ticket_id}/vendor-response": {"post"},
    "/api/v1/tickets/{ticket_id}/classification": {"post"},
    "/api/v1/tickets/{ticket_id}/confirmation": {"post"},
    "/api/v1/tickets/{ticket_id}/contract": {"post"},
    "/api/v1/tickets/{ticket_id}/assignee": {"post"},
    "/api/v1/tickets/{ticket_id}/pause": {"post"},
    "/api/v1/tickets/{ticket_id}/resume": {"post"},
    "/api/v1/tickets/{ticket_id}/resolve": {"post"},
    "/api/v1/tickets/{ticket_id}/notes": {"post"},
    "/api/v1/tickets/{ticket_id}/handoff": {"get"},
    "/api/v1/tickets/{ticket_id}/forward": {"post"},
    "/api/v1/tickets/{ticket_id}/forwards/{forward_id}/retry": {"post"},
    "/api/v1/quarantine": {"get"},
    "/api/v1/quarantine/{item_id}/reprocess": {"post"},
    "/api/v1/sms": {"get"},
    "/api/v1/oncall": {"get"},
    "/api/v1/outages": {"get", "post"},
}
#: Routes above the lowest role (agent): their documents list 403.
MANAGER_PATHS = ("/api/v1/quarantine", "/api/v1/outages")


# ------------------------------------------------------------------ helpers


def make_token(sessions: sessionmaker[Session], role: str = "agent", name: str = AGENT) -> str:
    with sessions() as session:
        return create_token(session, name, role, oslo(2026, 3, 1, 12))[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """The test client with a token: ``api.get(path)``, ``api.post(path, json)``."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = bearer(token)

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", query_string=query, headers=self.headers)

    def post(self, path: str, body: Any = None) -> TestResponse:
        if body is None:
            return self.client.post(f"/api/v1{path}", headers=self.headers)
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers)


@pytest.fixture
def api(client: FlaskClient, sessions: sessionmaker[Session]) -> Api:
    return Api(client, make_token(sessions))


@pytest.fixture
def admin(client: FlaskClient, sessions: sessionmaker[Session]) -> Api:
    return Api(client, make_token(sessions, "admin", "Ada Admin"))


def make_ticket(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    received: datetime,
    contract: str | None = MBN,
    severity: str = "non-critical",
    responded: datetime | None = None,
    subject: str = "Feil",
    body: str = "",
    channel: str = "email",
    assignee: str | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> int:
    """A ticket written directly, its SLA columns from derive_sla_state."""
    with sessions() as session:
        ticket = Ticket(
            channel=channel,
            subject=subject,
            body=body,
            contract_id=contract,
            severity=severity,
            severity_reasons=["test"],
            status="open",
            assignee=assignee,
            received_at=received,
            responded_at=responded,
            created_at=received,
            updated_at=received,
        )
        session.add(ticket)
        add_event(session, ticket, "received", received, "test", attachments=attachments or [])
        if contract is not None:
            state = derive_sla_state(catalog.get(contract), Severity(severity), received, responded)
            apply_sla_state(ticket, state)
        session.commit()
        return ticket.id


def iso(instant: datetime) -> str:
    """How the API writes a time: Europe/Oslo with its offset."""
    return instant.isoformat()


def kinds(body: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in body["events"]]


def error(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.json
    assert body is not None and set(body["error"]) == {"code", "message", "fields"}
    return dict(body["error"])


# ------------------------------------------------------------------ the OpenAPI document


def test_the_openapi_document_is_public_3_0_3_and_lists_every_route(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"] == "3.0.3"
    assert doc["info"]["version"] == "v1"
    listed = {path: set(ops) - {"parameters"} for path, ops in doc["paths"].items()}
    for path, methods in API_PATHS.items():
        assert methods <= listed.get(path, set()), path
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]
    # the error responses document the desk's error shape
    error_schema = doc["components"]["schemas"]["Error"]
    assert set(error_schema["properties"]) == {"error"}
    for ref in _refs(doc):  # no validator is installed; at least every $ref resolves
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    for path, operations in doc["paths"].items():
        for method in API_PATHS[path]:
            responses = operations[method]["responses"]
            assert "401" in responses, (path, method)
            forbidden = path.startswith(MANAGER_PATHS) or path.endswith("/classification")
            assert ("403" in responses) == forbidden, (path, method)
            assert ("404" in responses) == ("{" in path), (path, method)
            assert responses["401"] == {"$ref": "#/components/responses/UNAUTHORIZED"}
    assert doc["components"]["responses"]["UNAUTHORIZED"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Error"}
    params = {p["name"] for p in doc["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert {"status", "contract", "severity", "channel", "assignee", "breached", "q"} <= params
    assert {"sort", "page", "page_size"} <= params


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


# ------------------------------------------------------------------ authentication


def test_no_token_a_bad_one_or_a_revoked_one_is_401(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 0))
    token = make_token(sessions)
    good = client.get("/api/v1/tickets", headers=bearer(token))
    assert good.status_code == 200

    missing = client.get("/api/v1/tickets")
    assert error(missing, 401)["code"] == "missing_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    # authentication comes before argument parsing: no 422 leaks to a stranger
    assert client.post(f"/api/v1/tickets/{ticket}/classification", json={}).status_code == 401
    assert error(client.get("/api/v1/tickets", headers={"Authorization": token}), 401)

    prefix, token_id, secret = token.split("_", 2)
    wrong_secret = f"{prefix}_{token_id}_{'A' * len(secret)}"
    for bad in (
        wrong_secret,
        f"{prefix}_999_{secret}",  # another id
        f"{prefix}_{'9' * 30}_{secret}",  # an id beyond BIGINT
        "trg_1",
        "x" * 5000,
    ):
        response = client.get(f"/api/v1/tickets/{ticket}", headers=bearer(bad))
        assert error(response, 401)["code"] == "invalid_token", bad

    with sessions() as session:
        assert revoke_token(session, int(token_id), oslo(2026, 3, 10, 9, 0)) is not None
    revoked = client.get("/api/v1/tickets", headers=bearer(token))
    assert error(revoked, 401)["code"] == "invalid_token"


def test_a_role_too_low_is_403_and_last_use_is_recorded(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    agent = make_token(sessions, "agent")
    manager = make_token(sessions, "manager", "Mona Manager")
    admin = make_token(sessions, "admin", "Ada Admin")
    for token in (agent, manager):
        response = client.get("/api/v1/quarantine", headers=bearer(token))
        assert error(response, 403)["code"] == "forbidden"
        assert error(client.post("/api/v1/quarantine/1/reprocess", headers=bearer(token)), 403)
    assert client.get("/api/v1/quarantine", headers=bearer(admin)).status_code == 200
    for token in (manager, admin):  # higher roles do what agents do
        assert client.get("/api/v1/tickets", headers=bearer(token)).status_code == 200
    with sessions() as session:
        used = {t.role: t.last_used_at for t in session.scalars(select(ApiToken))}
    assert used == {"agent": clock.now, "manager": clock.now, "admin": clock.now}
    with sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert all(len(h) == 64 and h not in (agent + manager + admin) for h in stored)


def test_tokens_from_the_command_line(
    client: FlaskClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert triage_main(["tokens", "create", "--name", "Ola Ops", "--role", "admin"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["name"] == "Ola Ops" and created["role"] == "admin"
    assert created["token"].startswith(f"trg_{created['id']}_")
    headers = bearer(created["token"])
    assert client.get("/api/v1/quarantine", headers=headers).status_code == 200

    assert triage_main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Ola Ops" in listed and created["token"].split("_", 2)[2] not in listed

    assert triage_main(["tokens", "revoke", str(created["id"])]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_at"] is not None
    assert error(client.get("/api/v1/quarantine", headers=headers), 401)

    assert triage_main(["tokens", "revoke", "424242"]) == 2
    assert "ID: no token 424242" in capsys.readouterr().err
    assert triage_main(["tokens", "create", "--name", "x", "--role", "boss"]) == 2
    assert triage_main(["tokens", "create", "--name", "  ", "--role", "agent"]) == 2


# ------------------------------------------------------------------ the queue


@pytest.fixture
def queue(sessions: sessionmaker[Session], catalog: Catalog) -> dict[str, int]:
    """Eight tickets around "now" (Tuesday 09:15), with hand-computed deadlines."""

    def mon(hour: int, minute: int = 0) -> datetime:
        return oslo(2026, 3, 9, hour, minute)

    def tue(hour: int, minute: int = 0) -> datetime:
        return oslo(2026, 3, 10, hour, minute)

    return {
        # breached, answered late: due Mon 09:00, answered 12:00
        "late": make_ticket(
            sessions, catalog, received=mon(8), responded=mon(12), subject="Telefon nede"
        ),
        # breached, unanswered: due Mon 11:00
        "overdue": make_ticket(
            sessions, catalog, received=mon(10), subject="Sentralbordet svarer ikke"
        ),
        # breached, unanswered, critical: due Mon 15:00
        "overdue_critical": make_ticket(
            sessions, catalog, received=mon(14), severity="critical", channel="chat"
        ),
        # met: due 09:00, answered 08:20
        "met": make_ticket(sessions, catalog, received=tue(8), responded=tue(8, 20)),
        # open, due 09:30
        "soon": make_ticket(
            sessions, catalog, received=tue(8, 30), assignee="ola", body="MBN 100% nede"
        ),
        # open, due 10:00
        "later": make_ticket(sessions, catalog, received=tue(9), channel="phone"),
        # open, critical, due 10:10
        "critical": make_ticket(
            sessions, catalog, received=tue(9, 10), severity="critical", assignee="ola"
        ),
        # unrouted: no clock
        "unrouted": make_ticket(sessions, catalog, received=tue(9, 14), contract=None),
    }


def ids(response: TestResponse) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json or []]


def test_time_left_orders_breached_then_critical_then_due(api: Api, queue: dict[str, int]) -> None:
    expected = [
        "overdue_critical",  # breached, critical
        "late",  # breached, due Mon 09:00
        "overdue",  # breached, due Mon 11:00
        "critical",  # open, critical, due 10:10
        "soon",  # open, due 09:30
        "later",  # open, due 10:00
        "met",  # answered in time
        "unrouted",  # no deadline
    ]
    response = api.get("/tickets")
    assert ids(response) == [queue[name] for name in expected]
    assert ids(api.get("/tickets", sort="time_left")) == [queue[name] for name in expected]
    items = {item["id"]: item for item in response.json or []}
    later = items[queue["later"]]
    assert later["due_at"] == "2026-03-10T10:00:00+01:00"
    assert later["outcome"] == "open" and later["seconds_left"] == 45 * 60
    assert items[queue["overdue"]]["outcome"] == "breached"
    assert items[queue["overdue"]]["seconds_left"] == -(22 * 3600 + 15 * 60)
    assert items[queue["late"]]["outcome"] == "breached"
    assert items[queue["late"]]["seconds_left"] is None
    assert items[queue["met"]]["outcome"] == "met"
    unrouted = items[queue["unrouted"]]
    assert unrouted["outcome"] == "no-target" and unrouted["due_at"] is None
    assert set(later) == {
        "id",
        "subject",
        "channel",
        "contract",
        "severity",
        "needs_confirmation",
        "status",
        "assignee",
        "received_at",
        "due_at",
        "responded_at",
        "resolved_at",
        "outcome",
        "seconds_left",
        "paused_since",
    }


def test_receipt_order_both_ways(api: Api, queue: dict[str, int]) -> None:
    by_receipt = [
        queue[name]
        for name in (
            "late",
            "overdue",
            "overdue_critical",
            "met",
            "soon",
            "later",
            "critical",
            "unrouted",
        )
    ]
    assert ids(api.get("/tickets", sort="received_at")) == by_receipt
    assert ids(api.get("/tickets", sort="-received_at")) == by_receipt[::-1]
    assert error(api.get("/tickets", sort="due"), 422)["fields"].keys() == {"sort"}


def test_filters(api: Api, queue: dict[str, int], catalog: Catalog, sessions: Any) -> None:
    def names(**query: Any) -> set[str]:
        found = set(ids(api.get("/tickets", **query)))
        return {name for name, i in queue.items() if i in found}

    assert names(severity="critical") == {"overdue_critical", "critical"}
    assert names(breached="true") == {"late", "overdue", "overdue_critical"}
    assert names(breached="false") == {"met", "soon", "later", "critical", "unrouted"}
    assert names(channel="chat") == {"overdue_critical"}
    assert names(channel="phone") == {"later"}
    assert names(assignee="ola") == {"soon", "critical"}
    assert names(assignee="ola", severity="critical") == {"critical"}
    assert names(contract=MBN) == set(queue) - {"unrouted"}
    assert names(contract=VPS_ACCESS) == set()
    assert names(status="open") == set(queue)
    assert names(status="resolved") == set()
    assert names(q="SENTRALBORD") == {"overdue"}  # case-insensitive, subject
    assert names(q="mbn") == {"soon"}  # body
    assert names(q="100%") == {"soon"}  # the % is a character, not a wildcard
    assert names(q="1%0") == set()
    assert names(q="_") == set()

    bad = error(
        api.get("/tickets", severity="urgent", breached="maybe", status="x", channel="fax"), 422
    )
    assert bad["code"] == "validation_failed"
    assert set(bad["fields"]) == {"severity", "breached", "status", "channel"}
    assert set(error(api.get("/tickets", q="a\x00b"), 422)["fields"]) == {"q"}


def test_pagination(api: Api, queue: dict[str, int]) -> None:
    order = ids(api.get("/tickets"))
    first = api.get("/tickets", page_size=3)
    assert ids(first) == order[:3]
    assert first.headers["X-Total-Count"] == "8"
    assert json.loads(first.headers["X-Pagination"]) == {
        "total": 8,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    assert 'rel="prev"' not in first.headers["Link"]
    last = api.get("/tickets", page_size=3, page=3, severity="non-critical")
    assert last.headers["X-Total-Count"] == "6"
    assert len(ids(last)) == 0  # 6 non-critical tickets fill two pages
    second = api.get("/tickets", page_size=3, page=2)
    assert ids(second) == order[3:6]
    assert 'rel="prev"' in second.headers["Link"]
    assert ids(api.get("/tickets", page_size=3, page=3)) == order[6:]
    assert ids(api.get("/tickets", page=10**12)) == []
    assert ids(api.get("/tickets", page_size=200)) == order
    assert set(error(api.get("/tickets", page_size=201), 422)["fields"]) == {"page_size"}
    assert set(error(api.get("/tickets", page=0), 422)["fields"]) == {"page"}


def test_a_ticket_from_intake_is_in_the_queue(api: Api, client: FlaskClient, clock: Clock) -> None:
    opened = ticket_of(client, post_chat(client, chat_payload()))
    (item,) = api.get("/tickets").json or []
    assert item["id"] == opened
    assert item["contract"] == MBN and item["channel"] == "chat"
    assert item["due_at"] == iso(clock.now + timedelta(hours=1))  # 09:15 + 60 minutes


# ------------------------------------------------------------------ one ticket


def test_a_ticket_with_events_and_sla_state(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    # Saturday: the clock starts Monday 08:00
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 7, 10), body="Hei")
    body = api.get(f"/tickets/{ticket}").json
    assert body is not None
    assert body["id"] == ticket and body["body"] == "Hei"
    assert body["events"][0]["kind"] == "received"
    assert set(body["events"][0]) == {"id", "kind", "at", "actor", "data"}
    sla = body["sla"]
    assert sla["clock_starts_at"] == "2026-03-09T08:00:00+01:00"
    assert sla["due_at"] == "2026-03-09T09:00:00+01:00"
    assert sla["outcome"] == "breached"
    assert sla["target"] == "PT60M"
    assert sla["rule"].startswith("60 business minutes (004 §2.6")
    assert any("outside the calendar's open hours" in n for n in sla["notes"])
    assert sla["response_business_minutes"] is None

    unrouted = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9), contract=None)
    sla = (api.get(f"/tickets/{unrouted}").json or {})["sla"]
    assert sla["due_at"] is None and sla["outcome"] == "no-target" and sla["rule"] is None
    assert sla["notes"] == ["unrouted: no SLA clock runs until an agent picks a contract"]


def test_unknown_tickets_are_404(api: Api) -> None:
    for path in ("/tickets/4242", f"/tickets/{10**30}", "/tickets/4242/handoff"):
        assert error(api.get(path), 404)["code"] == "not_found"
    for action, body in (
        ("response", {}),
        ("classification", {"severity": "critical", "reason": "x"}),
        ("contract", {"contract": MBN, "reason": "x"}),
        ("assignee", {"assignee": "ola"}),
        ("pause", {"reason": "x"}),
        ("resume", None),
        ("resolve", {}),
        ("notes", {"text": "x"}),
    ):
        assert error(api.post(f"/tickets/4242/{action}", body), 404)["code"] == "not_found"
    assert error(api.get("/tickets/abc"), 404)
    assert error(api.get("/nothing-here"), 404)


# ------------------------------------------------------------------ response


def test_recording_the_response_decides_the_outcome(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9))  # due 10:00
    assert (api.get(f"/tickets/{ticket}").json or {})["outcome"] == "open"

    before = error(api.post(f"/tickets/{ticket}/response", {"at": "2026-03-10T08:59:00"}), 422)
    assert set(before["fields"]) == {"at"}
    future = error(api.post(f"/tickets/{ticket}/response", {"at": "2026-03-10T09:16:00"}), 422)
    assert set(future["fields"]) == {"at"}
    assert set(error(api.post(f"/tickets/{ticket}/response", {"at": "soon"}), 422)["fields"]) == {
        "at"
    }

    done = api.post(f"/tickets/{ticket}/response", {"at": "2026-03-10T09:10:00+01:00"})
    assert done.status_code == 200
    body = done.json or {}
    assert body["responded_at"] == "2026-03-10T09:10:00+01:00"
    assert body["outcome"] == "met" and body["seconds_left"] is None
    assert body["sla"]["response_business_minutes"] == 10
    event = body["events"][-1]
    assert event["kind"] == "response_started" and event["actor"] == AGENT
    assert event["at"] == "2026-03-10T09:10:00+01:00"
    again = error(api.post(f"/tickets/{ticket}/response"), 409)
    assert again["code"] == "conflict"

    # without a time: now; after the deadline: breached
    late = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 8))  # due 09:00
    body = api.post(f"/tickets/{late}/response").json or {}
    assert body["responded_at"] == iso(clock.now) and body["outcome"] == "breached"
    assert body["sla"]["response_business_minutes"] == 75


# ------------------------------------------------------------------ classification


def test_reclassifying_an_mbn_ticket_keeps_its_60_minutes(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 15))
    before = api.get(f"/tickets/{ticket}").json or {}
    assert before["due_at"] == "2026-03-10T10:15:00+01:00"

    body = api.post(
        f"/tickets/{ticket}/classification",
        {"severity": "critical", "reason": "the whole company is without phones"},
    ).json
    assert body is not None
    assert body["severity"] == "critical"
    assert body["due_at"] == "2026-03-10T10:15:00+01:00"
    event = body["events"][-1]
    assert event["kind"] == "reclassified" and event["actor"] == AGENT
    assert event["data"] == {
        "before": "non-critical",
        "after": "critical",
        "reason": "the whole company is without phones",
    }
    assert error(
        api.post(f"/tickets/{ticket}/classification", {"severity": "critical", "reason": "x"}),
        409,
    )


def test_critical_on_a_hosted_service_is_immediately_15_minutes(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, contract=VPS_ACCESS, received=oslo(2026, 3, 10, 9, 15))
    body = api.get(f"/tickets/{ticket}").json or {}
    assert body["due_at"] == "2026-03-10T13:15:00+01:00"  # 4 business hours
    assert body["sla"]["target"] == "PT240M"

    body = (
        api.post(
            f"/tickets/{ticket}/classification",
            {"severity": "critical", "reason": "no door opens"},
        ).json
        or {}
    )
    assert body["due_at"] == "2026-03-10T09:30:00+01:00"
    assert body["sla"]["clock_starts_at"] == "2026-03-10T09:15:00+01:00"
    assert body["sla"]["target"] == "immediately+PT15M"
    assert body["sla"]["rule"].startswith("immediately (met within 15 minutes, any hour)")
    assert body["seconds_left"] == 15 * 60


def test_classification_needs_a_severity_and_a_reason(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9))
    path = f"/tickets/{ticket}/classification"
    missing = error(api.post(path, {}), 422)
    assert missing["code"] == "validation_failed"
    assert set(missing["fields"]) == {"severity", "reason"}
    assert set(error(api.post(path, {"severity": "critical", "reason": "  "}), 422)["fields"]) == {
        "reason"
    }
    assert set(
        error(api.post(path, {"severity": "urgent", "reason": "x", "extra": 1}), 422)["fields"]
    ) == {"severity", "extra"}
    assert set(error(api.post(path, ["critical"]), 422)["fields"]) == {"(body)"}
    not_json = api.client.post(
        f"/api/v1{path}", data="{", content_type="application/json", headers=api.headers
    )
    assert error(not_json, 400)["code"] == "invalid_json"
    deep = api.client.post(
        f"/api/v1{path}", data="[" * 100_000, content_type="application/json", headers=api.headers
    )
    assert error(deep, 400)["code"] == "invalid_json"


# ------------------------------------------------------------------ contract


def test_routing_an_unrouted_ticket_starts_its_clock(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 15), contract=None)
    path = f"/tickets/{ticket}/contract"
    unknown = error(api.post(path, {"contract": "nettsoft-nothing", "reason": "x"}), 422)
    assert set(unknown["fields"]) == {"contract"}
    assert set(error(api.post(path, {"contract": MBN}), 422)["fields"]) == {"reason"}

    body = api.post(path, {"contract": MBN, "reason": "the caller named the switchboard"}).json
    assert body is not None
    assert body["contract"] == MBN and body["due_at"] == "2026-03-10T10:15:00+01:00"
    event = body["events"][-1]
    assert event["kind"] == "routed" and event["actor"] == AGENT
    assert event["data"]["before"] is None and event["data"]["contract"] == MBN
    assert error(api.post(path, {"contract": MBN, "reason": "again"}), 409)

    moved = api.post(path, {"contract": VPS_ACCESS, "reason": "it was the door system"}).json
    assert (moved or {})["due_at"] == "2026-03-10T13:15:00+01:00"


# ------------------------------------------------------------------ assignee and notes


def test_assignee_and_notes(api: Api, sessions: sessionmaker[Session], catalog: Catalog) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9))
    body = api.post(f"/tickets/{ticket}/assignee", {"assignee": "ola"}).json or {}
    assert body["assignee"] == "ola"
    assert body["events"][-1]["data"] == {"before": None, "after": "ola"}
    assert ids(api.get("/tickets", assignee="ola")) == [ticket]
    assert error(api.post(f"/tickets/{ticket}/assignee", {"assignee": "ola"}), 409)
    assert set(error(api.post(f"/tickets/{ticket}/assignee", {}), 422)["fields"]) == {"assignee"}
    assert set(
        error(api.post(f"/tickets/{ticket}/assignee", {"assignee": "x" * 101}), 422)["fields"]
    ) == {"assignee"}
    assert (api.post(f"/tickets/{ticket}/assignee", {"assignee": None}).json or {})[
        "assignee"
    ] is None

    noted = api.post(f"/tickets/{ticket}/notes", {"text": "Kunden ringer tilbake kl 10\x00"})
    assert noted.status_code == 200
    event = (noted.json or {})["events"][-1]
    assert event["kind"] == "note" and event["actor"] == AGENT
    assert event["data"] == {"text": "Kunden ringer tilbake kl 10"}  # NUL dropped
    assert set(error(api.post(f"/tickets/{ticket}/notes", {"text": " "}), 422)["fields"]) == {
        "text"
    }


# ------------------------------------------------------------------ pause, resume, resolve


def test_a_pause_of_30_business_minutes_moves_the_deadline_30_minutes(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 15))  # due 10:15
    clock.now = oslo(2026, 3, 10, 9, 30)
    body = api.post(f"/tickets/{ticket}/pause", {"reason": "waiting on the customer"}).json
    assert body is not None
    assert body["status"] == "paused" and body["due_at"] == "2026-03-10T10:15:00+01:00"
    assert body["paused_since"] == "2026-03-10T09:30:00+01:00"
    assert body["events"][-1]["data"] == {"reason": "waiting on the customer"}
    again = error(api.post(f"/tickets/{ticket}/pause", {"reason": "again"}), 409)
    assert again["code"] == "conflict" and "already paused" in again["message"]

    clock.now = oslo(2026, 3, 10, 10, 0)
    body = api.post(f"/tickets/{ticket}/resume").json or {}
    assert body["status"] == "open" and body["paused_since"] is None
    assert body["due_at"] == "2026-03-10T10:45:00+01:00"  # 10:15 + 30 paused minutes
    assert error(api.post(f"/tickets/{ticket}/resume"), 409)["code"] == "conflict"


def test_a_pause_over_the_night_counts_business_minutes_only(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    """Received Tue 15:30: due Wed 08:30 (30 minutes on Tuesday, 30 on Wednesday). Paused
    Tue 15:45 - Wed 08:15 is 15 + 15 = 30 business minutes: due Wed 09:00."""
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 15, 30))
    clock.now = oslo(2026, 3, 10, 15, 45)
    assert api.post(f"/tickets/{ticket}/pause", {"reason": "customer away"}).status_code == 200
    clock.now = oslo(2026, 3, 11, 8, 15)
    body = api.post(f"/tickets/{ticket}/resume").json or {}
    assert body["due_at"] == "2026-03-11T09:00:00+01:00"


def test_a_paused_ticket_is_not_breached_while_its_clock_stands_still(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9, 15))  # due 10:15
    clock.now = oslo(2026, 3, 10, 9, 30)
    api.post(f"/tickets/{ticket}/pause", {"reason": "waiting on the customer"})
    clock.now = oslo(2026, 3, 10, 11, 0)  # past the old deadline, still paused
    body = api.get(f"/tickets/{ticket}").json or {}
    assert body["outcome"] == "open" and body["seconds_left"] == 45 * 60
    assert ids(api.get("/tickets", breached="true")) == []
    assert ids(api.get("/tickets", status="paused")) == [ticket]

    # resolving ends the pause: 09:30-11:00 is 90 business minutes
    body = api.post(f"/tickets/{ticket}/resolve", {"note": "customer fixed it"}).json or {}
    assert body["status"] == "resolved" and body["resolved_at"] == iso(clock.now)
    assert kinds(body)[-2:] == ["resumed", "resolved"]
    assert body["events"][-1]["data"] == {"note": "customer fixed it"}
    assert body["due_at"] == "2026-03-10T11:45:00+01:00"


def test_two_agents_pausing_at_once_make_one_pause(
    client: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """The ticket is locked before its state is read: on SQLite too, where FOR UPDATE
    does nothing and, unlocked, every request saw "open" and paused again."""
    token = make_token(sessions)
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9))
    attempts = 4
    start = threading.Barrier(attempts)

    def pause(_: int) -> int:
        own = client.application.test_client()
        start.wait()
        path = f"/api/v1/tickets/{ticket}/pause"
        return own.post(path, json={"reason": "x"}, headers=bearer(token)).status_code

    with ThreadPoolExecutor(attempts) as pool:
        codes = sorted(pool.map(pause, range(attempts)))
    assert codes == [200] + [409] * (attempts - 1)
    with sessions() as session:
        events = session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket))
        assert sorted(events) == ["paused", "received"]


def test_resolve_and_what_a_resolved_ticket_refuses(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket = make_ticket(sessions, catalog, received=oslo(2026, 3, 10, 9))
    body = api.post(f"/tickets/{ticket}/resolve").json or {}
    assert body["status"] == "resolved" and kinds(body)[-1] == "resolved"
    assert body["events"][-1]["data"] == {}
    assert error(api.post(f"/tickets/{ticket}/resolve"), 409)
    refused = error(api.post(f"/tickets/{ticket}/pause", {"reason": "x"}), 409)
    assert "resolved" in refused["message"]
    assert error(api.post(f"/tickets/{ticket}/resume"), 409)
    assert set(error(api.post(f"/tickets/{ticket}/pause", {}), 422)["fields"]) == {"reason"}
    assert ids(api.get("/tickets", status="resolved")) == [ticket]


# ------------------------------------------------------------------ hand-off


def test_handoff_names_what_the_report_lacks(
    api: Api, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    received = oslo(2026, 3, 10, 9, 15)  # Tuesday: forward by Wednesday 16:00
    bare = make_ticket(sessions, catalog, contract="pindena", received=received, body="Feil")
    body = api.get(f"/tickets/{bare}/handoff").json or {}
    assert body["missing"] == [
        "activity id",
        "screenshot",
        "steps showing the fault is reproducible",
    ]
    assert body["forward_by"] == "2026-03-11T16:00:00+01:00"
    assert body["forward_by_source"].startswith("003 §12")
    assert body["contract"] == "pindena" and body["support_email"] is None
    assert any("no support e-mail" in note for note in body["notes"])

    full = make_ticket(
        sessions,
        catalog,
        contract="pindena",
        received=received,
        body="Aktivitets-ID: 4711. Feilen skjer hver gang.",
        attachments=[{"filename": "feil.png", "content_type": "image/png"}],
    )
    assert (api.get(f"/tickets/{full}/handoff").json or {})["missing"] == []

    mbn = make_ticket(sessions, catalog, received=received)
    body = api.get(f"/tickets/{mbn}/handoff").json or {}
    assert body["missing"] == [] and body["forward_by"] is None
    assert body["support_email"] == "support@nettsoft.no"

    unrouted = make_ticket(sessions, catalog, received=received, contract=None)
    assert error(api.get(f"/tickets/{unrouted}/handoff"), 409)["code"] == "conflict"


# ------------------------------------------------------------------ quarantine (admin)


def test_quarantine_lists_items_without_their_payload_and_reprocesses(
    admin: Api, api: Api, sessions: sessionmaker[Session], clock: Clock
) -> None:
    payload = json.dumps(chat_payload()).encode()
    with sessions() as session:
        good = store_raw(session, "chat", "application/json", payload, oslo(2026, 3, 10, 9))
        quarantine(session, good, "parser bug, since fixed")
        bad = store_raw(session, "chat", "application/json", b"{nope", oslo(2026, 3, 10, 9, 5))
        quarantine(session, bad, "body is not valid JSON")
        good_id, bad_id = good, bad

    listed = admin.get("/quarantine")
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "2"
    assert listed.json == [
        {
            "id": bad_id,
            "channel": "chat",
            "content_type": "application/json",
            "received_at": "2026-03-10T09:05:00+01:00",
            "error": "body is not valid JSON",
            "size": 5,
        },
        {
            "id": good_id,
            "channel": "chat",
            "content_type": "application/json",
            "received_at": "2026-03-10T09:00:00+01:00",
            "error": "parser bug, since fixed",
            "size": len(payload),
        },
    ]
    assert b"Sentralbordet" not in listed.get_data()
    assert error(api.get("/quarantine"), 403)  # an agent

    done = admin.post(f"/quarantine/{good_id}/reprocess").json or {}
    assert done["status"] == "processed" and done["created"] is True and done["error"] is None
    ticket = admin.get(f"/tickets/{done['ticket']}").json or {}
    assert ticket["received_at"] == "2026-03-10T09:00:00+01:00"  # the original receipt
    assert ticket["due_at"] == "2026-03-10T10:00:00+01:00"
    assert error(admin.post(f"/quarantine/{good_id}/reprocess"), 409)["code"] == "conflict"

    still = admin.post(f"/quarantine/{bad_id}/reprocess").json or {}
    assert still["status"] == "quarantined" and still["ticket"] is None
    assert "JSON" in still["error"]
    assert admin.get("/quarantine").headers["X-Total-Count"] == "1"

    assert error(admin.post("/quarantine/4242/reprocess"), 404)["code"] == "not_found"
    assert error(admin.post(f"/quarantine/{10**30}/reprocess"), 404)
    with sessions() as session:
        assert session.get(InboxItem, good_id).status == "processed"  # type: ignore[union-attr]
