"""``triage up --demo`` end to end: the real command in a subprocess, with its embedded
Redis, RQ worker, sweeper and gunicorn, until the demo's first SMS reaches the outbox; then
one Ctrl-C (SIGINT) must stop all of it, exit 0 and leave no process behind.

The demo's critical tickets on "immediately" contracts page on receipt, so an SMS is in
the outbox a few seconds after the start (whatever the hour: their ladder ignores office
hours). Each run has its own free port and data dir, so ``pytest -n`` can run it in
parallel with anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from web.cli.demo import STAFF
from workers.processes import descendants, kill_tree, pid_alive

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
SMS_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
DEMO_NUMBERS = {phone for _name, phone, _email in STAFF}

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; PDEATHSIG is Linux's"
)


# ------------------------------------------------------------------ helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, condition: Callable[[], bool], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s\n--- log ---\n{tail(log)}")
        time.sleep(0.2)


def tail(log: Path, lines: int = 60) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat): with the pid,
    it names one process, even if the pid is reused later."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def still_running(pid: int, started: str | None) -> bool:
    return pid_alive(pid) and start_time(pid) == started


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            line = cmdline(int(entry.name))
            if text in line and pid_alive(int(entry.name)):
                found.append((int(entry.name), line))
    return found


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200 and json.load(answer) == {"status": "ok"}
    except (OSError, urllib.error.URLError, ValueError):
        return False


def outbox(database: Path) -> list[tuple[str, str, str, str]]:
    """(recipient, status, body, ticket_ids) of every SMS, read without taking a write lock."""
    if not database.exists():
        return []
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        ) as conn:
            return conn.execute(
                "SELECT recipient, status, body, ticket_ids FROM sms_outbox ORDER BY id"
            ).fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return []


def child_env(cwd: Path) -> dict[str, str]:
    """The user's environment minus anything that would point the desk elsewhere."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRIAGE_", "TWILIO_", "PYTEST_"))
        and name not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "IMAP_URL", "COV_CORE_SOURCE")
    }
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env["HOME"] = str(cwd)  # nothing of the desk may land in the user's home
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A short, unique directory: the Redis socket lives in the data dir, and a unix socket
    path longer than 107 bytes would move it elsewhere (and out of Redis's command line)."""
    path = Path(
        tempfile.mkdtemp(prefix="triage-up-", dir="/tmp" if Path("/tmp").is_dir() else None)
    )
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def readyz(port: int) -> dict[str, object]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return dict(json.load(answer))
    except (OSError, urllib.error.URLError, ValueError):
        return {}


def restarted_worker(desk_pid: int, port: int, data_dir: Path, log: Path) -> None:
    """SIGTERM to the supervisor's RQ worker (issue 15: it used to stop the whole desk):
    it comes back with a new pid, the web process stays the same and keeps answering,
    and /readyz names the worker while it is down."""
    children = {pid: cmdline(pid) for pid in descendants(desk_pid)}
    web = [p for p, line in children.items() if "gunicorn" in line and "--config" in line]
    state_file = data_dir / "supervisor.json"

    def state() -> dict[str, dict[str, object]]:
        try:
            return dict(json.loads(state_file.read_text())["children"])
        except (OSError, ValueError, KeyError):
            return {}

    worker = state()["worker"]["pid"]
    assert isinstance(worker, int) and "rq.cli" in cmdline(worker)
    os.kill(worker, signal.SIGTERM)
    seen: list[object] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen.append(readyz(port).get("degraded"))
        now = state().get("worker", {})
        if now.get("state") == "running" and now.get("pid") not in (None, worker):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the worker was not restarted: {state()}\n{tail(log)}")
    assert state()["worker"]["restarts"] == 1
    assert ["worker"] in seen, seen  # /readyz reported it while it was down
    assert readyz(port).get("status") == "ready"
    assert all(pid_alive(pid) for pid in web) and web  # the web never stopped
    assert healthy(port)


# ------------------------------------------------------------------ the test


def test_up_demo_pages_within_seconds_and_one_ctrl_c_stops_everything(workdir: Path) -> None:
    data_dir = workdir / "data"
    port = free_port()
    log = workdir / "up.log"
    started = time.monotonic()
    with log.open("wb") as out:
        desk = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "web.cli",
                "up",
                "--demo",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            cwd=workdir,
            env=child_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our SIGINT is the only one it gets
        )
    tree: dict[int, tuple[str, str | None]] = {}
    try:
        wait_for(
            "GET /healthz answers 200",
            lambda: desk.poll() is not None or healthy(port),
            START_TIMEOUT,
            log,
        )
        assert desk.poll() is None, f"triage up exited with {desk.returncode}\n{tail(log)}"
        assert healthy(port)

        database = data_dir / "triage.sqlite3"
        wait_for("an SMS in the outbox", lambda: bool(outbox(database)), SMS_TIMEOUT, log)
        recipient, _status, body, tickets = outbox(database)[0]
        assert recipient in DEMO_NUMBERS
        assert "KRIT #" in body and "Svar ACK" in body
        assert json.loads(tickets)

        listed = subprocess.run(
            [sys.executable, "-m", "web.cli", "sms", "list"],
            cwd=workdir,
            env={**child_env(workdir), "TRIAGE_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert listed.returncode == 0, listed.stderr
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert rows and all(r["to"].startswith("+47******") for r in rows)
        assert not any(number in listed.stdout for number in DEMO_NUMBERS)

        # a stopped RQ worker is restarted; the web goes on, /readyz says what is down
        restarted_worker(desk.pid, port, data_dir, log)

        # every process of the desk, as it stands before the stop
        tree.update({pid: (cmdline(pid), start_time(pid)) for pid in descendants(desk.pid)})
        names = " | ".join(line for line, _ in tree.values())
        redis = [pid for pid, (line, _) in tree.items() if "redis-server" in line]
        workers = [pid for pid, (line, _) in tree.items() if "rq.cli" in line]
        web = [pid for pid, (line, _) in tree.items() if "gunicorn" in line]
        sweeper = [pid for pid, (line, _) in tree.items() if "web.cli sweeper" in line]
        assert len(redis) == 1, names
        assert str(data_dir) in tree[redis[0]][0], "the scan below would find nothing"
        assert workers, names  # the worker (and its scheduler child)
        assert len(web) >= 3, names  # gunicorn's master and its two workers
        assert len(sweeper) == 1, names
        assert processes_mentioning(str(data_dir))  # the scan sees the running desk

        desk.send_signal(signal.SIGINT)
        try:
            code = desk.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"triage up still runs {STOP_TIMEOUT:.0f} s after SIGINT\n{tail(log)}")
        assert code == 0, tail(log)

        # the desk waited for its children; a moment for gunicorn's workers, which
        # notice their master is gone on their own
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and any(
            still_running(pid, when) for pid, (_, when) in tree.items()
        ):
            time.sleep(0.1)
        left = {pid: line for pid, (line, when) in tree.items() if still_running(pid, when)}
        assert left == {}, f"still running after triage up exited: {left}"
        assert [
            (pid, line)
            for pid, line in processes_mentioning(str(data_dir))
            if "redis-server" in line
        ] == []
        assert processes_mentioning(str(data_dir)) == []
        assert not (data_dir / "redis.sock").exists()  # Redis shut down cleanly
        text = log.read_text(errors="replace")
        assert "SIGINT received: stopping" in text
        assert "Traceback" not in text, tail(log)
        assert time.monotonic() - started < 90
    finally:  # a failed run must not leave the desk, or what it started, running
        if desk.poll() is None:
            tree.update({pid: (cmdline(pid), start_time(pid)) for pid in descendants(desk.pid)})
            kill_tree(desk.pid)
            desk.wait(timeout=10)
        for pid, (_, when) in tree.items():
            if still_running(pid, when):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
