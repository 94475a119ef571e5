"""The ticket CSV streamed (``GET /reports/tickets.csv``): written as the database hands
the rows over, a chunk at a time, and byte for byte the document the page built whole
before (a ``csv.DictWriter`` over every ticket of the period): across the database's
fetch batches and the response's chunks, with subjects a spreadsheet would run as a
formula, control and direction characters, commas, quotes and line breaks, on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import insert

from tests.web.conftest import Clock
from tests.web.ui_support import logged_in
from triage.report import day_bounds
from triage.store import tickets as ticket_store
from triage.store.models import Ticket
from web.desk import desk
from web.formats import iso
from web.ui import reports
from web.ui.reports import TICKET_COLUMNS, _csv_cell

OSLO = ZoneInfo("Europe/Oslo")
HTTPS = "https://localhost"
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=OSLO)
SUBJECTS = ("Skriver", "=1+2", "+47 999", "-x", "@sum", "a,b", 'sier "hei"', "to\nlinjer",
            "Faktura \u202efdp.exe", "bjelle\x07", "", "æøå")  # fmt: skip


def _row(rng: random.Random, n: int) -> dict[str, Any]:
    received = datetime(2026, 1, 1, tzinfo=OSLO) + timedelta(minutes=rng.randint(0, 130_000))
    due = None if rng.random() < 0.2 else received + timedelta(hours=rng.choice((1, 4, 30)))
    responded = None if rng.random() < 0.3 else received + timedelta(hours=rng.choice((0.5, 3, 40)))
    return {
        "channel": "email",
        "subject": rng.choice(SUBJECTS),
        "body": "",
        "contract_id": rng.choice(("nettsoft-mbn", "pindena", "gone-contract", None)),
        "severity": rng.choice(("critical", "non-critical")),
        "severity_reasons": [],
        "status": "open",
        "received_at": received,
        "due_at": due,
        "responded_at": responded,
        "response_seconds": None if responded is None else rng.uniform(0, 90_000),
        "created_at": received,
        "updated_at": received,
    }


def _whole(app: Flask, first: str, last: str) -> str:
    """The CSV as the page wrote it before streaming: every row, then one document."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TICKET_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    start, end = day_bounds(datetime.fromisoformat(first).date(),
                            datetime.fromisoformat(last).date(), OSLO)  # fmt: skip
    with app.app_context(), desk().sessions() as session:
        for f in ticket_store.report_facts(session, start, end):
            row = {
                "id": f.ticket_id,
                "contract": f.contract_id,
                "severity": f.severity,
                "received": iso(f.received_at),
                "due": iso(f.due_at),
                "responded": iso(f.responded_at),
                "business_minutes": None
                if f.response_minutes is None
                else round(f.response_minutes, 1),
                "outcome": f.outcome(NOW).value,
                "subject": f.subject,
            }
            writer.writerow({k: _csv_cell(row.get(k)) for k in TICKET_COLUMNS})
    return out.getvalue()


def test_the_streamed_csv_is_the_whole_one_chunk_by_chunk(
    app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = NOW
    rng = random.Random(18)
    with app.app_context(), desk().sessions() as session:
        session.execute(insert(Ticket), [_row(rng, n) for n in range(400)])
        session.commit()
    monkeypatch.setattr(ticket_store, "FETCH_BATCH", 7)  # many batches from the database
    monkeypatch.setattr(reports, "CSV_CHUNK", 1000)  # and many chunks to the client
    manager = logged_in(app, "manager")
    path = "/reports/tickets.csv?from=2026-01-01&to=2026-03-31"
    response = manager.get(path, base_url=HTTPS, buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    chunks = [c for c in response.response if c]
    response.close()
    assert len(chunks) > 10
    assert all(len(c) < 2 * 1000 * 4 for c in chunks)  # bounded: never the whole at once
    body = b"".join(chunks).decode()
    expected = _whole(app, "2026-01-01", "2026-03-31")
    assert body == expected
    assert body.count("\r\n") > 250  # the period holds most of the tickets
    assert "'=1+2" in body and "\u202e" not in body
    assert response.headers["Content-Disposition"].startswith("attachment;")
    # an empty period is the header alone
    empty = manager.get("/reports/tickets.csv?month=2025-01", base_url=HTTPS)
    assert empty.get_data(as_text=True) == ",".join(TICKET_COLUMNS) + "\r\n"


def test_a_csv_nobody_reads_leaves_nothing_behind(app: Flask, clock: Clock) -> None:
    """A streamed CSV left unread (a client gone, a test not reading the body) holds no
    request context: the next request of someone not logged in is still refused."""
    clock.now = NOW
    manager = logged_in(app, "manager")
    unread = manager.get("/reports/tickets.csv", base_url=HTTPS, buffered=False)
    assert unread.status_code == 200 and unread.is_streamed
    anonymous = app.test_client()
    refused = anonymous.get("/penalties", base_url=HTTPS)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    unread.close()
