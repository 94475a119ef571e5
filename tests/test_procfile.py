"""The Procfile runs what ``triage up`` runs: same worker queues and class, every role."""

from __future__ import annotations

import shlex
from pathlib import Path

from web.cli.desk_commands import WORKER_CLASS, worker_argv

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def roles() -> dict[str, list[str]]:
    out = {}
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            out[name.strip()] = shlex.split(command)
    return out


def test_every_role_is_there() -> None:
    assert set(roles()) == {"release", "web", "worker", "sweeper"}


def test_the_worker_matches_triage_up() -> None:
    worker = roles()["worker"]
    embedded = worker_argv("unix:///x")
    assert worker[:2] == ["rq", "worker"] and "--with-scheduler" in worker
    assert worker[worker.index("--worker-class") + 1] == WORKER_CLASS
    queues = embedded[embedded.index("unix:///x") + 1 :]
    assert worker[-len(queues) :] == queues


def test_web_serves_the_app_factory_and_release_migrates() -> None:
    assert roles()["web"][-1] == "web.app:create_app()"
    assert roles()["release"] == ["triage", "db", "upgrade"]
    assert roles()["sweeper"] == ["triage", "sweeper"]
