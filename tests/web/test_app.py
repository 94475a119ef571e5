"""The app factory's JSON errors and health endpoints, and what logs may contain."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from config.catalog import Catalog
from tests.web.conftest import make_settings
from tests.web.support import CALLER, chat_payload, post_chat
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

    assert post_chat(client, payload).status_code == 201
    assert (
        post_chat(
            client, {"text": "Sentralbordet", "sender": {"email": "kari@kunde.no"}}
        ).status_code
        == 422
    )

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"cannot store {payload['sender']} {payload['text']}")

    monkeypatch.setattr("web.inbound.ingest", explode)
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
