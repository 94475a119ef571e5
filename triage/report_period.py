"""The period a manager's report covers, and how its charts are bucketed.

A period is a month (``2026-03``), a quarter (``2026Q1``) or a custom range of local days;
without one it is the current quarter. Tickets count in the period of the local date they
were received on (``triage.report.day_bounds``), exactly as ``triage report --from --to``.

Pure: "today" is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from sla.periods import Period, add_months
from sla.text import Listing, Template

MAX_CUSTOM_DAYS = 5 * 366
"""A custom range longer than this is refused (a report is read, not a data export)."""

MIN_YEAR, MAX_YEAR = 1900, 2999
"""Years a period may lie in (keeps every date sum away from ``date.max``)."""

WEEKLY_UP_TO_DAYS = 92
"""Periods up to a quarter are charted per week; longer ones per month."""

RESPONSE_BUCKETS = (15, 30, 60, 120, 240, 480, 960)
"""Upper bounds (business minutes) of the response-time distribution's buckets."""

_PERIOD_LABEL = re.compile(r"^(\d{4})(?:Q([1-4])|-(\d{2})|H([12]))?$")


class PeriodError(ValueError):
    """The period asked for cannot be used; the message (``args[0]``, a ``Text``) says why,
    shown in the reader's language (``web.i18n.note``)."""


YEARS = Template("period.years", "the period must lie between the years {first} and {last}")
SEVERAL = Template("period.several", "choose one period, not several: {given}")
MONTH_FORM = Template(
    "period.month-form", "month {month!r} is not of the form YYYY-MM (e.g. 2026-03)"
)
QUARTER_FORM = Template(
    "period.quarter-form", "quarter {quarter!r} is not of the form YYYYQn (e.g. 2026Q1)"
)
BOTH_DAYS = Template("period.both-days", "a custom period needs both a from and a to date")
TO_BEFORE_FROM = Template("period.to-before-from", "the to date is before the from date")
TOO_LONG = Template("period.too-long", "the period is longer than {days} days")
NOT_A_DAY = {
    "from": Template("period.from-not-a-date", "from date {text!r} is not a date (YYYY-MM-DD)"),
    "to": Template("period.to-not-a-date", "to date {text!r} is not a date (YYYY-MM-DD)"),
}


@dataclass(frozen=True)
class ReportPeriod:
    first: date
    last: date
    label: str
    params: tuple[tuple[str, str], ...]  # the query that asks for this period again

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def months(self) -> list[Period]:
        """Every calendar month the period touches."""
        months = []
        month = Period.containing(self.first, 1)
        while month.first_day <= self.last:
            months.append(month)
            month = month.next()
        return months


def report_period(
    today: date,
    month: str | None = None,
    quarter: str | None = None,
    first: str | None = None,
    last: str | None = None,
) -> ReportPeriod:
    """The period of ``?month=``, ``?quarter=`` or ``?from=&to=`` (empty = not given);
    none of them = the quarter ``today`` is in. Raises ``PeriodError``."""
    try:
        period = _report_period(today, month, quarter, first, last)
    except PeriodError:
        raise
    except ValueError:  # a year no calendar date has (0000-01)
        raise _years() from None
    if not (period.first.year >= MIN_YEAR and period.last.year <= MAX_YEAR):
        raise _years()
    return period


def _report_period(
    today: date, month: str | None, quarter: str | None, first: str | None, last: str | None
) -> ReportPeriod:
    month, quarter, first, last = (_blank(v) for v in (month, quarter, first, last))
    given = [name for name, v in (("month", month), ("quarter", quarter)) if v]
    if first or last:
        given.append("from/to")
    if len(given) > 1:
        raise PeriodError(SEVERAL(given=Listing(tuple(given), ", ")))
    if month:
        try:
            period = Period.month(month)
        except ValueError:
            raise PeriodError(MONTH_FORM(month=month)) from None
        return ReportPeriod(period.first_day, period.last_day, period.label, (("month", month),))
    if first or last:
        if not (first and last):
            raise PeriodError(BOTH_DAYS())
        start, end = _day("from", first), _day("to", last)
        if end < start:
            raise PeriodError(TO_BEFORE_FROM())
        if (end - start).days + 1 > MAX_CUSTOM_DAYS:
            raise PeriodError(TOO_LONG(days=MAX_CUSTOM_DAYS))
        return ReportPeriod(
            start, end, f"{start.isoformat()} – {end.isoformat()}", (("from", first), ("to", last))
        )
    if quarter:
        try:
            period = Period.quarter(quarter)
        except ValueError:
            raise PeriodError(QUARTER_FORM(quarter=quarter)) from None
    else:
        period = Period.containing(today, 3)
    return ReportPeriod(
        period.first_day, period.last_day, period.label, (("quarter", period.label),)
    )


def billing_period(label: str, months: int) -> Period:
    """The billing period a label names (``2026Q1``, ``2026-03``, ``2026H1``, ``2026``),
    which must be one of ``months`` months. Raises ``ValueError``."""
    match = _PERIOD_LABEL.match(label.strip())
    if not match:
        raise ValueError(f"{label!r} is not a billing period")
    year = int(match.group(1))
    quarter, month, half = match.group(2), match.group(3), match.group(4)
    found = (
        Period(year, int(quarter), 3)
        if quarter
        else Period(year, int(month), 1)
        if month
        else Period(year, int(half), 6)
        if half
        else Period(year, 1, 12)
    )
    if found.months != months:
        raise ValueError(f"{label!r} is not a period of {months} months")
    return found


def claim_lookback_start(today: date, claim_limit_months: int) -> date:
    """1 January of the year the claim limit reaches back to: every billing period (1, 3,
    6 or 12 months, aligned on the year) whose claim may still be open starts on or after
    it, and none is cut in two."""
    return date(add_months(today, -claim_limit_months).year, 1, 1)


@dataclass(frozen=True)
class Bucket:
    first: date
    last: date
    label: str


def chart_buckets(period: ReportPeriod) -> list[Bucket]:
    """ISO weeks (Monday–Sunday, clipped to the period) for periods up to a quarter,
    calendar months (clipped) for longer ones."""
    buckets = []
    if period.days <= WEEKLY_UP_TO_DAYS:
        start = period.first
        while start <= period.last:
            end = min(start + timedelta(days=6 - start.weekday()), period.last)
            week = start.isocalendar()
            buckets.append(Bucket(start, end, f"uke {week.week}"))
            start = end + timedelta(days=1)
        return buckets
    for month in period.months():
        buckets.append(
            Bucket(
                max(month.first_day, period.first), min(month.last_day, period.last), month.label
            )
        )
    return buckets


def count_per_bucket(days: Iterable[date], buckets: Sequence[Bucket]) -> list[int]:
    """How many of ``days`` fall in each bucket (days outside every bucket are ignored)."""
    counts = [0] * len(buckets)
    for day in days:
        for i, bucket in enumerate(buckets):
            if bucket.first <= day <= bucket.last:
                counts[i] += 1
                break
    return counts


def response_distribution(
    minutes: Iterable[float], bounds: Sequence[int] = RESPONSE_BUCKETS
) -> list[tuple[str, int]]:
    """Response times in buckets ``[0, b1)``, ``[b1, b2)``, ..., ``[bn, ∞)`` minutes."""
    labels = [f"< {bounds[0]} min"]
    labels += [f"{low}–{high} min" for low, high in pairwise(bounds)]
    labels.append(f"≥ {bounds[-1]} min")
    counts = [0] * len(labels)
    for value in minutes:
        index = next((i for i, bound in enumerate(bounds) if value < bound), len(bounds))
        counts[index] += 1
    return list(zip(labels, counts, strict=True))


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _day(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(NOT_A_DAY[name](text=text)) from None


def _years() -> PeriodError:
    """The years as written (a year is no amount: ``1900``, not ``1 900``)."""
    return PeriodError(YEARS(first=str(MIN_YEAR), last=str(MAX_YEAR)))
