"""The Procfile runs what ``triage up`` runs: same worker queues and class, every role."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from config.gunicorn import MAX_DEFAULT_WORKERS, default_workers
from web.cli.desk_commands import GUNICORN_CONFIG, WORKER_CLASS, worker_argv

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
    web = roles()["web"]
    assert web[-1] == "web.app:create_app()"
    assert web[web.index(GUNICORN_CONFIG[0]) + 1] == GUNICORN_CONFIG[1]
    assert roles()["release"] == ["triage", "db", "upgrade"]
    assert roles()["sweeper"] == ["triage", "sweeper"]


def _gunicorn_settings(**env: str) -> dict[str, str]:
    """What gunicorn makes of the desk's config file (``--print-config`` imports the
    app factory, and runs nothing)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "PORT")}
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--print-config",
            *GUNICORN_CONFIG,
            "web.app:create_app",
        ],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    pairs = (line.split("=", 1) for line in printed.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_web_workers_fill_the_cores_and_waits_unless_told() -> None:
    assert [default_workers(cpus) for cpus in (1, 2, 3, 4, 16)] == [2, 3, 4, 5, 8]
    defaults = _gunicorn_settings()
    assert defaults["workers"] == str(min((os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS))
    assert defaults["accesslog"] == "-" and defaults["bind"] == "['0.0.0.0:8000']"
    told = _gunicorn_settings(WEB_CONCURRENCY="3", PORT="9001")
    assert told["workers"] == "3" and told["bind"] == "['0.0.0.0:9001']"


def test_web_serves_slow_clients_without_a_process_each_and_masks_queries() -> None:
    """Issue 15: the Procfile's web (and ``triage up``'s, the same config) runs gevent
    workers with a header timeout, and logs no query values."""
    settings = _gunicorn_settings()
    assert settings["worker_class"] == "gevent"
    assert int(settings["worker_connections"]) >= 1000
    assert 0 < int(settings["keepalive"]) <= 10
    assert settings["logger_class"] == "web.access_log.MaskedQueryLogger"
