"""Business-time arithmetic on a compiled timeline.

A calendar is compiled once into sorted open intervals in UTC microseconds with a running
total of open time before each interval. Adding business time, or measuring it between two
instants, is then a bisection plus a subtraction: O(log n) and exact to the microsecond,
instead of walking day by day. The timeline covers a span of years and grows on demand
when an instant outside it is asked for.

Pauses (e.g. "waiting on customer") are breaks in which the clock stops; they are inputs,
so the same ticket can always be recomputed from its events.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sla.calendar import Calendar
from sla.instants import duration_us, from_us, local_midnight_us, to_us, wall_clock_us

Interval = tuple[int, int]
"""A half-open [start, end) span of instants in epoch microseconds."""

_INITIAL_YEARS = 3
_MAX_SPAN_YEARS = 400


class NeverOpen(ValueError):
    """The calendar has no open time in a long span, so no business deadline exists."""


@dataclass(frozen=True)
class _Span:
    """The compiled arrays of one span of years, replaced whole when the span grows, so a
    reader on another thread always sees arrays that belong together."""

    starts: list[int]
    ends: list[int]
    before: list[int]  # open time before interval i
    through: list[int]  # open time up to the end of interval i
    day_ends: list[int]  # close of business of the local day interval i is on
    midnights: list[int]  # local midnights of the span, for "next day" questions
    low: int
    high: int


def _compile(calendar: Calendar, first_year: int, last_year: int) -> _Span:
    zone = calendar.zone
    starts: list[int] = []
    ends: list[int] = []
    day_ends: list[int] = []
    midnights: list[int] = []
    day = date(first_year, 1, 1)
    stop = date(last_year + 1, 1, 1)
    while day < stop:
        midnights.append(local_midnight_us(day, zone))
        first_of_day = len(starts)
        for window in calendar.windows_on(day):
            start = wall_clock_us(day, window.start, zone)
            end = wall_clock_us(day, window.end, zone)
            if end > start:  # else a window swallowed by a spring-forward gap
                starts.append(start)
                ends.append(end)
        if len(starts) > first_of_day:
            day_ends += [ends[-1]] * (len(starts) - first_of_day)
        day += timedelta(days=1)
    midnights.append(local_midnight_us(stop, zone))
    before = []
    total = 0
    for start, end in zip(starts, ends, strict=True):
        before.append(total)
        total += end - start
    through = [b + e - s for b, s, e in zip(before, starts, ends, strict=True)]
    return _Span(starts, ends, before, through, day_ends, midnights, midnights[0], midnights[-1])


def _elapsed(span: _Span, instant: int) -> int:
    """Open time from the start of the span to ``instant``."""
    i = bisect_right(span.starts, instant) - 1
    if i < 0:
        return 0
    return span.before[i] + min(instant, span.ends[i]) - span.starts[i]


class Timeline:
    """Open intervals of one calendar, as flat lists that ``bisect`` can search quickly.

    The span of years grows on demand under a lock; every query works on one snapshot.
    """

    def __init__(self, calendar: Calendar, first_year: int, last_year: int) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self.first_year = first_year
        self.last_year = last_year
        self._lock = threading.Lock()
        self._span = _compile(calendar, first_year, last_year)

    def _grow(self, first_year: int, last_year: int) -> _Span:
        with self._lock:
            if first_year < self.first_year or last_year > self.last_year:
                if last_year - first_year > _MAX_SPAN_YEARS:
                    raise NeverOpen(
                        f"calendar {self.calendar.name!r}: no answer within {_MAX_SPAN_YEARS} years"
                    )
                self.first_year = min(first_year, self.first_year)
                self.last_year = max(last_year, self.last_year)
                self._span = _compile(self.calendar, self.first_year, self.last_year)
            return self._span

    def _covering(self, instant: int) -> _Span:
        span = self._span
        if span.low <= instant < span.high:
            return span
        year = from_us(instant, self.zone).year
        return self._grow(min(self.first_year, year - 1), max(self.last_year, year + 1))

    def _longer(self) -> _Span:
        return self._grow(
            self.first_year,
            self.last_year + max(_INITIAL_YEARS, (self.last_year - self.first_year) // 2),
        )

    def add(self, start: int, amount: int) -> int:
        """The instant ``amount`` of open time after ``start``; ``start`` itself for zero."""
        if amount < 0:
            raise ValueError("business time to add must not be negative")
        if amount == 0:
            return start
        span = self._covering(start)
        target = _elapsed(span, start) + amount
        while not span.through or span.through[-1] < target:
            span = self._longer()
            target = _elapsed(span, start) + amount
        j = bisect_left(span.through, target)
        return span.starts[j] + target - span.before[j]

    def between(self, start: int, end: int) -> int:
        """Open time in [start, end); zero when end <= start."""
        if end <= start:
            return 0
        self._covering(start)
        span = self._covering(end)  # spans only grow, so this one covers start as well
        return _elapsed(span, end) - _elapsed(span, start)

    def next_open(self, instant: int) -> int:
        """``instant`` if the clock runs then, else the instant it next starts running."""
        span = self._covering(instant)
        while True:
            i = bisect_right(span.ends, instant)
            if i < len(span.starts):
                return max(instant, span.starts[i])
            span = self._longer()

    def end_of_next_working_day(self, instant: int) -> int:
        """Close of business on the first working day strictly after ``instant``'s local date.

        "Working day" is a day on which the calendar opens at all; it ends when its last
        window closes, so the hour is catalog data, not a constant.
        """
        span = self._covering(instant)
        next_midnight = span.midnights[bisect_right(span.midnights, instant)]
        while True:
            i = bisect_left(span.starts, next_midnight)
            if i < len(span.starts):
                return span.day_ends[i]
            span = self._longer()

    def open_intervals(self, start: int, end: int) -> list[Interval]:
        """The open parts of [start, end), for intersecting with other calendars."""
        if end <= start:
            return []
        self._covering(start)
        span = self._covering(end)
        i = max(bisect_right(span.ends, start), 0)
        result = []
        while i < len(span.starts) and span.starts[i] < end:
            result.append((max(span.starts[i], start), min(span.ends[i], end)))
            i += 1
        return result


def timeline(calendar: Calendar) -> Timeline:
    """The compiled timeline of a calendar, built on first use and kept on the calendar
    value itself (a frozen value, so the timeline can never go stale); it starts around
    today's era and grows when asked about instants outside its span."""
    try:
        return calendar._timeline  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        line = Timeline(calendar, 2024, 2024 + _INITIAL_YEARS)
        object.__setattr__(calendar, "_timeline", line)
        return line


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals; empty ones vanish."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def add_with_pauses(line: Timeline, start: int, amount: int, pauses: Sequence[Interval]) -> int:
    """Like ``Timeline.add`` but the clock also stops during ``pauses`` (merged, sorted).

    Walks the pauses after ``start`` and spends the budget in the open time before each,
    so a pause that starts after the deadline would have passed changes nothing.
    """
    position, remaining = start, amount
    for pause_start, pause_end in pauses:
        if pause_end <= position:
            continue
        available = line.between(position, pause_start)
        if available >= remaining:
            break
        remaining -= available
        position = max(position, pause_end)
    if remaining == 0:
        return position
    return line.add(position, remaining)


def between_with_pauses(line: Timeline, start: int, end: int, pauses: Sequence[Interval]) -> int:
    """Open time in [start, end) that is not inside a pause (pauses merged and sorted)."""
    total = line.between(start, end)
    for pause_start, pause_end in pauses:
        low, high = max(pause_start, start), min(pause_end, end)
        if high > low:
            total -= line.between(low, high)
    return total


@dataclass(frozen=True)
class BusinessClock:
    """The datetime-facing face of a timeline: what the rest of the code calls."""

    calendar: Calendar

    @property
    def line(self) -> Timeline:
        return timeline(self.calendar)

    def add(
        self, start: datetime, amount: timedelta, pauses: Sequence[tuple[datetime, datetime]] = ()
    ) -> datetime:
        merged = merge_intervals((to_us(a), to_us(b)) for a, b in pauses)
        result = add_with_pauses(self.line, to_us(start), duration_us(amount), merged)
        return from_us(result, self.calendar.zone)

    def between(
        self, start: datetime, end: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()
    ) -> timedelta:
        merged = merge_intervals((to_us(a), to_us(b)) for a, b in pauses)
        return timedelta(
            microseconds=between_with_pauses(self.line, to_us(start), to_us(end), merged)
        )

    def next_open(self, instant: datetime) -> datetime:
        return from_us(self.line.next_open(to_us(instant)), self.calendar.zone)

    def end_of_next_working_day(self, instant: datetime) -> datetime:
        return from_us(self.line.end_of_next_working_day(to_us(instant)), self.calendar.zone)
