"""Slow and stalled clients against the real web process, on loopback.

    python bench/slow_clients.py [--stalled 200] [--probes 20] [--worker-class gevent]
                                 [--database-url URL | --sqlite]

Starts gunicorn exactly as ``triage up`` and the Procfile do (``web_argv``: the desk's
``config/gunicorn.py``), opens ``--stalled`` connections that never finish their request
(a third send a ``POST /inbound/chat`` with ``Content-Length: 100000`` and one byte of
body, a third half a request line and headers, a third nothing at all), and then, while
every one of them is still open, times ``--probes`` ``GET /healthz`` and as many signed
``POST /inbound/chat`` on fresh connections. Prints the figures as JSON; the fault test
``tests/faults/test_slow_clients.py`` asserts them (every probe within 1 s).

``--worker-class`` overrides the config's worker model (``sync`` shows the failure of
issue 15: four such connections held every sync worker).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from web.cli.desk_commands import web_argv  # noqa: E402

SECRET = "slow-clients-secret"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Desk:
    """A running gunicorn serving the desk's app."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def running_web(
    database_url: str,
    data_dir: Path,
    env_extra: dict[str, str] | None = None,
    gunicorn_args: tuple[str, ...] = (),
) -> Iterator[Desk]:
    """gunicorn with ``web_argv`` (the desk's settings) until it answers /healthz."""
    from triage.store import db

    db.upgrade(database_url)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRIAGE_", "TWILIO_", "DATABASE_", "REDIS_", "PYTEST_", "WEB_"))
    }
    env.update(
        DATABASE_URL=database_url,
        TRIAGE_DATA_DIR=str(data_dir),
        TRIAGE_INBOUND_SECRET=SECRET,
        SECRET_KEY="slow-clients",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **(env_extra or {}),
    )
    argv = web_argv(HOST, port)
    argv[-1:-1] = list(gunicorn_args)  # before the app
    log = data_dir / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    desk = Desk(port, process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz", timeout=1.0)[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield desk
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def chat_body() -> bytes:
    ident = uuid.uuid4().hex
    return json.dumps(
        {
            "conversation_id": f"conv-{ident}",
            "message_id": f"msg-{ident}",
            "sender": {"name": "Kari Testesen", "email": "kari@example.com"},
            "text": "Skriveren på 2. etasje skriver ikke ut",
            "sent_at": "2026-03-02T09:00:00+01:00",
        }
    ).encode()


def post_chat(port: int, timeout: float = 5.0) -> tuple[int, bytes]:
    body = chat_body()
    mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/inbound/chat",
            body,
            {"Content-Type": "application/json", "X-Triage-Signature": f"sha256={mac}"},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


STALLS = (
    # a body that never comes: the finding of issue 15
    b"POST /inbound/chat HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n{",
    # headers that never end (slowloris)
    b"POST /inbound/email HTTP/1.1\r\nHost: desk\r\nX-Slow: ",
    # a connection that says nothing
    b"",
)


def open_stalled(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for i in range(count):
        sock = socket.create_connection((HOST, port), timeout=5)
        if STALLS[i % len(STALLS)]:
            sock.sendall(STALLS[i % len(STALLS)])
        sockets.append(sock)
    return sockets


def still_open(sockets: list[socket.socket]) -> int:
    """How many the server has neither answered nor closed."""
    import select

    readable, _, _ = select.select(sockets, [], [], 0)
    return len(sockets) - len(readable)


@dataclass
class Figures:
    stalled: int
    open_during_probes: int = 0
    healthz_ms: list[float] = field(default_factory=list)
    chat_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        def stats(values: list[float]) -> dict[str, float]:
            return {
                "median_ms": round(statistics.median(values), 1),
                "max_ms": round(max(values), 1),
            }

        return {
            "stalled": self.stalled,
            "open_during_probes": self.open_during_probes,
            "healthz": stats(self.healthz_ms),
            "signed_chat": stats(self.chat_ms),
            "statuses": sorted(set(self.statuses)),
        }


def measure(port: int, stalled: int, probes: int) -> tuple[Figures, list[socket.socket]]:
    """Open the stalled connections, then time the probes while they stay open. Returns the
    sockets too (still open: the caller closes them, or watches the server close them)."""
    sockets = open_stalled(port, stalled)
    time.sleep(0.5)  # let the server accept them all and start waiting on them
    figures = Figures(stalled)
    for _ in range(probes):
        for path, call in (("healthz", get), ("chat", post_chat)):
            started = time.monotonic()
            try:
                status, _ = call(port, "/healthz") if path == "healthz" else call(port)  # type: ignore[call-arg]
            except OSError:
                status = 0
            elapsed = 1000 * (time.monotonic() - started)
            (figures.healthz_ms if path == "healthz" else figures.chat_ms).append(elapsed)
            figures.statuses.append(status)
    figures.open_during_probes = still_open(sockets)
    return figures, sockets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", type=int, default=200)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="triage-slow-") as tmp:
        data = Path(tmp)
        url = args.database_url or f"sqlite:///{data / 'triage.sqlite3'}"
        extra = ("--worker-class", args.worker_class) if args.worker_class else ()
        with running_web(url, data, gunicorn_args=extra) as desk:
            figures, sockets = measure(desk.port, args.stalled, args.probes)
            for sock in sockets:
                sock.close()
    print(json.dumps(figures.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
