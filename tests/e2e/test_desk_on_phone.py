"""The desk in Debian's chromium at phone size (390 px) and at 1280 px: the on-call person
acknowledges and starts work from the ticket page, the queue, ticket and on-call pages
never scroll sideways, an agent registers a ticket by hand, the language switch, and
axe-core on the queue and ticket pages (no serious or critical violations).

With ``TRIAGE_SHOTS=/tmp/shots`` the pages are saved as screenshots."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config.catalog import load_catalog
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    LiveDesk,
    axe_violations,
    now,
    screenshot,
    sideways_overflow,
)
from tests.workers.escalation_support import ONCALL, new_ticket, roster
from triage.store import db
from triage.store.escalations import due_points, fire_due
from triage.store.roster import load_roster
from triage.store.sms_outbox import compose
from triage.store.users import create_user

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def seed(desk: LiveDesk) -> dict[str, int]:
    """Kari (on call, level 1, and a desk user of the same name), a critical hosted-service
    ticket that paged her on receipt, one breached a month ago, and one due tomorrow."""
    catalog = load_catalog()
    sessions = db.session_factory(desk.database_url)
    at = now()
    with sessions() as session:
        create_user(session, "kari", ONCALL[0], "agent", PASSWORD, at)
        create_user(session, "mona", "Mona Manager", "manager", PASSWORD, at)
    roster(sessions, at)
    paged = new_ticket(
        sessions, catalog, "nettsoft-vps-access", at, at, subject="Adgangskontroll nede"
    )
    old = new_ticket(
        sessions,
        catalog,
        "nettsoft-mbn",
        at - timedelta(days=27, hours=12),
        at,
        severity="non-critical",
        subject="Svargruppe ringer ikke ut",
    )
    later = new_ticket(
        sessions, catalog, "pindena", at, at, severity="non-critical", subject="Feil pris i skjema"
    )
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], at)
        fire_due(session, on_call, at, due_points(session, at))
        compose(session, catalog, ONCALL[1], at, timedelta(seconds=60))
    return {"paged": paged, "old": old, "later": later}


def log_in(page: Any, desk: LiveDesk, username: str) -> None:
    page.goto(f"{desk.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{desk.url}/")


def test_on_call_at_night_on_a_phone(live_desk: LiveDesk, phone_page: Any) -> None:
    tickets = seed(live_desk)
    page = phone_page
    log_in(page, live_desk, "kari")

    # the queue: live work first, the month-old breach in its own section, no sideways scroll
    assert sideways_overflow(page) == 0
    live = page.locator("#queue-rows tr[data-ticket]")
    assert live.first.get_attribute("data-ticket") == str(tickets["paged"])
    overdue = page.locator("#queue-overdue tr[data-ticket]")
    assert overdue.first.get_attribute("data-ticket") == str(tickets["old"])
    # received 27½ days ago, due at the end of the next working day: 24-27 days ago,
    # depending on the weekday the test runs on
    assert re.search(r"brutt for 2[4-7] d siden", overdue.first.inner_text())
    assert page.locator("#queue-count").inner_text() == "(3 saker)"
    screenshot(page, "queue-390")

    # the ticket page: the answer buttons and the actions come before the facts
    page.click(f"#queue-rows a[href='/tickets/{tickets['paged']}'] >> nth=0")
    page.wait_for_url(f"{live_desk.url}/tickets/{tickets['paged']}")
    assert sideways_overflow(page) == 0
    ack = page.locator("button[value=ack]")
    facts = page.locator("#facts-title")
    assert ack.bounding_box()["y"] < facts.bounding_box()["y"]
    assert ack.bounding_box()["y"] < 844  # on the first screen
    screenshot(page, "ticket-390")
    ack.click()
    page.wait_for_load_state()
    assert "Kvittert" in page.locator(".flash").inner_text()
    assert page.locator(".banner.acked").count() == 1
    page.click("button[value=start]")
    page.wait_for_load_state()
    assert "Arbeid startet" in page.locator(".flash").inner_text()
    assert page.locator("button[value=start]").count() == 0

    # the on-call page: the SMS she got, answered from the demo's form, the reply beside it
    page.goto(f"{live_desk.url}/oncall")
    assert sideways_overflow(page) == 0
    page.fill("input[name=body]", "HJELP")
    page.click("text=Send svar")
    page.wait_for_load_state()
    assert "Svar fra Kari Vakt" in page.locator(".flash").inner_text()
    assert "«HJELP»" in page.locator("table.sms").inner_text()
    screenshot(page, "oncall-390")


def test_an_agent_registers_a_phone_call_as_a_ticket(live_desk: LiveDesk, phone_page: Any) -> None:
    seed(live_desk)
    page = phone_page
    log_in(page, live_desk, "kari")
    page.click("summary:has-text('Ny sak')")
    form = page.locator("#new-ticket")
    form.locator("input[name=subject]").fill("Skriveren i resepsjonen er tom for toner")
    form.locator("textarea[name=text]").fill("Ringte inn kl. 09. Trenger ny toner i dag.")
    form.locator("input[name=requester_name]").fill("Siri Resepsjon")
    form.locator("input[name=requester_phone]").fill("+47 912 34 567")
    screenshot(page, "new-ticket-390")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/tickets/*")
    assert "Skriveren i resepsjonen er tom for toner" in page.locator("h1").inner_text()
    assert "er registrert" in page.locator(".flash").inner_text()
    assert "telefon" in page.content()


def test_the_language_switch_and_both_locales(live_desk: LiveDesk, browser_page: Any) -> None:
    tickets = seed(live_desk)
    page = browser_page
    page.set_viewport_size(DESKTOP)
    log_in(page, live_desk, "mona")
    assert page.locator("h1").first.inner_text().startswith("Kø")
    page.select_option("select[name=locale]", "en")  # applies on change
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").first.inner_text().startswith("Queue")
    assert page.locator("text=My tickets").count() == 1
    assert re.search(r"breached 2[4-7] d ago", page.locator("#queue-overdue").inner_text())
    screenshot(page, "queue-1280-en")
    page.goto(f"{live_desk.url}/tickets/{tickets['paged']}")
    assert page.locator("#actions-title").inner_text() == "Actions"
    page.goto(f"{live_desk.url}/reports")
    assert page.locator("h1").inner_text() == "Breach report"
    page.select_option("select[name=locale]", "nb")
    page.wait_for_function("document.documentElement.lang === 'nb'")
    assert page.locator("h1").inner_text() == "Bruddrapport"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_axe_finds_no_serious_problems_on_the_queue_and_ticket_pages(
    live_desk: LiveDesk, browser_page: Any, axe_js: Path, viewport: dict[str, int]
) -> None:
    tickets = seed(live_desk)
    page = browser_page
    page.set_viewport_size(viewport)
    log_in(page, live_desk, "kari")
    width = viewport["width"]
    problems = {"queue": axe_violations(page, axe_js)}
    screenshot(page, f"queue-{width}")
    page.goto(f"{live_desk.url}/tickets/{tickets['paged']}")
    problems["ticket"] = axe_violations(page, axe_js)
    screenshot(page, f"ticket-{width}")
    page.goto(f"{live_desk.url}/oncall")
    screenshot(page, f"oncall-{width}")
    assert problems == {"queue": [], "ticket": []}
