"""Fault: PostgreSQL restarts while the asynchronous intake is taking webhooks (issue 18).

On a PostgreSQL cluster of the test's own (``tests.faults.postgres``, as
``test_postgres_restart`` uses it) and a Redis of its own, the real app with
``REDIS_URL`` answers 202 + receipt, and ``rq worker`` as the Procfile runs it
(``WorkerProcess``) ingests the inbox in batches. A sender posts chat messages (every
tenth delivered twice) throughout; mid-run the cluster is stopped (``pg_ctl stop -m
fast``: the worker's batch in flight dies with its connection) and started again.

The contract: while the database is down a webhook answers 503 ``database_unavailable``
with ``Retry-After`` (never a 500), the sender sends again after it, and in the end every
stored payload is exactly one ticket (one per conversation, none pending, none twice),
taken by the worker or, for what it left, by the sweeper.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.faults.invariants import Accepted, assert_nothing_lost
from tests.faults.postgres import PrivatePostgres
from tests.faults.support import WorkerProcess, wait_for, worker_env
from tests.faults.twilio import ScriptedTwilio
from tests.web.conftest import make_settings
from tests.web.support import chat_payload, post_chat
from tests.workers.escalation_support import Clock
from triage.store import db
from triage.store.models import InboxItem, Ticket
from web.app import create_app
from workers.channels.payloads import parsers
from workers.context import build
from workers.embedded_redis import EmbeddedRedis
from workers.sweeper import sweep

BEFORE, DOWN, AFTER = 2.0, 3.0, 2.0  # seconds of traffic before, during, after the outage
PACE = 0.01  # seconds between posts
DRAIN = 40.0  # seconds for every payload to be accepted in the end


@dataclass
class Sent:
    payload: dict[str, object]
    answers: list[int] = field(default_factory=list)
    retry_at: float = 0.0
    accepted: bool = False


@dataclass
class Sender:
    """Posts new chats until told to stop, and again those answered 503 once their
    Retry-After has passed (as a chat platform's delivery queue does)."""

    client: FlaskClient
    sent: list[Sent] = field(default_factory=list)
    accepted: list[Accepted] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    unavailable: int = 0

    def run(self, stop_new: threading.Event, deadline: float) -> None:
        n = 0
        while time.monotonic() < deadline:
            for item in [s for s in self.sent if not s.accepted and s.retry_at <= time.monotonic()]:
                self._post(item)
            if not stop_new.is_set():
                item = Sent(chat_payload(message_id=f"pg-m{n}", conversation_id=f"pg-c{n}"))
                self.sent.append(item)
                self._post(item)
                if n % 10 == 0 and item.accepted:
                    self._post(Sent(item.payload))  # a redelivery: the same ticket
                n += 1
            elif all(s.accepted for s in self.sent):
                return
            time.sleep(PACE)

    def _post(self, item: Sent) -> None:
        response = post_chat(self.client, item.payload)
        item.answers.append(response.status_code)
        if response.status_code == 202:
            item.accepted = True
            self.accepted.append(Accepted("chat", json.dumps(item.payload).encode()))
            return
        body = response.get_json(silent=True) or {}
        retry_after = response.headers.get("Retry-After") or ""
        code = (body.get("error") or {}).get("code")
        if response.status_code != 503 or code != "database_unavailable" or not retry_after:
            self.wrong.append(f"HTTP {response.status_code} {code} Retry-After={retry_after!r}")
        else:
            self.unavailable += 1
        item.retry_at = time.monotonic() + min(float(retry_after or 1), 2.0)


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(inbox items still pending, tickets)."""
    with sessions() as session:
        pending = session.scalar(
            select(func.count()).select_from(InboxItem).where(InboxItem.status == "received")
        )
        made = session.scalar(select(func.count()).select_from(Ticket))
    return int(pending or 0), int(made or 0)


@pytest.fixture
def desk_database(private_postgres: PrivatePostgres) -> Iterator[str]:
    admin = create_engine(private_postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "triage"'))
    admin.dispose()
    url = private_postgres.url("triage")
    db.upgrade(url)
    try:
        yield url
    finally:
        db.engine_for(url).dispose()


def test_postgres_restarted_mid_run_every_stored_payload_becomes_exactly_one_ticket(
    private_postgres: PrivatePostgres,
    desk_database: str,
    private_redis: EmbeddedRedis,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    url, redis_url = desk_database, private_redis.url
    settings = make_settings(url, tmp_path, REDIS_URL=redis_url)
    sender = Sender(create_app(settings, catalog=catalog).test_client())
    sessions = db.session_factory(url)
    worker = WorkerProcess(
        worker_env(url, redis_url, twilio, tmp_path), redis_url, tmp_path / "w.log"
    )
    try:
        stop_new = threading.Event()
        thread = threading.Thread(
            target=sender.run,
            args=(stop_new, time.monotonic() + BEFORE + DOWN + AFTER + DRAIN),
            daemon=True,
        )
        thread.start()
        wait_for(lambda: _counts(sessions)[1] > 0, 60, "the worker to make a first ticket")
        time.sleep(BEFORE)
        before = len(sender.accepted)
        private_postgres.stop("fast")  # the batch in flight dies with its connection
        time.sleep(DOWN)
        private_postgres.start()
        time.sleep(AFTER)
        stop_new.set()
        thread.join(DRAIN + 5)
        assert not thread.is_alive(), "the sender is still busy"
        assert sender.wrong == [], Counter(sender.wrong).most_common(5)
        assert sender.unavailable > 0, "no webhook met the outage: the test proved nothing"
        assert len(sender.accepted) > before, "nothing accepted after the restart"
        # the worker takes what was stored after the restart (a new webhook rang)
        wait_for(lambda: _counts(sessions)[0] == 0, 60, "the worker to ingest every payload")
    finally:
        worker.kill()

    # the sweeper finds nothing the worker left; nothing is ingested twice
    clock = Clock(datetime.now(UTC) + timedelta(minutes=5))
    ctx = build(settings, catalog=catalog, clock=clock, parsers=parsers(settings))
    assert sweep(ctx).recovered == 0
    report = assert_nothing_lost(
        sessions, accepted=sender.accepted, now=clock.now, parsers=parsers(settings)
    )
    conversations = len(sender.sent)  # one conversation each
    assert report.quarantined == 0
    # every 202 stored; a payload whose commit landed as the server went down was answered
    # 503 and sent again, so it may be stored twice: still one ticket
    assert report.inbox_items >= len(sender.accepted)
    assert _counts(sessions) == (0, conversations)  # each exactly one ticket
