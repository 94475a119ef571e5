"""Business-time arithmetic against a brute-force reference written here.

The reference walks wall-clock minutes one at a time in UTC and asks, for each minute,
whether its local time lies inside an open window of that local date
(``Calendar.windows_on``, which already closes holidays). It knows nothing of the compiled
timeline, bisection or interval merging that ``sla.business_time`` uses, so agreement on
random inputs is evidence that the fast path is right. Starts are minute-aligned, so a
minute is either wholly open or wholly closed (the shipped windows are on whole minutes).

Calendars: the shipped office hours (Mon-Fri 08:00-16:00, Norwegian holidays), and an
irregular one with a lunch break, a Saturday window and a late Sunday window that ends at
24:00 (so a window ends on the next day's midnight, on the DST Sundays as well).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.business_time import BusinessClock
from sla.calendar import Calendar
from sla.instants import from_us, to_us

OSLO = ZoneInfo("Europe/Oslo")
MINUTE = timedelta(minutes=1)

OFFICE_HOURS = Calendar.from_hours(
    "office-hours",
    "Europe/Oslo",
    {day: ["08:00-16:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holiday_country="NO",
)
IRREGULAR = Calendar.from_hours(
    "irregular",
    "Europe/Oslo",
    {
        **{day: ["08:00-11:30", "12:00-16:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": ["10:00-14:00"],
        "sun": ["22:00-24:00"],
    },
    holiday_country="NO",
)
CALENDARS = [pytest.param(OFFICE_HOURS, id="office-hours"), pytest.param(IRREGULAR, id="irregular")]

PROPERTY = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# ------------------------------------------------------------------ the reference


class Reference:
    """Minute-stepping business time on one calendar."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self._windows: dict[date, tuple[tuple[int, int], ...]] = {}

    def is_open(self, minute: datetime) -> bool:
        """Is the clock running in the minute that starts at ``minute``?"""
        local = minute.astimezone(self.zone)
        day = local.date()
        windows = self._windows.get(day)
        if windows is None:
            windows = tuple((w.start, w.end) for w in self.calendar.windows_on(day))
            self._windows[day] = windows
        second = local.hour * 3600 + local.minute * 60
        return any(start <= second < end for start, end in windows)

    def add(
        self, start: datetime, minutes: int, pauses: list[tuple[datetime, datetime]] = ()
    ) -> datetime:
        """The instant at which ``minutes`` open, unpaused minutes have passed since ``start``."""
        assert minutes > 0
        t = start.astimezone(UTC)
        counted = 0
        while True:
            if self.is_open(t) and not _paused(t, pauses):
                counted += 1
                if counted == minutes:
                    return t + MINUTE
            t += MINUTE

    def between(
        self, start: datetime, end: datetime, pauses: list[tuple[datetime, datetime]] = ()
    ) -> int:
        """Open, unpaused minutes in [start, end)."""
        t, stop = start.astimezone(UTC), end.astimezone(UTC)
        counted = 0
        while t < stop:
            if self.is_open(t) and not _paused(t, pauses):
                counted += 1
            t += MINUTE
        return counted

    def end_of_next_working_day(self, instant: datetime) -> datetime:
        """Day-stepping: the close of the first day strictly after the local date that
        has any window."""
        day = instant.astimezone(self.zone).date() + timedelta(days=1)
        while not self.calendar.windows_on(day):
            day += timedelta(days=1)
        end = self.calendar.windows_on(day)[-1].end
        if end == 86_400:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return datetime.combine(day, time(end // 3600, end % 3600 // 60), tzinfo=self.zone)


def _paused(minute: datetime, pauses: list[tuple[datetime, datetime]]) -> bool:
    return any(a <= minute < b for a, b in pauses)


REFERENCES = {OFFICE_HOURS.name: Reference(OFFICE_HOURS), IRREGULAR.name: Reference(IRREGULAR)}


def same_instant(first: datetime, second: datetime) -> bool:
    return first.astimezone(UTC) == second.astimezone(UTC)


# ------------------------------------------------------------------ strategies

_SPAN_START = datetime(2026, 1, 1, tzinfo=UTC)
_SPAN_MINUTES = int((datetime(2029, 1, 1, tzinfo=UTC) - _SPAN_START) / MINUTE) - 1
# Days where mistakes hide: clock changes, movable and fixed holidays, year ends.
SPECIAL_DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 28),
    date(2027, 10, 31),
    date(2028, 3, 26),
    date(2028, 10, 29),
    date(2026, 4, 2),
    date(2027, 3, 25),
    date(2028, 4, 13),
    date(2026, 5, 14),
    date(2026, 5, 25),
    date(2027, 5, 6),
    date(2027, 5, 17),
    date(2028, 5, 17),
    date(2026, 5, 1),
    date(2026, 12, 24),
    date(2026, 12, 31),
    date(2027, 12, 24),
    date(2028, 12, 29),
]

uniform_minute = st.integers(0, _SPAN_MINUTES).map(lambda m: _SPAN_START + m * MINUTE)
near_special_minute = st.builds(
    lambda day, offset: datetime.combine(day, time(0), tzinfo=UTC) + offset * MINUTE,
    st.sampled_from(SPECIAL_DAYS),
    st.integers(-4 * 1440, 2 * 1440),
)
# Given in UTC or in Oslo time: the same instants, different tzinfo.
minute_instants = st.builds(
    lambda instant, zone: instant.astimezone(zone),
    st.one_of(uniform_minute, near_special_minute),
    st.sampled_from([UTC, OSLO]),
)
# 1 minute .. 3 business days of the office-hours calendar.
durations = st.integers(1, 3 * 8 * 60)


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime]]:
    """0-3 minute-aligned pauses around ``start`` (some may overlap each other)."""
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        offset = draw(st.integers(-600, 3 * 1440))
        length = draw(st.integers(1, 1500))
        low = start.astimezone(UTC) + offset * MINUTE
        pauses.append((low, low + length * MINUTE))
    return pauses


# ------------------------------------------------------------------ properties


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, minutes=durations)
def test_add_equals_the_reference(calendar: Calendar, start: datetime, minutes: int) -> None:
    got = BusinessClock(calendar).add(start, minutes * MINUTE)
    expected = REFERENCES[calendar.name].add(start, minutes)
    assert same_instant(got, expected), (got.isoformat(), expected.astimezone(OSLO).isoformat())


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, span=st.integers(0, 6 * 1440))
def test_between_equals_the_reference(calendar: Calendar, start: datetime, span: int) -> None:
    end = start + span * MINUTE
    got = BusinessClock(calendar).between(start, end)
    assert got == REFERENCES[calendar.name].between(start, end) * MINUTE


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, minutes=durations)
def test_between_inverts_add(calendar: Calendar, start: datetime, minutes: int) -> None:
    clock = BusinessClock(calendar)
    assert clock.between(start, clock.add(start, minutes * MINUTE)) == minutes * MINUTE


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, minutes=durations)
def test_deadline_never_falls_in_closed_time(
    calendar: Calendar, start: datetime, minutes: int
) -> None:
    due = BusinessClock(calendar).add(start, minutes * MINUTE)
    # the minute just before the deadline was spent in an open window
    assert REFERENCES[calendar.name].is_open(due.astimezone(UTC) - MINUTE)
    assert due > start


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, later_by=st.integers(0, 4 * 1440), minutes=durations)
def test_add_is_monotonic_in_start(
    calendar: Calendar, start: datetime, later_by: int, minutes: int
) -> None:
    clock = BusinessClock(calendar)
    later = start + later_by * MINUTE
    assert clock.add(start, minutes * MINUTE) <= clock.add(later, minutes * MINUTE)


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, minutes=durations, more=st.integers(1, 600))
def test_add_is_strictly_monotonic_in_duration(
    calendar: Calendar, start: datetime, minutes: int, more: int
) -> None:
    clock = BusinessClock(calendar)
    assert clock.add(start, minutes * MINUTE) < clock.add(start, (minutes + more) * MINUTE)


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(data=st.data(), start=minute_instants, minutes=durations)
def test_add_with_pauses_equals_the_reference(
    calendar: Calendar, data: st.DataObject, start: datetime, minutes: int
) -> None:
    pauses = data.draw(pause_lists(start))
    got = BusinessClock(calendar).add(start, minutes * MINUTE, pauses)
    expected = REFERENCES[calendar.name].add(start, minutes, pauses)
    assert same_instant(got, expected), (got.isoformat(), expected.astimezone(OSLO).isoformat())


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(data=st.data(), start=minute_instants, minutes=durations)
def test_between_with_pauses_is_consistent_with_add(
    calendar: Calendar, data: st.DataObject, start: datetime, minutes: int
) -> None:
    pauses = data.draw(pause_lists(start))
    clock = BusinessClock(calendar)
    due = clock.add(start, minutes * MINUTE, pauses)
    assert clock.between(start, due, pauses) == minutes * MINUTE
    # and the measure itself agrees with the reference on a span reaching past the deadline
    end = due + data.draw(st.integers(0, 2000)) * MINUTE
    assert clock.between(start, end, pauses) == (
        REFERENCES[calendar.name].between(start, end, pauses) * MINUTE
    )


@pytest.mark.parametrize("calendar", CALENDARS)
@settings(max_examples=300, deadline=None)
@given(
    instant=st.one_of(uniform_minute, near_special_minute),
    jitter=st.integers(0, 59_999_999),
)
def test_end_of_next_working_day_equals_day_stepping(
    calendar: Calendar, instant: datetime, jitter: int
) -> None:
    when = instant + timedelta(microseconds=jitter)
    got = BusinessClock(calendar).end_of_next_working_day(when)
    expected = REFERENCES[calendar.name].end_of_next_working_day(when)
    assert same_instant(got, expected), (got.isoformat(), expected.isoformat())


@settings(max_examples=300, deadline=None)
@given(
    us=st.integers(to_us(datetime(2000, 1, 1, tzinfo=UTC)), to_us(datetime(2100, 1, 1, tzinfo=UTC)))
)
def test_microsecond_instants_round_trip(us: int) -> None:
    instant = from_us(us, OSLO)
    assert to_us(instant) == us
    assert instant.astimezone(UTC) == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=minute_instants, minutes=durations, micro=st.integers(1, 59_999_999))
def test_sub_minute_offsets_inside_an_open_minute_carry_to_the_deadline(
    calendar: Calendar, start: datetime, minutes: int, micro: int
) -> None:
    """Starting ``micro`` µs after an opening shifts every spent minute by ``micro``: the
    deadline is ``micro`` after the first open minute at or after the unshifted deadline."""
    reference = REFERENCES[calendar.name]
    clock = BusinessClock(calendar)
    start_open = clock.next_open(start)
    if start_open.astimezone(UTC).second or start_open.microsecond:
        return  # only whole-minute openings are interesting here
    plain = clock.add(start_open, minutes * MINUTE)
    shifted = clock.add(start_open + timedelta(microseconds=micro), minutes * MINUTE)
    # the last ``micro`` µs are spent at the first open minute from ``plain`` on
    resume = plain.astimezone(UTC)
    while not reference.is_open(resume):
        resume += MINUTE
    assert same_instant(shifted, resume + timedelta(microseconds=micro))
