"""Business calendars as values: weekly opening windows, closed days and a time zone.

A calendar says *when the clock runs*. It is a frozen, hashable value so that the compiled
timeline behind it (see ``sla.business_time``) can be cached per calendar, and so that two
contracts with the same hours share one timeline.

Windows are wall-clock times in the calendar's own zone: an 08:00-16:00 window is eight
hours long on the days the clocks change as well, while a 00:00-24:00 window is 23 or 25
hours long on those days, because that is what "all day" means on a wall clock.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla.text import Template, Text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class Window:
    """A half-open interval [start, end) of a day, in seconds after local midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 86_400:
            raise ValueError(f"window {self} must satisfy 00:00 <= start < end <= 24:00")

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse ``"08:00-16:00"``; ``24:00`` is accepted as the end of the day."""
        match = _WINDOW.match(text)
        if not match:
            raise ValueError(f"window {text!r} is not of the form HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"window {text!r} has a time that does not exist on a clock")
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if end <= start:
            raise ValueError(f"window {text!r} ends before it starts (a window ends by 24:00)")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def check_no_overlap(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sort a day's windows, refusing overlaps: two windows over the same minute are almost
    certainly a typo in a catalog, and silently merging them would hide it."""
    ordered = tuple(sorted(windows))
    for earlier, later in pairwise(ordered):
        if later.start < earlier.end:
            raise ValueError(f"windows {earlier} and {later} overlap")
    return ordered


@dataclass(frozen=True)
class Calendar:
    """When a contract's clock runs.

    ``holiday_country`` names a country in the ``holidays`` package (``"NO"``) whose public
    holidays are closed; ``closed_dates`` adds closures of the customer's own, and
    ``open_dates`` re-opens a date the holiday set would close. Sundays are never treated as
    holidays by themselves: the weekly windows decide weekends.
    """

    name: str
    timezone: str
    week: tuple[tuple[Window, ...], ...]
    holiday_country: str | None = None
    closed_dates: frozenset[date] = field(default_factory=frozenset)
    open_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a calendar needs windows for exactly seven weekdays")
        for windows in self.week:
            check_no_overlap(windows)
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if self.holiday_country is not None and not _known_country(self.holiday_country):
            raise ValueError(f"unknown holiday country {self.holiday_country!r}")
        fields_ = (self.name, self.timezone, self.week, self.holiday_country)
        object.__setattr__(self, "_hash", hash((*fields_, self.closed_dates, self.open_dates)))

    def __hash__(self) -> int:
        # Computed once: the compiled timeline is looked up by calendar on every deadline,
        # and hashing the nested window tuples each time costs more than the arithmetic.
        return self._hash  # type: ignore[no-any-return,attr-defined]

    @classmethod
    def from_hours(
        cls,
        name: str,
        timezone: str,
        hours: Mapping[str, Iterable[str]],
        *,
        holiday_country: str | None = None,
        closed_dates: Iterable[date] = (),
        open_dates: Iterable[date] = (),
    ) -> Calendar:
        """Build from ``{"mon": ["08:00-16:00"], ...}``; a weekday left out is closed."""
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        week = []
        for day in WEEKDAYS:
            try:
                week.append(check_no_overlap(Window.parse(text) for text in hours.get(day, ())))
            except ValueError as exc:
                raise ValueError(f"hours.{day}: {exc}") from None
        return cls(
            name=name,
            timezone=timezone,
            week=tuple(week),
            holiday_country=holiday_country,
            closed_dates=frozenset(closed_dates),
            open_dates=frozenset(open_dates),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone  # type: ignore[no-any-return,attr-defined]

    def closed_reason(self, day: date) -> str | None:
        """Why a whole day is closed although its weekday has windows, else None."""
        if day in self.open_dates:
            return None
        if day in self.closed_dates:
            return _CLOSED_DATE()
        if self.holiday_country is not None:
            return _holiday_names(self.holiday_country, day.year).get(day)
        return None

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The windows of one local date, after holidays and closures."""
        windows = self.week[day.weekday()]
        if windows and self.closed_reason(day) is not None:
            return ()
        return windows

    def is_working_day(self, day: date) -> bool:
        return bool(self.windows_on(day))

    def describe(self) -> Text:
        """One line a manager can read: "Mon-Fri 08:00-16:00, closed on NO public holidays"."""
        groups: list[tuple[list[int], tuple[Window, ...]]] = []
        for number, windows in enumerate(self.week):
            if groups and groups[-1][1] == windows:
                groups[-1][0].append(number)
            else:
                groups.append(([number], windows))
        hours: WeekHours | Text = WeekHours(
            tuple(
                (days[0], days[-1], tuple(str(w) for w in windows))
                for days, windows in groups
                if windows
            )
        )
        if not hours:
            hours = _NEVER_OPEN()
        if self.holiday_country:
            return _HOURS_HOLIDAYS(hours=hours, country=self.holiday_country, zone=self.timezone)
        return _HOURS(hours=hours, zone=self.timezone)


@dataclass(frozen=True)
class WeekHours:
    """The open hours of a week as a value of a sentence: runs of weekdays (0 = Monday)
    with the same windows. English ``Mon-Fri 08:00-16:00; Sat 10:00-14:00``; the desk
    names the days in the reader's language."""

    groups: tuple[tuple[int, int, tuple[str, ...]], ...]

    def __bool__(self) -> bool:
        return bool(self.groups)

    def __str__(self) -> str:
        parts = []
        for first, last, windows in self.groups:
            label = WEEKDAYS[first].title()
            if last != first:
                label += f"-{WEEKDAYS[last].title()}"
            parts.append(f"{label} {', '.join(windows)}")
        return "; ".join(parts)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


_HOURS = Template("calendar.hours", "{hours} ({zone})")
_HOURS_HOLIDAYS = Template(
    "calendar.hours-holidays", "{hours}; closed on {country} public holidays ({zone})"
)
_NEVER_OPEN = Template("calendar.never-open", "never open")
_CLOSED_DATE = Template("calendar.closed-date", "closed date")


@lru_cache(maxsize=512)
def _holiday_names(country: str, year: int) -> Mapping[date, str]:
    """Public holidays of one country and year, with names in the country's language.

    Sundays are excluded on purpose: the ``holidays`` package can list every Sunday for
    Norway, but whether Sunday is open is the weekly windows' business.
    """
    import holidays as holidays_lib  # noqa: PLC0415 - lazy, see Calendar.__post_init__

    try:
        table = (
            holidays_lib.country_holidays(
                country, years=year, language=_LANGUAGE.get(country), include_sundays=False
            )
            if country == "NO"
            else holidays_lib.country_holidays(country, years=year)
        )
    except NotImplementedError:
        raise ValueError(f"unknown holiday country {country!r}") from None
    return dict(table.items())


_LANGUAGE = {"NO": "no"}
_COUNTRY_CODE = re.compile(r"""['"]([A-Z]{2})['"]""")


@lru_cache(maxsize=1)
def _registry_codes() -> frozenset[str] | None:
    """The country codes the ``holidays`` package supports, read from its registry file
    without importing the package (~150 ms, which every ``triage`` call would otherwise pay
    for calendars it never evaluates, e.g. ``triage classify``); None if it cannot be read."""
    spec = importlib.util.find_spec("holidays")
    locations = list(spec.submodule_search_locations or ()) if spec else []
    for location in locations:
        try:
            text = (Path(location) / "registry.py").read_text(encoding="utf-8")
        except OSError:
            continue
        return frozenset(_COUNTRY_CODE.findall(text))
    return None


def _known_country(country: str) -> bool:
    """Checked at load, so that a catalog naming an unknown country is refused there; the
    holiday table itself is built on first use (``_holiday_names``)."""
    codes = _registry_codes()
    if codes is not None:
        return country in codes
    try:
        _holiday_names(country, 2000)
    except ValueError:
        return False
    return True


def holidays_between(calendar: Calendar, first: date, last: date) -> list[tuple[date, str]]:
    """Closed days with windows on their weekday, for explaining a deadline that skips them."""
    result = []
    day = first
    while day <= last:
        reason = calendar.closed_reason(day) if calendar.week[day.weekday()] else None
        if reason is not None:
            result.append((day, reason))
        day += timedelta(days=1)
    return result
