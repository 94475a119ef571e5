"""``triage oncall``: the on-call roster from the command line (the web UI comes later).

``staff add``, ``rotation set``, ``override add``, ``who`` and ``gaps``. Phone numbers are
normalised to E.164 and refused with the reason when invalid; times without an offset
are Europe/Oslo.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from config.catalog import load_catalog
from config.settings import Settings
from sla.calendar import Calendar
from sla.instants import parse_instant
from sla.local_time import OSLO
from triage.oncall import coverage_gaps, on_call, shift_at
from triage.store import db
from triage.store.roster import (
    SHIFTS,
    RosterError,
    add_override,
    add_staff,
    find_staff,
    list_staff,
    load_roster,
    set_rotation,
)
from triage.store.voice_calls import set_call_rule
from web.cli.errors import BadArgument
from web.cli.output import emit_json
from web.formats import iso

if TYPE_CHECKING:  # the rows the roster's reads return
    from triage.store.models import Staff


def _open() -> tuple[Settings, Calendar]:
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    catalog = load_catalog(settings.catalog_path)
    try:
        return settings, catalog.calendars[settings.roster_calendar]
    except KeyError:
        raise BadArgument(
            f"TRIAGE_ROSTER_CALENDAR: no calendar {settings.roster_calendar!r} in the catalog"
        ) from None


def _instant(option: str, text: str) -> datetime:
    try:
        return parse_instant(text, OSLO)
    except ValueError as exc:
        raise BadArgument(f"{option}: {exc}") from None


def _staff_json(staff: Staff) -> dict[str, object]:
    return {"id": staff.id, "name": staff.name, "phone": staff.phone, "active": staff.active}


@click.group(name="oncall")
def oncall() -> None:
    """The on-call roster: staff, weekly rotations, overrides."""


@oncall.group(name="staff")
def staff_group() -> None:
    """People who can be paged."""


@staff_group.command(name="add")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="Mobile number; Norwegian numbers without +47 work.")
@click.option("--email", default=None)
def staff_add(name: str, phone: str, email: str | None) -> int:
    settings, _ = _open()
    with db.session_factory(settings.database_url)() as session:
        try:
            staff = add_staff(session, name, phone, datetime.now(UTC), email)
        except ValueError as exc:
            field = str(exc).split(":", 1)[0] if ":" in str(exc) else "phone"
            message = str(exc) if str(exc).startswith(field) else f"{field}: {exc}"
            raise BadArgument(f"--{message}") from None
        emit_json(_staff_json(staff))
    return 0


@staff_group.command(name="list")
def staff_list() -> int:
    settings, _ = _open()
    with db.session_factory(settings.database_url)() as session:
        for staff in list_staff(session, order="id"):
            emit_json(_staff_json(staff))
    return 0


@staff_group.command(name="call-after")
@click.option("--staff", "who", required=True, help="Staff id, name or phone.")
@click.option(
    "--minutes",
    type=click.IntRange(0, 24 * 60),
    default=None,
    help="Call this long after an SMS page nobody acknowledged; leave out to stop calling.",
)
def staff_call_after(who: str, minutes: int | None) -> int:
    """A person's notification rule: SMS at once, a phone call after N minutes without ACK."""
    settings, _ = _open()
    with db.session_factory(settings.database_url)() as session:
        try:
            person = find_staff(session, who)
        except RosterError as exc:
            raise BadArgument(f"--{exc}") from None
        delay = None if minutes is None else timedelta(minutes=minutes)
        set_call_rule(session, person.id, delay)
        emit_json({"staff": person.name, "sms": "at once", "call_after_minutes": minutes})
    return 0


@oncall.group(name="rotation")
def rotation_group() -> None:
    """Weekly rotations (one per level and shift)."""


@rotation_group.command(name="set")
@click.option("--level", type=click.IntRange(1, 9), required=True, help="1 on-call, 2 manager.")
@click.option("--shift", type=click.Choice(SHIFTS), default="always", show_default=True)
@click.option(
    "--first-handover",
    required=True,
    help="When the first member starts, e.g. 2026-11-23T08:00; its weekday and time repeat weekly.",
)
@click.option(
    "--members", required=True, help="Comma-separated staff ids, names or phones, in turn order."
)
def rotation_set(level: int, shift: str, first_handover: str, members: str) -> int:
    settings, _ = _open()
    start = _instant("--first-handover", first_handover)
    with db.session_factory(settings.database_url)() as session:
        try:
            people = [find_staff(session, ref) for ref in members.split(",") if ref.strip()]
            rotation = set_rotation(session, level, shift, start, people, datetime.now(UTC))
        except RosterError as exc:
            raise BadArgument(f"--{exc}") from None
        emit_json(
            {
                "level": rotation.level,
                "shift": rotation.shift,
                "first_handover": iso(rotation.first_handover),
                "members": [p.name for p in people],
            }
        )
    return 0


@oncall.group(name="override")
def override_group() -> None:
    """Someone else on a level for a while (holiday swap, sickness)."""


@override_group.command(name="add")
@click.option("--level", type=click.IntRange(1, 9), required=True)
@click.option("--staff", "who", required=True, help="Staff id, name or phone.")
@click.option("--from", "start", required=True)
@click.option("--to", "end", required=True)
@click.option("--shift", type=click.Choice(SHIFTS), default=None, help="Only this shift.")
@click.option("--reason", default="")
def override_add(level: int, who: str, start: str, end: str, shift: str | None, reason: str) -> int:
    settings, _ = _open()
    starts, ends = _instant("--from", start), _instant("--to", end)
    with db.session_factory(settings.database_url)() as session:
        try:
            person = find_staff(session, who)
            row = add_override(
                session, level, starts, ends, person, datetime.now(UTC), shift, reason
            )
        except RosterError as exc:
            raise BadArgument(f"--{exc}") from None
        emit_json(
            {
                "id": row.id,
                "level": level,
                "staff": person.name,
                "from": iso(starts),
                "to": iso(ends),
                "shift": shift,
            }
        )
    return 0


@oncall.command(name="who")
@click.option("--at", "at_text", default=None, help="When (default now).")
def who(at_text: str | None) -> int:
    """Who a page of level 1 and 2 reaches at an instant."""
    settings, calendar = _open()
    at = _instant("--at", at_text) if at_text else datetime.now(UTC)
    with db.session_factory(settings.database_url)() as session:
        roster = load_roster(session, calendar, at)
    for level in (1, 2):
        person = on_call(roster, level, at)
        emit_json(
            {
                "at": iso(at),
                "level": level,
                "shift": shift_at(roster, at),
                "staff": person.name if person else None,
                "phone": person.phone if person else None,
            }
        )
    return 0


@oncall.command(name="gaps")
@click.option("--level", type=click.IntRange(1, 9), default=1, show_default=True)
@click.option("--days", type=click.IntRange(1, 366), default=14, show_default=True)
def gaps(level: int, days: int) -> int:
    """Intervals in the coming days when nobody is on call at a level."""
    settings, calendar = _open()
    now = datetime.now(UTC)
    with db.session_factory(settings.database_url)() as session:
        roster = load_roster(session, calendar, now)
    for start, end in coverage_gaps(roster, level, now, now + timedelta(days=days)):
        emit_json({"level": level, "from": iso(start), "to": iso(end)})
    return 0
