"""Fault: PostgreSQL stops and starts again while webhooks keep coming.

On a PostgreSQL cluster of the test's own (``tests.faults.postgres``; the system server
is never touched), the real app serves on a loopback port (werkzeug, threaded, as
``tests/e2e`` runs it) and a few sender threads post signed chat messages and e-mails in
a loop. Mid-stream the cluster is stopped (``pg_ctl stop -m fast``), the senders keep
posting for a few seconds, the cluster starts again, the senders keep posting.

The contract under test:

- while the database is down a webhook answers 503 with ``Retry-After`` and the JSON
  error ``{"error": {"code": "database_unavailable", ...}}``, never a 500;
- a sender that sends again after Retry-After gets its payload accepted once the
  database is back (each sender keeps a retry list, as a mail relay does, and goes on
  with new payloads meanwhile);
- nothing is half-written: every 2xx is exactly one ticket, one per payload; a payload
  answered 503 is either absent or its stored raw item is recovered by the sweeper
  (``workers.sweeper.sweep`` re-ingests inbox items stuck in "received", counted in
  ``SweepResult.recovered``; the parsers come in through ``WorkerContext.parsers``).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from config.catalog import Catalog
from config.settings import Settings
from tests.faults.invariants import Accepted, assert_nothing_lost
from tests.faults.postgres import PrivatePostgres
from tests.faults.support import wait_for
from tests.web.conftest import make_settings
from tests.web.support import email_bytes, sign
from tests.workers.escalation_support import Clock
from triage.store import db
from triage.store.models import InboxItem, Ticket
from web.app import create_app
from workers.channels.payloads import parsers
from workers.context import build
from workers.sweeper import sweep

SENDERS = 3
BEFORE, DOWN, AFTER = 1.5, 3.0, 2.0  # seconds of traffic before, during, after the outage
PACE = 0.02  # seconds between one sender's posts
RETRY_CAP = 5.0  # a sender waits what Retry-After says, at most this
DRAIN = 40.0  # seconds the senders get to have every payload accepted in the end


@dataclass
class Payload:
    channel: str
    path: str
    body: bytes
    content_type: str
    answers: list[int] = field(default_factory=list)
    accepted: Accepted | None = None
    retry_at: float = 0.0
    receipt: int | None = None  # the 202's receipt (its inbox item)


@dataclass
class Outcomes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    payloads: list[Payload] = field(default_factory=list)
    unavailable: list[dict[str, object]] = field(default_factory=list)  # the 503s
    wrong: list[str] = field(default_factory=list)  # any answer that breaks the contract


def _payload(sender: int, n: int) -> Payload:
    if n % 2:
        raw = email_bytes(
            message_id=f"<pg.{sender}.{n}@kunde.no>",
            subject=f"Sentralbordet nede ({sender}-{n})",
            text="Hele bedriften er uten telefon",
        )
        return Payload("email", "/inbound/email", raw, "message/rfc822")
    return Payload(*_chat(f"pg-conv-{sender}-{n}", f"pg-msg-{sender}-{n}"))


def _post(http: requests.Session, base: str, payload: Payload, outcomes: Outcomes) -> None:
    """One attempt; on 503 the payload is due again after Retry-After."""
    try:
        response = http.post(
            base + payload.path,
            data=payload.body,
            headers={
                "Content-Type": payload.content_type,
                "X-Triage-Signature": sign(payload.body),
            },
            timeout=15,
        )
    except requests.RequestException as exc:  # the app must answer, even without a database
        with outcomes.lock:
            outcomes.wrong.append(f"{payload.channel}: no answer ({type(exc).__name__})")
        payload.retry_at = time.monotonic() + 1
        return
    payload.answers.append(response.status_code)
    if response.status_code == 202:
        answer = response.json()
        payload.receipt = int(answer["receipt"])
        ticket = answer.get("ticket") or _receipt_ticket(http, base, payload.receipt)
        payload.accepted = Accepted(payload.channel, payload.body, ticket)
        return
    retry_after = response.headers.get("Retry-After") or ""
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {"body": response.text[:200]}
    if response.status_code == 503:
        with outcomes.lock:
            outcomes.unavailable.append({"retry_after": retry_after, "error": error})
        if error.get("code") != "database_unavailable" or not retry_after.isdigit():
            with outcomes.lock:
                outcomes.wrong.append(f"503 without the contract: {retry_after!r} {error}")
        wait = float(retry_after) if retry_after.isdigit() else 1.0
        payload.retry_at = time.monotonic() + min(wait, RETRY_CAP)
        return
    with outcomes.lock:
        outcomes.wrong.append(f"{payload.channel}: HTTP {response.status_code} {error}")
    payload.retry_at = time.monotonic() + 1


def _receipt_ticket(http: requests.Session, base: str, receipt: int) -> int | None:
    """The ticket a receipt names, if it names one yet (the app without Redis ingests in
    the request, so it mostly does); None when it is pending or the database is away."""
    path = f"/inbound/receipts/{receipt}"
    try:
        answer = http.get(
            base + path, headers={"X-Triage-Signature": sign(path.encode())}, timeout=15
        )
    except requests.RequestException:
        return None
    if answer.status_code != 200:
        return None
    ticket = answer.json().get("ticket")
    return int(ticket) if ticket is not None else None


def _settled_tickets(sessions: sessionmaker[Session], payloads: list[Payload]) -> None:
    """After the sweep: the ticket of every accepted payload whose answer could not name
    one, read from its receipt's inbox item."""
    with sessions() as session:
        for payload in payloads:
            if payload.accepted is not None and payload.accepted.ticket_id is None:
                item = session.get(InboxItem, payload.receipt)
                assert item is not None, f"receipt {payload.receipt} has no inbox item"
                payload.accepted = Accepted(payload.channel, payload.body, item.ticket_id)


def _sender(
    number: int, base: str, outcomes: Outcomes, stop_new: threading.Event, deadline: float
) -> None:
    """Posts new payloads until ``stop_new``, and again those answered 503 once their
    Retry-After has passed, until every one of its payloads is accepted."""
    http = requests.Session()
    mine: list[Payload] = []
    n = 0
    while time.monotonic() < deadline:
        due = [p for p in mine if p.accepted is None and p.retry_at <= time.monotonic()]
        for payload in due:
            _post(http, base, payload, outcomes)
        if not stop_new.is_set():
            payload = _payload(number, n)
            n += 1
            mine.append(payload)
            with outcomes.lock:
                outcomes.payloads.append(payload)
            _post(http, base, payload, outcomes)
        elif all(p.accepted is not None for p in mine):
            return
        time.sleep(PACE)


def _hold_one_between_store_and_ingest(
    cluster: PrivatePostgres, base: str, outcomes: Outcomes, deadline: float
) -> tuple[threading.Thread, Connection, Engine]:
    """A follow-up chat message whose raw payload is committed and whose ingest then
    waits for the ticket's row, which an agent's transaction holds (FOR UPDATE, as
    ``record_response`` takes it) until the database stops: the request that dies
    between the two steps, made certain instead of left to timing. Returns its sender,
    which sends again after Retry-After like the others, and the agent's connection."""
    http = requests.Session()
    first = Payload(*_chat("pg-held", "pg-held-1"))
    _post(http, base, first, outcomes)
    assert first.accepted is not None and first.accepted.ticket_id is not None
    with outcomes.lock:
        outcomes.payloads.append(first)
    follow_up = Payload(*_chat("pg-held", "pg-held-2"))
    with outcomes.lock:
        outcomes.payloads.append(follow_up)
    engine = create_engine(cluster.url("triage"), poolclass=NullPool)
    agent = engine.connect()
    agent.execute(
        text("SELECT id FROM tickets WHERE id = :id FOR UPDATE"),
        {"id": first.accepted.ticket_id},
    )

    def send() -> None:
        _post(http, base, follow_up, outcomes)
        while follow_up.accepted is None and time.monotonic() < deadline:
            time.sleep(max(0.0, follow_up.retry_at - time.monotonic()))
            _post(http, base, follow_up, outcomes)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()

    def waiting() -> bool:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query ILIKE '%FOR UPDATE%' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )

    wait_for(waiting, 10, "the follow-up's ingest to wait for the ticket")
    return thread, agent, engine


def _chat(conversation: str, message: str) -> tuple[str, str, bytes, str]:
    body = json.dumps(
        {
            "conversation_id": conversation,
            "message_id": message,
            "sender": {"name": "Kari Nordmann", "email": "kari@kunde.no"},
            "text": "Terminalserveren svarer ikke",
            "sent_at": "2026-03-10T08:59:00+01:00",
        }
    ).encode()
    return "chat", "/inbound/chat", body, "application/json"


@pytest.fixture
def live_desk(
    private_postgres: PrivatePostgres, catalog: Catalog, tmp_path: Path
) -> Iterator[tuple[str, Settings]]:
    admin = create_engine(private_postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "triage"'))
    admin.dispose()
    url = private_postgres.url("triage")
    db.upgrade(url)
    settings = make_settings(url, tmp_path)
    app = create_app(settings, catalog=catalog)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", settings
    finally:
        server.shutdown()
        thread.join(timeout=5)
        db.engine_for(url).dispose()


def test_webhooks_answer_503_while_postgres_is_down_and_nothing_is_half_written(
    private_postgres: PrivatePostgres,
    live_desk: tuple[str, Settings],
    catalog: Catalog,
) -> None:
    base, settings = live_desk
    outcomes = Outcomes()
    stop_new = threading.Event()
    deadline = time.monotonic() + BEFORE + DOWN + AFTER + DRAIN
    senders = [
        threading.Thread(target=_sender, args=(n, base, outcomes, stop_new, deadline), daemon=True)
        for n in range(SENDERS)
    ]
    held, agent, agent_engine = _hold_one_between_store_and_ingest(
        private_postgres, base, outcomes, deadline
    )
    first, follow_up = outcomes.payloads  # the held pair, before the senders add theirs
    for thread in senders:
        thread.start()
    time.sleep(BEFORE)
    private_postgres.stop("fast")  # the agent's transaction dies with it
    with contextlib.suppress(Exception):
        agent.close()
    agent_engine.dispose()
    stopped_at = time.monotonic()
    readyz = requests.get(base + "/readyz", timeout=15)
    time.sleep(max(0.0, DOWN - (time.monotonic() - stopped_at)))
    private_postgres.start()
    time.sleep(AFTER)
    stop_new.set()
    for thread in [*senders, held]:
        thread.join(DRAIN + 5)
    assert not any(t.is_alive() for t in [*senders, held]), "senders still busy"

    # the answers while it was down, and after
    assert readyz.status_code == 503
    assert readyz.json()["error"]["code"] == "database_unavailable"
    assert outcomes.unavailable, "no webhook ever met the outage: the test proved nothing"
    assert outcomes.wrong == [], Counter(outcomes.wrong).most_common(5)
    statuses = Counter(code for p in outcomes.payloads for code in p.answers)
    assert set(statuses) <= {202, 503}, statuses
    lost = [p.channel for p in outcomes.payloads if p.accepted is None]
    assert lost == [], f"{len(lost)} payloads never accepted after the database came back"

    # nothing half-written; what a dead request stored, the sweeper ingests
    url = private_postgres.url("triage")
    sessions = db.session_factory(url)
    with sessions() as session:
        stuck = int(
            session.scalar(
                select(func.count()).select_from(InboxItem).where(InboxItem.status == "received")
            )
            or 0
        )
    assert stuck >= 1  # at least the held one: stored, then the database went away
    clock = Clock(datetime.now(UTC) + timedelta(minutes=5))
    ctx = build(settings, catalog=catalog, clock=clock, parsers=parsers(settings))
    result = sweep(ctx)
    assert result.recovered == stuck
    assert sweep(ctx).recovered == 0
    _settled_tickets(sessions, outcomes.payloads)

    accepted = [p.accepted for p in outcomes.payloads if p.accepted is not None]
    report = assert_nothing_lost(
        sessions, accepted=accepted, now=clock.now, parsers=parsers(settings)
    )
    assert report.quarantined == 0
    # one ticket per conversation: no payload made two, no two conversations share one
    # (every payload is a conversation of its own, but the held follow-up)
    conversations = len(outcomes.payloads) - 1
    assert len({a.ticket_id for a in accepted}) == conversations == report.tickets
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == conversations
        held_items = session.scalars(
            select(InboxItem).where(InboxItem.payload == follow_up.body)
        ).all()
    assert first.accepted is not None and follow_up.accepted is not None
    assert follow_up.answers[0] == 503  # it died between store and ingest ...
    assert follow_up.accepted.ticket_id == first.accepted.ticket_id  # ... and continued it
    assert len(held_items) >= 2  # the stored copy (recovered) and the accepted retry
