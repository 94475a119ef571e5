"""Managers change fee figures from a date; penalties are priced on them."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.catalog import load_catalog
from tests.web.ui_support import csrf_token, logged_in
from triage.fees import FeeChange, apply_fee_change

HTTPS = "https://localhost"


def test_a_fee_change_is_a_terms_version_from_its_date() -> None:
    mbn = load_catalog().contracts["nettsoft-mbn"]
    changed = apply_fee_change(mbn, FeeChange("nettsoft-mbn", date(2026, 7, 1), 55))
    before, after = (
        changed.terms_at_date(date(2026, 6, 30)),
        changed.terms_at_date(date(2026, 7, 1)),
    )
    assert before.fee is not None and after.fee is not None
    assert (before.fee.default_users, after.fee.default_users) == (40, 55)
    # 3 months of 199 + 29 per user: 40 users -> 4077.00, 55 users -> 5382.00
    assert after.fee.period_fee(55) == Decimal("5382.00")
    assert after.penalty == before.penalty and after.calendar == before.calendar


def test_manager_records_a_change_and_the_catalog_page_shows_it(app: Flask) -> None:
    manager = logged_in(app, "manager")
    form = {
        "contract": "nettsoft-mbn",
        "valid_from": "2026-07-01",
        "active_users": "55",
        "per_user_monthly": "31,00",
        "csrf_token": csrf_token(manager, "/catalog"),
    }
    assert manager.post("/catalog/fees", data=form, base_url=HTTPS).status_code == 303
    html = manager.get("/catalog", base_url=HTTPS).get_data(as_text=True)
    assert "2026-07-01" in html and "55 aktive brukere" in html and "31,00\xa0kr" in html
    again = dict(form, csrf_token=csrf_token(manager, "/catalog"))
    assert manager.post("/catalog/fees", data=again, base_url=HTTPS).status_code == 422
    bad = dict(form, valid_from="juli", csrf_token=csrf_token(manager, "/catalog"))
    assert manager.post("/catalog/fees", data=bad, base_url=HTTPS).status_code == 422
    negative = dict(
        form, valid_from="2026-08-01", active_users="-1", csrf_token=csrf_token(manager, "/catalog")
    )
    assert manager.post("/catalog/fees", data=negative, base_url=HTTPS).status_code == 422


def test_agents_cannot_change_fees(app: Flask) -> None:
    agent = logged_in(app, "agent")
    form = {
        "contract": "nettsoft-mbn",
        "valid_from": "2026-07-01",
        "active_users": "1",
        "csrf_token": csrf_token(agent, "/"),
    }
    assert agent.post("/catalog/fees", data=form, base_url=HTTPS).status_code == 403


def _refusal(manager: FlaskClient, **fields: str) -> str:
    form = {
        "contract": "nettsoft-mbn",
        "valid_from": "2026-07-01",
        "active_users": "55",
        "csrf_token": csrf_token(manager, "/catalog"),
    }
    form.update(fields)
    form = {k: v for k, v in form.items() if v != "-"}  # "-": the field is not sent
    response = manager.post("/catalog/fees", data=form, base_url=HTTPS)
    assert response.status_code == 422
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_a_refused_fee_change_is_said_in_the_readers_language(app: Flask, locale: str) -> None:
    manager = logged_in(app, "manager")
    if locale == "en":
        token = csrf_token(manager, "/catalog")
        switched = manager.post(
            "/language", data={"locale": "en", "csrf_token": token}, base_url=HTTPS
        )
        assert switched.status_code == 303
    words = {
        "nb": (
            "valid_from: mangler",
            "active_users: et helt tall fra 0 til 10\xa0000\xa0000",
            "base_monthly: høyst 2 desimaler",
            "per_user_monthly: ugyldig verdi",
            "contract: ukjent avtale «nowhere»",
            "valid_from: nettsoft-mbn har allerede en gebyrendring fra 01.07.2026",
        ),
        "en": (
            "valid_from: missing",
            "active_users: a whole number from 0 to 10,000,000",
            "base_monthly: at most 2 decimals",
            "per_user_monthly: invalid value",
            "contract: unknown contract 'nowhere'",
            "valid_from: nettsoft-mbn already has a fee change from 01.07.2026",
        ),
    }[locale]
    other = {
        "nb": ("missing", "whole number", "decimals", "invalid"),
        "en": ("mangler", "helt tall"),
    }
    pages = [
        _refusal(manager, valid_from="-"),
        _refusal(manager, active_users="99999999"),
        _refusal(manager, base_monthly="10.001"),
        _refusal(manager, per_user_monthly="mange"),
        _refusal(manager, contract="nowhere"),
    ]
    made = {
        "contract": "nettsoft-mbn",
        "valid_from": "2026-07-01",
        "active_users": "55",
        "csrf_token": csrf_token(manager, "/catalog"),
    }
    assert manager.post("/catalog/fees", data=made, base_url=HTTPS).status_code == 303
    pages.append(_refusal(manager))
    for page, expected in zip(pages, words, strict=True):
        assert expected in page, expected
        assert not any(word in page for word in other[locale]), expected
