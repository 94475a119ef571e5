"""The on-call roster in the database: staff, weekly rotations, overrides.

``load_roster`` turns the rows into the pure ``triage.oncall.Roster`` that decides who is
paged; everything else here is the managing side (CLI now, web UI later). Phone numbers
are normalised to E.164 on the way in, so the inbound SMS webhook can find the sender.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from sla.calendar import Calendar
from sla.local_time import OSLO
from triage.oncall import Override, Person, Roster
from triage.oncall import Rotation as RotationValue
from triage.phone import normalise_phone
from triage.store.models import RosterOverride, Rotation, RotationMember, Staff

SHIFTS = ("office", "after-hours", "always")


class RosterError(ValueError):
    """A roster change that cannot be made; the message names what is wrong."""


def _person(staff: Staff) -> Person:
    return Person(id=staff.id, name=staff.name, phone=staff.phone)


def load_roster(session: Session, office_hours: Calendar, now: datetime) -> Roster:
    """The roster as it stands; overrides that ended before ``now`` are left out."""
    rotations = session.scalars(
        select(Rotation).options(selectinload(Rotation.members).selectinload(RotationMember.staff))
    ).all()
    overrides = session.scalars(
        select(RosterOverride)
        .where(RosterOverride.ends_at > now - timedelta(days=1))
        .options(selectinload(RosterOverride.staff))
        .order_by(RosterOverride.starts_at, RosterOverride.id)
    ).all()
    return Roster(
        rotations=tuple(
            RotationValue(
                level=r.level,
                shift=r.shift,
                members=tuple(_person(m.staff) for m in r.members if m.staff.active),
                first_handover=r.first_handover,
                zone=ZoneInfo(r.zone),
            )
            for r in rotations
            if any(m.staff.active for m in r.members)
        ),
        overrides=tuple(
            Override(
                level=o.level,
                starts=o.starts_at,
                ends=o.ends_at,
                person=_person(o.staff),
                shift=o.shift,
                reason=o.reason,
            )
            for o in overrides
            if o.staff.active
        ),
        office_hours=office_hours,
    )


def add_staff(
    session: Session, name: str, phone: str, now: datetime, email: str | None = None
) -> Staff:
    """A new person; the phone number must be valid and not someone else's."""
    name = name.strip()
    if not name:
        raise RosterError("name: must not be empty")
    number = normalise_phone(phone)
    if session.scalars(select(Staff).where(Staff.phone == number)).first() is not None:
        raise RosterError(f"phone: {number} already belongs to someone on the staff list")
    staff = Staff(name=name, phone=number, email=email, active=True, created_at=now)
    session.add(staff)
    session.commit()
    return staff


MAX_ID = 2**63 - 1  # BIGINT: a larger id is no row, not a database error


def list_staff(session: Session, *, order: str = "name") -> list[Staff]:
    """Everyone on the staff list, by name (then id) or by id."""
    keys = (Staff.id,) if order == "id" else (Staff.name, Staff.id)
    return list(session.scalars(select(Staff).order_by(*keys)))


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id) if 0 < staff_id <= MAX_ID else None


def staff_with_phone(session: Session, phone: str) -> Staff | None:
    """The person with this (normalised) number, active or not."""
    return session.scalars(select(Staff).where(Staff.phone == phone)).first()


def names_by_phone(session: Session, phones: Iterable[str]) -> dict[str, str]:
    """Staff names by phone number, for the numbers that belong to someone."""
    wanted = set(phones)
    if not wanted:
        return {}
    rows = session.execute(select(Staff.phone, Staff.name).where(Staff.phone.in_(wanted)))
    return dict(rows.all())


def rotations(session: Session) -> list[Rotation]:
    """Every rotation, by level and shift (members loaded as ``Rotation.members``)."""
    return list(session.scalars(select(Rotation).order_by(Rotation.level, Rotation.shift)))


def has_rotation(session: Session) -> bool:
    return session.scalars(select(Rotation)).first() is not None


def current_overrides(session: Session, now: datetime) -> list[RosterOverride]:
    """Overrides that have not ended, by start."""
    return list(
        session.scalars(
            select(RosterOverride)
            .where(RosterOverride.ends_at > now)
            .order_by(RosterOverride.starts_at)
        )
    )


def staff_by_phone(session: Session, phone: str) -> Staff | None:
    return session.scalars(
        select(Staff).where(Staff.phone == phone, Staff.active.is_(True))
    ).one_or_none()


def find_staff(session: Session, ref: str) -> Staff:
    """A person by id, exact name or phone number (as the CLI takes them)."""
    ref = ref.strip()
    found: Staff | None = None
    if ref.isdigit() and len(ref) < 8:
        found = session.get(Staff, int(ref))
    if found is None:
        found = session.scalars(select(Staff).where(Staff.name == ref)).first()
    if found is None:
        try:
            found = session.scalars(
                select(Staff).where(Staff.phone == normalise_phone(ref))
            ).first()
        except ValueError:
            found = None
    if found is None:
        raise RosterError(f"staff: nobody with id, name or phone {ref!r}")
    return found


def set_rotation(
    session: Session,
    level: int,
    shift: str,
    first_handover: datetime,
    members: Sequence[Staff],
    now: datetime,
    zone: str = OSLO.key,
) -> Rotation:
    """Replace the rotation of ``level`` and ``shift`` (members in turn order)."""
    if shift not in SHIFTS:
        raise RosterError(f"shift: {shift!r} is not one of {', '.join(SHIFTS)}")
    if level < 1:
        raise RosterError("level: must be 1 (on-call) or higher (2 = manager)")
    if not members:
        raise RosterError("members: a rotation needs at least one person")
    session.execute(delete(Rotation).where(Rotation.level == level, Rotation.shift == shift))
    rotation = Rotation(
        level=level, shift=shift, first_handover=first_handover, zone=zone, created_at=now
    )
    rotation.members = [
        RotationMember(position=i, staff_id=person.id) for i, person in enumerate(members)
    ]
    session.add(rotation)
    session.commit()
    return rotation


def add_override(
    session: Session,
    level: int,
    starts: datetime,
    ends: datetime,
    staff: Staff,
    now: datetime,
    shift: str | None = None,
    reason: str = "",
) -> RosterOverride:
    if ends <= starts:
        raise RosterError("to: the override must end after it starts")
    if shift is not None and shift not in SHIFTS:
        raise RosterError(f"shift: {shift!r} is not one of {', '.join(SHIFTS)}")
    override = RosterOverride(
        level=level,
        shift=shift,
        starts_at=starts,
        ends_at=ends,
        staff_id=staff.id,
        reason=reason,
        created_at=now,
    )
    session.add(override)
    session.commit()
    return override
