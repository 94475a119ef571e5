"""A live desk for the browser tests: the real app on a loopback port (SQLite), driven by
Debian's chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from config.catalog import load_catalog
from config.settings import Settings
from triage.store import db
from triage.store.escalations import due_points, fire_due
from triage.store.roster import load_roster
from triage.store.sms_outbox import compose
from web.app import create_app
from web.cli.demo import STAFF, demo_users, load_demo, load_history

CHROMIUM = os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
#: axe-core from the npm registry, installed by the Makefile (`make test`, `make test-browser`)
AXE_JS = Path(os.environ.get("AXE_JS", ROOT / ".venv/axe/node_modules/axe-core/axe.min.js"))


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


@pytest.fixture(scope="session")
def axe_js() -> Path:
    if not AXE_JS.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"axe-core is required in CI and was not found at {AXE_JS}")
        pytest.skip(f"axe-core is not installed ({AXE_JS}); `make test` installs it")
    return AXE_JS


@dataclass
class DemoDesk(LiveDesk):
    """A live desk started as ``triage up --demo`` starts it: the last two quarters of
    ``config/examples`` (reports, penalties, claims and availability have content), the
    demo's staff, roster and fresh tickets, and the users demo-agent, demo-manager and
    demo-admin with one ``password``."""

    password: str


def _database(folder: Path) -> str:
    database_url = f"sqlite:///{folder / 'desk.sqlite3'}"
    db.upgrade(database_url)
    return database_url


@contextmanager
def _serving(folder: Path, database_url: str) -> Iterator[str]:
    """The real app on a free loopback port, in a thread, for as long as the block runs."""
    settings = Settings.from_env(
        {
            "TRIAGE_DATA_DIR": str(folder),
            "DATABASE_URL": database_url,
            "TRIAGE_SECURE_COOKIES": "0",
        }
    )
    app = create_app(settings, catalog=load_catalog())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_desk(tmp_path: Path) -> Iterator[LiveDesk]:
    database_url = _database(tmp_path)
    with _serving(tmp_path, database_url) as url:
        yield LiveDesk(url, database_url, tmp_path)


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDesk]:
    """One desk with the demo's history for a whole module (loading it takes a while)."""
    folder = tmp_path_factory.mktemp("demo-desk")
    database_url = _database(folder)
    catalog = load_catalog()
    sessions = db.session_factory(database_url)
    at = now()
    history = load_history(sessions, catalog, at)  # what `triage up --demo` loads first
    assert history.imported > 100 and history.rejected == []
    load_demo(sessions, catalog, at)
    with sessions() as session:
        password = demo_users(session, at)
        session.commit()
        # what the demo's worker does within its first minute: page the on-call staff for
        # the fresh critical tickets and put the SMS in the outbox
        on_call = load_roster(session, catalog.calendars["office-hours"], at)
        fire_due(session, on_call, at, due_points(session, at))
        for _name, phone, _email in STAFF:
            compose(session, catalog, phone, at, timedelta(seconds=60))
    with _serving(folder, database_url) as url:
        yield DemoDesk(url, database_url, folder, password)


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


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def phone_page(chromium_path: str) -> Iterator[Any]:
    """A phone-sized page (390 px wide, touch, device scale 3), as on-call staff open the
    desk from an SMS at night."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True, locale="nb-NO"
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot under $TRIAGE_SHOTS (e.g. /tmp/shots) when it is set."""
    folder = os.environ.get("TRIAGE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sideways_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def axe_violations(
    page: Any, axe_js: Path, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[str]:
    """axe-core's violations of these impacts on the page as it is now, one line each."""
    # evaluated through the DevTools protocol: the page's CSP (own script files only)
    # stays as it is and does not apply to the test's own code
    page.evaluate(axe_js.read_text(encoding="utf-8") + "\n;void 0")
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
        for v in found
        if v["impact"] in impacts
    ]


def now() -> datetime:
    return datetime.now(UTC)
