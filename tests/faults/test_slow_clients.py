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
from pathlib import Path

import pytest

from bench.slow_clients import HOST, measure, running_web

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="gevent, /proc")

STALLED = 200
GOAL_MS = 1000.0


def test_two_hundred_stalled_connections_do_not_starve_the_desk(
    database_url: str, tmp_path: Path
) -> None:
    with running_web(database_url, tmp_path) as desk:
        figures, sockets = measure(desk.port, STALLED, probes=5)
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


def test_a_stalled_or_trickling_body_is_cut_off_with_408(
    database_url: str, tmp_path: Path
) -> None:
    env = {"TRIAGE_BODY_READ_TIMEOUT": "1", "TRIAGE_BODY_DEADLINE": "3"}
    with running_web(database_url, tmp_path, env) as desk:
        head = (
            b"POST /inbound/chat HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
        stalled = socket.create_connection((HOST, desk.port))
        stalled.sendall(head + b"{")
        trickle = socket.create_connection((HOST, desk.port))
        trickle.sendall(head)
        started = time.monotonic()
        while time.monotonic() - started < 4.5:  # one byte every half second: never idle
            try:
                trickle.sendall(b" ")
            except OSError:
                break  # the server has given up on it: what we want
            time.sleep(0.5)
        trickled = _answer(trickle, 3)
        answer = _answer(stalled, 3)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request_timeout" in answer
        assert trickled.startswith(b"HTTP/1.1 408"), trickled[:200]  # the whole-body deadline
        stalled.close()
        trickle.close()


def test_headers_that_never_end_are_dropped(database_url: str, tmp_path: Path) -> None:
    with running_web(database_url, tmp_path) as desk:
        sock = socket.create_connection((HOST, desk.port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: desk\r\nX-Slow: ")
        started = time.monotonic()
        answer = _answer(sock, 10)
        assert answer.endswith(b"<closed>"), answer
        assert time.monotonic() - started < 8  # the keepalive timeout (5 s)
        sock.close()


def test_the_access_log_keeps_no_query_values(database_url: str, tmp_path: Path) -> None:
    import http.client  # noqa: PLC0415

    with running_web(database_url, tmp_path) as desk:
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
