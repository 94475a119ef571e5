"""Faults on the asynchronous intake (issue 18): every stored payload becomes exactly one
ticket, whatever happens to the intake worker or to Redis.

The web app is the real one with ``REDIS_URL`` (202 + receipt, the doorbell, one job);
the worker is ``rq worker`` as the Procfile runs it (``WorkerProcess``, the desk's
worker class with the payload parsers), in its own process, SIGKILLed mid-batch.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from tests.faults.invariants import Accepted, assert_nothing_lost
from tests.faults.support import WorkerProcess, wait_for, worker_env
from tests.faults.twilio import ScriptedTwilio
from tests.web.conftest import make_settings
from tests.web.support import chat_payload, post_chat
from tests.workers.escalation_support import Clock, installed, settings_for
from triage.store import db
from triage.store.models import InboxItem, Ticket
from web.app import create_app
from workers.channels.payloads import parsers
from workers.queues import INTAKE, connection
from workers.sweeper import sweep

CONVERSATIONS = 23


class Sender:
    """Posts chats through the web app and keeps what was accepted, for the invariants."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.accepted: list[Accepted] = []
        self.sent = 0

    def send(self, count: int, redeliver_every: int = 10) -> None:
        for _ in range(count):
            n = self.sent
            self.sent += 1
            payload = chat_payload(message_id=f"m{n}", conversation_id=f"c{n % CONVERSATIONS}")
            self._post(payload)
            if n % redeliver_every == 0:
                self._post(payload)  # a redelivery: the same ticket

    def _post(self, payload: dict[str, object]) -> None:
        response = post_chat(self.client, payload)
        assert response.status_code == 202, response.get_data(as_text=True)
        self.accepted.append(Accepted("chat", json.dumps(payload).encode()))


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(inbox items still pending, tickets)."""
    with sessions() as session:
        pending = session.scalar(
            select(func.count()).select_from(InboxItem).where(InboxItem.status == "received")
        )
        made = session.scalar(select(func.count()).select_from(Ticket))
    return int(pending or 0), int(made or 0)


@contextmanager
def writes_held(database_url: str) -> Iterator[None]:
    """Another transaction holds what a batch needs to write, so the batch blocks halfway:
    on PostgreSQL a SHARE lock on ``tickets`` (the batch has locked and parsed its inbox
    rows), on SQLite the one write lock (the batch has read and parsed its rows)."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with db.engine_for(database_url).connect() as conn:
        conn.execute(text("LOCK TABLE tickets IN SHARE MODE"))
        try:
            yield
        finally:
            conn.rollback()


def _batch_waits(database_url: str) -> bool:
    """A PostgreSQL backend waits for a lock in the middle of a batch's transaction."""
    with db.engine_for(database_url).connect() as conn:
        waiting = conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO tickets%'"
            )
        )
    return bool(waiting)


def test_intake_worker_killed_mid_batch_every_payload_becomes_exactly_one_ticket(
    sessions: sessionmaker[Session],
    database_url: str,
    redis_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    settings = make_settings(database_url, tmp_path, REDIS_URL=redis_url)
    sender = Sender(create_app(settings, catalog=catalog).test_client())
    sender.send(150)  # more than one batch
    assert Queue(INTAKE, connection=connection(redis_url)).count == 1

    env = worker_env(database_url, redis_url, twilio, tmp_path)
    with writes_held(database_url):
        worker = WorkerProcess(env, redis_url, tmp_path / "worker.log")
        try:
            wait_for(lambda: "ingest the inbox" in worker.log(), 30, "the intake job to start")
            if database_url.startswith("postgresql"):
                wait_for(lambda: _batch_waits(database_url), 30, "the batch to block mid-way")
            else:
                time.sleep(1.0)  # it reads and parses its batch, then waits for the lock
        finally:
            worker.kill()
    assert worker.process.returncode < 0, worker.log()  # killed, not finished
    assert _counts(sessions) == (len(sender.accepted), 0)  # the batch rolled back whole

    sender.send(5)  # the next webhook rings again (the dead job had cleared the doorbell)
    worker = WorkerProcess(env, redis_url, tmp_path / "worker2.log")
    try:
        wait_for(lambda: _counts(sessions)[0] == 0, 60, "the restarted worker to ingest all")
    finally:
        worker.kill()

    report = assert_nothing_lost(
        sessions, accepted=sender.accepted, now=datetime.now(UTC), parsers=parsers(settings)
    )
    assert report.inbox_items == len(sender.accepted)
    assert _counts(sessions) == (0, CONVERSATIONS)


def test_redis_flushed_the_next_webhook_or_the_sweeper_takes_every_payload(
    sessions: sessionmaker[Session],
    database_url: str,
    redis_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    settings = make_settings(database_url, tmp_path, REDIS_URL=redis_url)
    sender = Sender(create_app(settings, catalog=catalog).test_client())
    redis = connection(redis_url)

    # 1. the job and the doorbell are lost; the next webhook rings, its job takes them all
    sender.send(40)
    redis.flushall()
    sender.send(10)
    worker = WorkerProcess(
        worker_env(database_url, redis_url, twilio, tmp_path), redis_url, tmp_path / "w.log"
    )
    try:
        wait_for(lambda: _counts(sessions)[0] == 0, 60, "the worker to ingest all 50")
    finally:
        worker.kill()

    # 2. lost again, and no webhook follows: the sweeper takes what the worker never will
    sender.send(30)
    redis.flushall()
    pending = _counts(sessions)[0]
    assert pending == 33  # 30 chats and 3 redeliveries
    clock = Clock(datetime.now(UTC))
    sweeping = settings_for(database_url, tmp_path, redis_url)
    with installed(sweeping, catalog, clock) as ctx:
        ctx.parsers = parsers(sweeping)
        assert sweep(ctx).recovered == 0  # younger than INTAKE_LEFT_AFTER: the worker's
        clock.advance(seconds=15)
        assert sweep(ctx).recovered == pending
    assert _counts(sessions)[0] == 0

    report = assert_nothing_lost(
        sessions, accepted=sender.accepted, now=clock.now, parsers=parsers(settings)
    )
    assert report.inbox_items == len(sender.accepted)
    assert _counts(sessions)[1] == CONVERSATIONS
