"""The admin page: users, API tokens, the quarantine and personal data, through a real
browser session (login, CSRF token from the page, HTTPS cookies)."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.web.conftest import Clock
from tests.web.support import chat_payload, post_chat
from tests.web.ui_support import PASSWORD, browser, csrf_token, desk_of, logged_in
from triage.store.intake import quarantine, store_raw
from triage.store.models import ApiToken, InboxItem, SmsInbound, Staff, Ticket, User
from triage.store.personal_data import ERASED
from triage.store.roster import add_staff
from triage.store.tokens import hash_secret

HTTPS = "https://localhost"
KARI_EMAIL = "kari@kunde.no"  # chat_payload's sender
KARI_TEXT = chat_payload()["text"]
TOKEN = re.compile(r"trg_\d+_[A-Za-z0-9_\-]{20,}")


def post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> TestResponse:
    """A form POST with the CSRF token of the admin page, as the browser sends it."""
    form = {"csrf_token": csrf_token(client, "/admin"), **(data or {})}
    return client.post(path, data=form, base_url=HTTPS)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return logged_in(app, "admin")


def kari_ticket(app: Flask) -> int:
    """Kari's chat, through the signed webhook like production."""
    response = post_chat(app.test_client(), chat_payload())
    assert response.status_code == 202, text(response)  # ingested inline: no Redis
    with desk_of(app).sessions() as session:
        return int(session.scalars(select(Ticket.id)).one())


# ------------------------------------------------------------------ who may


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_admin_pages_are_403_below_admin(app: Flask, role: str) -> None:
    client = logged_in(app, role)
    token = csrf_token(client, "/")
    assert client.get("/admin", base_url=HTTPS).status_code == 403
    for path in (
        "/admin/users",
        "/admin/users/1/deactivate",
        "/admin/tokens",
        "/admin/tokens/1/revoke",
        "/admin/quarantine/1/reprocess",
        "/admin/personal-data/export",
        "/admin/personal-data/erase",
        "/admin/personal-data/staff/1/export",
        "/admin/personal-data/staff/1/erase",
    ):
        response = client.post(
            path,
            data={"csrf_token": token, "email": KARI_EMAIL, "confirm_email": KARI_EMAIL},
            base_url=HTTPS,
        )
        assert response.status_code == 403, path
    assert "Admin</a>" not in text(client.get("/", base_url=HTTPS))


def test_admin_needs_a_login_and_sees_the_link(app: Flask, admin: FlaskClient) -> None:
    anonymous = browser(app).get("/admin", base_url=HTTPS)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    page = admin.get("/admin", base_url=HTTPS)
    assert page.status_code == 200
    body = text(page)
    for heading in ("Brukere", "API-tokens", "Karantene", "Personopplysninger", "Ansatte"):
        assert heading in body
    assert 'href="/admin"' in text(admin.get("/", base_url=HTTPS))


def test_every_form_needs_its_csrf_token(app: Flask, admin: FlaskClient) -> None:
    data = {"username": "ny.agent", "role": "agent", "password": PASSWORD}
    assert admin.post("/admin/users", data=data, base_url=HTTPS).status_code == 400
    wrong = {**data, "csrf_token": "not-the-token"}
    assert admin.post("/admin/users", data=wrong, base_url=HTTPS).status_code == 400
    ticket = kari_ticket(app)
    erase = {"email": KARI_EMAIL, "confirm_email": KARI_EMAIL}
    assert admin.post("/admin/personal-data/erase", data=erase, base_url=HTTPS).status_code == 400
    assert (
        admin.post("/admin/tokens", data={"name": "x", "role": "agent"}, base_url=HTTPS).status_code
        == 400
    )
    with desk_of(app).sessions() as session:
        assert (
            session.scalars(select(User.username).where(User.username == "ny.agent")).first()
            is None
        )
        assert session.get(Ticket, ticket).requester_email == KARI_EMAIL
        assert session.scalars(select(ApiToken)).first() is None


# ------------------------------------------------------------------ users


def test_create_deactivate_activate_and_unlock_users(
    app: Flask, admin: FlaskClient, clock: Clock
) -> None:
    made = post(
        admin,
        "/admin/users",
        {"username": "Per.Agent", "name": "Per", "role": "agent", "password": PASSWORD},
    )
    assert made.status_code == 303 and made.headers["Location"].endswith("/admin#brukere")
    page = text(admin.get("/admin", base_url=HTTPS))
    assert "per.agent" in page and "Bruker per.agent (agent) er laget." in page
    refused = post(admin, "/admin/users", {"username": "kort", "role": "agent", "password": "kort"})
    assert refused.status_code == 422
    assert "Brukeren ble ikke laget: passord: minst 12 tegn" in text(refused)
    assert "at least" not in text(refused)
    taken = post(
        admin, "/admin/users", {"username": "per.agent", "role": "agent", "password": PASSWORD}
    )
    assert taken.status_code == 422 and "brukernavn: «per.agent» er tatt" in text(taken)
    bad_role = post(admin, "/admin/users", {"username": "x", "role": "root", "password": PASSWORD})
    assert bad_role.status_code == 422
    assert "rolle: må være en av agent, manager, admin" in text(bad_role)

    with desk_of(app).sessions() as session:
        per = session.scalars(select(User).where(User.username == "per.agent")).one()
        me = session.scalars(select(User).where(User.username == "admin1")).one()
        per.failed_logins, per.locked_until = 5, clock.now + timedelta(minutes=10)
        session.commit()
    assert post(admin, f"/admin/users/{me.id}/deactivate").status_code == 409
    assert post(admin, "/admin/users/999999/deactivate").status_code == 404
    assert post(admin, f"/admin/users/{per.id}/unlock").status_code == 303
    assert post(admin, f"/admin/users/{per.id}/deactivate").status_code == 303
    with desk_of(app).sessions() as session:
        per = session.get(User, per.id)
        assert per is not None and not per.active and per.locked_until is None
    per_client = browser(app)
    login = per_client.post(
        "/login",
        data={"username": "per.agent", "password": PASSWORD, "csrf_token": csrf_token(per_client)},
        base_url=HTTPS,
    )
    assert login.status_code == 401  # deactivated
    assert post(admin, f"/admin/users/{per.id}/activate").status_code == 303
    login = per_client.post(
        "/login",
        data={"username": "per.agent", "password": PASSWORD, "csrf_token": csrf_token(per_client)},
        base_url=HTTPS,
    )
    assert login.status_code == 302


# ------------------------------------------------------------------ tokens


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("kort", "password: at least 12 characters"),
        ("aaaaaaaaaaaaaaaa", "password: too few different characters"),
        ("per.agent-2026x", "password: must not be or contain the username"),
        ("password1234", "password: is a common password"),
    ],
)
def test_a_refused_password_is_said_in_english_to_an_english_admin(
    admin: FlaskClient, password: str, why: str
) -> None:
    switched = admin.post(
        "/language",
        data={"locale": "en", "csrf_token": csrf_token(admin, "/admin")},
        base_url=HTTPS,
    )
    assert switched.status_code == 303
    refused = post(
        admin, "/admin/users", {"username": "per.agent", "role": "agent", "password": password}
    )
    assert refused.status_code == 422
    assert f"The user was not created: {why}" in text(refused)
    assert "passord:" not in text(refused) and "tegn" not in text(refused)


def test_a_new_token_is_shown_once_and_revoked(app: Flask, admin: FlaskClient) -> None:
    made = post(admin, "/admin/tokens", {"name": "Overvåking", "role": "manager"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    (token,) = TOKEN.findall(text(made))
    token_id = int(token.split("_")[1])
    with desk_of(app).sessions() as session:
        row = session.get(ApiToken, token_id)
        assert row is not None and row.token_hash == hash_secret(token.split("_", 2)[2])
    again = text(admin.get("/admin", base_url=HTTPS))
    assert "Overvåking" in again and token not in again and not TOKEN.search(again)
    cookie = admin.get_cookie("session", domain="localhost")
    assert cookie is not None
    kept = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    assert token not in json.dumps(kept, default=str)  # not flashed, not in the session
    api = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert post(admin, "/admin/tokens", {"name": "", "role": "agent"}).status_code == 422
    assert post(admin, "/admin/tokens", {"name": "x", "role": "root"}).status_code == 422
    assert post(admin, f"/admin/tokens/{token_id}/revoke").status_code == 303
    assert post(admin, "/admin/tokens/424242/revoke").status_code == 404
    api = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


# ------------------------------------------------------------------ quarantine


def test_quarantine_list_and_reprocess(app: Flask, admin: FlaskClient, clock: Clock) -> None:
    bad = post_chat(app.test_client(), b'{"conversation_id": "c"}')
    assert bad.status_code == 422
    with desk_of(app).sessions() as session:
        good_id = store_raw(
            session, "chat", "application/json", json.dumps(chat_payload()).encode(), clock.now
        )
        quarantine(session, good_id, "parser bug, fixed since")
        bad_id = session.scalars(select(InboxItem.id).where(InboxItem.id != good_id)).one()
    page = text(admin.get("/admin", base_url=HTTPS))
    assert "Karantene (2)" in page and "parser bug, fixed since" in page
    assert KARI_TEXT not in page  # the payload itself is never shown
    done = post(admin, f"/admin/quarantine/{good_id}/reprocess")
    assert done.status_code == 303
    assert "ble behandlet: ny sak" in text(admin.get("/admin", base_url=HTTPS))
    assert post(admin, f"/admin/quarantine/{good_id}/reprocess").status_code == 409
    still = post(admin, f"/admin/quarantine/{bad_id}/reprocess")
    assert still.status_code == 303
    assert "fortsatt i karantene" in text(admin.get("/admin", base_url=HTTPS))
    assert post(admin, "/admin/quarantine/999999/reprocess").status_code == 404
    with desk_of(app).sessions() as session:
        item = session.get(InboxItem, bad_id)
        assert item is not None
        item.payload = b""  # emptied by the retention purge
        session.commit()
    assert post(admin, f"/admin/quarantine/{bad_id}/reprocess").status_code == 409


# ------------------------------------------------------------------ personal data


def test_export_is_a_json_download_of_the_persons_data(app: Flask, admin: FlaskClient) -> None:
    ticket = kari_ticket(app)
    response = post(admin, "/admin/personal-data/export", {"email": "KARI@kunde.no"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert KARI_EMAIL not in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(text(response))
    assert [t["id"] for t in data["tickets"]] == [ticket]
    assert data["tickets"][0]["body"] == KARI_TEXT
    assert KARI_TEXT in data["inbox"][0]["payload"]
    nobody = json.loads(text(post(admin, "/admin/personal-data/export", {"phone": "+4741300002"})))
    assert nobody["tickets"] == []
    missing = post(admin, "/admin/personal-data/export", {})
    assert missing.status_code == 422 and "oppgi e-postadresse eller telefonnummer" in text(missing)
    assert post(admin, "/admin/personal-data/export", {"email": "ikke-epost"}).status_code == 422


def test_erase_needs_the_address_typed_again(app: Flask, admin: FlaskClient) -> None:
    ticket = kari_ticket(app)
    for confirm in ({}, {"confirm_email": "kari@kunde.com"}):
        refused = post(admin, "/admin/personal-data/erase", {"email": KARI_EMAIL, **confirm})
        assert refused.status_code == 422 and "Ingenting er slettet" in text(refused)
    with desk_of(app).sessions() as session:
        assert session.get(Ticket, ticket).requester_email == KARI_EMAIL
    erased = post(
        admin,
        "/admin/personal-data/erase",
        {"email": KARI_EMAIL, "confirm_email": " Kari@Kunde.no "},
    )
    assert erased.status_code == 303
    page = text(admin.get("/admin", base_url=HTTPS))
    assert "Personopplysninger slettet: 1 saker" in page
    assert KARI_EMAIL not in page
    with desk_of(app).sessions() as session:
        row = session.get(Ticket, ticket)
        assert row is not None and row.requester_email is None and row.body == ERASED
        assert row.events[-1].kind == "personal_data_erased" and row.events[-1].actor == "admin1"
        assert session.scalars(select(InboxItem)).one().payload == b""
    again = post(
        admin, "/admin/personal-data/erase", {"email": KARI_EMAIL, "confirm_email": KARI_EMAIL}
    )
    assert again.status_code == 404  # nothing is held any more


def test_staff_export_and_erase(app: Flask, admin: FlaskClient, clock: Clock) -> None:
    with desk_of(app).sessions() as session:
        kari = add_staff(session, "Kari Vakt", "+47 910 00 001", clock.now)
        session.add(
            SmsInbound(
                provider_sid="SM" + "5" * 32,
                sender=kari.phone,
                body="Kari her, syk i dag",
                staff_id=kari.id,
                outcome="unknown",
                received_at=clock.now,
            )
        )
        session.commit()
        kari_id = kari.id
    page = text(admin.get("/admin", base_url=HTTPS))
    assert "Kari Vakt" in page and "+47******01" in page and "+4791000001" not in page
    exported = post(admin, f"/admin/personal-data/staff/{kari_id}/export")
    assert (
        exported.status_code == 200
        and json.loads(text(exported))["staff"]["phone"] == "+4791000001"
    )
    assert post(admin, "/admin/personal-data/staff/999999/export").status_code == 404
    wrong = post(
        admin, f"/admin/personal-data/staff/{kari_id}/erase", {"confirm_phone": "91000002"}
    )
    assert wrong.status_code == 422
    done = post(
        admin, f"/admin/personal-data/staff/{kari_id}/erase", {"confirm_phone": "910 00 001"}
    )
    assert done.status_code == 303
    with desk_of(app).sessions() as session:
        staff = session.get(Staff, kari_id)
        assert staff is not None and staff.name == ERASED and not staff.active
        message = session.scalars(select(SmsInbound)).one()
        assert (message.sender, message.body) == ("+47******01", ERASED)
    assert "Kari Vakt" not in text(admin.get("/admin", base_url=HTTPS))
    assert (
        post(
            admin, f"/admin/personal-data/staff/{kari_id}/erase", {"confirm_phone": "x"}
        ).status_code
        == 409
    )


def test_an_admin_made_on_the_page_can_use_it(app: Flask) -> None:
    admin = logged_in(app, "admin")
    post(admin, "/admin/users", {"username": "admin2", "role": "admin", "password": PASSWORD})
    second = browser(app)
    response = second.post(
        "/login",
        data={"username": "admin2", "password": PASSWORD, "csrf_token": csrf_token(second)},
        base_url=HTTPS,
    )
    assert response.status_code == 302
    assert second.get("/admin", base_url=HTTPS).status_code == 200


def test_admin_actions_are_logged_by_account_id_not_by_user_name(
    app: Flask, admin: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    post(
        admin,
        "/admin/users",
        {"username": "Per.Agent", "name": "Per", "role": "agent", "password": PASSWORD},
    )
    with desk_of(app).sessions() as session:
        per = session.scalars(select(User).where(User.username == "per.agent")).one()
        me = session.scalars(select(User).where(User.username == "admin1")).one()
    post(admin, f"/admin/users/{per.id}/deactivate")

    logged = caplog.text
    assert f"admin user #{me.id} created user #{per.id} (agent)" in logged
    assert f"admin user #{me.id}: deactivate user #{per.id}" in logged
    assert "per.agent" not in logged.lower() and "admin1" not in logged
