"""Slow and stalled clients against a real gunicorn on loopback, started as ``triage up``
and the Procfile start it (``web_argv``: the desk's ``config/gunicorn.py``).

Issue 15, finding 2: four ``POST /inbound/chat`` with ``Content-Length: 100000`` and a
one-byte body held every sync worker; ``/healthz`` answered after 37.7 s. Here 200 such
connections (bodies, headers and silence that never finish) stay open while ``/healthz``
and a signed webhook must each answer within a second; and the stalled ones must be cut
off by the body-read deadline and the header timeout, not held for ever.

Issue 15, finding 8: the access log keeps no query-string values.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator

import pytest

from bench.slow_clients import HOST, Desk, measure, running_web

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="gevent, /proc")

STALLED = 200
GOAL_MS = 1000.0
READ_TIMEOUT = 3  # seconds; shorter than the default so the cut-off tests are quick
DEADLINE = 5


@pytest.fixture(scope="module")
def desk(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One gunicorn per database kind for the module (starting one takes seconds)."""
    env = {"TRIAGE_BODY_READ_TIMEOUT": str(READ_TIMEOUT), "TRIAGE_BODY_DEADLINE": str(DEADLINE)}
    with running_web(database_url, tmp_path_factory.mktemp("slow"), env) as running:
        yield running


def test_two_hundred_stalled_connections_do_not_starve_the_desk(desk: Desk) -> None:
    figures, sockets = measure(desk.port, STALLED, probes=3)
    try:
        summary = figures.summary()
        print(summary)  # the figure the issue asks for (pytest -s shows it)
        # they were really held open while the probes ran, not refused or dropped
        assert figures.open_during_probes >= STALLED * 0.9, summary
        assert set(figures.statuses) <= {200, 201, 202}, summary
        assert max(figures.healthz_ms) < GOAL_MS, summary
        assert max(figures.chat_ms) < GOAL_MS, summary
    finally:
        for sock in sockets:
            sock.close()


def _answer(sock: socket.socket, within: float) -> bytes:
    """What the server sends before it closes, waiting at most ``within`` seconds."""
    sock.settimeout(within)
    received = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            return received + b"<closed>"
        received += chunk
    return received


def test_a_stalled_or_trickling_body_is_cut_off_with_408(desk: Desk) -> None:
    head = (
        b"POST /inbound/chat HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    stalled = socket.create_connection((HOST, desk.port))
    stalled.sendall(head + b"{")
    trickle = socket.create_connection((HOST, desk.port))
    trickle.sendall(head)
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE + 1.5:  # a byte every 0.5 s: never idle
        try:
            trickle.sendall(b" ")
        except OSError:
            break  # the server has given up on it: what we want
        time.sleep(0.5)
    trickled = _answer(trickle, READ_TIMEOUT)
    answer = _answer(stalled, READ_TIMEOUT)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer
    assert trickled.startswith(b"HTTP/1.1 408"), trickled[:200]  # the whole-body deadline
    stalled.close()
    trickle.close()


def test_headers_that_never_end_are_dropped(desk: Desk) -> None:
    sock = socket.create_connection((HOST, desk.port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: desk\r\nX-Slow: ")
    started = time.monotonic()
    answer = _answer(sock, 10)
    assert answer.endswith(b"<closed>"), answer
    assert time.monotonic() - started < 8  # the keepalive timeout (5 s)
    sock.close()


def test_the_access_log_keeps_no_query_values(desk: Desk) -> None:
    import http.client

    conn = http.client.HTTPConnection(HOST, desk.port, timeout=5)
    conn.request(
        "GET",
        "/?q=kari.testesen%40example.com&status=alle",
        headers={"Referer": "http://desk/tickets?q=4791234567"},
    )
    conn.getresponse().read()
    conn.close()
    deadline = time.monotonic() + 5
    while b"GET /?" not in desk.log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = desk.log.read_text(errors="replace")
    assert "GET /?q=*&status=* HTTP/1.1" in log, log[-2000:]
    assert "kari" not in log and "testesen" not in log and "4791234567" not in log
    assert "/tickets?q=*" in log  # the referer too
