"""``/api/v1/outages``: managers record and list the outage register with the planned-
maintenance stamps; a bad field answers 422 naming it and stores nothing; agents get 403.
The stamps are what the availability computation checks planned maintenance against
(004 §3.6/§3.7: announced at least 5 days ahead, no objection 48 hours before).
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.web.test_api import Api, make_token
from triage.store.models import Outage

ENTRY = {
    "contract": "nettsoft-vps-access",
    "starts_at": "2026-03-14T22:00",
    "ends_at": "2026-03-15T02:00",
    "affected_users": 40,
    "cause": "planned-maintenance",
    "announced_at": "2026-03-08T12:00",
}


def _manager(client: FlaskClient, sessions: sessionmaker[Session]) -> Api:
    return Api(client, make_token(sessions, "manager", "Mette Leder"))


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Outage)) or 0)


def test_a_manager_records_and_lists_an_outage_with_its_stamps(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    api = _manager(client, sessions)
    created = api.post("/outages", ENTRY)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["starts_at"] == "2026-03-14T22:00:00+01:00"
    assert body["announced_at"] == "2026-03-08T12:00:00+01:00"
    assert body["accepted_at"] is None and body["objected_at"] is None
    assert body["recorded_by"] == "Mette Leder"
    listed = api.get("/outages", **{"from": "2026-03-01", "to": "2026-04-01"})
    assert listed.status_code == 200
    assert [o["id"] for o in listed.get_json()] == [body["id"]]
    assert api.get("/outages", **{"from": "2026-04-01", "to": "2026-05-01"}).get_json() == []


def test_bad_fields_are_422_naming_each_and_nothing_is_stored(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    api = _manager(client, sessions)
    bad = {
        **ENTRY,
        "contract": "nettsoft-mbn",  # no availability guarantee
        "ends_at": "2026-03-14T21:00",  # before the start
        "affected_users": 0,
        "announced_at": "last week",
        "excluded": True,  # without a reason
    }
    response = api.post("/outages", bad)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"affected_users", "announced_at"} <= set(fields)
    response = api.post("/outages", {**ENTRY, "contract": "nettsoft-mbn", "excluded": True})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"contract", "exclusion_reason"} <= set(fields)
    response = api.post("/outages", {**ENTRY, "ends_at": "2026-03-14T21:00"})
    assert set(response.get_json()["error"]["fields"]) == {"ends_at"}
    response = api.post("/outages", {**ENTRY, "contract": "no-such"})
    assert set(response.get_json()["error"]["fields"]) == {"contract"}
    assert _count(sessions) == 0


def test_an_agent_gets_403(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    agent = Api(client, make_token(sessions))
    assert agent.get("/outages").status_code == 403
    assert agent.post("/outages", ENTRY).status_code == 403
    assert _count(sessions) == 0
