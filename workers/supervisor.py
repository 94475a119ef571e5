"""A small process supervisor for ``triage up``: start the desk's processes, watch them,
stop them all.

The caller starts the embedded Redis first (:class:`workers.embedded_redis.EmbeddedRedis`,
outside the supervisor) and stops it last, so the processes here can still write to Redis
while they shut down::

    with EmbeddedRedis(data_dir) as server, Supervisor() as supervisor:
        env = {"REDIS_URL": server.url}
        supervisor.start(ChildSpec("worker", [sys.executable, "-m", "rq.cli", ...], env))
        supervisor.start(ChildSpec("sweeper", [...], env))
        supervisor.start(ChildSpec("web", [...], env))
        code = supervisor.run()
    sys.exit(code)

How the children are arranged, and why:

* Each child runs in a session (so a process group) of its own. The terminal's Ctrl-C
  then reaches only ``triage up``, which stops the children one by one, newest first
  (started as Redis, worker, sweeper, web: stopped as web, sweeper, worker, then Redis),
  instead of all of them at once in whatever order the kernel delivers it.
* Signals go to the child's whole process group, so what a child forked (gunicorn's
  workers, a reloader's child) is stopped with it.
* Each child gets ``PR_SET_PDEATHSIG=SIGTERM``: if ``triage up`` is SIGKILLed, the kernel
  still asks every child to stop.
* A child that ignores SIGTERM past the timeout is SIGKILLed with its group and every
  descendant (RQ's work horse lives in a group of its own).
* stdout and stderr are inherited, so the user sees every child's log; stdin is
  ``/dev/null``, since no child may read the terminal it no longer owns.
* A child whose spec says ``restart`` (every one under ``triage up``) is started again
  when it dies, after a backoff (1 s, doubling to 30 s; back to 1 s once it has run 30 s),
  while the others go on: a killed RQ worker must not take the web, and so intake, down
  with it (issue 15). Only a child without ``restart`` ending stops the desk.
* With a ``state_file``, each child's state (running, restarting, stopped), pid, restart
  count and last exit are written there as JSON on every change: the web's ``/readyz``
  reads it to report which part is degraded (``TRIAGE_SUPERVISOR_STATE``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType

from workers.processes import die_with_parent, kill_tree, signal_group

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_INTERVAL = 0.1  # seconds between looks at the children; the reaction time to Ctrl-C

Handler = Callable[[int, FrameType | None], object] | int | None


@dataclass
class ChildSpec:
    """What to run: ``argv`` (no shell), and ``env`` variables set over the supervisor's
    own environment (``None``: the environment unchanged)."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    restart: bool = False  # started again (with backoff) when it dies, the others go on


@dataclass
class Child:
    """A started child: its spec and its ``Popen`` (whose pid is also its group id); a
    restarted child keeps its place (the stop order) and gets a new ``Popen``."""

    spec: ChildSpec
    process: subprocess.Popen[bytes]
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    restart_at: float | None = None  # monotonic instant of the next start, while dead
    backoff: float = 0.0  # the wait before the last restart
    last_exit: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.process.pid


def describe_exit(returncode: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL``, for the log."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def failure_code(returncode: int) -> int:
    """The supervisor's exit code for a child that ended on its own: its code, or the
    shell's ``128 + signal`` for a signal, and 1 for a child that exited with 0, since a
    desk process ending by itself is a failure too."""
    if returncode < 0:
        return 128 + -returncode
    return returncode if returncode > 0 else 1


class Supervisor:
    """Starts children, waits for a stop request or the first child to die, stops them.

    Not thread-safe: use it from one thread, and call :meth:`run` from the main thread so
    it can catch SIGINT/SIGTERM/SIGHUP (elsewhere, stop it through ``run``'s event).
    """

    def __init__(
        self,
        stop_timeout: float = 10.0,
        state_file: Path | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        stable_after: float = 30.0,
        startup_grace: float = 10.0,
    ) -> None:
        self.stop_timeout = stop_timeout
        self.state_file = state_file
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stable_after = stable_after  # a child that ran this long starts over at base
        # a child that dies this soon after its first start is misconfigured (port in
        # use, bad settings): restarting it would hide that, so it stops the desk
        self.startup_grace = startup_grace
        self.stopping = False
        self.children: list[Child] = []
        self._failure: tuple[str, int] | None = None
        self._stopped: set[int] = set()  # pids we asked to stop: their exit is expected
        self._signals: list[int] = []

    def start(self, spec: ChildSpec) -> Child:
        """Launch ``spec`` in its own session, with PDEATHSIG=SIGTERM. Raises ``OSError``
        when the program cannot be started (the children already running stay up: stop
        them with :meth:`stop_all`, or use the supervisor as a context manager)."""
        child = Child(spec, self._spawn(spec))
        self.children.append(child)
        log.info("started %s (pid %d)", spec.name, child.pid)
        self._write_state()
        return child

    @staticmethod
    def _spawn(spec: ChildSpec) -> subprocess.Popen[bytes]:
        env = None if spec.env is None else {**os.environ, **spec.env}
        return subprocess.Popen(
            spec.argv,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509  (see its docstring)
        )

    def run(self, stop: threading.Event | None = None) -> int:
        """Block until SIGINT, SIGTERM or SIGHUP arrives, ``stop`` is set, or a child exits
        on its own that may not be restarted (restartable ones are restarted meanwhile); then stop every child (:meth:`stop_all`) and return its exit code:
        0 for a requested stop, non-zero when a child died (its name and status are
        logged). A second signal during the stop skips the grace period: SIGKILL at once.

        The signal handlers are installed only while ``run`` runs (and only in the main
        thread, the only one Python lets set them), then the previous ones come back.
        """
        previous = self._install_handlers()
        try:
            while not self._signals and not (stop is not None and stop.is_set()):
                if self._check_exited():
                    break
                self._restart_due()
                # The handler only appends to a list, so it may interrupt anything here,
                # Event.wait included. It does not cut the wait short (PEP 475): Ctrl-C
                # takes up to POLL_INTERVAL to be noticed.
                if stop is None:
                    time.sleep(POLL_INTERVAL)
                else:
                    stop.wait(POLL_INTERVAL)
            if self._signals:
                log.info("%s received: stopping", signal.Signals(self._signals[0]).name)
            return self.stop_all(self.stop_timeout)
        finally:
            self._restore_handlers(previous)

    def stop_all(self, timeout: float = 10.0) -> int:
        """Stop the children newest first: SIGTERM to the child's process group, up to
        ``timeout`` seconds for it to exit, SIGKILL to what is left of its tree, then the
        next child. Waiting for each in turn is what makes the order real (the web server
        is gone before the worker stops taking jobs); the worst case is one ``timeout``
        per child. Idempotent. Returns 0 unless a child had ended on its own (see
        :func:`failure_code`)."""
        self.stopping = True
        self._check_exited()
        try:
            for child in reversed(self.children):
                self._stop_child(child, timeout)
        except BaseException:  # e.g. KeyboardInterrupt outside run(): leave nothing alive
            for child in self.children:
                if child.process.poll() is None:
                    kill_tree(child.pid)
                    child.process.wait()
            raise
        if self._failure is None:
            return 0
        return self._failure[1]

    def _check_exited(self) -> bool:
        """Record (and log) the first child that ended without being asked to; one that
        may be restarted is scheduled for it instead (and does not count)."""
        for child in self.children:
            code = child.process.poll()
            if code is None or child.pid in self._stopped:
                continue
            self._stopped.add(child.pid)
            child.last_exit = describe_exit(code)
            first_start_failed = (
                child.restarts == 0 and time.monotonic() - child.started_at < self.startup_grace
            )
            if child.spec.restart and not self.stopping and not first_start_failed:
                self._schedule_restart(child)
                continue
            log.error(
                "%s (pid %d) ended on its own with %s: stopping the others",
                child.name,
                child.pid,
                describe_exit(code),
            )
            if self._failure is None:
                self._failure = (child.name, failure_code(code))
            self._write_state()
            return True
        return False

    def _schedule_restart(self, child: Child) -> None:
        ran = time.monotonic() - child.started_at
        if ran >= self.stable_after or child.backoff == 0:
            child.backoff = self.backoff_base
        else:
            child.backoff = min(child.backoff * 2, self.backoff_max)
        child.restart_at = time.monotonic() + child.backoff
        log.error(
            "%s (pid %d) ended on its own with %s after %.1f s: restarting it in %.1f s",
            child.name,
            child.pid,
            child.last_exit,
            ran,
            child.backoff,
        )
        self._write_state()

    def _restart_due(self) -> None:
        """Start again the children whose backoff has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None or child.restart_at > now or self.stopping:
                continue
            try:
                child.process = self._spawn(child.spec)
            except OSError as exc:  # e.g. out of processes: try again after a longer wait
                log.error("%s could not be restarted (%s)", child.name, type(exc).__name__)
                child.started_at = now
                self._schedule_restart(child)
                continue
            child.started_at, child.restart_at = now, None
            child.restarts += 1
            log.warning("restarted %s (pid %d, restart %d)", child.name, child.pid, child.restarts)
            self._write_state()

    def state(self) -> dict[str, dict[str, object]]:
        """Each child's state, as the state file holds it."""
        out: dict[str, dict[str, object]] = {}
        for child in self.children:
            running = child.process.poll() is None
            if running:
                state = "running"
            elif child.restart_at is not None:
                state = "restarting"
            else:
                state = "stopped"
            out[child.name] = {
                "state": state,
                "pid": child.pid if running else None,
                "restarts": child.restarts,
                "last_exit": child.last_exit,
                "updated_at": time.time(),
            }
        return out

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        body = json.dumps({"pid": os.getpid(), "children": self.state()})
        temporary = self.state_file.with_name(self.state_file.name + ".tmp")
        try:
            temporary.write_text(body, encoding="utf-8")
            temporary.replace(self.state_file)  # readers see the old file or the new one
        except OSError as exc:
            log.warning("supervisor state not written (%s)", type(exc).__name__)

    def _stop_child(self, child: Child, timeout: float) -> None:
        process = child.process
        self._stopped.add(child.pid)
        child.restart_at = None
        if process.poll() is not None:
            self._write_state()
            return
        log.info("stopping %s (pid %d)", child.name, child.pid)
        signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if len(self._signals) > 1:
                log.warning("second stop request: killing %s now", child.name)
                break
            if time.monotonic() >= deadline:
                log.warning(
                    "%s (pid %d) still running %.1f s after SIGTERM: killing it",
                    child.name,
                    child.pid,
                    timeout,
                )
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(min(POLL_INTERVAL, max(deadline - time.monotonic(), 0.0)))
        if process.poll() is None:
            kill_tree(child.pid)  # while unreaped, its pid and group id cannot be reused
            process.wait()
        self._write_state()

    def _install_handlers(self) -> dict[int, Handler]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        self._signals = []
        previous: dict[int, Handler] = {}
        for signum in STOP_SIGNALS:
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)
        return previous

    def _restore_handlers(self, previous: dict[int, Handler]) -> None:
        for signum, handler in previous.items():
            # None: a handler set outside Python, which cannot be reinstated.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)  # only record it: the loop in run() does the work

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all(self.stop_timeout)
