"""Logging in to the web desk in tests: real users, real CSRF tokens, HTTPS cookies."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from triage.store.users import create_user
from web.desk import desk

PASSWORD = "correct horse battery"
_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def browser(app: Flask) -> FlaskClient:
    """A test client on https://localhost: the session cookie is Secure."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    client.environ_base["HTTP_REFERER"] = "https://localhost/"  # as browsers send on HTTPS
    return client


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, base_url="https://localhost").get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def make_user(app: Flask, role: str, username: str | None = None) -> str:
    username = username or f"{role}1"
    with desk_of(app).sessions() as session:
        create_user(session, username, f"{role.title()} Person", role, PASSWORD, datetime.now(UTC))
    return username


def desk_of(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        return desk()


def logged_in(app: Flask, role: str = "agent", username: str | None = None) -> FlaskClient:
    """A client logged in as a new user with ``role``."""
    client = browser(app)
    name = make_user(app, role, username)
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client
