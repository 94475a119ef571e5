"""Intake throughput: signed chat messages through the Flask app, in-process.

Each message opens a new conversation, so each makes a ticket: HMAC check, raw payload
committed to the inbox, schema validation, classification, routing, SLA deadline, the
idempotency rows, a second commit. The baseline is the same number of bare ``store_raw``
inserts (one commit each), the durable write no intake can avoid; the ratio says what
everything else costs on top of it. Figures are printed, not asserted.

    python bench/intake_bench.py [-n 2000] [--database-url URL]
    python bench/intake_bench.py --batch [-n 2000] [--database-url URL]

``--batch`` measures the asynchronous intake's worker side alone (issue 18): N chat
payloads are stored pending (``store_pending``, not timed), then ``ingest_pending``
takes them in batches of ``BATCH``. It prints the CPU time per ticket of this process
(``time.process_time``) and, on PostgreSQL, of the database's backends (their
utime + stime from /proc, so PostgreSQL must run on this machine), against a baseline
of N bare ``store_raw`` inserts measured the same way in the same run. CPU time, not
wall time, because the workers and PostgreSQL share the machine's two cores: the CPU a
ticket costs in all is what caps the sustained rate.

Without ``--database-url`` a fresh SQLite file in a temporary directory is used. A
PostgreSQL URL should name a scratch database: it is migrated and the bench's rows stay.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import load_catalog
from config.settings import Settings
from triage.store import db
from triage.store.intake import store_raw
from triage.store.intake_batch import BATCH, ingest_pending, store_pending
from triage.store.models import Ticket
from web.app import create_app
from web.inbound import signature
from workers.channels.payloads import parsers as payload_parsers

SECRET = "bench-secret"
TEXTS = (
    "Sentralbordet svarer ikke, hele bedriften er uten telefon",
    "Outlook er litt treg på min maskin",
    "Hei, mobilsvar på MBN virker ikke for meg",
    "Ingen på kontoret får logget på nettverket, alle PCer er nede",
    "Påmelding i Pindena feiler for aktivitet 7",
    "Skriveren på 2. etasje tar ikke utskrifter",
)


def _payload(run: str, n: int) -> bytes:
    return json.dumps(
        {
            "conversation_id": f"{run}-c{n}",
            "message_id": f"{run}-m{n}",
            "sender": {"name": "Bench Sender", "email": f"user{n % 50}@kunde.example"},
            "text": f"{TEXTS[n % len(TEXTS)]} (#{n})",
            "sent_at": "2026-03-10T09:15:00+01:00",
        }
    ).encode()


def _timed(count: int, step: Callable[[int], None]) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        step(n)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - started, latencies


def _describe(what: str, count: int, unit: str, total: float, latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (
        f"{what}: {count} {unit} in {total:.2f} s = {count / total:,.0f} {unit}/s; "
        f"latency p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms"
    )


def run(count: int, database_url: str) -> None:
    db.upgrade(database_url)
    settings = Settings.from_env({"DATABASE_URL": database_url, "TRIAGE_INBOUND_SECRET": SECRET})
    app = create_app(settings, catalog=load_catalog(settings.catalog_path))
    client = app.test_client()
    sessions = db.session_factory(settings.database_url)
    run_id = uuid.uuid4().hex[:8]
    payloads = [_payload(run_id, n) for n in range(count)]
    signatures = [signature(SECRET, body) for body in payloads]

    for n in range(min(50, count)):  # warm-up: imports, pools, caches
        warm = _payload(run_id + "w", n)
        client.post(
            "/inbound/chat",
            data=warm,
            content_type="application/json",
            headers={"X-Triage-Signature": signature(SECRET, warm)},
        )
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Ticket)) or 0

    def post(n: int) -> None:
        response = client.post(
            "/inbound/chat",
            data=payloads[n],
            content_type="application/json",
            headers={"X-Triage-Signature": signatures[n]},
        )
        if response.status_code != 202:
            raise SystemExit(f"message {n}: HTTP {response.status_code} {response.get_data()!r}")

    intake_total, intake_latencies = _timed(count, post)
    with sessions() as session:
        made = (session.scalar(select(func.count()).select_from(Ticket)) or 0) - before

    def insert(n: int) -> None:
        with sessions() as session:
            store_raw(session, "bench", "application/json", payloads[n], datetime.now(UTC))

    raw_total, raw_latencies = _timed(count, insert)

    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    print(f"database: {kind}; messages: {count}; tickets made: {made}")
    print(
        _describe("intake (POST /inbound/chat)", count, "tickets", intake_total, intake_latencies)
    )
    print(_describe("baseline (store_raw only)", count, "inserts", raw_total, raw_latencies))
    print(f"ratio: one intake costs {intake_total / raw_total:.1f}x a bare committed insert")


class _BackendCpu:
    """CPU seconds the database's backends used (PostgreSQL on this machine; else 0)."""

    def __init__(self, sessions: sessionmaker[Session], database_url: str) -> None:
        self.sessions = sessions
        self.postgres = database_url.startswith("postgresql")
        self.tick = os.sysconf("SC_CLK_TCK")

    def _pids(self) -> list[int]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND backend_type = 'client backend'"
                    )
                )
            )

    def sample(self) -> dict[int, float]:
        if not self.postgres:
            return {}
        seconds = {}
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            seconds[pid] = (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        return seconds

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def _cpu(backends: _BackendCpu, work: Callable[[], None]) -> tuple[float, float, float]:
    """(process CPU s, backend CPU s, wall s) of ``work``."""
    db_before, cpu_before, wall_before = backends.sample(), time.process_time(), time.perf_counter()
    work()
    wall, cpu = time.perf_counter() - wall_before, time.process_time() - cpu_before
    return cpu, backends.spent(db_before, backends.sample()), wall


def run_batch(count: int, database_url: str) -> None:
    """``--batch``: the worker's ``ingest_pending`` alone, CPU per ticket (module doc)."""
    db.upgrade(database_url)
    settings = Settings.from_env({"DATABASE_URL": database_url, "TRIAGE_INBOUND_SECRET": SECRET})
    catalog = load_catalog(settings.catalog_path)
    parsers = payload_parsers(settings)
    sessions = db.session_factory(settings.database_url)
    backends = _BackendCpu(sessions, database_url)
    run_id = uuid.uuid4().hex[:8]

    def store(tag: str, n: int) -> None:
        for i in range(n):
            with sessions() as session:
                body = _payload(run_id + tag, i)
                store_pending(session, "chat", "application/json", body, datetime.now(UTC), None)

    def drain() -> int:
        made = 0
        while batch := ingest_pending(sessions, catalog, parsers, datetime.now(UTC), limit=BATCH):
            if not batch.taken:
                break
            made += len(batch.tickets)
        return made

    store("w", min(BATCH * 2, count))  # warm-up: imports, pools, compiled statements
    drain()
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Ticket)) or 0
    store("b", count)
    made = 0

    def ingest_all() -> None:
        nonlocal made
        made = drain()

    cpu, db_cpu, wall = _cpu(backends, ingest_all)
    with sessions() as session:
        tickets = (session.scalar(select(func.count()).select_from(Ticket)) or 0) - before
    if made != count or tickets != count:
        raise SystemExit(f"expected {count} tickets, ingested {made}, stored {tickets}")

    def inserts() -> None:
        for n in range(count):
            with sessions() as session:
                store_raw(
                    session, "bench", "application/json", _payload(run_id, n), datetime.now(UTC)
                )

    raw_cpu, raw_db_cpu, raw_wall = _cpu(backends, inserts)
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    per = 1000 / count
    total, raw_total = cpu + db_cpu, raw_cpu + raw_db_cpu
    print(f"database: {kind}; tickets: {count} in batches of {BATCH}")
    print(
        f"ingest_pending: process {cpu * per:.3f} ms/ticket, backend {db_cpu * per:.3f} ms/ticket,"
        f" total {total * per:.3f} ms/ticket = {count / total:,.0f} tickets per CPU second;"
        f" wall {wall:.2f} s ({count / wall:,.0f}/s)"
    )
    print(
        f"baseline (store_raw): process {raw_cpu * per:.3f} ms/insert,"
        f" backend {raw_db_cpu * per:.3f} ms/insert, total {raw_total * per:.3f} ms/insert;"
        f" wall {raw_wall:.2f} s"
    )
    print(f"ratio: one batched ingest costs {total / raw_total:.2f}x the CPU of a bare insert")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--batch", action="store_true", help="time the worker's ingest_pending alone (CPU)"
    )
    args = parser.parse_args()
    if args.count < 2:
        parser.error("--count must be at least 2")
    bench = run_batch if args.batch else run
    if args.database_url:
        url = Settings.from_env({"DATABASE_URL": args.database_url}).database_url
        bench(args.count, url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench(args.count, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")


if __name__ == "__main__":
    main()
