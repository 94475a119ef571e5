"""Process-management helpers shared by ``triage up``'s embedded Redis and its supervisor.

The one promise ``triage up`` makes is that no child (above all no Redis, which would keep
the data dir's append-only file open and hold its socket) outlives it, whether it is
stopped with Ctrl-C or killed with SIGKILL. Two Linux mechanisms give that:

* ``PR_SET_PDEATHSIG`` (:func:`die_with_parent`): the kernel sends the child a signal
  when its parent goes away, even on SIGKILL, where no handler of ours can run.
* A process group per child (``start_new_session=True`` at ``Popen``): the terminal's
  Ctrl-C reaches only ``triage up`` itself, which stops the children in its own order
  (Redis last), and a signal sent to the group reaches what the child forked (gunicorn's
  workers, the Flask reloader).

:func:`kill_tree` is the last resort when a child ignores SIGTERM: it also finds
descendants that left the group (RQ's work horse calls ``setpgrp``) through ``/proc``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1

_prctl: Callable[..., int] | None = None
if sys.platform.startswith("linux"):
    # Looked up once here, in the parent: the preexec hook runs between fork and exec,
    # where loading a library (taking the loader's locks) is not safe.
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    _prctl = _libc.prctl
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    _prctl.restype = ctypes.c_int


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the kernel send ``signum`` to the child when the parent
    dies, so a SIGKILLed ``triage up`` leaves no orphans (``Popen(preexec_fn=die_with_parent())``).

    Call it in the parent (it records the parent's pid); the returned function runs in the
    child between fork and exec. PDEATHSIG survives exec (except of set-uid programs) but
    not fork, so it covers the direct child only; the child's own shutdown on ``signum``
    must take care of what it forked.

    Caveats: the signal is tied to the parent *thread* that forked, not the process, so
    start children from the main thread (or a thread that lives as long as the process);
    and if the parent died between fork and ``prctl`` the signal would never come, which
    is why the hook compares ``getppid()`` with the recorded pid and exits at once then.
    On platforms other than Linux the hook does nothing.

    ``preexec_fn`` is unsafe in a threaded parent in general (the child could block on a
    lock another thread held at fork time). This hook takes no lock: ``prctl`` was looked
    up at import, and it only calls ``prctl``, ``getppid`` and ``_exit``.
    """
    parent = os.getpid()
    prctl = _prctl

    def hook() -> None:
        if prctl is None:
            return
        if prctl(PR_SET_PDEATHSIG, int(signum), 0, 0) != 0:
            os._exit(126)  # without the guarantee, better not to start at all
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited; a zombie (exited, not yet reaped
    by its parent) counts as gone, which ``os.kill(pid, 0)`` alone would not tell."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, just not ours to signal
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        # Either it exited between the two calls, or there is no /proc to ask.
        return not Path("/proc/self").exists()
    # The state letter follows the command name in parentheses, which may hold spaces.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid`` (children first), found through ``/proc``
    because processes may have left ``pid``'s process group. Empty where there is no
    ``/proc``. A snapshot: take it *before* killing ``pid``, since orphans are
    re-parented (to init or a subreaper) and can no longer be traced back."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text(encoding="utf-8", errors="replace")
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # exited while we looked
            children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to the process group ``pgid``; ``False`` when nobody is left in it."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``'s process group and every descendant, including those that moved to
    a group of their own. ``pid`` must be a child that is not yet reaped, so that neither
    its pid nor its group id can have been reused by an unrelated process."""
    others = descendants(pid)
    signal_group(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # in case it left its own group
    for other in others:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(other, signal.SIGKILL)
