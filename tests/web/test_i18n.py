"""The desk's two languages: every string the views and templates use has its English, the
committed ``.mo`` files are what their ``.po`` files compile to (a fresh clone needs no
build step), a person's choice is stored on their user, and numbers, money, durations and
targets are written for the locale. The JSON interfaces are not translated."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.web.ui_support import csrf_token, logged_in
from triage.store.models import User
from web import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
HTTPS = "https://localhost"


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _catalog(locale: str) -> dict[object, object]:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {_plain(m.id): _plain(m.string) for m in read_po(po) if m.id}


def _used_strings() -> set[object]:
    """What ``make translations`` extracts: the sources' msgids, as they are now."""
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found: set[object] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        found.add(message)
    return found


def test_every_string_in_use_has_english_and_bokmal() -> None:
    used = _used_strings()
    assert len(used) > 300  # the extraction did find the desk's strings
    for locale in ("en", "nb"):
        catalog = _catalog(locale)
        missing = sorted(str(m) for m in used if not catalog.get(m))
        assert not missing, f"{locale}: no translation for {missing[:10]} (make translations)"


@pytest.mark.parametrize("locale", ["en", "nb"])
def test_the_committed_mo_is_the_compiled_po(locale: str) -> None:
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as mo:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(mo) if m.id}
    assert compiled == _catalog(locale), "run `make translations` and commit the .mo"


def test_figures_are_written_for_the_locale(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("nb"):
            assert i18n.money(Decimal("2038.50")) == "2\xa0038,50\xa0kr"
            assert i18n.percent(50) == "50,0\xa0%"
            assert i18n.minutes(60) == "60 min"
            assert i18n.minutes(45) == "45 min"
            assert i18n.minutes(125) == "2 t 5 min"
            assert i18n.target("PT60M") == "60 min"
            assert i18n.target("PT240M") == "4 t"
            assert i18n.target("end-of-next-working-day") == "slutten av neste virkedag"
            assert i18n.target("PT15M") == "15 min"
            assert i18n.target("immediately+PT15M") == "straks (15 min slingringsmonn)"
            assert i18n.severity_word("critical") == "kritisk"
            assert i18n.severity_word("non-critical") == "ikke-kritisk"
            assert i18n.ago(-27 * 86400 - 3600) == "27 d"
        with force_locale("en"):
            assert i18n.money(Decimal("2038.50")) == "NOK\xa02,038.50"
            assert i18n.percent(50) == "50.0\xa0%"
            assert i18n.minutes(125) == "2 h 5 min"
            assert i18n.target("immediately+PT15M") == "immediately (15 min grace)"
            assert i18n.severity_word("critical") == "critical"


def test_a_person_chooses_english_and_keeps_it(app: Flask, sessions: sessionmaker[Session]) -> None:
    agent = logged_in(app, "agent")
    page = agent.get("/", base_url=HTTPS).get_data(as_text=True)
    assert '<html lang="nb">' in page and "Mine saker" in page and "Ny sak" in page
    response = agent.post(
        "/language",
        data={"locale": "en", "next": "/oncall", "csrf_token": csrf_token(agent, "/")},
        base_url=HTTPS,
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/oncall")
    with sessions() as session:
        assert session.scalars(select(User.locale)).one() == "en"
    page = agent.get("/", base_url=HTTPS).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "My tickets" in page and "New ticket" in page and "Mine saker" not in page
    # a new session of the same person speaks English from the start
    again = FlaskClient(app, use_cookies=True)
    again.environ_base["wsgi.url_scheme"] = "https"
    again.environ_base["HTTP_REFERER"] = "https://localhost/"
    again.post(
        "/login",
        data={"username": "agent1", "password": "correct horse battery",
              "csrf_token": csrf_token(again)},
        base_url=HTTPS,
    )  # fmt: skip
    assert "My tickets" in again.get("/", base_url=HTTPS).get_data(as_text=True)


def test_an_unknown_language_or_a_foreign_return_address_is_refused(app: Flask) -> None:
    agent = logged_in(app, "agent")
    token = csrf_token(agent, "/")
    bad = agent.post("/language", data={"locale": "xx", "csrf_token": token}, base_url=HTTPS)
    assert bad.status_code == 400
    away = agent.post(
        "/language",
        data={"locale": "en", "next": "//evil.example/", "csrf_token": token},
        base_url=HTTPS,
    )
    assert away.status_code == 303 and away.headers["Location"] in ("/", f"{HTTPS}/")


def test_the_json_api_is_not_translated(app: Flask, client: FlaskClient) -> None:
    """The fixed JSON interfaces keep their English codes whatever a person chose."""
    response = client.get("/api/v1/tickets", base_url=HTTPS)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"]  # the code, untranslated
