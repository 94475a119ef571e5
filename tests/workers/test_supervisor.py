"""The supervisor of ``triage up`` with real child processes (small Python programs): they
are stopped newest first, on request, on Ctrl-C, when one of them dies, when they ignore
SIGTERM, and when the supervisor itself is SIGKILLed."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workers.processes import pid_alive
from workers.supervisor import ChildSpec, Supervisor

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PDEATHSIG and /proc are Linux's"
)

# A child that records its name in `log` when SIGTERM arrives, then exits; it creates
# `ready` once its handler is installed, so the test never signals it too early.
POLITE = textwrap.dedent(
    """
    import signal, sys, time
    name, log, ready = sys.argv[1:4]
    def stop(signum, frame):
        with open(log, "a") as f:
            f.write(name + "\\n")
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    open(ready, "w").close()
    time.sleep(60)
    """
)

# A child that ignores SIGTERM and forks a grandchild into a process group of its own,
# as RQ's work horse does; it writes the grandchild's pid to `ready`.
STUBBORN = textwrap.dedent(
    """
    import os, signal, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.fork() == 0:
        os.setpgrp()
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        time.sleep(60)
        os._exit(0)
    time.sleep(60)
    """
)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def sleeper(name: str) -> ChildSpec:
    return ChildSpec(name, [sys.executable, "-c", "import time; time.sleep(60)"])


def polite(name: str, tmp_path: Path) -> ChildSpec:
    return ChildSpec(
        name,
        [sys.executable, "-c", POLITE, name, str(tmp_path / "log"), str(tmp_path / name)],
    )


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    sup = Supervisor(stop_timeout=3.0)
    try:
        yield sup
    finally:
        sup.stop_all(timeout=0.5)  # nothing may outlive a failed test


def test_stop_all_terminates_every_child(supervisor: Supervisor) -> None:
    children = [supervisor.start(sleeper(name)) for name in ("worker", "sweeper", "web")]
    for child in children:
        assert pid_alive(child.pid)
        assert os.getsid(child.pid) == child.pid != os.getsid(0)  # own session and group
    started = time.monotonic()
    assert supervisor.stop_all(timeout=3) == 0
    assert time.monotonic() - started < 2
    for child in children:
        assert not pid_alive(child.pid)
        assert child.process.returncode == -signal.SIGTERM
    assert supervisor.stop_all() == 0  # idempotent


def test_children_are_stopped_newest_first(supervisor: Supervisor, tmp_path: Path) -> None:
    names = ["worker", "sweeper", "web"]
    for name in names:
        supervisor.start(polite(name, tmp_path))
    assert wait_until(lambda: all((tmp_path / name).exists() for name in names))
    assert supervisor.stop_all(timeout=3) == 0
    assert (tmp_path / "log").read_text(encoding="utf-8").split() == list(reversed(names))


def test_a_child_that_exits_stops_the_others_and_run_fails(supervisor: Supervisor) -> None:
    worker = supervisor.start(sleeper("worker"))
    web = supervisor.start(sleeper("web"))
    supervisor.start(
        ChildSpec(
            "sweeper", [sys.executable, "-c", "import sys, time; time.sleep(0.3); sys.exit(3)"]
        )
    )
    previous = signal.getsignal(signal.SIGINT)
    started = time.monotonic()
    code = supervisor.run()
    assert code == 3
    assert time.monotonic() - started < 3
    assert not pid_alive(worker.pid)
    assert not pid_alive(web.pid)
    assert signal.getsignal(signal.SIGINT) is previous  # handlers restored


def test_a_child_env_is_added_to_the_supervisors(supervisor: Supervisor, tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    program = (
        "import json, os, sys; "
        "json.dump([os.environ.get('TRIAGE_X'), 'PATH' in os.environ], open(sys.argv[1], 'w'))"
    )
    child = supervisor.start(
        ChildSpec("probe", [sys.executable, "-c", program, str(out)], env={"TRIAGE_X": "1"})
    )
    assert child.process.wait(5) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == ["1", True]


def test_a_child_ignoring_sigterm_is_killed_with_its_descendants(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    ready = tmp_path / "grandchild.pid"
    child = supervisor.start(ChildSpec("stubborn", [sys.executable, "-c", STUBBORN, str(ready)]))
    assert wait_until(ready.exists)
    grandchild = int(ready.read_text(encoding="utf-8"))
    assert os.getpgid(grandchild) != child.pid  # out of reach of the group's signals
    started = time.monotonic()
    assert supervisor.stop_all(timeout=0.5) == 0
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 2.5
    assert child.process.returncode == -signal.SIGKILL
    assert wait_until(lambda: not pid_alive(grandchild), timeout=2)


def test_run_returns_0_when_its_stop_event_is_set(supervisor: Supervisor) -> None:
    child = supervisor.start(sleeper("web"))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert supervisor.run(stop) == 0
    assert not pid_alive(child.pid)


# -- the supervisor in a process of its own, as `triage up` runs it -----------------------

SUPERVISOR_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from workers.supervisor import ChildSpec, Supervisor

    def say(text):
        os.write(1, (text + "\\n").encode())  # one write: lines of several processes never mix

    ignore = sys.argv[1] == "stubborn"
    program = (
        "import os, signal, time; "
        + ("signal.signal(signal.SIGTERM, signal.SIG_IGN); " if ignore else "")
        + "os.write(1, b'child up\\\\n'); time.sleep(60)"
    )
    supervisor = Supervisor(stop_timeout=30.0)
    children = [
        supervisor.start(ChildSpec(name, [sys.executable, "-c", program]))
        for name in ("worker", "web")
    ]
    say(json.dumps([c.pid for c in children]))
    code = supervisor.run()
    say(json.dumps([c.process.returncode for c in children]))
    sys.exit(code)
    """
)


class Script:
    """The supervisor script running in a process of its own, with its output read by a
    thread (so a test waits for a line with a timeout and never blocks forever)."""

    def __init__(self, mode: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SUPERVISOR_SCRIPT, mode],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            start_new_session=True,  # a process group of its own, like a shell job
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.pids: list[int] = []

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def line(self, timeout: float = 5.0) -> str:
        """The next line other than a child's greeting."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("the supervisor script printed nothing in time") from None
            if line != "child up\n":
                return line

    def wait_for_children(self) -> list[int]:
        """The children's pids, once each has greeted (its signal setup is done)."""
        greetings = 0
        while not self.pids or greetings < len(self.pids):
            line = self.lines.get(timeout=5.0)
            if line == "child up\n":
                greetings += 1
            else:
                self.pids = json.loads(line)
        return self.pids

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        for pid in self.pids:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def run_script() -> Iterator[Callable[[str], Script]]:
    """Start the supervisor script; kill whatever remains of it afterwards."""
    scripts: list[Script] = []

    def run(mode: str) -> Script:
        script = Script(mode)
        scripts.append(script)
        script.wait_for_children()
        return script

    yield run
    for script in scripts:
        script.cleanup()


def test_ctrl_c_stops_the_children_through_the_supervisor(
    run_script: Callable[[str], Script],
) -> None:
    script = run_script("polite")
    # What the terminal does on Ctrl-C: SIGINT to the foreground process group.
    os.killpg(script.process.pid, signal.SIGINT)
    assert script.process.wait(5) == 0
    # The children were not in that group: they got the supervisor's SIGTERM, not SIGINT.
    assert json.loads(script.line()) == [-signal.SIGTERM, -signal.SIGTERM]
    assert not any(pid_alive(pid) for pid in script.pids)


def test_a_second_ctrl_c_kills_at_once(run_script: Callable[[str], Script]) -> None:
    script = run_script("stubborn")  # children ignore SIGTERM; the timeout is 30 s
    os.killpg(script.process.pid, signal.SIGINT)
    time.sleep(0.3)
    assert script.process.poll() is None  # in the first child's grace period
    started = time.monotonic()
    os.killpg(script.process.pid, signal.SIGINT)
    assert script.process.wait(5) == 0
    assert time.monotonic() - started < 2
    assert json.loads(script.line()) == [-signal.SIGKILL, -signal.SIGKILL]
    assert not any(pid_alive(pid) for pid in script.pids)


def test_children_die_with_a_sigkilled_supervisor(run_script: Callable[[str], Script]) -> None:
    script = run_script("polite")
    script.process.kill()
    script.process.wait(5)
    assert wait_until(lambda: not any(pid_alive(pid) for pid in script.pids)), "orphans left"


# -- restarts (issue 15: a stopped worker stopped the whole desk) --------------------------


def _states(path: Path) -> dict[str, dict[str, object]]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))["children"])
    except (OSError, ValueError, KeyError):
        return {}


def test_a_restartable_child_that_dies_is_restarted_with_backoff_the_others_go_on(
    tmp_path: Path,
) -> None:
    state = tmp_path / "supervisor.json"
    sup = Supervisor(stop_timeout=3.0, state_file=state, backoff_base=0.3, startup_grace=0)
    worker = sup.start(ChildSpec("worker", sleeper("worker").argv, restart=True))
    web = sup.start(sleeper("web"))
    web_pid = web.pid
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(sup.run(stop)))
    runner.start()
    try:
        pids = [worker.pid]
        for kill, backoff in ((signal.SIGKILL, 0.3), (signal.SIGTERM, 0.6)):
            os.kill(pids[-1], kill)
            killed = time.monotonic()
            assert wait_until(lambda: _states(state)["worker"]["state"] == "restarting", 3)
            assert _states(state)["web"]["state"] == "running"
            assert wait_until(lambda: _states(state)["worker"]["state"] == "running", 5)
            assert time.monotonic() - killed >= backoff  # the backoff doubled
            pids.append(worker.pid)
            assert pid_alive(worker.pid) and worker.pid not in pids[:-1]
        assert _states(state)["worker"]["restarts"] == 2
        assert _states(state)["worker"]["last_exit"] == "killed by SIGTERM"
        assert web.pid == web_pid and pid_alive(web_pid)  # never touched
    finally:
        stop.set()
        runner.join(10)
    assert result == [0]  # a requested stop: the restarts were no failure
    assert not pid_alive(worker.pid) and not pid_alive(web_pid)
    assert {s["state"] for s in _states(state).values()} == {"stopped"}


def test_a_restartable_child_that_fails_at_its_first_start_stops_the_desk(
    supervisor: Supervisor,
) -> None:
    """A port in use or bad settings: restarting would hide it, so it ends the desk."""
    supervisor.startup_grace = 5.0
    web = supervisor.start(sleeper("web"))
    supervisor.start(
        ChildSpec("worker", [sys.executable, "-c", "import sys; sys.exit(4)"], restart=True)
    )
    assert supervisor.run() == 4
    assert not pid_alive(web.pid)
