"""Every page a manager opens, on the desk as ``triage up --demo`` starts it (the last two
quarters of ``config/examples``), at 390 px and at 1280 px, in bokmål and in English: each
shows content from that history (rows with ticket links, money, months and quarters), none
scrolls sideways, and axe-core finds no serious or critical violation.

One browser for the module, one logged-in page per role (demo-manager; demo-admin for
``/admin``), pages reused. With ``TRIAGE_SHOTS=/tmp/shots`` each visit is saved as
``<page>-<width>-<locale>.png``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sla.local_time import OSLO
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    DemoDesk,
    axe_violations,
    now,
    screenshot,
    sideways_overflow,
)
from web.cli.demo import _history_start

pytestmark = pytest.mark.browser

#: money as either locale writes it: ``2 038,50 kr`` or ``NOK 2,038.50``
MONEY = re.compile(r"\d[\d\s\u00a0.,]*[.,]\d\d\b")
MONTH = re.compile(r"\b20\d\d-(0[1-9]|1[0-2])\b")
QUARTER = re.compile(r"\b20\d\dQ[1-4]\b")
PERCENT = re.compile(r"\d+([.,]\d+)?\s?%")


@dataclass
class Desk:
    """The module's browser: a logged-in page per role and the locale each user has now."""

    base: str
    pages: dict[str, Any]
    locales: dict[str, str] = field(default_factory=dict)

    def open(self, role: str, locale: str, viewport: dict[str, int]) -> Any:
        page = self.pages[role]
        page.set_viewport_size(viewport)
        if self.locales.get(role) != locale:
            page.goto(f"{self.base}/oncall")
            page.select_option("select[name=locale]", locale)  # the header's switch
            page.wait_for_function(f"document.documentElement.lang === '{locale}'")
            self.locales[role] = locale
        return page


def _log_in(context: Any, desk: DemoDesk, username: str) -> Any:
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{desk.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", desk.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{desk.url}/")
    return page


@pytest.fixture(scope="module")
def desk(demo_desk: DemoDesk, chromium_path: str) -> Iterator[Desk]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        contexts = {
            role: browser.new_context(viewport=DESKTOP, locale="nb-NO")
            for role in ("manager", "admin")
        }
        try:
            yield Desk(
                demo_desk.url,
                {role: _log_in(c, demo_desk, f"demo-{role}") for role, c in contexts.items()},
            )
        finally:
            for context in contexts.values():
                context.close()
            browser.close()


# ------------------------------------------------------------------ what each page must show


def _rows(page: Any, selector: str, least: int = 1) -> Any:
    rows = page.locator(selector)
    assert rows.count() >= least, f"{selector}: {rows.count()} rows on {page.url}"
    return rows


def _ticket_links(page: Any, scope: str) -> None:
    links = page.locator(f"{scope} a[href^='/tickets/']")
    assert links.count() >= 1, f"no ticket link in {scope} on {page.url}"


def queue(page: Any, base: str) -> None:
    page.goto(f"{base}/")
    _rows(page, "#queue-rows tr[data-ticket]")
    _ticket_links(page, "#queue-rows")


def ticket(page: Any, base: str) -> None:
    """A ticket from the history (a breach on the claims list) with its timeline."""
    page.goto(f"{base}/claims")
    href = page.locator("tr[data-notice] a[href^='/tickets/']").first.get_attribute("href")
    page.goto(f"{base}{href}")
    assert page.locator("h1").inner_text().startswith(f"#{href.rsplit('/', 1)[1]} ")
    _rows(page, ".timeline tbody tr", 2)


def reports(page: Any, base: str) -> None:
    page.goto(f"{base}/reports")
    assert QUARTER.search(page.locator("main h2").first.inner_text())
    contracts = _rows(page, "table.report tr[data-contract]", 5)
    tickets = [
        int(t.replace("\u00a0", "").replace(" ", ""))
        for t in contracts.locator("td[data-k=tickets]").all_inner_texts()
    ]
    assert sum(tickets) > 20, tickets
    _rows(page, "table.breaches tr[data-ticket]")
    _ticket_links(page, "table.breaches")
    assert page.locator("figure.chart svg").count() >= 1


def penalties(page: Any, base: str) -> None:
    page.goto(f"{base}/penalties")
    periods = _rows(page, "section.penalty tr[data-period]")
    assert QUARTER.search(periods.first.inner_text())
    assert MONEY.search(periods.first.locator("td[data-k=amount_nok]").inner_text())


def penalty_letter(page: Any, base: str) -> None:
    page.goto(f"{base}/penalties")
    page.locator("section.penalty tr[data-period] a[href$='/letter']").first.click()
    page.wait_for_url("**/letter")
    assert QUARTER.search(page.locator("article.letter h1").inner_text())
    _rows(page, "table.evidence tr[data-ticket]")
    assert MONEY.search(page.locator("article.letter strong").last.inner_text())


def availability(page: Any, base: str) -> None:
    page.goto(f"{base}/availability")
    months = _rows(page, "section.availability tr[data-month]", 3)
    assert MONTH.search(months.first.inner_text())
    assert PERCENT.search(months.first.locator("td[data-k=uptime_pct]").inner_text())


def _history_quarters() -> list[str]:
    """The history's first quarter (over, so its figures are final), then the running one."""
    first = _history_start(now())
    running = now().astimezone(OSLO).date()
    return [f"{d.year}Q{(d.month - 1) // 3 + 1}" for d in (first, running)]


def credit_letter(page: Any, base: str) -> None:
    """A month of the history that missed its guarantee (the outages move with the
    history's weeks: the first quarter that has one)."""
    letters = None
    for quarter in _history_quarters():
        page.goto(f"{base}/availability?quarter={quarter}")
        _rows(page, "tr[data-outage]")  # the outage register has the history's outages
        letters = page.locator("section.availability tr[data-month] a[href*='/letter']")
        if letters.count():
            break
    assert letters is not None and letters.count(), "no month missed its guarantee"
    letters.first.click()
    page.wait_for_url("**/letter*")
    assert MONTH.search(page.locator("article.letter h1").inner_text())
    assert PERCENT.search(page.locator("td[data-k=uptime_pct]").inner_text())


def claims(page: Any, base: str) -> None:
    page.goto(f"{base}/claims")
    _rows(page, "table.notices tr[data-notice]", 3)
    _ticket_links(page, "table.notices")


def claim_notice(page: Any, base: str) -> None:
    page.goto(f"{base}/claims")
    page.locator("td[data-k=number] a").first.click()
    page.wait_for_url(re.compile(r".*/claims/\d+$"))
    number = page.locator("[data-k=number]").inner_text()
    assert re.fullmatch(r"R-20\d\d-\d{4}", number), number
    assert page.locator("[data-k=due]").inner_text().strip()


def catalog(page: Any, base: str) -> None:
    page.goto(f"{base}/catalog")
    _rows(page, "section.contract", 10)
    assert MONEY.search(page.locator("main").inner_text())  # fees in the fee table


def oncall(page: Any, base: str) -> None:
    """The demo's roster, and the SMS the fresh critical tickets sent (ticket links)."""
    page.goto(f"{base}/oncall")
    assert "Kari Nordmann" in page.locator("main").inner_text()
    _rows(page, "table.sms tbody tr")
    _ticket_links(page, "table.sms")


def admin(page: Any, base: str) -> None:
    page.goto(f"{base}/admin")
    users = page.locator("#brukere tbody").inner_text()
    assert {"demo-agent", "demo-manager", "demo-admin"} <= set(users.split())
    assert "Kari Nordmann" in page.locator("#ansatte").inner_text()


PAGES: dict[str, tuple[str, Callable[[Any, str], None]]] = {
    "queue": ("manager", queue),
    "ticket": ("manager", ticket),
    "reports": ("manager", reports),
    "penalties": ("manager", penalties),
    "penalty-letter": ("manager", penalty_letter),
    "availability": ("manager", availability),
    "credit-letter": ("manager", credit_letter),
    "claims": ("manager", claims),
    "claim-notice": ("manager", claim_notice),
    "catalog": ("manager", catalog),
    "oncall": ("manager", oncall),
    "admin": ("admin", admin),
}
VIEWPORTS = {"390": PHONE, "1280": DESKTOP}
#: locale outermost, so each user switches language once per locale
CASES = [
    pytest.param(name, locale, width, id=f"{name}-{width}-{locale}")
    for locale in ("nb", "en")
    for width in VIEWPORTS
    for name in PAGES
]


@pytest.mark.parametrize(("name", "locale", "width"), CASES)
def test_manager_page_with_the_demo_history(
    desk: Desk, axe_js: Path, name: str, locale: str, width: str
) -> None:
    role, visit = PAGES[name]
    page = desk.open(role, locale, VIEWPORTS[width])
    visit(page, desk.base)
    assert page.evaluate("document.documentElement.lang") == locale
    screenshot(page, f"{name}-{width}-{locale}")
    problems = {
        "sideways": sideways_overflow(page),
        "wider than the window": page.evaluate(
            "document.scrollingElement.scrollWidth > window.innerWidth"
        ),
        "axe": axe_violations(page, axe_js),
    }
    assert problems == {"sideways": 0, "wider than the window": False, "axe": []}
