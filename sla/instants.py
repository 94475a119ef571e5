"""Conversions between aware datetimes and integer microseconds since the Unix epoch.

The business-time engine works on integers so that every deadline is exact to the
microsecond and bisecting a timeline is a C-speed list operation. Only aware datetimes
are accepted: a naive timestamp has no instant, and guessing one is how deadlines go
wrong across daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch; exact, because the float has < 0.5 µs error here."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"timestamp {instant.isoformat()} has no UTC offset")
    return round(instant.timestamp() * US_PER_SECOND)


def from_us(us: int, zone: tzinfo) -> datetime:
    """The instant ``us`` as an aware datetime in ``zone`` (whole seconds through
    ``fromtimestamp``, which sets ``fold`` right in the repeated autumn hour; the
    microseconds added exactly)."""
    seconds, micro = divmod(us, US_PER_SECOND)
    whole = datetime.fromtimestamp(seconds, zone)
    return whole.replace(microsecond=micro) if micro else whole


def duration_us(value: timedelta) -> int:
    """A timedelta as whole microseconds (timedelta is already microsecond-exact)."""
    return (value.days * 86_400 + value.seconds) * US_PER_SECOND + value.microseconds


def local_midnight_us(day: date, zone: ZoneInfo) -> int:
    """The instant a local calendar day starts (midnight never falls in a DST gap in Oslo,
    and for zones where it might, zoneinfo's fold=0 gives the first valid reading)."""
    return to_us(datetime.combine(day, time(0), tzinfo=zone))


def wall_clock_us(day: date, seconds_of_day: int, zone: ZoneInfo) -> int:
    """The instant a wall-clock time of a local day falls on.

    24:00 is the next midnight. An ambiguous autumn time is its first occurrence (fold=0).
    A time inside a spring-forward gap does not exist; it maps to the instant the clocks
    jump, so a window such as 02:00-03:00 is simply empty on that day.
    """
    if seconds_of_day >= 86_400:
        return local_midnight_us(day + timedelta(days=1), zone)
    hours, rest = divmod(seconds_of_day, 3600)
    wall = datetime.combine(day, time(hours, rest // 60, rest % 60), tzinfo=zone)
    if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return to_us(wall)
    return _transition_us(to_us(wall.replace(fold=1)), to_us(wall), zone)


def _transition_us(before: int, after: int, zone: ZoneInfo) -> int:
    """The first instant in [before, after] whose UTC offset is the one ``after`` has.

    Only called for wall times in a DST gap, so the bisection runs rarely and briefly.
    """
    target = from_us(after, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if from_us(middle, zone).utcoffset() == target:
            after = middle
        else:
            before = middle
    return after


#: Instants every time zone can show and the SLA engine can take: the desk renders
#: sender-claimed times in Oslo time, and 0001-01-01T00:00+14:00 is valid ISO 8601 that
#: no zone west of it (and no UTC datetime Python can hold) can represent. Intake, the CSV
#: import and the API refuse or drop times outside [EARLIEST, LATEST].
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def parse_instant(text: str, default_zone: ZoneInfo) -> datetime:
    """An ISO 8601 timestamp; one without an offset is wall-clock time in ``default_zone``.

    A local time that falls in a spring-forward gap never happened, so it is refused rather
    than moved; an ambiguous autumn time is taken as its first occurrence (fold=0).
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp (e.g. 2026-03-30T08:30)") from None
    if parsed.tzinfo is not None:
        return parsed
    local = parsed.replace(tzinfo=default_zone)
    if local.astimezone(UTC).astimezone(default_zone).replace(tzinfo=None) != parsed:
        raise ValueError(
            f"{text!r} does not exist in {default_zone.key}: the clocks skip that hour; give a UTC offset"
        )
    return local
