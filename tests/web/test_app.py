"""The app factory's JSON errors and health endpoints, and what logs may contain."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from config.catalog import Catalog
from tests.web.conftest import make_settings
from tests.web.support import CALLER, chat_payload, post_chat, taken
from web.app import create_app


def test_healthz_says_the_process_is_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readyz_is_200_when_the_database_answers_with_the_expected_schema(
    client: FlaskClient,
) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json["status"] == "ready"


def test_readyz_is_503_with_retry_after_when_the_database_does_not_answer(
    tmp_path: Path, catalog: Catalog
) -> None:
    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    client = create_app(settings, catalog=catalog).test_client()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "database_unavailable"
    assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path, catalog: Catalog) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    client = create_app(settings, catalog=catalog).test_client()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json["error"]["code"] in ("database_unavailable", "schema_out_of_date")
    assert "Retry-After" in response.headers


def test_create_app_can_migrate_a_fresh_database(tmp_path: Path, catalog: Catalog) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)
    client = create_app(settings, catalog=catalog, migrate=True).test_client()

    assert client.get("/readyz").status_code == 200


def test_unknown_paths_and_methods_answer_in_the_json_error_shape(client: FlaskClient) -> None:
    missing = client.get("/inbound/fax")
    wrong_method = client.get("/inbound/chat")

    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"] == {
        "code": "method_not_allowed",
        "message": wrong_method.json["error"]["message"],
        "fields": {},
    }
    assert "POST" in wrong_method.headers["Allow"]


def test_an_unconfigured_secret_refuses_webhooks(
    database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    settings = make_settings(database_url, tmp_path, TRIAGE_INBOUND_SECRET="", TWILIO_AUTH_TOKEN="")
    client = create_app(settings, catalog=catalog).test_client()

    assert post_chat(client, chat_payload()).status_code == 503
    assert client.post("/inbound/twilio/voice", data={"CallSid": "x"}).status_code == 503


def test_logs_carry_no_personal_data_even_when_intake_fails(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = ("kari@kunde.no", "Kari Nordmann", "Sentralbordet", CALLER)
    payload = chat_payload(
        sender={"name": "Kari Nordmann", "email": "kari@kunde.no", "phone": CALLER}
    )
    caplog.set_level(logging.DEBUG)

    assert taken(client, post_chat(client, payload)).created
    assert (
        post_chat(
            client, {"text": "Sentralbordet", "sender": {"email": "kari@kunde.no"}}
        ).status_code
        == 422
    )

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"cannot store {payload['sender']} {payload['text']}")

    monkeypatch.setattr("web.inbound.ingest_pending", explode)  # the inline intake
    failed = post_chat(client, chat_payload(message_id="msg-2", sender=payload["sender"]))

    assert failed.status_code == 500
    assert failed.json["error"]["code"] == "internal_error"
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)
    formatter = logging.Formatter()
    logged = "\n".join(formatter.format(r) for r in caplog.records)  # with any traceback
    assert logged
    for value in private:
        assert value not in logged


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite:////nonexistent-dir/x/triage.db"],
    ids=["postgresql-refused", "sqlite-unopenable"],
)
def test_webhooks_answer_503_with_retry_after_while_the_database_is_unreachable(
    url: str, tmp_path: Path, catalog: Catalog
) -> None:
    client = create_app(make_settings(url, tmp_path), catalog=catalog).test_client()

    response = post_chat(client, chat_payload())

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "database_unavailable"


def test_the_desk_shows_a_503_page_while_the_database_is_unreachable(
    tmp_path: Path, catalog: Catalog
) -> None:
    from tests.web.ui_support import browser, csrf_token

    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    client = browser(create_app(settings, catalog=catalog))

    response = client.post(
        "/login",
        data={"username": "kari", "password": "x", "csrf_token": csrf_token(client)},
        base_url="https://localhost",
    )

    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "Databasen svarer ikke" in response.get_data(as_text=True)


def test_a_broken_statement_is_still_a_500_not_a_503() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from web.errors import database_unreachable

    class Orig(Exception):
        pass

    assert database_unreachable(OperationalError("SELECT 1", {}, Orig()))
    assert not database_unreachable(IntegrityError("INSERT", {}, Orig()))
    assert database_unreachable(IntegrityError("INSERT", {}, Orig(), connection_invalidated=True))


def _state(path: Path, pid: int, worker: str) -> Path:
    import json

    path.write_text(
        json.dumps(
            {
                "pid": pid,
                "children": {
                    "worker": {"state": worker, "pid": None, "restarts": 1},
                    "sweeper": {"state": "running", "pid": 1, "restarts": 0},
                    "web": {"state": "running", "pid": 1, "restarts": 0},
                },
            }
        )
    )
    return path


def test_readyz_names_a_supervised_part_that_is_down(
    database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """Issue 15: a dead worker under ``triage up`` is reported, and the web stays ready to
    take tickets (200: a load balancer must keep sending)."""
    import dataclasses
    import os

    state = _state(tmp_path / "supervisor.json", os.getpid(), "restarting")
    settings = dataclasses.replace(make_settings(database_url, tmp_path), supervisor_state=state)
    client = create_app(settings, catalog=catalog).test_client()

    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["degraded"] == ["worker"]
    assert response.json["parts"]["worker"] == "restarting"

    _state(state, os.getpid(), "running")
    assert client.get("/readyz").json["status"] == "ready"
    # a file left by a supervisor that is gone says nothing about now
    _state(state, 2**22 + 12345, "restarting")
    assert client.get("/readyz").json == {"status": "ready", "schema": response.json["schema"]}


def test_readyz_names_a_missing_worker_or_sweeper_from_redis_heartbeats(
    database_url: str, redis_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """Where no supervisor of ours runs (the Procfile), Redis says what is alive: RQ's
    own worker registrations and the sweeper's heartbeat (issue 15, finding 5)."""
    from rq import Worker

    from workers.health import sweeper_beat
    from workers.queues import SLA, connection, queue
    from workers.sweeper import INTERVAL

    settings = make_settings(database_url, tmp_path, REDIS_URL=redis_url)
    client = create_app(settings, catalog=catalog).test_client()

    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json["status"] == "degraded"
    assert answer.json["degraded"] == ["sweeper", "worker"]

    sweeper_beat(redis_url, INTERVAL)
    worker = Worker([queue(SLA, redis_url)], connection=connection(redis_url))
    worker.register_birth()
    try:
        assert client.get("/readyz").json["status"] == "ready"
        assert client.get("/readyz").json["parts"] == {"worker": "running", "sweeper": "running"}
    finally:
        worker.register_death()
    assert client.get("/readyz").json["degraded"] == ["worker"]
