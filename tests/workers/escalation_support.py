"""Helpers for the escalation tests: a worker context on the test's database, Redis and
fake Twilio; tickets with hand-picked times; running the RQ worker in this process."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rq import SimpleWorker
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from config.settings import Settings
from triage.store.models import Ticket
from triage.store.roster import add_staff, set_rotation
from triage.store.sla_columns import rederive_sla
from triage.store.tickets import add_event
from workers import context as worker_context
from workers.context import WorkerContext, build
from workers.queues import QUEUES, connection

OSLO = ZoneInfo("Europe/Oslo")
ONCALL = ("Kari Vakt", "+4791000001")
ONCALL_2 = ("Per Vakt", "+4791000002")
MANAGER = ("Mette Leder", "+4791000003")


def oslo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=OSLO)


class Clock:
    """A settable "now" for the worker context."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def settings_for(
    database_url: str,
    tmp_path: Any,
    redis_url: str | None = None,
    twilio: Any = None,
    **extra: Any,
) -> Settings:
    base = Settings.from_env({"TRIAGE_DATA_DIR": str(tmp_path)})
    fields: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "twilio_account_sid": twilio.account_sid if twilio else None,
        "twilio_auth_token": twilio.auth_token if twilio else None,
        "twilio_from": "+4759440000" if twilio else None,
        "twilio_api_base": twilio.base_url if twilio else None,
    }
    fields.update(extra)
    return dataclasses.replace(base, **fields)


@contextmanager
def installed(
    settings: Settings, catalog: Catalog, clock: Clock | None = None
) -> Iterator[WorkerContext]:
    """A worker context for the test, installed for jobs that RQ runs in this process."""
    ctx = build(settings, catalog=catalog, **({"clock": clock} if clock else {}))
    worker_context.install(ctx)
    try:
        yield ctx
    finally:
        worker_context.install(None)


def roster(sessions: sessionmaker[Session], now: datetime, *, manager: bool = True) -> None:
    """Kari on call (level 1, always), Mette manager (level 2), from a week before now."""
    with sessions() as session:
        kari = add_staff(session, *ONCALL, now)
        set_rotation(session, 1, "always", now - timedelta(days=7), [kari], now)
        if manager:
            mette = add_staff(session, *MANAGER, now)
            set_rotation(session, 2, "always", now - timedelta(days=7), [mette], now)


def new_ticket(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    contract: str,
    received: datetime,
    now: datetime,
    severity: str = "critical",
    subject: str = "Telefoni nede",
) -> int:
    """A ticket as intake makes it (received event, SLA derived, ladder planned); commits."""
    with sessions() as session:
        ticket = Ticket(
            channel="email",
            subject=subject,
            body=subject,
            contract_id=contract,
            severity=severity,
            severity_reasons=[],
            status="open",
            received_at=received,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        add_event(session, ticket, "received", received)
        rederive_sla(session, catalog, ticket, now)
        session.commit()
        return ticket.id


def run_worker(redis_url: str) -> None:
    """Run every queued job in this process, then return (RQ burst mode)."""
    worker = SimpleWorker(list(QUEUES), connection=connection(redis_url))
    worker.work(burst=True, with_scheduler=False)
