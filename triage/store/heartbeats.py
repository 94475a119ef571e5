"""Heartbeats of the desk's parts, for the dead-man's switch.

Each part (``sweeper``, ``worker``, ``scheduler``) writes its last sign of life here. A part
is watched once it has beaten at least once: a desk without Redis has no worker, and that
is not an outage. ``claim_alarm`` lets exactly one watcher page about one silence (the
alarm is re-armed by the part's next beat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from triage.store.models import Heartbeat

PARTS = ("scheduler", "worker", "sweeper")


@dataclass(frozen=True)
class PartState:
    part: str
    beat_at: datetime
    silent: bool


def beat(session: Session, part: str, now: datetime) -> None:
    """Record a sign of life of ``part`` (commits)."""
    updated = cast(
        CursorResult[object],
        session.execute(
            update(Heartbeat)
            .where(Heartbeat.part == part, Heartbeat.beat_at < now)
            .values(beat_at=now, alarmed_at=None)
            .execution_options(synchronize_session=False)
        ),
    )
    if updated.rowcount == 0 and session.get(Heartbeat, part) is None:
        try:
            with session.begin_nested():
                session.add(Heartbeat(part=part, beat_at=now))
        except IntegrityError:
            pass  # another process of the same part beat first
    session.commit()


def states(session: Session, now: datetime, limit: timedelta) -> list[PartState]:
    """Every watched part, and whether it has been silent longer than ``limit``."""
    rows = session.scalars(select(Heartbeat).order_by(Heartbeat.part)).all()
    return [PartState(r.part, r.beat_at, now - r.beat_at > limit) for r in rows]


def claim_alarm(session: Session, part: str, now: datetime, limit: timedelta) -> bool:
    """True for the one watcher that pages about this silence of ``part`` (commits)."""
    claimed = cast(
        CursorResult[object],
        session.execute(
            update(Heartbeat)
            .where(
                Heartbeat.part == part,
                Heartbeat.beat_at < now - limit,
                or_(Heartbeat.alarmed_at.is_(None), Heartbeat.alarmed_at < Heartbeat.beat_at),
            )
            .values(alarmed_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    session.commit()
    return claimed.rowcount == 1
