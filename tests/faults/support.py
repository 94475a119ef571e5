"""Helpers of the fault tests: a real RQ worker process, sweeping until the desk is
settled, and waiting for a condition."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.workers.escalation_support import Clock
from triage.store.models import SmsOutbox, SmsPage
from web.cli.desk_commands import worker_argv
from workers.context import WorkerContext
from workers.sweeper import SweepResult, sweep

ROOT = Path(__file__).resolve().parents[2]
FROM = "+4759440000"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not met within {timeout} s"
        time.sleep(0.02)


# ------------------------------------------------------------------ a real RQ worker


def worker_env(database_url: str, redis_url: str, twilio: Any, data_dir: Path) -> dict[str, str]:
    """The environment a deployed worker reads (``Settings.from_env``)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRIAGE_", "TWILIO_", "DATABASE_", "REDIS_", "PYTEST_"))
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TRIAGE_DATA_DIR=str(data_dir),
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_FROM=FROM,
        TWILIO_API_BASE=twilio.base_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


class WorkerProcess:
    """``rq worker`` exactly as the Procfile runs it (SimpleWorker, the desk's queues), in
    a process group of its own so SIGKILL takes it down mid-job like a lost machine."""

    def __init__(self, env: dict[str, str], redis_url: str, log: Path) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            worker_argv(redis_url),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL: no handler runs, the job is left half-done."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


# ------------------------------------------------------------------ the sweeper, to the end


def open_work(ctx: WorkerContext) -> tuple[int, int, datetime | None]:
    """(pages waiting, SMS queued or sending, the earliest next attempt of a queued SMS)."""
    with ctx.sessions() as session:
        waiting = session.scalar(
            select(func.count()).select_from(SmsPage).where(SmsPage.status == "waiting")
        )
        open_sms = session.scalar(
            select(func.count())
            .select_from(SmsOutbox)
            .where(SmsOutbox.status.in_(("queued", "sending")))
        )
        next_at = session.scalar(
            select(func.min(SmsOutbox.next_attempt_at)).where(SmsOutbox.status == "queued")
        )
    return int(waiting or 0), int(open_sms or 0), next_at


def sweep_until_settled(
    ctx: WorkerContext,
    clock: Clock,
    *,
    rounds: int = 20,
    step: timedelta = timedelta(minutes=1),
    before_each: Callable[[], None] | None = None,
) -> list[SweepResult]:
    """Sweep as the minute sweeper would, moving the clock to the next thing due, until no
    page waits and no SMS is queued or sending. Returns every pass's result.
    ``before_each`` runs before every pass (e.g. to wait for a held request to end)."""
    if before_each:
        before_each()
    results = [sweep(ctx)]
    for _ in range(rounds):
        if before_each:
            before_each()
        waiting, open_sms, next_at = open_work(ctx)
        if not waiting and not open_sms:
            return results
        target = clock.now + step  # a grouping window to wait out
        if next_at is not None and (not waiting or next_at < target):
            target = max(clock.now, next_at + timedelta(seconds=1))  # the next attempt
        clock.now = target
        results.append(sweep(ctx))
    waiting, open_sms, _ = open_work(ctx)
    raise AssertionError(f"not settled after {rounds} sweeps: {waiting} pages, {open_sms} SMS")
