"""Monitoring and paging figures: alert -> ticket and outage, probe outage start error,
unacknowledged SMS -> call, heartbeat loss -> page.

    python bench/monitoring_bench.py [--database-url URL] [--alerts 300] [--probe-runs 5]
                                     [--call-delay 5] [--heartbeat-limit 5]

Real parts, real clock: a scratch database (SQLite in a temporary directory, or a scratch
PostgreSQL database next to ``--database-url``, dropped afterwards), the Flask app (its test
client: the request path without a socket), the real HTTP target of the probes on loopback,
the sweeper's own one-second tick (``workers.sweeper._tick_until``) and the real ``twilio``
client against the fake Twilio API (``tests/fakes/twilio_api.py``).

1. Alert -> ticket and outage: ``--alerts`` Alertmanager webhooks, each a new firing alert;
   the time until the answer, by which the ticket, its ladder and the outage are committed.
2. Probe outage start error: a loopback HTTP target goes down at a random instant; the
   recorded outage start minus the instant it went down (interval 1 s, 3 failures).
   Goal: at most one interval.
3. SMS not acknowledged -> call placed: a critical ticket pages the on-call person, whose
   rule says "call after ``--call-delay`` s"; the call's arrival at the fake Twilio minus
   (the SMS's sent time + the delay). Goal: <= 60 s.
4. Heartbeat loss -> page: the worker beats, then stops; the level-2 SMS's arrival at the
   fake minus the last beat, and minus (last beat + ``--heartbeat-limit``). Goal: <= 2 min.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.escalation_bench import pct, scratch_database
from config.catalog import Catalog, load_catalog
from config.settings import Settings
from tests.fakes.twilio_api import FakeTwilio
from triage.monitoring import MonitoredService, ProbeSpec
from triage.store import db, heartbeats
from triage.store.models import EscalationPoint, Outage, SmsOutbox, Staff, Ticket
from triage.store.roster import add_staff, set_rotation
from triage.store.sla_columns import rederive_sla
from triage.store.tickets import add_event
from triage.store.voice_calls import set_call_rule
from web.app import create_app
from workers.context import build
from workers.sweeper import _tick_until, sweep

TOKEN = "bench-token"
VPS = "nettsoft-vps-access"
ONCALL = ("Kari Vakt", "+4791000001")
MANAGER = ("Mette Leder", "+4791000003")


def now() -> datetime:
    return datetime.now(UTC)


def summary(label: str, values: Sequence[float], unit: str = "ms") -> str:
    if not values:
        return f"{label:44} (none)"
    return (
        f"{label:44} n={len(values):<4} p50={pct(values, 50):8.1f} p99={pct(values, 99):8.1f} "
        f"max={max(values):8.1f} {unit}"
    )


def settings_for(url: str, tmp: Path, fake: FakeTwilio, **extra: Any) -> Settings:
    env = {
        "DATABASE_URL": url,
        "TRIAGE_DATA_DIR": str(tmp),
        "TRIAGE_ALERTMANAGER_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM": "+4759440000",
        "TWILIO_API_BASE": fake.base_url,
        "TRIAGE_SMS_GROUP_SECONDS": "0",
        **extra,
    }
    return Settings.from_env(env)


def alert_payload(i: int) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "receiver": "triage",
            "groupKey": "{}:{}",
            "commonLabels": {},
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "Down", "service": "vps-access", "i": str(i)},
                    "annotations": {"summary": f"VPS-Access nede {i}"},
                    "startsAt": now().isoformat(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": f"bench{i:012d}",
                }
            ],
        }
    ).encode()


def bench_alerts(url: str, tmp: Path, fake: FakeTwilio, count: int) -> list[float]:
    app = create_app(settings_for(url, tmp, fake), catalog=load_catalog())
    client = app.test_client()
    took = []
    for i in range(count):
        started = time.perf_counter()
        response = client.post(
            "/inbound/alertmanager",
            data=alert_payload(i),
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        took.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200 and response.json["alerts"][0]["created"], response.json
    with db.session_factory(url)() as session:
        outages = session.scalars(select(Outage).where(Outage.source == "alertmanager")).all()
        tickets = session.scalars(select(Ticket).where(Ticket.channel == "monitoring")).all()
    assert len(outages) == count and len(tickets) == count
    return took


class Target:
    def __init__(self) -> None:
        self.up = True
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if target.up else 503)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def probed_catalog(url: str) -> Catalog:
    spec = ProbeSpec(
        kind="http",
        target=url,
        interval=timedelta(seconds=1),
        timeout=timedelta(milliseconds=500),
        failures=3,
    )
    shipped = load_catalog()
    return dataclasses.replace(
        shipped, monitoring={VPS: MonitoredService(VPS, {"service": "vps-access"}, 40, probe=spec)}
    )


def bench_probe(url: str, tmp: Path, fake: FakeTwilio, runs: int) -> list[float]:
    """The sweeper's tick runs all along in a thread; the target goes down at random
    instants, so the error is the real one (up to an interval, plus the probe's time)."""
    target = Target()
    ctx = build(settings_for(url, tmp, fake), catalog=probed_catalog(target.url))
    stop = threading.Event()

    def ticking() -> None:
        while not stop.is_set():
            _tick_until(ctx, time.monotonic() + 1)

    thread = threading.Thread(target=ticking, daemon=True)
    thread.start()
    errors = []
    for _ in range(runs):
        time.sleep(2 + random.uniform(0, 1))  # up, probed, at a random phase
        target.up = False
        went_down = now()
        time.sleep(5)  # three failures and a margin
        target.up = True
        time.sleep(2)  # back up: the outage ends
        with db.session_factory(url)() as session:
            outage = session.scalars(
                select(Outage).where(Outage.source == "probe").order_by(Outage.id.desc())
            ).first()
        assert outage is not None and outage.ends_at is not None
        errors.append((outage.starts_at - went_down).total_seconds())
    stop.set()
    thread.join()
    target.server.shutdown()
    return errors


def _roster(url: str) -> None:
    at = now()
    with db.session_factory(url)() as session:
        kari = add_staff(session, *ONCALL, at)
        set_rotation(session, 1, "always", at - timedelta(days=7), [kari], at)
        mette = add_staff(session, *MANAGER, at)
        set_rotation(session, 2, "always", at - timedelta(days=7), [mette], at)


def bench_call(url: str, tmp: Path, fake: FakeTwilio, delay: int) -> float:
    catalog = load_catalog()
    ctx = build(settings_for(url, tmp, fake), catalog=catalog)
    with ctx.sessions() as session:  # the alert benchmark's tickets are done with
        session.execute(update(Ticket).values(status="resolved"))
        session.execute(update(EscalationPoint).values(status="cancelled"))
        session.commit()
    with ctx.sessions() as session:
        kari = session.scalars(select(Staff).where(Staff.phone == ONCALL[1])).one()
        set_call_rule(session, kari.id, timedelta(seconds=delay))
        at = now()
        ticket = Ticket(
            channel="email",
            subject="Adgangskontroll nede",
            body="",
            contract_id="nettsoft-vps-terminal",
            severity="critical",
            severity_reasons=[],
            status="open",
            received_at=at,
            created_at=at,
            updated_at=at,
        )
        session.add(ticket)
        add_event(session, ticket, "received", at)
        rederive_sla(session, catalog, ticket, at)
        session.commit()
        ticket_id = ticket.id
    fake.reset()
    sweep(ctx)  # fires the "on receipt" rung: the SMS
    with ctx.sessions() as session:
        sms = session.scalars(
            select(SmsOutbox).where(SmsOutbox.recipient == ONCALL[1]).order_by(SmsOutbox.id)
        ).all()
        sent_at = next(s.sent_at for s in sms if ticket_id in s.ticket_ids and s.sent_at)
    deadline = time.monotonic() + delay + 30
    while not fake.placed() and time.monotonic() < deadline:
        _tick_until(ctx, time.monotonic() + 1)
    (call,) = fake.placed()
    return call["received_at"] - (sent_at.timestamp() + delay)


def bench_heartbeat(url: str, tmp: Path, fake: FakeTwilio, limit: int) -> tuple[float, float]:
    settings = settings_for(url, tmp, fake, TRIAGE_HEARTBEAT_LIMIT_SECONDS=str(limit))
    ctx = build(settings, catalog=load_catalog())
    with ctx.sessions() as session:
        heartbeats.beat(session, "worker", now())  # the worker's last beat, then it dies
        last = now()
    fake.reset()
    deadline = time.monotonic() + limit + 130
    while not fake.sent() and time.monotonic() < deadline:
        _tick_until(ctx, time.monotonic() + 1)
    (page,) = fake.sent()
    arrived = page["received_at"]
    return arrived - last.timestamp(), arrived - (last.timestamp() + limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--probe-runs", type=int, default=5)
    parser.add_argument("--call-delay", type=int, default=5)
    parser.add_argument("--heartbeat-limit", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp_dir,
        FakeTwilio() as fake,
        scratch_database(args.database_url, Path(tmp_dir)) as url,
    ):
        tmp = Path(tmp_dir)
        db.upgrade(url)
        _roster(url)
        kind = url.split(":", 1)[0]
        print(f"database: {kind}")
        took = bench_alerts(url, tmp, fake, args.alerts)
        print(summary("1. alert -> ticket and outage recorded", took) + "  (goal p99 <= 5000)")
        errors = bench_probe(url, tmp, fake, args.probe_runs)
        print(
            summary("2. probe outage start error", [1000 * e for e in errors])
            + "  (interval 1000; goal <= one interval)"
        )
        late = bench_call(url, tmp, fake, args.call_delay)
        print(
            f"{'3. SMS not acked -> call placed':44} {late:8.2f} s after the rule's "
            f"{args.call_delay} s delay  (goal <= 60 s)"
        )
        since_beat, since_limit = bench_heartbeat(url, tmp, fake, args.heartbeat_limit)
        print(
            f"{'4. heartbeat loss -> page':44} {since_beat:8.2f} s after the last beat, "
            f"{since_limit:.2f} s after the {args.heartbeat_limit} s limit  (goal <= 120 s)"
        )


if __name__ == "__main__":
    main()
