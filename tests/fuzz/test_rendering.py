"""Hostile ticket content (markup, script, javascript: URLs, CR/LF, formulas), taken in
through every channel and rendered where agents and managers see it: the queue page, the
queue rows fragment, the ticket page and its raw original, the reports page and the CSV
exports. The pages are parsed (html.parser): only the templates' own elements, no event
handler attributes, no script but ours, no javascript: URL; the hostile text is there,
escaped; no response header carries what a sender wrote."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.fuzz import strategies as S
from tests.fuzz.support import assert_clean, fuzz, sessions_of, twilio_signed
from tests.web.support import (
    CALL_SID,
    chat_payload,
    email_bytes,
    post_chat,
    post_email,
    ticket_of,
)
from tests.web.ui_support import PASSWORD, browser, csrf_token, logged_in, make_user
from triage.csv_import import COLUMNS, classify_row
from triage.store.importer import import_csv
from triage.store.models import InboxItem
from web.ui.queue import JUMP

HTTPS = "https://localhost"
#: Every element the desk's templates write (web/templates); anything else came from data.
TEMPLATE_TAGS = frozenset(
    [
        "a",
        "article",
        "body",
        "br",
        "button",
        "code",
        "datalist",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figure",
        "form",
        "h1",
        "h2",
        "h3",
        "head",
        "header",
        "html",
        "input",
        "label",
        "li",
        "link",
        "main",
        "meta",
        "nav",
        "optgroup",
        "option",
        "p",
        "pre",
        "script",
        "section",
        "select",
        "span",
        "strong",
        "style",
        "summary",
        "table",
        "tbody",
        "td",
        "textarea",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
    ]
)
#: What pygal's inline SVG charts on the reports page are made of.
CHART_TAGS = frozenset(
    [
        "svg",
        "defs",
        "g",
        "rect",
        "path",
        "text",
        "title",
        "desc",
        "style",
        "circle",
        "line",
        "polyline",
        "polygon",
        "clippath",
        "lineargradient",
        "stop",
        "tspan",
        "use",
    ]
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "srcdoc", "poster"})
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
#: What the hostile texts would add to the page if they were not escaped.
MARKERS = ("<script>alert", "<iframe", "<img", "<svg", '<a href="javascript')


class Audit(HTMLParser):
    """What a page would make a browser do, as far as markup goes."""

    def __init__(self, allowed: frozenset[str] = TEMPLATE_TAGS) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.problems: list[str] = []
        self.tags: Counter[str] = Counter()
        self.scripts: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag not in self.allowed:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value and BAD_URL.match(value):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
            if name == "style" and value and re.search(r"expression|url\(", value, re.I):
                self.problems.append(f"<{tag} style={value[:40]!r}>")
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))

    handle_startendtag = handle_starttag


def assert_harmless(response: TestResponse, *, styles: int = 1, charts: bool = False) -> str:
    """The page parsed: nothing a sender wrote became markup. ``styles``: the <style>
    elements the template has; ``charts``: the page inlines pygal's SVG."""
    assert_clean(response)
    assert response.status_code == 200, response.status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    audit = Audit(TEMPLATE_TAGS | CHART_TAGS if charts else TEMPLATE_TAGS)
    audit.feed(page)
    audit.close()
    assert not audit.problems, audit.problems
    assert all(src and src.startswith("/static/") for src in audit.scripts), audit.scripts
    if not charts:
        assert audit.tags["style"] <= styles, "a <style> element came from data"
    for marker in MARKERS:
        if not (charts and marker == "<svg"):
            assert marker not in page, marker
    _assert_no_injected_headers(response)
    return page


def _assert_no_injected_headers(response: TestResponse) -> None:
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
        assert name.lower() not in ("x-injected", "bcc"), name
        assert "session=evil" not in value, (name, value)


def escaped(text: str) -> str:
    return str(escape(text))


# ------------------------------------------------------------------ getting content in

XSS_SUBJECT = '"><img src=x onerror=alert(1)> <script>alert("s")</script>'
XSS_NAME = "<svg onload=alert(1)>"
XSS_TEXT = (
    '<a href="javascript:alert(1)">klikk</a>\r\nBcc: victim@example.com\r\n<iframe src=//evil>'
)


def _hostile_email() -> bytes:
    return (
        b'From: "' + XSS_NAME.encode() + b'" <kari@kunde.no>\r\n'
        b"To: support@desk.example.no\r\n"
        b"Subject: =?utf-8?q?" + quote(XSS_SUBJECT).replace("%", "=").encode() + b"?=\r\n"
        b"Message-ID: <xss@kunde.no>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p onclick=alert(1)>Hei<script>alert(1)</script><img src=x onerror=alert(2)>"
        b"<a href='javascript:alert(3)'>lenke</a></p>\r\n"
        b"--B\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="<script>alert(1)</script>.html"\r\n\r\n'
        b"x\r\n--B--\r\n"
    )


def _take_in_everything(app: Flask, client: FlaskClient) -> dict[str, int]:
    """One ticket per channel, each carrying the hostile texts; their ids by channel."""
    ids: dict[str, int] = {}
    ids["email"] = ticket_of(client, post_email(client, _hostile_email()))
    plain = email_bytes(
        message_id="<xss-plain@kunde.no>",
        subject='=HYPERLINK("http://evil") ' + XSS_SUBJECT,
        text=XSS_TEXT,
        sender=f'"{XSS_NAME}" <ola@kunde.no>',
    )
    ids["email-plain"] = ticket_of(client, post_email(client, plain))
    chat = chat_payload(
        message_id="xss-chat",
        conversation_id="xss-conv",
        text=XSS_SUBJECT + "\n" + XSS_TEXT,
        sender={"name": XSS_NAME, "email": "kari@kunde.no"},
    )
    ids["chat"] = ticket_of(client, post_chat(client, chat))
    url = "http://localhost/inbound/twilio/voice"
    for fields in (
        {"CallSid": CALL_SID, "From": "+4799887766", "To": "+4721000001"},
        {"CallSid": CALL_SID, "TranscriptionSid": "TR1", "TranscriptionText": XSS_TEXT},
    ):
        pairs = list(fields.items())
        answer = client.post(
            "/inbound/twilio/voice",
            data=fields,
            headers={"X-Twilio-Signature": twilio_signed(url, pairs)},
        )
        assert answer.status_code == 200, answer.get_data()[:300]
    with sessions_of(app)() as session:
        ids["phone"] = session.scalars(
            select(InboxItem.ticket_id).where(InboxItem.channel == "twilio")
        ).first()
    rows = [
        ["xss-1", "nettsoft-mbn", "2026-03-02T09:00", "2026-03-03T15:00", "", "email",
         XSS_SUBJECT, XSS_TEXT],
        ["xss-2", "nettsoft-mbn", "2026-03-02T10:00", "", "", "chat", "\t=1+1\r\n" + XSS_NAME,
         "=cmd|'/c calc'!A0"],
    ]  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows([list(COLUMNS), *rows])
    result = import_csv(
        sessions_of(app),
        app.extensions["triage"].catalog,
        out.getvalue().encode(),
        classify_row,
        datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
    )
    assert result.imported == 2, result.as_json()
    return ids


# ------------------------------------------------------------------ the desk's pages


def test_hostile_content_from_every_channel_is_shown_as_text(
    app: Flask, client: FlaskClient
) -> None:
    ids = _take_in_everything(app, client)
    agent = logged_in(app)
    queue = assert_harmless(agent.get("/?status=alle", base_url=HTTPS))
    assert escaped("<img src=x onerror=alert(1)>") in queue  # the subject, as text
    rows = agent.get("/queue/rows?status=alle", base_url=HTTPS)
    assert_harmless(rows, styles=0)
    assert rows.headers.get("X-Queue-Rows") == "1"
    for channel, ticket_id in ids.items():
        page = assert_harmless(agent.get(f"/tickets/{ticket_id}", base_url=HTTPS))
        assert f"#{ticket_id}" in page, channel
        original = agent.get(f"/tickets/{ticket_id}/original", base_url=HTTPS)
        assert original.status_code == 200
        assert original.mimetype == "text/plain"  # never rendered as HTML
        assert original.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in original.headers["Content-Security-Policy"]
        _assert_no_injected_headers(original)
    chat_page = agent.get(f"/tickets/{ids['chat']}", base_url=HTTPS).get_data(as_text=True)
    assert escaped('<a href="javascript:alert(1)">klikk</a>') in chat_page
    assert escaped(XSS_NAME) in chat_page


@pytest.fixture
def agent(app: Flask) -> FlaskClient:
    return logged_in(app)


queue_filters = st.dictionaries(
    st.sampled_from(["q", "assignee", "contract", "status", "severity", "sort", "page"]),
    st.one_of(S.hostile_text(), st.sampled_from(["alle", "critical", "-received_at", "2"])),
    max_size=3,
)


@fuzz(15)
@given(message=S.valid_chat_objects, filters=queue_filters)
def test_generated_chats_and_filters_render_harmlessly(
    app: Flask, client: FlaskClient, agent: FlaskClient, message: dict, filters: dict
) -> None:
    unique = uuid.uuid4().hex  # a new conversation: its text is the new ticket's body
    message = {**message, "message_id": f"m-{unique}", "conversation_id": f"c-{unique}"}
    ticket_id = ticket_of(client, post_chat(client, message))
    query = urlencode({k: v.replace("\x00", "") for k, v in filters.items()})
    jump = JUMP.match(filters.get("q", "").replace("\x00", "").strip())
    for path in (f"/?{query}", f"/queue/rows?{query}"):
        answer = agent.get(path, base_url=HTTPS)
        if jump and path.startswith("/?"):  # "12" or "#12": straight to that ticket
            assert answer.status_code == 303, answer.status
            continue
        assert answer.status_code in (200, 400), answer.status  # 400: a filter was refused
        answer.status_code = 200  # audited the same way
        assert_harmless(answer, styles=0 if "rows" in path else 1)
    page = assert_harmless(agent.get(f"/tickets/{ticket_id}", base_url=HTTPS))
    for snippet in S.XSS:
        if snippet in message["text"] and any(c in snippet for c in "<>\"'&"):
            assert escaped(snippet) in page, snippet


# ------------------------------------------------------------------ reports and CSV exports

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_reports_and_csv_exports_defuse_markup_and_formulas(
    app: Flask, client: FlaskClient
) -> None:
    _take_in_everything(app, client)
    formulas = [
        '=HYPERLINK("http://evil","x")',
        "+1+1",
        "-2+3",
        "@SUM(1)",
        "=cmd|'/c calc'!A0",
    ]
    rows = [
        [f"f-{n}", "nettsoft-mbn", f"2026-03-0{n + 2}T09:00", "", "", "email", subject, "b"]
        for n, subject in enumerate(formulas)
    ]
    out = io.StringIO()
    csv.writer(out).writerows([list(COLUMNS), *rows])
    catalog = app.extensions["triage"].catalog
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    assert import_csv(
        sessions_of(app), catalog, out.getvalue().encode(), classify_row, now
    ).imported == len(rows)
    manager = logged_in(app, "manager")
    page = assert_harmless(manager.get("/reports?month=2026-03", base_url=HTTPS), charts=True)
    assert escaped("<img src=x onerror=alert(1)>") in page
    export = manager.get("/reports/tickets.csv?month=2026-03", base_url=HTTPS)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.headers["Content-Disposition"].startswith("attachment;")
    _assert_no_injected_headers(export)
    cells = [cell for row in csv.reader(io.StringIO(export.get_data(as_text=True))) for cell in row]
    subjects = {cell.lstrip("'") for cell in cells}
    assert all(f in subjects for f in formulas), "a subject is missing from the export"
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_START)]
    # The numbers in the export (negative minutes, ISO times with offsets) are not text.
    assert all(re.fullmatch(r"-?[0-9.:T+-]+", cell) for cell in dangerous), dangerous
    summary = manager.get("/reports/summary.csv?month=2026-03", base_url=HTTPS)
    assert summary.status_code == 200 and summary.mimetype == "text/csv"


# ------------------------------------------------------------------ login redirects (web/auth.py)


def _login(app: Flask, target: str) -> TestResponse:
    username = make_user(app, "agent", f"agent-{uuid.uuid4().hex[:8]}")
    client = browser(app)
    token = csrf_token(client)
    return client.post(
        "/login?" + urlencode({"next": target}),
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        base_url=HTTPS,
    )


@pytest.mark.parametrize(
    "target", ["/tickets/1", "//evil.example", "https://evil.example/", "/\\evil.example"]
)
def test_login_redirects_only_within_the_desk(app: Flask, target: str) -> None:
    response = _login(app, target)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location, location


def test_login_open_redirect_through_a_tab(app: Flask) -> None:
    response = _login(app, "/\t/evil.example")
    assert not response.headers["Location"].startswith("//"), response.headers["Location"]


def test_login_next_with_crlf(app: Flask) -> None:
    response = _login(app, "/x\r\nSet-Cookie: session=evil")
    assert response.status_code == 302, response.status
    _assert_no_injected_headers(response)


def test_api_answers_carry_hostile_text_as_json(app: Flask, client: FlaskClient) -> None:
    """The REST API returns what senders wrote verbatim, as JSON (never HTML)."""
    from triage.store.tokens import create_token

    ids = _take_in_everything(app, client)
    with sessions_of(app)() as session:
        _, token = create_token(session, "Fuzz", "agent", datetime(2026, 3, 1, tzinfo=UTC))
    response = client.get(
        f"/api/v1/tickets/{ids['chat']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert XSS_NAME in json.loads(response.get_data())["requester_name"]
