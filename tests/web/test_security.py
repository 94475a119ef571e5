"""Security headers on every response, and the rate limits (flask-limiter) on login,
failed authentication and webhook volume - counted in Redis when REDIS_URL is set."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from config.settings import Settings
from tests.web.conftest import Clock, make_settings
from tests.web.support import chat_payload, post_chat, post_twilio, ticket_of, twilio_params
from tests.web.test_api import bearer, make_token
from tests.web.ui_support import browser, csrf_token, logged_in
from web.app import create_app
from web.security import CSP, limits_storage

HTTPS = "https://localhost"


@pytest.fixture
def limited(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
):  # type: ignore[no-untyped-def]
    """An app factory with tight limits, on the test database."""

    def make(**env: str) -> Flask:
        return create_app(
            make_settings(database_url, tmp_path, **env), catalog=catalog, clock=clock
        )

    return make


def test_every_response_carries_the_security_headers(app: Flask, client: FlaskClient) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/api/v1/tickets"),  # 401
        browser(app).get("/login", base_url=HTTPS),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_html_pages_allow_only_our_own_scripts_and_are_not_cached(app: Flask) -> None:
    agent = logged_in(app)
    page = agent.get("/", base_url=HTTPS)
    style = agent.get("/static/desk.css", base_url=HTTPS)

    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert policy == CSP
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert page.headers["Cache-Control"] == "no-store"
    assert style.status_code == 200
    assert style.headers.get("Cache-Control") != "no-store"
    assert "<script>" not in page.get_data(as_text=True)  # nothing inline the policy would block


def test_the_raw_original_keeps_its_stricter_sandbox_policy(
    app: Flask, client: FlaskClient
) -> None:
    ticket = ticket_of(client, post_chat(client, chat_payload()))
    raw = logged_in(app).get(f"/tickets/{ticket}/original", base_url=HTTPS)
    assert raw.status_code == 200
    assert raw.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_login_posts_are_limited_per_client_with_retry_after(limited) -> None:  # type: ignore[no-untyped-def]
    client = browser(limited(TRIAGE_RATE_LIMIT_LOGIN="3 per minute"))
    token = csrf_token(client)
    statuses = [
        client.post(
            "/login",
            data={"username": f"guess{i}", "password": "x", "csrf_token": token},
            base_url=HTTPS,
        ).status_code
        for i in range(4)
    ]
    blocked = client.post(
        "/login", data={"username": "x", "password": "x", "csrf_token": token}, base_url=HTTPS
    )

    assert statuses == [401, 401, 401, 429]
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.mimetype == "text/html"
    assert client.get("/login", base_url=HTTPS).status_code == 200  # reading the form is free


def test_bad_signatures_are_limited_but_signed_traffic_never_counts(limited) -> None:  # type: ignore[no-untyped-def]
    client = limited(TRIAGE_RATE_LIMIT_AUTH_FAILURES="3 per minute").test_client()

    signed = [post_chat(client, chat_payload(message_id=f"m{i}")).status_code for i in range(6)]
    forged = [
        post_chat(client, chat_payload(message_id=f"f{i}"), signature="sha256=00").status_code
        for i in range(3)
    ]
    after = post_chat(client, chat_payload(message_id="late"), signature="sha256=00")
    signed_after = post_chat(client, chat_payload(message_id="signed-late"))

    assert set(signed) == {202}  # accepted: a new ticket or the same conversation
    assert forged == [401] * 3
    assert after.status_code == 429  # this address has guessed enough
    assert signed_after.status_code == 202  # who has the secret is not guessing
    assert after.json["error"]["code"] == "too_many_requests"
    assert 0 < int(after.headers["Retry-After"]) <= 61  # the window, rounded up


def test_twilio_and_api_authentication_failures_count_too(limited) -> None:  # type: ignore[no-untyped-def]
    client = limited(TRIAGE_RATE_LIMIT_AUTH_FAILURES="2 per minute").test_client()
    other = limited(TRIAGE_RATE_LIMIT_AUTH_FAILURES="2 per minute").test_client()

    twilio = [
        post_twilio(client, twilio_params(), signature="forged").status_code for _ in range(3)
    ]
    api = [other.get("/api/v1/tickets", headers=bearer("trg_1_nope")).status_code for _ in range(3)]
    after_twilio = client.get("/api/v1/tickets", headers=bearer("trg_1_nope")).status_code

    assert twilio == [403, 403, 429]
    assert api == [401, 401, 429]
    assert after_twilio == 429  # one count per address, whichever door it tries


def test_webhook_volume_has_a_ceiling(limited) -> None:  # type: ignore[no-untyped-def]
    client = limited(TRIAGE_RATE_LIMIT_WEBHOOKS="5 per minute").test_client()

    statuses = [post_chat(client, chat_payload(message_id=f"m{i}")).status_code for i in range(6)]

    assert [s == 429 for s in statuses] == [False] * 5 + [True]


def test_limits_can_be_switched_off(limited) -> None:  # type: ignore[no-untyped-def]
    client = limited(TRIAGE_RATE_LIMIT_AUTH_FAILURES="off").test_client()

    assert {
        post_chat(client, chat_payload(), signature="sha256=00").status_code for _ in range(40)
    } == {401}


def test_counts_live_in_redis_so_every_web_worker_shares_them(
    limited, redis_url: str, sessions: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    from workers.queues import connection

    first = limited(REDIS_URL=redis_url, TRIAGE_RATE_LIMIT_AUTH_FAILURES="2 per minute")
    second = limited(REDIS_URL=redis_url, TRIAGE_RATE_LIMIT_AUTH_FAILURES="2 per minute")
    token = make_token(sessions)

    assert first.test_client().get("/api/v1/tickets", headers=bearer("trg_1_x")).status_code == 401
    assert second.test_client().get("/api/v1/tickets", headers=bearer("trg_1_y")).status_code == 401
    assert first.test_client().get("/api/v1/tickets", headers=bearer("trg_1_z")).status_code == 429
    assert first.test_client().get("/api/v1/tickets", headers=bearer(token)).status_code == 200
    assert any(b"triage-auth-failures" in key for key in connection(redis_url).keys("*"))


def test_a_typo_in_a_limit_stops_the_start_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TRIAGE_RATE_LIMIT_LOGIN: 'twenty a minute'"):
        Settings.from_env(
            {"TRIAGE_DATA_DIR": str(tmp_path), "TRIAGE_RATE_LIMIT_LOGIN": "twenty a minute"}
        )


def test_limits_storage_speaks_the_limits_library_s_dialect() -> None:
    assert limits_storage(None) == "memory://"
    assert limits_storage("redis://127.0.0.1:6379/3") == "redis://127.0.0.1:6379/3"
    assert limits_storage("unix:///data/redis.sock") == "redis+unix:///data/redis.sock"


def test_the_desk_s_forms_take_a_megabyte_at_most(app: Flask) -> None:
    client = browser(app)
    big = {"username": "x" * (2 * 1024 * 1024), "password": "x", "csrf_token": csrf_token(client)}

    assert client.post("/login", data=big, base_url=HTTPS).status_code == 413
