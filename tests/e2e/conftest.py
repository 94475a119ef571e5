"""A live desk for the browser tests: the real app on a loopback port (SQLite), driven by
Debian's chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from config.catalog import load_catalog
from config.settings import Settings
from triage.store import db
from web.app import create_app

CHROMIUM = os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium")


@dataclass
class LiveDesk:
    url: str
    database_url: str
    data_dir: Path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not found:
        if os.environ.get("CI") == "true":  # a green CI run always drove a real browser
            pytest.fail(f"chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip(
            f"Debian's chromium is not installed ({CHROMIUM}); "
            "`apt-get install chromium` (.ci/setup-system.sh does it in CI)"
        )
    return found


@pytest.fixture
def live_desk(tmp_path: Path) -> Iterator[LiveDesk]:
    database_url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    db.upgrade(database_url)
    settings = Settings.from_env(
        {
            "TRIAGE_DATA_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "TRIAGE_SECURE_COOKIES": "0",
        }
    )
    app = create_app(settings, catalog=load_catalog())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveDesk(f"http://127.0.0.1:{server.server_port}", database_url, tmp_path)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def browser_page(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True, locale="nb-NO")
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def now() -> datetime:
    return datetime.now(UTC)
