"""/inbound/alertmanager and /inbound/monitoring: outages and critical tickets from
monitoring, against real databases. Payloads follow Alertmanager's documented webhook
format (version 4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from tests.web.conftest import Clock
from tests.web.support import sign
from triage.store.models import EscalationPoint, InboxItem, Outage, Ticket, TicketEvent

TOKEN = "test-alertmanager-token"
FINGERPRINT = "c4f2a1b09e8d7f60"


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"TRIAGE_ALERTMANAGER_TOKEN": TOKEN}


def alert(
    status: str = "firing",
    starts: str = "2026-03-10T08:05:00.123456789Z",
    ends: str = "0001-01-01T00:00:00Z",
    fingerprint: str = FINGERPRINT,
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "ProbeFailed", "service": "vps-access", **labels},
        "annotations": {"summary": "VPS-Access svarer ikke"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=probe_success",
        "fingerprint": fingerprint,
    }


def payload(*alerts: dict[str, Any], status: str = "firing") -> bytes:
    return json.dumps(
        {
            "version": "4",
            "groupKey": '{}:{alertname="ProbeFailed"}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "triage",
            "groupLabels": {"alertname": "ProbeFailed"},
            "commonLabels": {"alertname": "ProbeFailed"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": list(alerts),
        }
    ).encode()


def post(client: FlaskClient, body: bytes, token: str = TOKEN) -> TestResponse:
    return client.post(
        "/inbound/alertmanager",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def outages(sessions: sessionmaker[Session]) -> list[Outage]:
    with sessions() as session:
        return list(session.scalars(select(Outage).order_by(Outage.id)))


def test_a_firing_alert_opens_an_outage_and_a_critical_ticket_with_its_ladder(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    response = post(client, payload(alert()))
    assert response.status_code == 200, response.json
    (answer,) = response.json["alerts"]
    assert answer["contract"] == "nettsoft-vps-access" and answer["created"] is True
    (outage,) = outages(sessions)
    assert outage.source == "alertmanager" and outage.fingerprint == FINGERPRINT
    assert outage.starts_at == datetime(2026, 3, 10, 8, 5, 0, 123456, tzinfo=UTC)
    assert outage.ends_at is None
    assert outage.affected_users == 40  # the catalog's default for the service
    with sessions() as session:
        ticket = session.get(Ticket, answer["ticket"])
        assert ticket is not None
        assert (ticket.contract_id, ticket.severity) == ("nettsoft-vps-access", "critical")
        assert ticket.received_at == clock.now  # the clock starts at receipt, as any channel
        assert ticket.due_at == clock.now + timedelta(minutes=15)  # immediately + grace
        points = session.scalars(
            select(EscalationPoint).where(EscalationPoint.ticket_id == ticket.id)
        ).all()
        assert points, "the immediate ladder is planned: the on-call is paged on receipt"


def test_repeats_are_duplicates_a_refire_threads_and_resolved_closes_the_outage(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    first = post(client, payload(alert())).json["alerts"][0]
    again = post(client, payload(alert())).json["alerts"][0]
    assert again["duplicate"] is True and again["ticket"] == first["ticket"]
    resolved = alert("resolved", ends="2026-03-10T09:35:00Z")
    closed = post(client, payload(resolved, status="resolved")).json["alerts"][0]
    assert closed["ticket"] == first["ticket"] and closed["outage"] == first["outage"]
    (outage,) = outages(sessions)
    assert outage.ends_at == datetime(2026, 3, 10, 9, 35, tzinfo=UTC)
    refire = post(client, payload(alert(starts="2026-03-10T10:00:00Z"))).json["alerts"][0]
    assert refire["ticket"] == first["ticket"] and refire["created"] is False
    assert len(outages(sessions)) == 2  # a second outage, the same ticket
    with sessions() as session:
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == first["ticket"])
        ).all()
    assert kinds.count("alert_resolved") == 1 and kinds.count("alert_firing") == 1


def test_the_affected_users_label_overrides_the_default(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    assert post(client, payload(alert(affected_users="12"))).status_code == 200
    assert outages(sessions)[0].affected_users == 12


def test_an_alert_for_no_catalog_service_records_nothing_but_is_kept(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    answer = post(client, payload(alert(service="printer"))).json["alerts"][0]
    assert answer["contract"] is None and answer["ticket"] is None
    assert outages(sessions) == []
    with sessions() as session:
        (item,) = session.scalars(select(InboxItem)).all()
        assert item.status == "processed" and b"printer" in item.payload


def test_bad_payloads_name_the_field_and_stay_in_the_inbox(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    broken = alert(starts="yesterday")
    del broken["status"]
    response = post(client, payload(broken))
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert set(fields) == {"alerts[0].startsAt", "alerts[0].status"}
    assert post(client, b"{not json").status_code == 400
    assert post(client, json.dumps({"alerts": []}).encode()).json["error"]["fields"] == {
        "alerts": ["must be a non-empty list"]
    }
    with sessions() as session:
        items = session.scalars(select(InboxItem).order_by(InboxItem.id)).all()
    assert [i.status for i in items] == ["quarantined"] * 3
    assert "alerts[0].startsAt" in (items[0].error or "")
    assert outages(sessions) == []


def test_authentication_bearer_or_hmac_and_nothing_stored_without(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    body = payload(alert())
    assert post(client, body, token="wrong").status_code == 401
    assert client.post("/inbound/alertmanager", data=body).status_code == 401
    with sessions() as session:
        assert session.scalars(select(InboxItem)).all() == []
    signed = client.post(
        "/inbound/alertmanager",
        data=body,
        content_type="application/json",
        headers={"X-Triage-Signature": sign(body)},
    )
    assert signed.status_code == 200


def test_announced_maintenance_silences_new_pages_only(
    client: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    older = post(client, payload(alert(fingerprint="older"))).json["alerts"][0]
    with sessions() as session:
        session.add(
            Outage(
                contract_id="nettsoft-vps-access",
                starts_at=clock.now - timedelta(minutes=5),
                ends_at=clock.now + timedelta(hours=1),
                affected_users=40,
                cause="planned-maintenance",
                recorded_by="manager",
                created_at=clock.now,
                updated_at=clock.now,
            )
        )
        session.commit()
    answer = post(client, payload(alert(fingerprint="during"))).json["alerts"][0]
    assert answer["silenced"] is True and answer["created"] is True
    with sessions() as session:

        def points(ticket_id: int) -> int:
            return len(
                session.scalars(
                    select(EscalationPoint).where(EscalationPoint.ticket_id == ticket_id)
                ).all()
            )

        assert points(answer["ticket"]) == 0
        assert points(older["ticket"]) > 0  # already open: keeps paging
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == answer["ticket"])
        ).all()
        assert "paging_silenced" in kinds


def test_the_generic_webhook_opens_and_closes_by_service(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    def send(status: str, time: str) -> TestResponse:
        body = json.dumps({"service": "vps-terminal", "status": status, "time": time}).encode()
        return client.post(
            "/inbound/monitoring",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )

    down = send("down", "2026-03-10T09:00:00+01:00")
    assert down.status_code == 200 and down.json["alerts"][0]["contract"] == (
        "nettsoft-vps-terminal"
    )
    assert send("up", "2026-03-10T09:40:00+01:00").status_code == 200
    (outage,) = outages(sessions)
    assert (outage.source, outage.ends_at - outage.starts_at) == ("webhook", timedelta(minutes=40))
    bad = send("sideways", "soon")
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"status", "time"}


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"alerts": {"0": 1}}',
        b'{"version": 3, "alerts": [{}]}',
        b'{"alerts": [1, "x", null]}',
        b'{"alerts": [{"status": "firing", "labels": ["a"], "startsAt": 5}]}',
        b'{"alerts": [{"status": "resolved", "startsAt": "2026-03-10T09:00:00Z"}]}',
        b'{"alerts": [{"status": "firing", "startsAt": "2026-03-10T09:00:00", "fingerprint": ""}]}',
        b'{"alerts": [{"status": "firing", "startsAt": "2026-03-10T09:00:00Z", "labels": {"service": "vps-access\\u0000"}}]}',
        b"\xff\xfe",
    ],
)
def test_odd_shapes_are_4xx_never_500_and_kept(
    client: FlaskClient, sessions: sessionmaker[Session], body: bytes
) -> None:
    response = post(client, body)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.json
    assert response.json is not None
    with sessions() as session:
        (item,) = session.scalars(select(InboxItem)).all()
        assert item.payload == body
