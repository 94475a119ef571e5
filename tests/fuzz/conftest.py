"""Fixtures for the fuzz tests: the web tests' app (SQLite and PostgreSQL, via
``sessions``), with the rate limits off, so hundreds of generated requests per test,
signed or not, reach the views instead of a 429."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.web.conftest import Clock, make_settings
from tests.web.conftest import catalog as web_catalog
from tests.web.support import oslo
from web.app import create_app

catalog = web_catalog  # the shipped catalog plus the test support line (tests.web.conftest)

NO_RATE_LIMITS = {
    "TRIAGE_RATE_LIMIT_LOGIN": "off",
    "TRIAGE_RATE_LIMIT_AUTH_FAILURES": "off",
    "TRIAGE_RATE_LIMIT_WEBHOOKS": "off",
}


@pytest.fixture
def clock() -> Clock:
    return Clock(oslo(2026, 3, 10, 9, 15))  # a Tuesday in office hours


@pytest.fixture
def app(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
) -> Iterator[Flask]:
    del sessions  # requested for its side effect: an emptied database
    settings = make_settings(database_url, tmp_path, **NO_RATE_LIMITS)
    yield create_app(settings, catalog=catalog, clock=clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
