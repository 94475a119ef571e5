"""The SLA core's sentences on the desk's pages: a ticket's rule, its readings and the
notes on where its deadline is are bokmål in the nb desk and English in the en desk, with
durations and times written for the locale. (The JSON API and the CLI keep the English
the core writes, as DESIGN.md fixes it: tests/web/test_api.py and tests/cli say so.)"""

from __future__ import annotations

import html
import importlib
import pkgutil
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session, sessionmaker

import sla
import triage
from config.catalog import Catalog
from tests.web.support import oslo
from tests.web.ui_support import csrf_token, logged_in
from tests.workers.escalation_support import new_ticket
from web import i18n

HTTPS = "https://localhost"
FRIDAY_EVENING = oslo(2026, 3, 13, 17, 0)  # outside office hours: the clock starts Monday


def _page(client: FlaskClient, ticket_id: int) -> str:
    response = client.get(f"/tickets/{ticket_id}", base_url=HTTPS)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _in_english(client: FlaskClient) -> None:
    response = client.post(
        "/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")}, base_url=HTTPS
    )
    assert response.status_code == 303


def test_a_ticket_without_a_target_says_so_in_the_readers_language(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    ticket_id = new_ticket(
        sessions, catalog, "nettsoft-network", FRIDAY_EVENING, FRIDAY_EVENING, "non-critical"
    )
    agent = logged_in(app, "agent")
    page = _page(agent, ticket_id)
    assert "ingen responstid (måles, men brytes aldri) (004 §2.3" in page  # Avtaleregel
    assert "ikke-kritisk: ingen responstid (måles, men brytes aldri)" in page  # Lesemåte
    assert "klokke: man.–fre. 08:00-16:00; stengt på offentlige helligdager i NO" in page
    assert "no response target" not in page and "clock: Mon-Fri" not in page

    _in_english(agent)
    page = _page(agent, ticket_id)
    assert "non-critical: no response target (measured, never breached) (004 §2.3" in page
    assert "clock: Mon–Fri 08:00-16:00; closed on NO public holidays" in page
    assert "ingen responstid" not in page


def test_a_ticket_with_readings_shows_them_in_bokmal_and_in_english(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """nettsoft-mbn's 60 minutes on working days, read Monday–Friday; the alternative
    reading (Saturday is a virkedag) would move the deadline to Saturday 09:00."""
    ticket_id = new_ticket(
        sessions, catalog, "nettsoft-mbn", FRIDAY_EVENING, FRIDAY_EVENING, "non-critical"
    )
    agent = logged_in(app, "agent")
    page = _page(agent, ticket_id)
    assert "60 min arbeidstid (004 §2.6" in page
    assert (
        "mottatt fredag 13.03.2026 17:00 utenfor kalenderens åpningstid: klokken starter "
        "når neste vindu åpner, mandag 16.03.2026 08:00"
    ) in page
    assert re.search(
        r"alternativ lesing \(Saturday is a virkedag [^;]*; til fordel for kunden, 004 §2\.6[^)]*\): "
        r"da ville fristen vært 14\.03\.2026 09:00 i stedet for den valgte lesingen "
        r"«virkedag = Monday-Friday»",
        page,
    ), page
    for english in ("business minutes", "outside the calendar", "alternative reading", "PT60M"):
        assert english not in page

    _in_english(agent)
    page = _page(agent, ticket_id)
    assert "60 min of business time (004 §2.6" in page
    assert (
        "received Friday 13.03.2026 17:00 outside the calendar's open hours: the clock "
        "starts when the next window opens, Monday 16.03.2026 08:00"
    ) in page
    assert "favours the customer, 004 §2.6" in page
    assert "the deadline would be 14.03.2026 09:00 instead of the chosen reading" in page
    assert "arbeidstid" not in page and "alternativ lesing" not in page


def _all_core_templates() -> dict[str, object]:
    for package in (sla, triage):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".store" not in module.name:
                importlib.import_module(module.name)
    for module in ("ticket_actions", "users", "fees"):  # the store's sentences for people
        importlib.import_module(f"triage.store.{module}")
    from sla.text import TEMPLATES

    return dict(TEMPLATES)


def test_every_core_sentence_has_bokmal_and_english_with_the_same_values(app: Flask) -> None:
    templates = _all_core_templates()
    assert set(templates) == set(i18n.CORE_TEXTS), "add the key to web.i18n.CORE_TEXTS"
    placeholder = re.compile(r"%\((\w+)\)s")
    for key, template in templates.items():
        fields = set(template.fields)  # type: ignore[attr-defined]
        for locale in ("nb", "en"):
            with app.test_request_context(), force_locale(locale):
                assert set(placeholder.findall(str(i18n.CORE_TEXTS[key]))) == fields, key


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("nb", "krev skriftlig innen 17.02.2026: 10 virkedager etter bruddet (§2)"),
        ("en", "claim in writing by 17.02.2026: 10 working days after the breach (§2)"),
    ],
)
def test_penalty_notes_are_written_for_the_locale(
    app: Flask, catalog: Catalog, locale: str, expected: str
) -> None:
    from datetime import date
    from decimal import Decimal

    from sla.claims import ClaimFrom, PromptClaim
    from sla.penalty import FeeFormula, PenaltyRule, Stacking, period_penalty
    from sla.periods import Period

    rule = PenaltyRule(
        Decimal(50), Stacking.ONCE_PER_PERIOD, 1, 12, "§2",
        PromptClaim(10, True, ClaimFrom.BREACH, "§2", catalog.calendars["office-hours"]),
    )  # fmt: skip
    fee = FeeFormula(Decimal("1000"), Decimal("12.50"), 3, 10)
    penalty = period_penalty(
        rule, fee, Period.containing(date(2026, 2, 3), 3), 10, 2, date(2026, 2, 3)
    )
    with app.test_request_context(), force_locale(locale):
        shown = [i18n.note(n) for n in penalty.notes]
    assert any(n.startswith(expected) for n in shown), shown
    if locale == "nb":
        assert shown[0] == (
            "avgift 2026Q2: (1\xa0000 + 10 × 12,50) × 3 måneder = NOK 3\xa0375,00 eks. mva."
        )
        assert "ett trekk på 50 % (§2)" in shown[1]
    else:
        assert shown[0] == str(penalty.notes[0]).replace("1000", "1,000").replace(
            "3375.00", "3,375.00"
        )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "nb",
            (
                "mars 2026: D = 344 t kjernetid (man.–fre. 07:00-21:00; lør. 09:00-18:00;",
                "avbrudd 18.03.2026 07:00 – 18.03.2026 09:30 (2 t 30 min, 10 av 10 brukere, "
                "årsak planned-maintenance): teller, 2 t 30 min kjernetid i mars 2026 (10 av 10 "
                "brukere berørt, 5 trengs; planlagt vedlikehold der vilkårene ikke holder: "
                "varslet 1 d før start; krever varsel minst 5 d i forveien, så det teller som et "
                "uplanlagt avbrudd (004 §3.7 6.1-6.6))",
                "N = 17 t 30 min; oppetid = (D − N) / D × 100 = 94,91279… % (vist som 94,91 %)",
                "garantert oppetid 99,5 % ikke oppfylt",
                "kreditt-trinn [0; 95) % gjelder: 40 % reduksjon av månedsavgiften for mars 2026",
                "avbrudd 19.03.2026 07:00 – 19.03.2026 09:00 (3 brukere): teller ikke, unntatt i "
                "avbruddsregisteret: kundens utstyr",
                "tjenestens antall brukere ble ikke oppgitt: regnet med 10 brukere",
                "løpende: målt til 20.03.2026 12:00; avbrudd som pågår teller frem til da",
            ),
        ),
        (
            "en",
            (
                "March 2026: D = 344 h of core time (Mon–Fri 07:00-21:00; Sat 09:00-18:00;",
                "outage 18.03.2026 07:00 – 18.03.2026 09:30 (2 h 30 min, 10 of 10 users, cause "
                "planned-maintenance): counted, 2 h 30 min of core time in March 2026 (10 of 10 "
                "users affected, 5 needed; planned maintenance whose conditions do not hold: "
                "announced 1 d before the start; it needs a notice of at least 5 d, so it counts "
                "like an unplanned outage (004 §3.7 6.1-6.6))",
                "N = 17 h 30 min; uptime = (D − N) / D × 100 = 94.91279… % (displayed 94.91 %)",
                "guaranteed availability 99.5 % missed",
                "credit tier [0, 95) % applies: 40 % reduction of the monthly fee for March 2026",
                "the service's user count was not given: computed with 10 users",
            ),
        ),
    ],
)
def test_availability_notes_are_written_for_the_locale(
    app: Flask, catalog: Catalog, locale: str, expected: tuple[str, ...]
) -> None:
    """The month's notes (``sla.availability`` and the outage register) in the reader's
    language with the locale's figures; the CLI's English stays as it was."""
    from datetime import date, datetime

    from sla.periods import Period
    from triage.availability_register import RecordedOutage, month_figures

    contract = catalog.get("nettsoft-vps-terminal")

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return oslo(2026, 3, day, hour, minute)

    register = [
        RecordedOutage(1, contract.id, at(16, 7), at(17, 8), 10, "", False, None),
        RecordedOutage(
            2, contract.id, at(18, 7), at(18, 9, 30), 10, "planned-maintenance", False, None,
            announced_at=at(17, 7),
        ),
        RecordedOutage(3, contract.id, at(19, 7), at(19, 9), 3, "strøm", True, "kundens utstyr"),
    ]  # fmt: skip
    figures = month_figures(
        contract, Period.containing(date(2026, 3, 1), 1), None, register, at(20, 12)
    )
    assert figures is not None
    assert (
        "announced 1 day before the start; it needs a notice of at least 5 days"
        in (figures.notes[3])
    )  # the CLI's English, unchanged
    with app.test_request_context(), force_locale(locale):
        shown = " | ".join(i18n.note(n) for n in figures.notes)
    for sentence in expected:
        assert sentence in shown, (sentence, shown)
    if locale == "nb":
        figures_only = re.sub(r"\d\d\.\d\d\.\d{4}", " ", shown.replace("§3.7 6.1-6.6", " "))
        assert not re.search(r"\d\.\d", figures_only), figures_only


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("nb", "lesing brukt for trinn [95; 96) %: Lesing: kreditt-tabellen sier ikke"),
        ("en", "reading applied to tier [95, 96) %: Reading: the credit table leaves"),
    ],
)
def test_a_tier_reading_is_in_the_readers_language(
    app: Flask, catalog: Catalog, locale: str, expected: str
) -> None:
    from sla.availability import Outage, month_availability

    terms = catalog.get("nettsoft-vps-terminal").terms[-1].availability
    assert terms is not None
    down = Outage(oslo(2026, 3, 16, 7), oslo(2026, 3, 17, 8), 40)  # 15 h of 344: 95,64 %
    result = month_availability(terms, 2026, 3, 40, [down])
    assert any(n.startswith("reading applied to tier [95, 96) %: Reading:") for n in result.notes)
    with app.test_request_context(), force_locale(locale):
        shown = [i18n.note(n) for n in result.notes]
    assert any(n.startswith(expected) for n in shown), shown
