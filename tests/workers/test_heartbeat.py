"""The dead-man's switch with real Redis, a real RQ worker and the fake Twilio API: a part
that falls silent makes the remaining part page level 2 by SMS, once per silence, with no
web process running; /readyz says which part is down."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import load_catalog
from tests.fakes.twilio_api import FakeTwilio
from tests.workers.escalation_support import (
    MANAGER,
    Clock,
    installed,
    oslo,
    roster,
    run_worker,
    settings_for,
)
from triage.store.models import Heartbeat
from web.app import create_app
from workers.heartbeat import beat
from workers.queues import SLA, connection
from workers.sweeper import sweep


def _parts(sessions: sessionmaker[Session]) -> dict[str, object]:
    with sessions() as session:
        return {h.part: h.beat_at for h in session.scalars(select(Heartbeat))}


def test_a_silent_worker_pages_level_2_once_and_readyz_names_it(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    redis_url: str,
    fake_twilio: FakeTwilio,
) -> None:
    catalog = load_catalog()
    clock = Clock(oslo("2026-03-10T09:00"))
    roster(sessions, clock.now)
    settings = settings_for(database_url, tmp_path, redis_url, fake_twilio)
    with installed(settings, catalog, clock) as ctx:
        sweep(ctx)
        run_worker(redis_url)  # the worker runs its heartbeat job
        assert set(_parts(sessions)) >= {"sweeper", "worker"}
        clock.advance(seconds=119)
        sweep(ctx)  # silent for 119 s: within the limit (120 s)
        assert fake_twilio.sent() == []
        clock.advance(seconds=2)  # the worker is dead: its job waits in Redis
        sweep(ctx)
        (page,) = fake_twilio.sent()
        assert page["to"] == MANAGER[1] and "arbeideren" in page["body"]
        clock.advance(minutes=1)
        sweep(ctx)
        assert len(fake_twilio.sent()) == 1  # one page per silence
    app = create_app(dataclasses.replace(settings, data_dir=tmp_path), catalog=catalog, clock=clock)
    ready = app.test_client().get("/readyz").json
    assert ready["status"] == "degraded" and "worker" in ready["degraded"]
    assert ready["parts"]["worker"] == "silent"
    assert ready["heartbeats"]["sweeper"]["down"] is False


def test_the_worker_pages_when_the_sweeper_falls_silent(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    catalog = load_catalog()
    clock = Clock(oslo("2026-03-10T09:00"))
    roster(sessions, clock.now)
    settings = settings_for(database_url, tmp_path, None, fake_twilio)
    with installed(settings, catalog, clock) as ctx:
        sweep(ctx)
        clock.advance(minutes=3)  # no sweep since: the sweeper is down
        assert beat("worker") == 1
        assert beat("worker") == 0
    (page,) = fake_twilio.sent()
    assert page["to"] == MANAGER[1] and "sweeperen" in page["body"]


def test_the_schedulers_heartbeat_schedules_its_next_run_itself(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    redis_url: str,
    fake_twilio: FakeTwilio,
) -> None:
    catalog = load_catalog()
    clock = Clock(oslo("2026-03-10T09:00"))
    settings = settings_for(database_url, tmp_path, redis_url, fake_twilio)
    registry = ScheduledJobRegistry(SLA, connection=connection(redis_url))
    with installed(settings, catalog, clock):
        assert registry.get_job_ids() == []
        beat("scheduler")  # as RQ runs it: no sweeper involved
        (next_run,) = registry.get_job_ids()
        assert next_run.startswith("beat-scheduler-")
        beat("scheduler")  # the same slot is not scheduled twice
        assert registry.get_job_ids() == [next_run]
    assert "scheduler" in _parts(sessions)
