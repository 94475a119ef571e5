"""The outage register: record, list and delete outages of hosted services.

Validation of what a manager typed is the caller's (``web.ui.reports``); this module
refuses only what would make a wrong row: naive times, an end before the start, negative
users, an exclusion without a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.availability_register import RecordedOutage
from triage.store.models import Outage


def add_outage(
    session: Session,
    *,
    contract_id: str,
    starts_at: datetime,
    ends_at: datetime,
    affected_users: int,
    cause: str,
    excluded: bool,
    exclusion_reason: str | None,
    recorded_by: str,
    now: datetime,
    announced_at: datetime | None = None,
    accepted_at: datetime | None = None,
    objected_at: datetime | None = None,
) -> RecordedOutage:
    """Add one entry (the caller commits)."""
    stamps = (starts_at, ends_at, announced_at, accepted_at, objected_at)
    if any(t is not None and t.tzinfo is None for t in stamps):
        raise ValueError("outage times need a UTC offset")
    if ends_at <= starts_at:
        raise ValueError("an outage must end after it starts")
    if affected_users < 0:
        raise ValueError("affected users must not be negative")
    reason = (exclusion_reason or "").strip() or None
    if excluded and reason is None:
        raise ValueError("an excluded outage needs the reason it is excluded")
    row = Outage(
        contract_id=contract_id,
        starts_at=starts_at,
        ends_at=ends_at,
        affected_users=affected_users,
        cause=cause.strip(),
        excluded=excluded,
        exclusion_reason=reason if excluded else None,
        recorded_by=recorded_by,
        created_at=now,
        updated_at=now,
        announced_at=announced_at,
        accepted_at=accepted_at,
        objected_at=objected_at,
    )
    session.add(row)
    session.flush()
    return _entry(row)


def delete_outage(session: Session, outage_id: int) -> RecordedOutage | None:
    """Remove one entry; None when there is no such entry (the caller commits)."""
    row = session.get(Outage, outage_id)
    if row is None:
        return None
    entry = _entry(row)
    session.delete(row)
    return entry


def has_outage(session: Session, contract_id: str, starts_at: datetime) -> bool:
    """Whether the register has an outage of the contract starting at that instant."""
    query = select(Outage.id).where(
        Outage.contract_id == contract_id, Outage.starts_at == starts_at.astimezone(UTC)
    )
    return session.scalars(query).first() is not None


def outages_between(
    session: Session,
    start: datetime,
    end: datetime,
    contract_ids: Iterable[str] | None = None,
    now: datetime | None = None,
) -> list[RecordedOutage]:
    """Entries that overlap [start, end), by start time.

    An outage still going on (monitoring opened it, nothing has ended it) counts until
    ``now`` (``ongoing`` is set); without ``now`` until ``end``. One that starts after
    ``now`` is left out: nothing has been measured of it yet.
    """
    until = end if now is None else min(end, now)
    query = select(Outage).where(
        Outage.starts_at < end, or_(Outage.ends_at.is_(None), Outage.ends_at > start)
    )
    if contract_ids is not None:
        query = query.where(Outage.contract_id.in_(list(contract_ids)))
    query = query.order_by(Outage.starts_at, Outage.id)
    entries = [_entry(row, until) for row in session.scalars(query)]
    return [e for e in entries if e.ends_at > e.starts_at]


def _entry(row: Outage, until: datetime | None = None) -> RecordedOutage:
    ends_at = row.ends_at
    if ends_at is None:  # still going on: measured until ``until`` (or its start)
        ends_at = max(until or row.starts_at, row.starts_at)
    return RecordedOutage(
        id=row.id,
        contract_id=row.contract_id,
        starts_at=row.starts_at,
        ends_at=ends_at,
        ongoing=row.ends_at is None,
        source=row.source,
        affected_users=row.affected_users,
        cause=row.cause,
        excluded=row.excluded,
        exclusion_reason=row.exclusion_reason,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
        announced_at=row.announced_at,
        accepted_at=row.accepted_at,
        objected_at=row.objected_at,
    )
