"""Who is paged at an instant: weekly rotations, overrides, and the office-hours shift.

Escalation SMS go to staff on call: level 1 is the on-call engineer, level 2 a manager.
Each level has weekly rotations: members take turns one week each and hand over at a
fixed local weekday and wall-clock time, so Monday 08:00 Europe/Oslo stays Monday 08:00
when the clocks change and the week around the change is 167 or 169 real hours long.
A rotation serves one shift: "office" while the office-hours calendar is open,
"after-hours" while it is closed, or "always".

Overrides (holiday swaps, sickness) are intervals of real time rather than weeks: a swap
is agreed as "from Friday 16:00 to Monday 08:00", and that is what is stored. An override
beats the rotation; when several cover an instant the one that starts latest wins,
because a later arrangement is made knowing the earlier one (a sick day inside a week
of holiday cover), and among equal starts the last entered wins.

Everything here is a function of the roster and an instant passed in, so the CLI's
"who is on call next Saturday" and the pager's "who is on call now" are the same question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sla.business_time import timeline
from sla.calendar import Calendar
from sla.instants import from_us, to_us, wall_clock_us

OFFICE = "office"
AFTER_HOURS = "after-hours"
ALWAYS = "always"
SHIFTS = (OFFICE, AFTER_HOURS, ALWAYS)

_WEEK = timedelta(weeks=1)


def _check_level(level: int, what: str) -> None:
    if level < 1:
        raise ValueError(f"{what}: level must be 1 or higher, got {level}")


def _check_shift(shift: str, what: str) -> None:
    if shift not in SHIFTS:
        raise ValueError(f"{what}: shift {shift!r} is not one of {', '.join(SHIFTS)}")


def _check_instant(value: datetime, what: str) -> None:
    """Refuse instants that are not instants: a naive time has no offset, and a local time
    in a spring-forward gap never happened, so zoneinfo would silently move it an hour."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: {value.isoformat()} has no time zone")
    wall = value.replace(tzinfo=None)
    if value.astimezone(UTC).astimezone(value.tzinfo).replace(tzinfo=None) != wall:
        raise ValueError(
            f"{what}: {wall.isoformat()} does not exist in {value.tzinfo}: the clocks skip it"
        )


@dataclass(frozen=True)
class Person:
    """Someone who can be paged; ``phone`` is E.164 (see ``triage.phone``)."""

    id: int
    name: str
    phone: str


@dataclass(frozen=True)
class Rotation:
    """Weekly turns for one level and one shift.

    ``first_handover`` is the instant the first member starts; its weekday and wall-clock
    time in ``zone`` are the weekly handover. Later handovers are found on the wall clock:
    a handover time the clocks skip happens when they land (the first instant after the
    gap), and one the clocks pass twice happens the first time.
    """

    level: int
    shift: str
    members: tuple[Person, ...]
    first_handover: datetime
    zone: ZoneInfo
    # Derived once, because every "who is on call" question needs them.
    _first_us: int = field(init=False, repr=False, compare=False)
    _first_wall: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        what = f"rotation for level {self.level}, shift {self.shift!r}"
        _check_level(self.level, what)
        _check_shift(self.shift, what)
        if not self.members:
            raise ValueError(f"{what}: needs at least one member")
        if not isinstance(self.zone, ZoneInfo):
            raise ValueError(f"{what}: zone must be a ZoneInfo, got {self.zone!r}")
        _check_instant(self.first_handover, f"{what}: first_handover")
        object.__setattr__(self, "_first_us", to_us(self.first_handover))
        object.__setattr__(
            self, "_first_wall", self.first_handover.astimezone(self.zone).replace(tzinfo=None)
        )


@dataclass(frozen=True)
class Override:
    """``person`` covers ``level`` in [starts, ends), in one shift or (``None``) in all."""

    level: int
    starts: datetime
    ends: datetime
    person: Person
    shift: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        what = f"override for level {self.level} ({self.person.name})"
        _check_level(self.level, what)
        if self.shift is not None:
            _check_shift(self.shift, what)
        _check_instant(self.starts, f"{what}: starts")
        _check_instant(self.ends, f"{what}: ends")
        if self.ends <= self.starts:
            raise ValueError(
                f"{what}: ends {self.ends.isoformat()} is not after starts "
                f"{self.starts.isoformat()}"
            )

    def covers_shift(self, shift: str) -> bool:
        return self.shift in (None, ALWAYS, shift)


@dataclass(frozen=True)
class Roster:
    """Everything that decides who is on call; ``office_hours`` splits office from
    after-hours, holidays included (a Norwegian public holiday on a Tuesday is after-hours)."""

    rotations: tuple[Rotation, ...]
    overrides: tuple[Override, ...]
    office_hours: Calendar

    def __post_init__(self) -> None:
        seen: set[tuple[int, str]] = set()
        for rotation in self.rotations:
            key = (rotation.level, rotation.shift)
            if key in seen:
                # Two rotations for the same slot would make "whose week is it" a coin toss.
                raise ValueError(
                    f"roster: two rotations for level {rotation.level}, shift {rotation.shift!r}"
                )
            seen.add(key)


# ------------------------------------------------------------------ shifts


def _is_office_us(calendar: Calendar, instant: int) -> bool:
    # The compiled timeline answers "is the clock running in [t, t+1µs)" by bisection. Its
    # ``next_open`` would also do, but on a calendar that never opens it searches centuries
    # before giving up; the one-microsecond interval never looks past the instant.
    return bool(timeline(calendar).open_intervals(instant, instant + 1))


def shift_at(roster: Roster, at: datetime) -> str:
    """Whether ``at`` is in the "office" shift (the office-hours calendar runs) or in
    "after-hours", holidays and weekends included, because that decides which rotation
    and which shift-specific overrides apply."""
    return OFFICE if _is_office_us(roster.office_hours, to_us(at)) else AFTER_HOURS


# ------------------------------------------------------------------ rotations


def _handover_us(rotation: Rotation, week: int) -> int:
    """The instant of handover number ``week`` >= 1, found on the wall clock. Number 0 is
    ``first_handover`` as given, even if that is the second pass through an autumn hour:
    an explicit instant is kept, the weekly rule only places the ones after it."""
    first = rotation._first_wall
    wall = first + week * _WEEK
    seconds = wall.hour * 3600 + wall.minute * 60 + wall.second
    # wall_clock_us already resolves a skipped wall time to the instant the clocks jump and
    # a repeated one to its first occurrence, which is exactly the handover rule.
    instant = wall_clock_us(wall.date(), seconds, rotation.zone)
    if wall.microsecond and from_us(instant, rotation.zone).replace(tzinfo=None) == wall.replace(
        microsecond=0
    ):
        instant += wall.microsecond  # not in a gap: the fraction of a second still counts
    return instant


def _week_index(rotation: Rotation, at: int) -> int:
    """Handovers at or before ``at``, minus one (-1 before the first).

    The week is estimated on the wall clock, then checked against real instants: near a
    handover in a repeated autumn hour a wall-clock reading that looks earlier can be an
    instant that is later, so the estimate can be one short, never more.
    """
    if at < rotation._first_us:
        return -1
    local = from_us(at, rotation.zone).replace(tzinfo=None)
    week = (local - rotation._first_wall) // _WEEK + 1
    while week > 0 and _handover_us(rotation, week) > at:
        week -= 1
    return week


def rotation_member(rotation: Rotation, at: datetime) -> Person | None:
    """Whose week it is at ``at``; ``None`` before the rotation starts. A handover instant
    belongs to the new member: at 08:00 sharp the new engineer is the one paged."""
    week = _week_index(rotation, to_us(at))
    if week < 0:
        return None
    return rotation.members[week % len(rotation.members)]


# ------------------------------------------------------------------ who is on call


def _override_at(roster: Roster, level: int, at: int, shift: str) -> Override | None:
    best: tuple[int, int] | None = None
    winner: Override | None = None
    for index, override in enumerate(roster.overrides):
        if override.level != level or not override.covers_shift(shift):
            continue
        starts = to_us(override.starts)
        if starts <= at < to_us(override.ends) and (best is None or (starts, index) > best):
            best, winner = (starts, index), override
    return winner


def _on_call_us(roster: Roster, level: int, at: int) -> Person | None:
    shift = OFFICE if _is_office_us(roster.office_hours, at) else AFTER_HOURS
    override = _override_at(roster, level, at, shift)
    if override is not None:
        return override.person
    # The rotation for this very shift first; "always" covers whatever it leaves open,
    # including the weeks before a shift rotation has started.
    for wanted in (shift, ALWAYS):
        for rotation in roster.rotations:
            if rotation.level == level and rotation.shift == wanted:
                week = _week_index(rotation, at)
                if week >= 0:
                    return rotation.members[week % len(rotation.members)]
    return None


def on_call(roster: Roster, level: int, at: datetime) -> Person | None:
    """The person on call at ``level`` at ``at``, or ``None`` when nobody is."""
    _check_level(level, "on_call")
    return _on_call_us(roster, level, to_us(at))


def recipients(roster: Roster, level: int, at: datetime) -> tuple[Person, ...]:
    """Whom to page for a ladder point of ``level``.

    The person on call at that level; when that level is empty, the nearest lower level
    that has someone, because an escalation nobody receives is worse than one that reaches
    the on-call engineer instead of the manager (the engineer can still phone a manager).
    Empty when nobody at all is on call, so the caller can say so instead of paging no one
    silently. A person is never listed twice.
    """
    _check_level(level, "recipients")
    instant = to_us(at)
    for candidate in range(level, 0, -1):
        person = _on_call_us(roster, candidate, instant)
        if person is not None:
            return (person,)
    return ()


def coverage_gaps(
    roster: Roster, level: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) in which nobody is on call at ``level``, merged, in order,
    in the office calendar's zone (the CLI prints them as "Sat 18:00-Mon 08:00").

    Whether anyone is on call changes only where an override starts or ends, where a
    rotation starts, or where the office opens or closes (weekly handovers change who, not
    whether), so the answer is exact at those boundaries instead of sampled per minute.
    """
    _check_level(level, "coverage_gaps")
    low, high = to_us(start), to_us(end)
    if high <= low:
        return []
    cuts = {low, high}
    shifted = False
    for override in roster.overrides:
        if override.level == level:
            cuts.update((to_us(override.starts), to_us(override.ends)))
            shifted = shifted or override.shift not in (None, ALWAYS)
    for rotation in roster.rotations:
        if rotation.level == level:
            cuts.add(rotation._first_us)
            shifted = shifted or rotation.shift != ALWAYS
    if shifted:
        for opens, closes in timeline(roster.office_hours).open_intervals(low, high):
            cuts.update((opens, closes))
    points = sorted(cut for cut in cuts if low <= cut <= high)
    gaps: list[tuple[int, int]] = []
    for begin, finish in pairwise(points):
        if _on_call_us(roster, level, begin) is not None:
            continue
        if gaps and gaps[-1][1] == begin:
            gaps[-1] = (gaps[-1][0], finish)
        else:
            gaps.append((begin, finish))
    zone = roster.office_hours.zone
    return [(from_us(a, zone), from_us(b, zone)) for a, b in gaps]
