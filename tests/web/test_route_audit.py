"""Every route of the app, checked for authentication and role from the outside.

The test walks ``app.url_map``, so a route added later without a guard - or without a
place in this audit - fails here. Classes:

* public: health probes, the login form, static files, the OpenAPI document;
* webhooks (``/inbound``): refused without a signature (HMAC 401, Twilio 403);
* the REST API (``/api/v1``): 401 without a token, 403 with a token below the role;
* the desk: anonymous -> redirect to /login, a user below the role -> 403, a user with
  it gets past the guard (anything but 302-to-login/401/403).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from tests.web.test_api import bearer, make_token
from tests.web.ui_support import browser, csrf_token, logged_in, make_user

HTTPS = "https://localhost"
PUBLIC = {
    "static",
    "ui.static",
    "health.healthz",
    "health.readyz",
    "auth.login",
    "api-docs.openapi_json",
}
SIGNED_IN_ONLY = {"auth.logout"}  # any role
ROLES = ("agent", "manager", "admin")


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, path with sample ids, method) for every rule and method."""
    out = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<path:[^>]+>", "desk.css", path)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, path, method))
    return out


def call(client: FlaskClient, method: str, path: str, **kwargs: Any) -> Any:
    return client.open(path, method=method, base_url=HTTPS, **kwargs)


def below(role: str) -> str | None:
    index = ROLES.index(role)
    return ROLES[index - 1] if index else None


def test_every_route_is_in_exactly_one_class(app: Flask) -> None:
    unclassified = []
    for endpoint, path, _ in routes(app):
        view = app.view_functions[endpoint]
        classes = [
            endpoint in PUBLIC,
            endpoint in SIGNED_IN_ONLY,
            path.startswith("/inbound/"),
            hasattr(view, "required_role"),
        ]
        if sum(classes) != 1:
            unclassified.append(endpoint)
    assert unclassified == []


def test_webhooks_refuse_unsigned_requests(app: Flask, client: FlaskClient) -> None:
    for endpoint, path, method in routes(app):
        if path.startswith("/inbound/"):
            response = call(client, method, path, data=b"x=1")
            assert response.status_code in (401, 403), endpoint


def test_api_routes_need_a_token_and_the_role(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    tokens = {role: make_token(sessions, role, f"audit-{role}") for role in ROLES}
    checked = 0
    for endpoint, path, method in routes(app):
        if not path.startswith("/api/") or endpoint in PUBLIC:
            continue
        role = app.view_functions[endpoint].required_role
        assert call(client, method, path, json={}).status_code == 401, endpoint
        lower = below(role)
        if lower:
            response = call(client, method, path, json={}, headers=bearer(tokens[lower]))
            assert response.status_code == 403, endpoint
        allowed = call(client, method, path, json={}, headers=bearer(tokens[role]))
        assert allowed.status_code not in (401, 403), (endpoint, allowed.status_code)
        checked += 1
    assert checked >= 15


def test_desk_pages_need_a_login_and_the_role(app: Flask) -> None:
    anonymous = browser(app)
    token = csrf_token(anonymous)
    # user 1, whom the admin routes' "/admin/users/1/..." act on (deactivate, unlock end
    # that user's sessions): not one of the logged-in auditors below
    make_user(app, "agent", "audit-target")
    users = {role: logged_in(app, role, f"audit-{role}") for role in ROLES}
    checked = 0
    for endpoint, path, method in routes(app):
        view = app.view_functions[endpoint]
        role = getattr(view, "required_role", None)
        if role is None or path.startswith("/api/"):
            continue
        response = call(anonymous, method, path, data={"csrf_token": token})
        assert response.status_code == 302, endpoint
        assert "/login" in response.headers["Location"], endpoint
        lower = below(role)
        if lower:
            client = users[lower]
            form = {"csrf_token": csrf_token(client, "/")}
            assert call(client, method, path, data=form).status_code == 403, endpoint
        client = users[role]
        response = call(client, method, path, data={"csrf_token": csrf_token(client, "/")})
        assert response.status_code not in (401, 403), (endpoint, response.status_code)
        assert "/login" not in response.headers.get("Location", ""), endpoint
        checked += 1
    assert checked >= 35


def test_logout_needs_a_session_and_its_csrf_token(app: Flask) -> None:
    agent = logged_in(app)
    assert call(agent, "POST", "/logout").status_code == 400  # no CSRF token
    token = csrf_token(agent, "/")
    assert call(agent, "POST", "/logout", data={"csrf_token": token}).status_code == 302
    assert call(agent, "GET", "/").status_code == 302  # logged out


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(app: Flask, role: str) -> None:
    client = logged_in(app, role, f"reach-{role}")
    for path, needed in (("/", "agent"), ("/reports", "manager"), ("/admin", "admin")):
        status = call(client, "GET", path).status_code
        assert (status == 200) == (ROLES.index(role) >= ROLES.index(needed)), (role, path)
