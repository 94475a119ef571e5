"""The agents' queue (``/``, ``/queue/rows``) and the ticket page with its action forms,
through a logged-in browser client on SQLite and PostgreSQL (via the ``app`` fixture).

Deadlines are worked by hand from the test clock, Tuesday 2026-03-10 09:15 Oslo (CET),
and the shipped catalog: nettsoft-mbn is 60 business minutes in office hours (08-16), so
a ticket received 07:00 starts its clock at 08:00 and is due (and breached) at 09:00;
nettsoft-vps-access critical is "immediately" (15 minutes' grace, any hour) and pages
level 1 on receipt.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from config.catalog import Catalog
from tests.web.conftest import Clock, make_settings
from tests.web.support import (
    chat_payload,
    email_bytes,
    event,
    kinds,
    oslo,
    post_chat,
    post_email,
    ticket_of,
)
from tests.web.ui_support import csrf_token, logged_in
from tests.workers.escalation_support import ONCALL, new_ticket, roster
from triage.store import ticket_actions
from triage.store.escalations import acknowledge, due_points, fire_due
from triage.store.models import Ticket, TicketEvent
from triage.store.roster import load_roster
from triage.store.sms_outbox import compose, mark_sent
from web.app import create_app
from web.ui import queue as queue_view

HTTPS = "https://localhost"
MBN = "nettsoft-mbn"
VPS_ACCESS = "nettsoft-vps-access"
AGENT_NAME = "Agent Person"  # ui_support.make_user's name for the role "agent"
ROW = re.compile(r"<tr[^>]*>\s*<td[^>]*><a href=\"/tickets/(\d+)\">")


# ------------------------------------------------------------------ helpers


def get(client: FlaskClient, path: str, **query: str) -> TestResponse:
    return client.get(path, query_string=query, base_url=HTTPS)


def page(client: FlaskClient, path: str, expect: int = 200, **query: str) -> str:
    response = get(client, path, **query)
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def row_ids(html: str) -> list[int]:
    return [int(found) for found in ROW.findall(html)]


def post(
    client: FlaskClient, ticket_id: int, action: str, token: str | None = "fetch", **form: str
) -> TestResponse:
    """Submit one of the ticket page's forms, with the page's CSRF token unless ``None``."""
    data = dict(form)
    if token == "fetch":
        token = csrf_token(client, f"/tickets/{ticket_id}")
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/tickets/{ticket_id}/{action}", data=data, base_url=HTTPS)


def followed(client: FlaskClient, response: TestResponse) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return page(client, response.headers["Location"])


def ticket_row(sessions: sessionmaker[Session], ticket_id: int) -> Ticket:
    with sessions() as session:
        found = session.scalars(
            select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
        ).one()
        found.events  # noqa: B018 - load them before the session closes
        return found


def event_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(session.scalars(select(TicketEvent.id)).all())


def mail(client: FlaskClient, subject: str, text: str, message_id: str) -> int:
    """A ticket through the real intake path (signed e-mail webhook)."""
    response = post_email(client, email_bytes(message_id=message_id, subject=subject, text=text))
    return ticket_of(client, response)


@pytest.fixture
def agent(app: Flask) -> FlaskClient:
    return logged_in(app, "agent")


# ------------------------------------------------------------------ login


def test_the_desk_pages_need_a_login(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/queue/rows", "/tickets/1", "/tickets/1/original"):
        response = get(client, path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


# ------------------------------------------------------------------ the queue


@pytest.fixture
def queue_tickets(
    app: Flask, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> dict[str, int]:
    now = clock.now  # Tuesday 09:15

    def make(received_hour: int, minute: int, severity: str, subject: str, **kw: str) -> int:
        contract = kw.get("contract", MBN)
        received = oslo(2026, 3, 10, received_hour, minute)
        return new_ticket(sessions, catalog, contract, received, now, severity, subject)

    made = {
        "late": make(7, 0, "non-critical", "Mobilsvar treg"),  # due 09:00: breached
        "late_critical": make(8, 0, "critical", "Sentralbord nede"),  # due 09:00: breached
        "soon": make(8, 20, "non-critical", "Svargruppe feil"),  # due 09:20: 5 min left
        "critical": make(9, 10, "critical", "Hovednummer stille"),  # due 10:10
        "later": make(9, 0, "non-critical", "Wipe av telefon"),  # due 10:00
    }
    chatting = app.test_client()
    chat = post_chat(chatting, chat_payload(text="Hjelp!\nSkriveren i 2. etasje er rar"))
    made["unrouted"] = ticket_of(chatting, chat)  # no contract recognised: no clock
    made["resolved"] = make(9, 5, "critical", "Løst allerede")
    with sessions() as session:
        ticket_actions.resolve(session, catalog, made["resolved"], "Kari", now)
        ticket_actions.assign(session, made["later"], "Kari", now, "Ola")
    return made


def test_the_agent_sees_live_work_first_and_breached_tickets_in_their_own_section(
    agent: FlaskClient, queue_tickets: dict[str, int]
) -> None:
    html = page(agent, "/")
    t = queue_tickets
    live, _, overdue = html.partition("Brutt og ubesvart")
    assert row_ids(live) == [
        t["critical"],  # open, critical (due 10:10)
        t["soon"],  # open, due 09:20
        t["later"],  # open, due 10:00
        t["unrouted"],  # no clock
    ]
    assert row_ids(overdue) == [t["late_critical"], t["late"]]  # breached, unanswered
    assert 'Løpende <span class="muted">(4)</span>' in html
    assert "(6 saker)" in html  # the heading counts both sections
    assert t["resolved"] not in row_ids(html)  # the default is status "open"
    assert "uten avtale" in html and ">kritisk<" in html and ">ikke-kritisk<" in html
    assert "KRIT" not in html
    assert "Nettsoft" in html and "Ola" in html
    assert 'data-due="2026-03-10T09:10:00+00:00"' in html  # "critical": 10:10 Oslo
    at_risk = set(map(int, re.findall(r'<tr data-ticket="(\d+)"[^>]*class="at-risk"', html)))
    assert at_risk == {t["late_critical"], t["late"], t["soon"]}
    assert "queue.js" in html and 'id="queue-rows"' in html


def test_filters_search_and_paging(
    agent: FlaskClient, queue_tickets: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    t = queue_tickets
    assert row_ids(page(agent, "/", severity="critical")) == [t["critical"], t["late_critical"]]
    assert row_ids(page(agent, "/", q="skriver")) == [t["unrouted"]]  # the body matches
    assert row_ids(page(agent, "/", q="SVARGRUPPE")) == [t["soon"]]  # subject, any case
    assert row_ids(page(agent, "/", channel="chat")) == [t["unrouted"]]
    assert row_ids(page(agent, "/", assignee="Ola")) == [t["later"]]
    assert row_ids(page(agent, "/", breached="true")) == [t["late_critical"], t["late"]]
    assert row_ids(page(agent, "/", contract="pindena")) == []
    assert row_ids(page(agent, "/", status="resolved")) == [t["resolved"]]
    assert t["resolved"] in row_ids(page(agent, "/", status="alle"))
    # a bad filter is reported and left out, never a 500
    bad = page(agent, "/", 400, severity="<b>urgent</b>", q="skriver")
    assert row_ids(bad) == [t["unrouted"]]
    assert "Alvorlighet" in bad and "<b>urgent" not in bad

    monkeypatch.setattr(queue_view, "PAGE_SIZE", 2)
    overdue = [t["late_critical"], t["late"]]  # the breached section: its first page always
    first = page(agent, "/")
    second = page(agent, "/", page="2")
    assert row_ids(first) == [t["critical"], t["soon"], *overdue]
    assert row_ids(second) == [t["later"], t["unrouted"], *overdue]
    assert "Side 1 av 2" in first and 'href="/?status=aktive&amp;page=2"' in first
    assert "Side 2 av 2" in second
    last = [t["later"], t["unrouted"], *overdue]
    assert row_ids(page(agent, "/", page="99")) == last  # past the end: the last page
    assert row_ids(page(agent, "/", page=str(2**80))) == last
    assert row_ids(page(agent, "/", 400, page="two")) == [t["critical"], t["soon"], *overdue]
    rows = page(agent, "/queue/rows", page="2", severity="critical")
    assert row_ids(rows) == [t["critical"], t["late_critical"]]  # one page only


def test_the_count_is_left_out_when_the_first_page_holds_every_match(
    agent: FlaskClient, queue_tickets: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's matches are read once, not counted and then read again, when they fit
    on the first page; the total shown is the same either way."""
    counted: list[ticket_actions.QueueFilter] = []
    count_queue = ticket_actions.count_queue

    def counting(session, filters, now):  # type: ignore[no-untyped-def]
        counted.append(filters)
        return count_queue(session, filters, now)

    monkeypatch.setattr(ticket_actions, "count_queue", counting)
    html = page(agent, "/", q="skriver")
    assert row_ids(html) == [queue_tickets["unrouted"]]
    assert "(1 sak)" in html and "Side 1 av 1" in html
    assert "(0 saker)" in page(agent, "/", q="nothing like this")
    assert counted == []
    monkeypatch.setattr(queue_view, "PAGE_SIZE", 2)  # a full first page: counted
    html = page(agent, "/")
    assert "(6 saker)" in html and "Side 1 av 2" in html
    assert len(counted) == 2  # the live list and the breached section, both full
    assert "Side 2 av 2" in page(agent, "/", page="2")
    assert len(counted) == 4


def test_the_lists_fragment_is_only_the_lists_with_the_same_filters(
    agent: FlaskClient, queue_tickets: dict[str, int]
) -> None:
    response = get(agent, "/queue/rows", severity="critical")
    assert response.status_code == 200
    assert response.headers["X-Queue-Rows"] == "1"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for outside in ("<html", "<form", "<h1", "<nav"):
        assert outside not in html
    assert row_ids(html) == [queue_tickets["critical"], queue_tickets["late_critical"]]
    assert 'data-count-text="(2 saker)"' in html  # the heading's live count
    page_html = page(agent, "/", severity="critical")
    assert 'data-rows-url="/queue/rows?status=aktive&amp;severity=critical"' in page_html
    empty = page(agent, "/queue/rows", q="nothing like this")
    assert "<tr" in empty and "Ingen saker" in empty


def test_the_escalation_state_shows_paged_then_acknowledged(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    roster(sessions, clock.now)
    ticket_id = new_ticket(sessions, catalog, VPS_ACCESS, clock.now, clock.now)
    quiet = new_ticket(sessions, catalog, MBN, clock.now, clock.now, "non-critical", "Stille")
    assert "neste varsel" in page(agent, "/queue/rows", q="Stille")
    with sessions() as session:
        on_call = load_roster(session, catalog.calendars["office-hours"], clock.now)
        fired = fire_due(session, on_call, clock.now, due_points(session, clock.now))
        assert fired.fired == 1
        composed = compose(session, catalog, ONCALL[1], clock.now, timedelta(seconds=60))
        assert composed.outbox_id is not None
        mark_sent(session, composed.outbox_id, "twilio", "SM" + "a" * 32, clock.now)

    rows = page(agent, "/queue/rows")
    assert "varslet nivå 1" in rows
    ticket_page = page(agent, f"/tickets/{ticket_id}")
    assert "SMS sendt" in ticket_page and "+47******01" in ticket_page
    assert "Kari Vakt (+47******01): sendt" in ticket_page  # the points table
    assert "varslet" in ticket_page and "planlagt" in ticket_page

    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        acknowledge(session, ticket, [1], "Kari Vakt", clock.now)
        session.commit()
    rows = page(agent, "/queue/rows")
    assert "kvittert (nivå 1)" in rows and "varslet nivå 1" not in rows
    assert str(quiet) in rows


# ------------------------------------------------------------------ the ticket page


def test_the_ticket_page_shows_the_deadline_its_rule_notes_and_the_timeline(
    app: Flask, agent: FlaskClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = oslo(2026, 3, 7, 10, 0)  # Saturday: the clock starts Monday 08:00
    ticket_id = mail(
        app.test_client(), "Mobilsvar virker ikke", "Mobilsvar på MBN er borte.", "<a@kunde.no>"
    )
    clock.now = oslo(2026, 3, 9, 8, 30)  # Monday, half an hour into the budget

    html = page(agent, f"/tickets/{ticket_id}")

    assert "Mobilsvar virker ikke" in html and "nettsoft-mbn" in html and "Nettsoft" in html
    assert "09.03.2026 09:00" in html  # due Monday 09:00
    assert 'data-due="2026-03-09T08:00:00+00:00"' in html
    assert "09.03.2026 08:00" in html  # the clock started
    assert "004 §2.6: started troubleshooting within 60 minutes" in html  # the rule
    # the core's note on why, in bokmål too (issue 17: sla.text through web.i18n.note)
    assert "mottatt lørdag 07.03.2026 10:00 utenfor kalenderens åpningstid" in html
    assert "outside the calendar&#39;s open hours" not in html
    # the catalog's note, in bokmål (its text_nb)
    assert "Lesemåte: en sak mottatt utenfor kontortid starter klokken" in html
    assert "Reading: a ticket received outside office hours" not in html
    assert "Mottatt" in html and "Klassifisert" in html and "Rutet til avtale" in html
    assert "kari@kunde.no" in html
    assert "Varslingspunkter" in html and "halve tiden brukt" in html and "planlagt" in html
    assert "Videresend innen" in html
    assert "Vis original" in html


def test_the_original_payload_is_plain_text_that_browsers_do_not_sniff(
    app: Flask, agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    raw = email_bytes(
        message_id="<orig@kunde.no>",
        subject="MBN <b>nede</b>",
        text="<script>alert(1)</script> BYTE",
    ).replace(b"BYTE", b"\xff")  # not UTF-8
    mailing = app.test_client()
    ticket_id = ticket_of(mailing, post_email(mailing, raw))

    response = get(agent, f"/tickets/{ticket_id}/original")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = response.get_data(as_text=True)
    assert "Message-ID: <orig@kunde.no>" in text
    assert "<script>alert(1)</script> \ufffd" in text  # as it came, decoded with replacement
    [item] = re.findall(r"/original\?item=(\d+)", page(agent, f"/tickets/{ticket_id}"))
    assert get(agent, f"/tickets/{ticket_id}/original", item=item).status_code == 200
    assert get(agent, f"/tickets/{ticket_id}/original", item="999999").status_code == 404

    by_hand = new_ticket(sessions, catalog, MBN, clock.now, clock.now)  # no inbox payload
    assert get(agent, f"/tickets/{by_hand}/original").status_code == 404
    assert "Vis original" not in page(agent, f"/tickets/{by_hand}")
    assert get(agent, "/tickets/424242/original").status_code == 404
    assert get(agent, f"/tickets/{2**70}/original").status_code == 404


def test_an_unknown_ticket_is_404(agent: FlaskClient, sessions: sessionmaker[Session]) -> None:
    token = csrf_token(agent, "/")
    assert "Sak #424242 finnes ikke" in page(agent, "/tickets/424242", 404)
    assert get(agent, f"/tickets/{2**70}").status_code == 404
    for action, form in (("notes", {"text": "x"}), ("resume", {}), ("forward", {})):
        assert post(agent, 424242, action, token, **form).status_code == 404, action
    assert post(agent, 2**70, "pause", token, reason="x").status_code == 404
    assert event_count(sessions) == 0


def test_html_in_a_subject_and_a_note_is_escaped_everywhere(
    app: Flask, agent: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    ticket_id = mail(app.test_client(), f"MBN {evil}", f"Mobilsvar {evil}", "<xss@kunde.no>")
    followed(agent, post(agent, ticket_id, "notes", text=f"notat {evil}"))
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    for html in (
        page(agent, "/"),
        page(agent, "/queue/rows"),
        page(agent, f"/tickets/{ticket_id}"),
    ):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert escaped in html


# ------------------------------------------------------------------ actions


def test_each_action_works_through_its_form_and_becomes_an_event(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = new_ticket(sessions, catalog, MBN, clock.now, clock.now, "non-critical")

    html = followed(agent, post(agent, ticket_id, "assignee", assignee="Ola Nordmann"))
    assert "Tildelt Ola Nordmann." in html
    assert ticket_row(sessions, ticket_id).assignee == "Ola Nordmann"
    followed(agent, post(agent, ticket_id, "assignee", assignee=""))
    assert ticket_row(sessions, ticket_id).assignee is None

    html = followed(agent, post(agent, ticket_id, "notes", text="Ringte kunden"))
    assert "Notat lagt til." in html and "Ringte kunden" in html

    html = followed(
        agent, post(agent, ticket_id, "classification", severity="critical", reason="Alle rammet")
    )
    assert "Alvorlighet endret til kritisk." in html
    assert ticket_row(sessions, ticket_id).severity == "critical"

    clock.now += timedelta(minutes=5)
    html = followed(agent, post(agent, ticket_id, "pause", reason="Venter på kunden"))
    assert "pauset" in html and "klokken står" in html
    assert ticket_row(sessions, ticket_id).status == "paused"
    clock.now += timedelta(minutes=10)
    followed(agent, post(agent, ticket_id, "resume"))
    resumed = ticket_row(sessions, ticket_id)
    assert resumed.status == "open"
    assert resumed.due_at == oslo(2026, 3, 10, 10, 25)  # 10:15 plus ten paused minutes

    clock.now += timedelta(minutes=10)  # 09:40
    html = followed(agent, post(agent, ticket_id, "response", at="2026-03-10T09:35"))
    assert "Respons registrert." in html
    answered = ticket_row(sessions, ticket_id)
    assert answered.responded_at == oslo(2026, 3, 10, 9, 35)
    assert answered.response_seconds == 10 * 60  # 09:15-09:35 less ten paused minutes
    assert re.search(r"Arbeidsminutter brukt</dt>\s*<dd>10 min</dd>", html)

    html = followed(agent, post(agent, ticket_id, "resolve", note="Fikset"))
    assert "Saken er løst." in html
    done = ticket_row(sessions, ticket_id)
    assert done.status == "resolved"
    assert kinds(done) == [
        "received",
        "assigned",
        "assigned",
        "note",
        "reclassified",
        "paused",
        "resumed",
        "response_started",
        "resolved",
    ]
    assert {e.actor for e in done.events[1:]} == {AGENT_NAME}
    assert event(done, "reclassified")["reason"] == "Alle rammet"
    assert event(done, "paused")["reason"] == "Venter på kunden"
    assert event(done, "resolved")["note"] == "Fikset"


def test_an_unrouted_ticket_gets_its_contract_from_the_select(
    app: Flask, agent: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    ticket_id = mail(app.test_client(), "Hjelp", "Noe virker ikke", "<unrouted@kunde.no>")
    assert ticket_row(sessions, ticket_id).contract_id is None
    html = page(agent, f"/tickets/{ticket_id}")
    assert "Velg avtale" in html and 'value="nettsoft-mbn"' in html and "uten avtale" in html

    unknown = post(agent, ticket_id, "contract", contract="no-such", reason="valgt")
    assert unknown.status_code == 422 and "unknown contract" in unknown.get_data(as_text=True)
    html = followed(agent, post(agent, ticket_id, "contract", contract=MBN, reason="Gjelder MBN"))
    assert "Avtale satt til nettsoft-mbn." in html
    routed = ticket_row(sessions, ticket_id)
    assert routed.contract_id == MBN and routed.due_at is not None
    assert event(routed, "routed") == {
        "contract": MBN,
        "before": None,
        "reasons": ["Gjelder MBN"],
    }
    assert routed.events[-1].actor == AGENT_NAME


def test_an_action_without_its_csrf_token_is_refused_and_changes_nothing(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = new_ticket(sessions, catalog, MBN, clock.now, clock.now)
    before = event_count(sessions)
    for action, form in (
        ("notes", {"text": "x"}),
        ("pause", {"reason": "x"}),
        ("resolve", {}),
        ("assignee", {"assignee": "Ola"}),
    ):
        assert post(agent, ticket_id, action, None, **form).status_code == 400, action
        assert post(agent, ticket_id, action, "forged", **form).status_code == 400, action
    assert event_count(sessions) == before
    unchanged = ticket_row(sessions, ticket_id)
    assert (unchanged.status, unchanged.assignee) == ("open", None)


def test_reclassify_without_a_reason_re_renders_with_an_error_and_changes_nothing(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = new_ticket(sessions, catalog, MBN, clock.now, clock.now, "non-critical")
    before = event_count(sessions)

    for reason in ("", "   "):
        response = post(agent, ticket_id, "classification", severity="critical", reason=reason)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Skjemaet har feil" in html and 'class="field-error"' in html
        assert f"#{ticket_id}" in html  # the ticket page, re-rendered

    bad_severity = post(agent, ticket_id, "classification", severity="urgent", reason="x")
    assert bad_severity.status_code == 422
    assert event_count(sessions) == before
    assert ticket_row(sessions, ticket_id).severity == "non-critical"


def test_refusals_of_the_use_cases_are_flashed_with_their_status(
    agent: FlaskClient, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock
) -> None:
    ticket_id = new_ticket(sessions, catalog, MBN, clock.now, clock.now)
    before = event_count(sessions)
    resume = post(agent, ticket_id, "resume")
    assert resume.status_code == 409 and "is not paused" in resume.get_data(as_text=True)
    early = post(agent, ticket_id, "response", at="2026-03-10T08:00")
    assert early.status_code == 422 and "before the ticket was received" in early.get_data(
        as_text=True
    )
    assert post(agent, ticket_id, "response", at="not a time").status_code == 422
    assert post(agent, ticket_id, "notes", text="").status_code == 422
    assert post(agent, ticket_id, "pause", reason="\x00").status_code == 422
    assert post(agent, ticket_id, "assignee", assignee="x" * 101).status_code == 422
    assert event_count(sessions) == before


def test_forwarding_shows_what_the_report_lacks_and_sends_over_smtp(  # type: ignore[no-untyped-def]
    agent: FlaskClient,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    clock: Clock,
    smtp,
) -> None:
    pindena = new_ticket(sessions, catalog, "pindena", clock.now, clock.now, subject="Feil")
    html = page(agent, f"/tickets/{pindena}")
    assert "Feilmeldingen mangler:" in html and "activity id" in html and "screenshot" in html
    assert "11.03.2026 16:00" in html and "003 §12: the customer reports faults" in html
    assert "ingen e-postadresse" in html
    mbn = new_ticket(sessions, catalog, MBN, clock.now, clock.now, subject="MBN nede")
    html = page(agent, f"/tickets/{mbn}")
    assert "support@nettsoft.no" in html and "SMTP er ikke satt opp" in html
    refused = post(agent, mbn, "forward")  # this app has no SMTP_URL
    assert refused.status_code == 503 and "SMTP_URL" in refused.get_data(as_text=True)
    assert "forwarded" not in kinds(ticket_row(sessions, mbn))

    url, server = smtp
    settings = make_settings(
        database_url, tmp_path, SMTP_URL=url, TRIAGE_DESK_ADDRESS="helpdesk@desk.example.no"
    )
    with_smtp = logged_in(create_app(settings, catalog=catalog, clock=clock), "agent", "agent2")
    no_address = post(with_smtp, pindena, "forward")
    assert no_address.status_code == 409
    assert "no support e-mail" in no_address.get_data(as_text=True)
    html = followed(with_smtp, post(with_smtp, mbn, "forward"))
    assert "Feilmeldingen er sendt til support@nettsoft.no." in html
    assert "Videresendt til leverandør" in html
    assert len(server.messages) == 1
    assert server.messages[0]["Subject"] == f"[#{mbn}] MBN nede"
    forwarded = event(ticket_row(sessions, mbn), "forwarded")
    assert forwarded["to"] == "support@nettsoft.no" and forwarded["missing"] == []
    assert ticket_row(sessions, mbn).events[-1].actor == AGENT_NAME


def test_an_answered_ticket_leaves_the_default_queue(
    agent: FlaskClient, queue_tickets: dict[str, int]
) -> None:
    ticket_id = queue_tickets["late_critical"]
    assert ticket_id in row_ids(page(agent, "/"))
    assert post(agent, ticket_id, "response").status_code == 303
    assert ticket_id not in row_ids(page(agent, "/"))
    assert ticket_id not in row_ids(page(agent, "/queue/rows"))
    assert ticket_id in row_ids(page(agent, "/", status="alle"))
