"""An app on each test database (SQLite and PostgreSQL, via ``sessions``), a test
catalog and a clock the test sets: received_at is the server's clock, so deadlines in
these tests are worked out by hand from a known "now"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from tests.web.support import MBN_LINE, ONCALL_NUMBER, SECRET, TWILIO_TOKEN, oslo
from web.app import create_app


@dataclass
class Clock:
    """The app's clock; tests move it with ``clock.now = ...``."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped catalog, with a support phone line that routes to nettsoft-mbn."""
    shipped = load_catalog(None)
    mbn = shipped.get("nettsoft-mbn")
    mbn = replace(
        mbn, recognition=replace(mbn.recognition, addresses=(*mbn.recognition.addresses, MBN_LINE))
    )
    return replace(shipped, contracts={**shipped.contracts, "nettsoft-mbn": mbn})


@pytest.fixture
def clock() -> Clock:
    return Clock(oslo(2026, 3, 10, 9, 15))  # a Tuesday in office hours (CET, +01:00)


def make_settings(database_url: str, data_dir: Path, **env: str) -> Settings:
    values = {
        "DATABASE_URL": database_url,
        "TRIAGE_DATA_DIR": str(data_dir),
        "TRIAGE_INBOUND_SECRET": SECRET,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TRIAGE_ONCALL_NUMBER": ONCALL_NUMBER,
    }
    values.update(env)
    return Settings.from_env(values)


@pytest.fixture
def app_env() -> dict[str, str]:
    """Settings the ``app`` fixture adds to ``make_settings``'s: override this, not ``app``."""
    return {}


@pytest.fixture
def defer_intake() -> bool:
    """Whether the app leaves the HMAC webhooks' payloads to the batch intake (the
    webhook tests, which drive it with ``support.ingest_all``), or ingests inline as a
    web app without Redis does (the tests that only need tickets to exist)."""
    return False


@pytest.fixture
def app(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    app_env: dict[str, str],
    defer_intake: bool,
) -> Iterator[Flask]:
    del sessions  # requested for its side effect: an emptied database
    settings = make_settings(database_url, tmp_path, **app_env)
    yield create_app(settings, catalog=catalog, clock=clock, defer_intake=defer_intake)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
