"""Logging in: roles, CSRF, secure cookies, lock-out, logout."""

from __future__ import annotations

from flask import Flask

from tests.web.ui_support import PASSWORD, browser, csrf_token, logged_in, make_user

HTTPS = "https://localhost"


def test_pages_need_a_login(app: Flask) -> None:
    response = browser(app).get("/", base_url=HTTPS)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_sets_a_secure_httponly_session_cookie_and_logout_ends_it(app: Flask) -> None:
    client = browser(app)
    name = make_user(app, "agent")
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)},
        base_url=HTTPS,
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/", base_url=HTTPS).status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}, base_url=HTTPS).status_code == 302
    assert client.get("/", base_url=HTTPS).status_code == 302


def test_a_form_without_its_csrf_token_is_refused(app: Flask) -> None:
    client = browser(app)
    name = make_user(app, "agent")
    response = client.post("/login", data={"username": name, "password": PASSWORD}, base_url=HTTPS)
    assert response.status_code == 400
    assert client.get("/", base_url=HTTPS).status_code == 302  # not logged in


def test_wrong_passwords_earn_a_backoff_at_that_address(app: Flask) -> None:
    client = browser(app)
    name = make_user(app, "agent")
    for _ in range(5):
        response = client.post(
            "/login",
            data={
                "username": name,
                "password": "wrong password!",
                "csrf_token": csrf_token(client),
            },
            base_url=HTTPS,
        )
        assert response.status_code == 401
    throttled = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)},
        base_url=HTTPS,
    )
    assert throttled.status_code == 429 and "For mange" in throttled.get_data(as_text=True)
    assert int(throttled.headers["Retry-After"]) >= 1


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(app: Flask) -> None:
    client = browser(app)
    response = client.post(
        "/login",
        data={"username": "nobody", "password": PASSWORD, "csrf_token": csrf_token(client)},
        base_url=HTTPS,
    )
    assert response.status_code == 401 and "Feil brukernavn eller passord" in response.get_data(
        as_text=True
    )


def test_next_only_goes_to_our_own_pages(app: Flask) -> None:
    client = browser(app)
    name = make_user(app, "agent")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)},
        base_url=HTTPS,
    )
    assert response.headers["Location"] == "/"


def test_the_webhooks_and_the_api_need_no_csrf_token(app: Flask) -> None:
    client = logged_in(app)
    # a bearer-token API call and a signed webhook are refused for their own reasons (401),
    # never for a missing CSRF token (400)
    assert (
        client.post("/api/v1/tickets/1/notes", json={"text": "x"}, base_url=HTTPS).status_code
        == 401
    )
    assert client.post("/inbound/chat", data=b"{}", base_url=HTTPS).status_code == 401


def test_the_login_page_answers_head_like_get(app: Flask) -> None:
    """Uptime checks and proxies probe with HEAD; an empty form is not a failed login."""
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.head("/login").status_code == 200
