"""Managers' pages: reports, CSV, penalties and claim letters, availability and the outage
register, the catalog. Against both databases, with the app clock fixed.

The scenario (Europe/Oslo), imported with ``triage.store.importer.import_csv`` and worked
out by hand from CONTRACTS.md; "now" is Wednesday 2026-04-01 12:00 (CEST):

MBN (60 business minutes, Mon-Fri 08-16):
  m0  Mon 2025-12-01 10:00, responded 11:05      due 11:00        breached  65 min  (2025Q4)
  m1  Mon 2026-01-05 09:00, responded 09:30      due 10:00        met       30 min
  m2  Fri 2026-01-09 15:30, responded Mon 08:45  due Mon 01-12 08:30 breached 30+45 = 75 min
  m3  Tue 2026-02-03 10:00, responded 11:30      due 11:00        breached  90 min
  m4  Tue 2026-03-31 15:30, no response          due Wed 04-01 08:30 -> breached at 12:00
      (subject "<script>alert(1)</script>")
Unifon BN (the same 60 minutes):
  b1  Mon 2026-03-02 08:00, responded 09:10      due 09:00        breached  70 min
      (subject "=1+2": a spreadsheet formula)
Pindena (end of next working day, 16:00):
  p1  Fri 2026-02-06 12:00, responded Mon 15:00  due Mon 02-09 16:00 met 240+420 = 660 min
  p2  Tue 2026-03-31 10:00, no response          due Wed 04-01 16:00 -> open at 12:00
Sensio (no target):
  s1  Tue 2026-02-10 10:00, responded 10:20      tickets only; 20 min

2026Q1 per contract:
  MBN     4 tickets, 1 met, 3 breached, 0 open, 75.0 %, median(30, 75, 90) = 75.0,
          p90 = 75 + 0.8 × (90 − 75) = 87.0
  BN      1 ticket, 0 met, 1 breached, 100.0 %, median = p90 = 70.0
  Nettsoft (vendor) 5, 1, 4, 0, 80.0 %; minutes 30, 70, 75, 90: median 72.5,
          p90 = 75 + 0.7 × 15 = 85.5
  Pindena 2 tickets, 1 met, 0 breached, 1 open, 0.0 %, 660.0 / 660.0
  Sensio  1 ticket, no judged tickets (rate –), 20.0 / 20.0
Penalties (50 % of (199 + 40 × 29) × 3 = 4077.00 → 2038.50 on the next quarter's invoice):
  MBN 2025Q4: 1 breach, first missed 2025-12-01 → claim by 2026-12-01, 244 days left
  MBN 2026Q1: 3 breaches, first missed 2026-01-12 → claim by 2027-01-12, 286 days left
  BN  2026Q1: 1 breach, first missed 2026-03-02 → claim by 2027-03-02, 335 days left

Availability, March 2026 (22 weekdays, 4 Saturdays, no holidays: D = 22 × 14 + 4 × 9 =
344 h), 40 users:
  VPS-Access: 4 h on Tue 03-10 09-13 for 12 users counts; 1 h for 40 users excluded in the
  register (customer's firewall); 2 h for 3 users is not downtime → N = 4 h, 98.84 %, 10 %.
  VPS-Terminal: Mon 03-16 07:00 → Tue 03-17 08:00 for 10 users: 14 h + 1 h of core time →
  N = 15 h, (344 − 15) / 344 = 95.64 %: the band 95–96 % the table leaves unstated → 40 %
  under the catalog's reading, which the page shows.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from flask import Flask, abort
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, insert, select, update

from config.catalog import Catalog, load_catalog
from sla.severity import Severity
from tests.web.conftest import Clock
from tests.web.ui_support import csrf_token, logged_in
from triage.classify import classify
from triage.report import TicketFacts, build_report, day_bounds, percentile, report_csv_rows
from triage.report_period import PeriodError, billing_period, chart_buckets, report_period
from triage.store.importer import import_csv
from triage.store.models import Outage, Ticket
from triage.store.tickets import report_facts
from web.cli import cli
from web.desk import desk
from web.ui import reports as reports_view
from web.ui.reports import BREACHES_SHOWN, SUMMARY_COLUMNS

OSLO = ZoneInfo("Europe/Oslo")
HTTPS = "https://localhost"
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=OSLO)
SCRIPT = "<script>alert(1)</script>"
HEADER = "external_id,contract,received_at,responded_at,severity,channel,subject,body\n"
ROWS = (
    "m0,nettsoft-mbn,2025-12-01T10:00,2025-12-01T11:05,non-critical,email,Sentralbord,Nede\n"
    "m1,nettsoft-mbn,2026-01-05T09:00,2026-01-05T09:30,non-critical,email,MBN,Svarer ikke\n"
    "m2,nettsoft-mbn,2026-01-09T15:30,2026-01-12T08:45,critical,phone,MBN,Sentralbord nede\n"
    "m3,nettsoft-mbn,2026-02-03T10:00,2026-02-03T11:30,critical,chat,MBN,Nede\n"
    f"m4,nettsoft-mbn,2026-03-31T15:30,,non-critical,email,{SCRIPT},Treg\n"
    "b1,nettsoft-unifon-bn,2026-03-02T08:00,2026-03-02T09:10,non-critical,phone,=1+2,Nede\n"
    "p1,pindena,2026-02-06T12:00,2026-02-09T15:00,non-critical,email,Pindena,Feiler\n"
    "p2,pindena,2026-03-31T10:00,,non-critical,email,Pindena,Feil\n"
    "s1,sensio-velferd,2026-02-10T10:00,2026-02-10T10:20,non-critical,chat,Sensio,Alarmer\n"
)
MANAGER_PAGES = (
    "/reports",
    "/reports/summary.csv",
    "/reports/tickets.csv",
    "/penalties",
    "/penalties/nettsoft-mbn/2026Q1/letter",
    "/availability",
    "/catalog",
)


def _classify(subject: str, body: str, channel: str) -> tuple[Severity, tuple[str, ...]]:
    result = classify(body, subject, channel)
    return result.severity, result.reasons


@pytest.fixture
def scenario(app: Flask, catalog: Catalog, clock: Clock) -> Flask:
    clock.now = NOW
    with app.app_context():
        sessions = desk().sessions
    result = import_csv(sessions, catalog, (HEADER + ROWS).encode(), _classify, NOW)
    assert (result.imported, result.rejected) == (9, [])
    return app


@pytest.fixture
def manager(scenario: Flask) -> FlaskClient:
    return logged_in(scenario, "manager")


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path, base_url=HTTPS)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _row(html: str, attribute: str, value: str) -> dict[str, str]:
    """The ``data-k`` cells of the table row marked ``attribute="value"``."""
    match = re.search(rf'<tr[^>]*\b{attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value!r}"
    cells = re.findall(r'data-k="([^"]+)"[^>]*>(.*?)</td>', match.group(1), re.S)
    return {
        key: " ".join(re.sub(r"<[^>]+>", "", text).replace("\xa0", " ").split())
        for key, text in cells
    }


def _nb(figure: object) -> str:
    """A figure as the desk writes it in Norwegian bokmål (decimal comma)."""
    return str(figure).replace(".", ",")


def _section(html: str, contract_id: str) -> str:
    match = re.search(
        rf'<section[^>]*data-contract="{contract_id}"[^>]*>(.*?)</section>', html, re.S
    )
    assert match, f"no section for {contract_id}"
    return match.group(1)


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _triage(database_url: str, tmp_path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    """The real ``triage`` command, in this process, on the test's database."""
    env = {"DATABASE_URL": database_url, "TRIAGE_DATA_DIR": str(tmp_path), "TRIAGE_CATALOG": ""}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _post_outage(client: FlaskClient, token: str | None = "auto", **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "contract": "nettsoft-vps-access",
        "start": "2026-03-10T09:00",
        "end": "2026-03-10T13:00",
        "affected_users": "12",
        "cause": "strømbrudd i datasenteret",
        **fields,
    }
    if token == "auto":
        data["csrf_token"] = csrf_token(client, "/availability")
    elif token is not None:
        data["csrf_token"] = token
    return client.post("/availability/outages", data=data, base_url=HTTPS)


def _outage_count(app: Flask) -> int:
    with app.app_context(), desk().sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Outage)) or 0)


# ------------------------------------------------------------------ roles


def test_an_agent_gets_403_on_every_manager_page(scenario: Flask) -> None:
    agent = logged_in(scenario, "agent")
    for path in MANAGER_PAGES:
        assert agent.get(path, base_url=HTTPS).status_code == 403, path
    token = csrf_token(agent, "/")
    for path in ("/availability/outages", "/availability/outages/1/delete"):
        response = agent.post(path, data={"csrf_token": token}, base_url=HTTPS)
        assert response.status_code == 403, path


def test_manager_pages_need_a_login_and_appear_in_the_managers_nav(manager: FlaskClient) -> None:
    anonymous = manager.application.test_client()
    response = anonymous.get("/reports", base_url=HTTPS)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = _page(manager, "/catalog")
    for path in ("/reports", "/penalties", "/availability", "/catalog"):
        assert f'href="{path}"' in page


# ------------------------------------------------------------------ reports


def test_report_figures_per_vendor_and_contract(manager: FlaskClient) -> None:
    page = _page(manager, "/reports?quarter=2026Q1")
    assert "2026Q1" in page and "2026-01-01" in page and "2026-03-31" in page
    assert _row(page, "data-contract", "nettsoft-mbn") == {
        "tickets": "4",
        "met": "1",
        "breached": "3",
        "open": "0",
        "breach_rate": "75,0 %",
        "median": "75,0",
        "p90": "87,0",
    }
    assert _row(page, "data-contract", "nettsoft-unifon-bn") == {
        "tickets": "1",
        "met": "0",
        "breached": "1",
        "open": "0",
        "breach_rate": "100,0 %",
        "median": "70,0",
        "p90": "70,0",
    }
    assert _row(page, "data-vendor", "Nettsoft") == {
        "tickets": "5",
        "met": "1",
        "breached": "4",
        "open": "0",
        "breach_rate": "80,0 %",
        "median": "72,5",
        "p90": "85,5",
    }
    pindena = _row(page, "data-contract", "pindena")
    assert (pindena["tickets"], pindena["met"], pindena["breached"], pindena["open"]) == (
        "2",
        "1",
        "0",
        "1",
    )
    assert (pindena["breach_rate"], pindena["median"], pindena["p90"]) == (
        "0,0 %",
        "660,0",
        "660,0",
    )
    sensio = _row(page, "data-contract", "sensio-velferd")
    assert (sensio["tickets"], sensio["breach_rate"], sensio["median"]) == ("1", "–", "20,0")
    assert 'data-contract="mobile-worker"' not in page  # no tickets, no row


def test_report_charts_are_inline_svg_without_scripts(manager: FlaskClient) -> None:
    page = _page(manager, "/reports?quarter=2026Q1")
    assert page.count("<svg") == 2
    assert "<?xml" not in page
    # the only script on the page is the desk's own, from base.html
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/desk.js" defer>'], (
        re.findall(r"<script[^>]*>", page)
    )
    assert "uke 2" in page and "uke 14" in page  # weekly buckets over a quarter
    yearly = _page(manager, "/reports?from=2025-01-01&to=2026-03-31")
    assert "2025-12" in yearly and "2026-03" in yearly  # monthly buckets over a longer range


def test_report_period_defaults_to_the_current_quarter_and_takes_month_and_custom(
    manager: FlaskClient,
) -> None:
    assert "2026Q2" in _page(manager, "/reports")  # now is 2026-04-01
    march = _page(manager, "/reports?month=2026-03")
    assert _row(march, "data-contract", "nettsoft-mbn")["tickets"] == "1"  # m4
    custom = _page(manager, "/reports?from=2025-12-01&to=2026-01-31")
    mbn = _row(custom, "data-contract", "nettsoft-mbn")
    assert (mbn["tickets"], mbn["breached"]) == ("3", "2")  # m0, m1, m2


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "quarter=2026Q5",
        "from=2026-03-01",
        "from=2026-03-31&to=2026-03-01",
        "from=yesterday&to=today",
        "month=2026-03&quarter=2026Q1",
        "month=0000-01",
        "quarter=9999Q4",
    ],
)
def test_a_bad_period_is_a_400_with_a_message_never_a_500(manager: FlaskClient, query: str) -> None:
    page = _page(manager, f"/reports?{query}", 400)
    assert 'class="flash error"' in page
    assert manager.get(f"/reports/tickets.csv?{query}", base_url=HTTPS).status_code == 400


def _in_locale(client: FlaskClient, locale: str) -> None:
    token = csrf_token(client, "/reports")
    switched = client.post(
        "/language", data={"locale": locale, "csrf_token": token}, base_url=HTTPS
    )
    assert switched.status_code == 303


@pytest.mark.parametrize(
    ("query", "nb", "en"),
    [
        (
            "from=2026-03-31&to=2026-03-01",
            "til-datoen er før fra-datoen",
            "the to date is before the from date",
        ),
        (
            "month=2026-13",
            "måned «2026-13» er ikke på formen ÅÅÅÅ-MM (f.eks. 2026-03)",
            "month '2026-13' is not of the form YYYY-MM (e.g. 2026-03)",
        ),
        (
            "from=yesterday&to=2026-03-01",
            "fra-dato «yesterday» er ikke en dato (ÅÅÅÅ-MM-DD)",
            "from date 'yesterday' is not a date (YYYY-MM-DD)",
        ),
        (
            "month=2026-03&quarter=2026Q1",
            "velg én periode, ikke flere: month, quarter",
            "choose one period, not several: month, quarter",
        ),
        ("month=0000-01", "perioden må ligge mellom år 1900 og 2999", "between the years 1900"),
    ],
)
@pytest.mark.parametrize("path", ["/reports", "/availability"])
def test_a_bad_period_is_said_in_the_readers_language(
    manager: FlaskClient, path: str, query: str, nb: str, en: str
) -> None:
    page = html.unescape(_page(manager, f"{path}?{query}", 400))
    assert nb in page and en not in page
    _in_locale(manager, "en")
    page = html.unescape(_page(manager, f"{path}?{query}", 400))
    assert en in page and nb not in page


def test_a_contract_gone_from_the_catalog_is_named_in_the_readers_language(
    scenario: Flask, manager: FlaskClient
) -> None:
    with scenario.app_context(), desk().sessions() as session:
        session.execute(
            update(Ticket).where(Ticket.external_id == "s1").values(contract_id="gone-contract")
        )
        session.commit()
    page = html.unescape(_page(manager, "/reports?quarter=2026Q1"))
    assert "(avtale ikke i katalogen)" in page and "not in the catalog" not in page
    _in_locale(manager, "en")
    page = html.unescape(_page(manager, "/reports?quarter=2026Q1"))
    assert "(contract not in the catalog)" in page and "avtale ikke i katalogen" not in page


@pytest.mark.parametrize(
    ("path", "status", "nb", "en"),
    [
        (
            "/availability/nowhere/2026-03/letter",
            404,
            "ukjent avtale med tilgjengelighetsgaranti «nowhere»",
            "unknown contract with an availability guarantee 'nowhere'",
        ),
        (
            "/availability/nettsoft-vps-terminal/2026-13/letter",
            400,
            "måned «2026-13»: skriv ÅÅÅÅ-MM",
            "month '2026-13': write YYYY-MM",
        ),
        (
            "/availability/nettsoft-vps-terminal/1800-01/letter",
            400,
            "måned «1800-01»: utenfor årene 1900-9998",
            "month '1800-01': outside the years 1900-9998",
        ),
        ("/penalties/nowhere/2026Q1/letter", 404, "ukjent avtale «nowhere»", "unknown contract"),
        (
            "/penalties/nettsoft-mbn/2025Q1/letter",
            404,
            "ingen brudd med trekk for nettsoft-mbn i 2025Q1",
            "no breaches with a deduction for nettsoft-mbn in 2025Q1",
        ),
    ],
)
def test_a_letter_that_cannot_be_written_says_why_in_the_readers_language(
    manager: FlaskClient, monkeypatch: pytest.MonkeyPatch, path: str, status: int, nb: str, en: str
) -> None:
    """The reason the view gives with its 4xx (the error page itself shows the status's
    own sentence for a 400 or 404: web/errors.py), caught on its way to ``abort``."""
    reasons: list[str] = []

    def recording_abort(code: int, description: str) -> NoReturn:
        reasons.append(str(description))
        abort(code, description=description)

    monkeypatch.setattr(reports_view, "abort", recording_abort)
    _page(manager, path, status)
    assert nb in reasons[-1] and en not in reasons[-1]
    _in_locale(manager, "en")
    _page(manager, path, status)
    assert en in reasons[-1] and nb not in reasons[-1]


def test_summary_csv_has_the_report_columns_and_rows(manager: FlaskClient) -> None:
    response = manager.get("/reports/summary.csv?quarter=2026Q1", base_url=HTTPS)
    rows = _csv(response)
    assert "attachment" in response.headers["Content-Disposition"]
    assert list(rows[0]) == [
        "vendor",
        "contract",
        "tickets",
        "met",
        "breached",
        "open",
        "breach_rate",
        "median_response_business_minutes",
        "p90_response_business_minutes",
        "penalty_period",
        "deduction_pct",
        "amount_nok",
        "applies_to",
        "claim_by",
        "claim_promptly_by",
    ]
    by_contract = {row["contract"]: row for row in rows}
    assert list(by_contract) == ["nettsoft-mbn", "nettsoft-unifon-bn", "pindena", "sensio-velferd"]
    assert by_contract["nettsoft-mbn"] == {
        "vendor": "Nettsoft",
        "contract": "nettsoft-mbn",
        "tickets": "4",
        "met": "1",
        "breached": "3",
        "open": "0",
        "breach_rate": "0.75",
        "median_response_business_minutes": "75.0",
        "p90_response_business_minutes": "87.0",
        "penalty_period": "2026Q1",
        "deduction_pct": "50",
        "amount_nok": "2038.50",
        "applies_to": "2026Q2",
        "claim_by": "2027-01-12",
        # 10 working days after the first missed deadline, Monday 12.01.2026
        "claim_promptly_by": "2026-01-26",
    }
    assert by_contract["sensio-velferd"]["breach_rate"] == ""
    assert by_contract["pindena"]["penalty_period"] == ""


def test_tickets_csv_lists_every_ticket_with_its_outcome_and_quotes_formulas(
    manager: FlaskClient,
) -> None:
    rows = _csv(manager.get("/reports/tickets.csv?quarter=2026Q1", base_url=HTTPS))
    assert list(rows[0]) == [
        "id",
        "contract",
        "severity",
        "received",
        "due",
        "responded",
        "business_minutes",
        "outcome",
        "subject",
    ]
    assert len(rows) == 8  # m0 is in 2025Q4
    by_subject = {row["subject"]: row for row in rows}
    m4 = by_subject[SCRIPT]  # kept as text in a text/csv attachment, never rendered
    assert m4["contract"] == "nettsoft-mbn" and m4["severity"] == "non-critical"
    assert m4["received"] == "2026-03-31T15:30:00+02:00"
    assert m4["due"] == "2026-04-01T08:30:00+02:00"
    assert (m4["responded"], m4["business_minutes"], m4["outcome"]) == ("", "", "breached")
    assert by_subject["'=1+2"]["outcome"] == "breached"  # a formula is neutralised
    m2 = next(r for r in rows if r["received"] == "2026-01-09T15:30:00+01:00")
    assert (m2["due"], m2["responded"]) == (
        "2026-01-12T08:30:00+01:00",
        "2026-01-12T08:45:00+01:00",
    )
    assert (m2["business_minutes"], m2["outcome"]) == ("75.0", "breached")
    outcomes = sorted(r["outcome"] for r in rows)
    assert outcomes == ["breached"] * 4 + ["met"] * 2 + ["no-target", "open"]
    assert all(r["id"].isdigit() for r in rows)


def test_a_subject_with_markup_is_escaped_in_the_html(manager: FlaskClient) -> None:
    page = _page(manager, "/reports?quarter=2026Q1")
    assert SCRIPT not in page
    assert str(escape(SCRIPT)) in page  # the breach list shows it as text
    letter = _page(manager, "/penalties/nettsoft-mbn/2026Q1/letter")
    assert SCRIPT not in letter and str(escape(SCRIPT)) in letter


# ------------------------------------------------------------------ penalties


def test_penalties_match_triage_report_for_the_same_data(
    manager: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    page = _page(manager, "/penalties")
    cli_report = _triage(
        database_url, tmp_path, "report", "--from", "2025-10-01", "--to", "2026-03-31"
    )
    expected = {
        (row["contract"], p["period"]): p
        for row in cli_report["contracts"]
        for p in row["penalties"]
    }
    assert set(expected) == {
        ("nettsoft-mbn", "2025Q4"),
        ("nettsoft-mbn", "2026Q1"),
        ("nettsoft-unifon-bn", "2026Q1"),
    }
    today = NOW.date()  # the fixture's clock
    for (contract_id, period), penalty in expected.items():
        shown = _row(_section(page, contract_id), "data-period", period)
        # the countdown runs to the prompt-claim date, not to the 12-month outer limit
        left = (date.fromisoformat(penalty["claim_promptly_by"]) - today).days
        assert shown == {
            "breaches": str(penalty["breaches"]),
            "deduction_pct": f"{penalty['deduction_pct']} %",
            "amount_nok": "2 038,50 kr",  # penalty["amount_nok"] as the desk writes money
            "applies_to": penalty["applies_to"],
            "claim_promptly_by": penalty["claim_promptly_by"],
            "days_left": str(left) if left >= 0 else f"fristen gikk ut for {-left} dager siden",
            "claim_by": penalty["claim_by"],
            "solid": "sikkert",
        }, (contract_id, period)
        assert penalty["amount_nok"] == "2038.50"
    assert expected["nettsoft-mbn", "2026Q1"]["claim_by"] == "2027-01-12"
    # Tue 2026-01-12 is the first miss; 10 working days later (13-16, 19-23, 26 Jan)
    assert expected["nettsoft-mbn", "2026Q1"]["claim_promptly_by"] == "2026-01-26"
    assert "/penalties/nettsoft-mbn/2026Q1/letter" in page
    # the fixed JSON of `triage report` is unchanged: no percentile keys
    assert set(cli_report["contracts"][0]) == {
        "contract",
        "tickets",
        "met",
        "breached",
        "open",
        "breach_rate",
        "median_response_business_minutes",
        "penalties",
    }
    # every contract with a penalty rule has a section, with or without breaches
    assert "Ingen brudd" not in _section(page, "nettsoft-mbn")


def test_claim_letter_lists_every_breach_the_sanction_and_the_rule(manager: FlaskClient) -> None:
    letter = _page(manager, "/penalties/nettsoft-mbn/2026Q1/letter")
    assert "Reklamasjon" in letter and "8.1" in letter
    rows = re.findall(r'<tr data-ticket="(\d+)">(.*?)</tr>', letter, re.S)
    assert len(rows) == 3  # m2, m3, m4
    text = [re.sub(r"<[^>]+>|\s+", " ", cells).strip() for _, cells in rows]
    assert "09.01.2026 15:30" in text[0] and "12.01.2026 08:30" in text[0]
    assert "12.01.2026 08:45" in text[0] and "75,0" in text[0]
    assert "03.02.2026 10:00" in text[1] and "03.02.2026 11:00" in text[1] and "90,0" in text[1]
    assert "31.03.2026 15:30" in text[2] and "01.04.2026 08:30" in text[2]
    assert "ingen respons" in text[2]
    assert "Beskrivelse av misligholdet" in letter
    assert "Sanksjon som kreves" in letter
    assert "2\xa0038,50\xa0kr" in letter and "2026Q2" in letter and "12.01.2027" in letter
    assert "004 §2.6" in letter  # the rule's source
    assert "ett fratrekk" in letter  # several breaches in a period: one deduction
    assert "26.01.2026" in letter  # the prompt-claim date the letter names
    assert "Telenor Mobilt Bedriftsnett" in letter
    # the core's calculation notes (internal section) in bokmål too (issue 17)
    assert "trekket gjelder fakturaen for 2026Q2 (neste faktureringstidspunkt)" in letter
    assert "next invoicing point" not in letter
    # the letter itself is all Norwegian: the catalog's English readings stay off it
    article = re.search(r'<article class="letter".*?</article>', letter, re.S)
    assert article is not None
    for english in ("Reading", "claim in writing", "non-critical", "business minutes"):
        assert english not in article.group(0), english


def test_claim_letter_for_an_unknown_contract_or_period_is_404(manager: FlaskClient) -> None:
    for path in (
        "/penalties/no-such/2026Q1/letter",
        "/penalties/nettsoft-mbn/2026Q3/letter",  # no breaches
        "/penalties/nettsoft-mbn/2026-03/letter",  # MBN is billed per quarter
        "/penalties/nettsoft-mbn/nonsense/letter",
        "/penalties/pindena/2026Q1/letter",  # no penalty rule
    ):
        assert manager.get(path, base_url=HTTPS).status_code == 404, path


# ------------------------------------------------------------------ availability


def test_outage_form_needs_its_csrf_token(manager: FlaskClient) -> None:
    assert _post_outage(manager, token=None).status_code == 400
    assert _post_outage(manager, token="forged").status_code == 400
    assert _outage_count(manager.application) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"excluded": "on", "exclusion_reason": ""}, "Begrunnelse: påkrevd"),
        ({"end": "2026-03-10T08:00"}, "Slutt: må være etter start"),
        ({"start": "i går"}, "Start: "),
        ({"start": "2026-03-29T02:30", "end": "2026-03-29T04:00"}, "does not exist"),
        ({"contract": "nettsoft-mbn"}, "Avtale: "),
        ({"affected_users": "mange"}, "Berørte brukere"),
        ({"affected_users": "0"}, "Berørte brukere"),
        ({"end": ""}, "Slutt: mangler"),
    ],
)
def test_outage_validation_rerenders_with_a_message_and_400(
    manager: FlaskClient, fields: dict[str, str], message: str
) -> None:
    response = _post_outage(manager, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:1000]
    assert message in page
    assert 'class="flash error"' in page
    assert "Registrer avbrudd" in page  # the form again, with what was typed
    assert _outage_count(manager.application) == 0


def test_record_list_and_delete_an_outage(manager: FlaskClient) -> None:
    response = _post_outage(
        manager,
        start="2026-03-11T09:00",
        end="2026-03-11T10:00",
        affected_users="40",
        cause="brannmur",
        excluded="on",
        exclusion_reason="feil i kundens brannmur <b>",
    )
    assert response.status_code == 302 and "month=2026-03" in response.headers["Location"]
    page = _page(manager, response.headers["Location"])
    (outage_id,) = re.findall(r'<tr data-outage="(\d+)">', page)
    assert "11.03.2026 09:00" in page and "11.03.2026 10:00" in page
    assert "ja: feil i kundens brannmur &lt;b&gt;" in page
    assert "manager1" in page
    token = csrf_token(manager, "/availability")
    delete = f"/availability/outages/{outage_id}/delete"
    assert manager.post(delete, base_url=HTTPS).status_code == 400  # no token
    assert manager.post(delete, data={"csrf_token": token}, base_url=HTTPS).status_code == 302
    assert _outage_count(manager.application) == 0
    assert manager.post(delete, data={"csrf_token": token}, base_url=HTTPS).status_code == 404


def test_times_with_an_offset_are_kept_and_without_one_are_oslo(manager: FlaskClient) -> None:
    assert (
        _post_outage(manager, start="2026-03-10T08:00Z", end="2026-03-10T12:00Z").status_code == 302
    )
    with manager.application.app_context(), desk().sessions() as session:
        outage = session.scalars(select(Outage)).one()
        assert outage.starts_at == datetime(2026, 3, 10, 9, 0, tzinfo=OSLO)
        assert outage.recorded_by == "manager1"


def test_availability_equals_triage_sla_uptime_for_the_same_outages(
    manager: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    for fields in (
        {},  # 03-10 09-13, 12 users
        {
            "start": "2026-03-11T09:00",
            "end": "2026-03-11T10:00",
            "affected_users": "40",
            "excluded": "on",
            "exclusion_reason": "feil i kundens brannmur",
        },
        {"start": "2026-03-12T09:00", "end": "2026-03-12T11:00", "affected_users": "3"},
        {
            "contract": "nettsoft-vps-terminal",
            "start": "2026-03-16T07:00",
            "end": "2026-03-17T08:00",
            "affected_users": "10",
        },
    ):
        assert _post_outage(manager, **fields).status_code == 302
    users = "users-nettsoft-vps-access=40&users-nettsoft-vps-terminal=40"
    page = _page(manager, f"/availability?month=2026-03&{users}")
    access = _row(_section(page, "nettsoft-vps-access"), "data-month", "2026-03")
    terminal = _row(_section(page, "nettsoft-vps-terminal"), "data-month", "2026-03")
    cli_access = _triage(
        database_url, tmp_path, "sla", "uptime", "--contract", "nettsoft-vps-access",
        "--month", "2026-03", "--users", "40",
        "--outage", "2026-03-10T09:00/2026-03-10T13:00@12",
        "--outage", "2026-03-12T09:00/2026-03-12T11:00@3",
    )  # fmt: skip
    cli_terminal = _triage(
        database_url, tmp_path, "sla", "uptime", "--contract", "nettsoft-vps-terminal",
        "--month", "2026-03", "--users", "40",
        "--outage", "2026-03-16T07:00/2026-03-17T08:00@10",
    )  # fmt: skip
    for shown, expected in ((access, cli_access), (terminal, cli_terminal)):
        assert shown["users"] == "40"
        assert shown["core_hours"] == str(expected["core_hours"])
        assert shown["downtime_hours"] == str(expected["downtime_hours"])
        assert shown["uptime_pct"] == f"{_nb(expected['uptime_pct'])} %"
        assert shown["reduction_pct"].startswith(f"{expected['reduction_pct']} %")
    assert (cli_access["core_hours"], cli_access["downtime_hours"]) == (344, 4)
    assert (cli_access["uptime_pct"], cli_access["reduction_pct"]) == (98.84, 10)
    assert (cli_terminal["uptime_pct"], cli_terminal["reduction_pct"]) == (95.64, 40)
    section = _section(page, "nettsoft-vps-access")
    # the core's notes in the reader's bokmål (sla.text through web.i18n.note)
    assert "teller ikke, unntatt i avbruddsregisteret: feil i kundens brannmur" in section
    assert "3 av 40 brukere berørt; nedetid teller fra 5 brukere" in section
    # the reading of the unstated band is shown where it decides the credit
    assert "lesing brukt for trinn [95; 96) %" in _section(page, "nettsoft-vps-terminal")
    assert "uklarhetsregelen" in _section(page, "nettsoft-vps-terminal")
    # every hosted contract and pindena (98 %, no credit table) have a row per month
    for contract_id in ("nettsoft-calendar-push", "nettsoft-tmpc", "pindena"):
        assert _row(_section(page, contract_id), "data-month", "2026-03")["uptime_pct"] == "100 %"
    assert "ingen kreditt-tabell" in _section(page, "pindena")


def test_availability_without_a_user_count_assumes_the_threshold_and_says_so(
    manager: FlaskClient,
) -> None:
    assert _post_outage(manager).status_code == 302
    page = _page(manager, "/availability?quarter=2026Q1")
    section = _section(page, "nettsoft-vps-access")
    march = _row(section, "data-month", "2026-03")
    assert march["users"] == "12 (antatt)"  # the most users an outage affected
    assert (march["downtime_hours"], march["uptime_pct"]) == ("4", "98,84 %")
    assert "tjenestens antall brukere ble ikke oppgitt: regnet med 12 brukere" in section
    assert _row(section, "data-month", "2026-01")["uptime_pct"] == "100 %"
    too_few = _page(manager, "/availability?month=2026-03&users-nettsoft-vps-access=10")
    assert "Kan ikke beregnes" in _section(too_few, "nettsoft-vps-access")
    assert "avbrudd 1: berørte brukere 12 må være mellom 0 og tjenestens 10 brukere" in (
        _section(too_few, "nettsoft-vps-access")
    )
    bad = _page(manager, "/availability?month=2026-03&users-nettsoft-vps-access=x", 400)
    assert "ikke et positivt heltall" in bad


# ------------------------------------------------------------------ catalog


def test_catalog_lists_every_contract_its_terms_and_every_note(
    manager: FlaskClient, catalog: Catalog
) -> None:
    page = _page(manager, "/catalog")
    for contract in catalog.contracts.values():
        section = _section(page, contract.id)
        for note in contract.notes:
            assert str(escape(note.text)) in section, (contract.id, note.text)
        for terms in contract.terms:
            assert f"Vilkår gyldig fra {terms.valid_from.isoformat()}" in section
            for note in terms.notes:
                assert str(escape(note.text)) in section, (contract.id, note.text)
            for rule in terms.response.values():
                assert str(escape(rule.source)) in section
    mbn = _section(page, "nettsoft-mbn")
    assert "199,00\xa0kr" in mbn and "29,00\xa0kr" in mbn and "50 %" in mbn and "12 måneder" in mbn
    access = _section(page, "nettsoft-vps-access")
    assert "99,5 %" in access and "third-party" in access and "40 %" in access


# ------------------------------------------------------------------ pure helpers


def test_percentile_interpolates_and_agrees_with_the_median() -> None:
    assert percentile([30, 75, 90], 90) == pytest.approx(87.0)
    assert percentile([30, 70, 75, 90], 50) == 72.5
    assert percentile([5], 90) == 5
    with pytest.raises(ValueError):
        percentile([], 90)


def test_build_report_adds_percentiles_only_when_asked() -> None:
    received = datetime(2026, 1, 5, 9, 0, tzinfo=OSLO)
    facts = [
        TicketFacts("nettsoft-mbn", received, received.replace(hour=10), received, 60.0 * m)
        for m in (30, 75, 90)
    ]
    contracts = load_catalog().contracts
    plain = build_report(date(2026, 1, 1), date(2026, 3, 31), facts, contracts, NOW)
    assert "p90_response_business_minutes" not in plain["contracts"][0]
    extended = build_report(
        date(2026, 1, 1), date(2026, 3, 31), facts, contracts, NOW, percentiles=(90,)
    )
    assert extended["contracts"][0]["p90_response_business_minutes"] == 87.0
    assert list(extended["contracts"][0])[-1] == "penalties"


def test_report_period_parsing() -> None:
    today = date(2026, 4, 1)
    assert report_period(today).label == "2026Q2"
    assert report_period(today, month="2026-02").last == date(2026, 2, 28)
    custom = report_period(today, first="2026-01-15", last="2026-02-10")
    assert (custom.first, custom.last, custom.params) == (
        date(2026, 1, 15),
        date(2026, 2, 10),
        (("from", "2026-01-15"), ("to", "2026-02-10")),
    )
    assert [b.label for b in chart_buckets(custom)] == ["uke 3", "uke 4", "uke 5", "uke 6", "uke 7"]
    with pytest.raises(PeriodError):
        report_period(today, month="2026-02", first="2026-01-01", last="2026-01-02")
    assert billing_period("2026Q1", 3).first_day == date(2026, 1, 1)
    with pytest.raises(ValueError):
        billing_period("2026-03", 3)


# ------------------------------------------------------------------ the database's aggregation


def test_summary_csv_is_the_python_report_of_the_same_tickets(manager: FlaskClient) -> None:
    """The summary CSV comes from the database's aggregation; it is the report
    ``build_report`` makes a ticket at a time (the reference), penalties included."""
    start, end = day_bounds(date(2025, 10, 1), date(2026, 3, 31), OSLO)
    with manager.application.app_context(), desk().sessions() as session:
        facts = list(report_facts(session, start, end))
    expected = report_csv_rows(
        build_report(
            date(2025, 10, 1), date(2026, 3, 31), facts, load_catalog().contracts, NOW, (90,)
        )
    )
    rows = _csv(manager.get("/reports/summary.csv?from=2025-10-01&to=2026-03-31", base_url=HTTPS))
    assert [{k: v for k, v in row.items() if k != "vendor"} for row in rows] == [
        {k: "" if row.get(k) is None else str(row.get(k)) for k in SUMMARY_COLUMNS[1:]}
        for row in expected
    ]


def test_the_page_lists_the_latest_breaches_and_counts_them_all(manager: FlaskClient) -> None:
    received = datetime(2026, 1, 12, 9, 0, tzinfo=OSLO)  # a Monday
    rows = [
        {
            "channel": "email",
            "subject": f"brudd {n}",
            "body": "",
            "contract_id": "nettsoft-mbn",
            "severity": "non-critical",
            "severity_reasons": [],
            "status": "resolved",
            "received_at": received + timedelta(minutes=n),
            "due_at": received + timedelta(minutes=n + 60),
            "responded_at": received + timedelta(minutes=n + 90),
            "response_seconds": 90.0 * 60,
            "created_at": received,
            "updated_at": received,
        }
        for n in range(BREACHES_SHOWN + 5)
    ]
    with manager.application.app_context(), desk().sessions() as session:
        session.execute(insert(Ticket), rows)
        session.commit()
    page = _page(manager, "/reports?quarter=2026Q1")
    total = BREACHES_SHOWN + 5 + 4  # and m2, m3, m4, b1
    assert f"Brudd i perioden ({total})" in page
    assert f"De {BREACHES_SHOWN} siste vises her" in page
    listed = re.findall(r'<tr data-ticket="\d+">.*?</tr>', page, re.S)
    assert len(listed) == BREACHES_SHOWN
    # newest first: m4 (31.03), b1 (02.03), m3 (03.02), then these (from 12.01)
    assert ["31.03.2026 15:30" in listed[0], "02.03.2026 08:00" in listed[1]] == [True, True]
    assert "03.02.2026 10:00" in listed[2]
    assert f">brudd {BREACHES_SHOWN + 4}</td>" in listed[3]
    assert ">brudd 8</td>" in listed[-1]
    assert ">brudd 7</td>" not in page and "09.01.2026 15:30" not in page  # older: left out
    mbn = _row(page, "data-contract", "nettsoft-mbn")
    assert (mbn["tickets"], mbn["breached"]) == (str(4 + BREACHES_SHOWN + 5), str(3 + 205))
