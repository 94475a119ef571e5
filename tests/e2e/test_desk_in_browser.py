"""End to end in a real browser (Debian's chromium through Playwright): an agent logs in,
finds the ticket about to breach at the top of the queue, records the response and sees
it leave the at-risk list; a manager opens the report and downloads its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config.catalog import load_catalog
from tests.e2e.conftest import LiveDesk, now
from tests.workers.escalation_support import new_ticket
from triage.store import db
from triage.store.users import create_user

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def seed(desk: LiveDesk) -> dict[str, int]:
    """Users, a critical hosted-service ticket 10 minutes into its 15-minute grace (at
    risk), and a Pindena ticket due tomorrow (not at risk)."""
    catalog = load_catalog()
    sessions = db.session_factory(desk.database_url)
    at = now()
    with sessions() as session:
        create_user(session, "agent", "Agnes Agent", "agent", PASSWORD, at)
        create_user(session, "manager", "Mona Manager", "manager", PASSWORD, at)
    return {
        "near": new_ticket(
            sessions,
            catalog,
            "nettsoft-vps-terminal",
            at - timedelta(minutes=10),
            at,
            subject="Terminalserver nede for alle",
        ),
        "later": new_ticket(
            sessions,
            catalog,
            "pindena",
            at,
            at,
            severity="non-critical",
            subject="Feil pris i skjema",
        ),
    }


def log_in(page: Any, desk: LiveDesk, username: str) -> None:
    page.goto(f"{desk.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{desk.url}/")


def test_agent_answers_the_ticket_about_to_breach(live_desk: LiveDesk, browser_page: Any) -> None:
    tickets = seed(live_desk)
    page = browser_page
    log_in(page, live_desk, "agent")

    rows = page.locator("tbody tr")
    first = rows.first
    assert first.get_attribute("data-ticket") == str(tickets["near"])
    assert "at-risk" in (first.get_attribute("class") or "")
    countdown = first.locator("[data-due]")
    before = countdown.inner_text()
    page.wait_for_timeout(1100)  # the countdown is live
    assert countdown.inner_text() != before
    assert page.locator(f"tr.at-risk[data-ticket='{tickets['later']}']").count() == 0

    first.locator(f"a[href='/tickets/{tickets['near']}']").first.click()
    page.wait_for_url(f"{live_desk.url}/tickets/{tickets['near']}")
    page.click("text=Leverandøren har startet feilsøking")
    page.wait_for_load_state()
    assert page.locator(".flash").count() >= 1

    page.goto(f"{live_desk.url}/")
    assert page.locator(f"tr.at-risk[data-ticket='{tickets['near']}']").count() == 0
    assert page.locator(f"tr[data-ticket='{tickets['near']}']").count() == 0


def test_manager_opens_the_report_and_downloads_the_csv(
    live_desk: LiveDesk, browser_page: Any
) -> None:
    tickets = seed(live_desk)
    page = browser_page
    log_in(page, live_desk, "manager")
    page.click("nav >> text=Rapporter")
    page.wait_for_url(f"{live_desk.url}/reports*")
    assert "nettsoft-vps-terminal" in page.content()
    with page.expect_download() as download_info:
        page.click("a[href*='tickets.csv']")
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    ids = {int(row.get("id") or row.get("ticket") or 0) for row in rows}
    assert {tickets["near"], tickets["later"]} <= ids
