"""Intake throughput: signed chat messages through the Flask app, in-process.

Each message opens a new conversation, so each makes a ticket: HMAC check, raw payload
committed to the inbox, schema validation, classification, routing, SLA deadline, the
idempotency rows, a second commit. The baseline is the same number of bare ``store_raw``
inserts (one commit each), the durable write no intake can avoid; the ratio says what
everything else costs on top of it. Figures are printed, not asserted.

    python bench/intake_bench.py [-n 2000] [--database-url URL]

Without ``--database-url`` a fresh SQLite file in a temporary directory is used. A
PostgreSQL URL should name a scratch database: it is migrated and the bench's rows stay.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from config.catalog import load_catalog
from config.settings import Settings
from triage.store import db
from triage.store.intake import store_raw
from triage.store.models import Ticket
from web.app import create_app
from web.inbound import signature

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    if args.count < 2:
        parser.error("--count must be at least 2")
    if args.database_url:
        url = Settings.from_env({"DATABASE_URL": args.database_url}).database_url
        run(args.count, url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args.count, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")


if __name__ == "__main__":
    main()
