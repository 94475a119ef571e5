"""Fixtures for the fuzz tests: the web tests' app (SQLite and PostgreSQL, via
``sessions``), with the rate limits off, so hundreds of generated requests per test,
signed or not, reach the views instead of a 429."""

from __future__ import annotations

import pytest

from tests.web.conftest import app as web_app
from tests.web.conftest import catalog as web_catalog
from tests.web.conftest import client as web_client
from tests.web.conftest import clock as web_clock
from tests.web.conftest import defer_intake as web_defer_intake

catalog = web_catalog  # the shipped catalog plus the test support line (tests.web.conftest)
app, client, clock = web_app, web_client, web_clock  # with ``app_env`` below
defer_intake = web_defer_intake  # inline: a web app without Redis

NO_RATE_LIMITS = {
    "TRIAGE_RATE_LIMIT_LOGIN": "off",
    "TRIAGE_RATE_LIMIT_AUTH_FAILURES": "off",
    "TRIAGE_RATE_LIMIT_WEBHOOKS": "off",
}


@pytest.fixture
def app_env() -> dict[str, str]:
    return dict(NO_RATE_LIMITS)
