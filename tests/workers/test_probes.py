"""The desk's probes against real HTTP and TCP servers on loopback: an outage starts at the
first failed probe of the run that crossed the threshold and ends at the first success;
only transitions are stored."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, load_catalog
from tests.workers.escalation_support import Clock, installed, oslo, settings_for
from triage.monitoring import MonitoredService, ProbeSpec
from triage.store.models import Outage, ProbeTransition, Ticket
from workers.probes import check, run_due

VPS = "nettsoft-vps-access"


class Target:
    """A real HTTP server whose answer the test sets: a status and a body."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"<h1>VPS-Access OK</h1>"
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(target.status)
                self.send_header("Content-Length", str(len(target.body)))
                self.end_headers()
                self.wfile.write(target.body)

            def log_message(self, *args: object) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    yield served
    served.server.shutdown()
    served.server.server_close()


def probed(spec: ProbeSpec) -> Catalog:
    shipped = load_catalog()
    service = MonitoredService(VPS, {"service": "vps-access"}, 40, probe=spec)
    return dataclasses.replace(shipped, monitoring={VPS: service})


def http_spec(url: str, **overrides: object) -> ProbeSpec:
    values: dict[str, object] = {
        "kind": "http",
        "target": url,
        "interval": timedelta(seconds=30),
        "timeout": timedelta(seconds=2),
        "failures": 3,
        "keyword": "VPS-Access OK",
    }
    values.update(overrides)
    return ProbeSpec(**values)  # type: ignore[arg-type]


def test_check_reads_status_keyword_and_tcp(target: Target) -> None:
    assert check(http_spec(target.url)) is None
    target.body = b"maintenance page"
    assert "keyword" in (check(http_spec(target.url)) or "")
    target.status = 503
    assert check(http_spec(target.url)) == "HTTP 503, expected 200"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    tcp = http_spec(f"127.0.0.1:{port}", kind="tcp", keyword=None)
    assert check(tcp) is None
    listener.close()
    assert check(tcp) == "ConnectionRefusedError"


def test_an_outage_starts_at_the_first_failure_of_the_run_and_ends_at_the_first_success(
    target: Target,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    clock = Clock(oslo("2026-03-10T09:00"))
    catalog = probed(http_spec(target.url))
    with installed(settings_for(database_url, tmp_path), catalog, clock) as ctx:
        assert [r.ok for r in run_due(ctx)] == [True]
        clock.advance(seconds=10)
        assert run_due(ctx) == []  # not due before its interval
        target.status = 500
        first_failure = clock.advance(seconds=20)
        runs = []
        for _ in range(3):
            runs += run_due(ctx)
            clock.advance(seconds=30)
        assert [r.transition for r in runs] == [None, None, "down"]
        target.status = 200
        back = clock.now
        assert run_due(ctx)[0].transition == "up"
        clock.advance(seconds=30)
        assert run_due(ctx)[0].transition is None
    with sessions() as session:
        (outage,) = session.scalars(select(Outage)).all()
        assert (outage.source, outage.starts_at, outage.ends_at) == ("probe", first_failure, back)
        transitions = session.scalars(select(ProbeTransition).order_by(ProbeTransition.id)).all()
        assert [(t.status, t.at) for t in transitions] == [("down", first_failure), ("up", back)]
        (ticket,) = session.scalars(select(Ticket)).all()
        assert (ticket.contract_id, ticket.severity, ticket.channel) == (
            VPS,
            "critical",
            "monitoring",
        )
