"""Response targets and the deadlines they give.

The contracts promise four kinds of response time, and each is a value here rather than a
branch scattered through the code:

* ``BusinessDuration`` — "within 60 minutes, working days 08-16": business time on the
  contract's calendar;
* ``EndOfNextWorkingDay`` — Pindena's "before the end of the next working day";
* ``Immediately`` — "omgående": paged on receipt, met within a grace period on a 24/7 clock;
* ``NoTarget`` — licences that promise nothing; response times are still measured.

Every target turns into a ``Deadline`` that carries the clock it runs on, so that
escalation points and response minutes are measured on the same clock as the deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from sla.business_time import (
    Interval,
    add_with_pauses,
    between_with_pauses,
    merge_intervals,
    timeline,
)
from sla.calendar import WEEKDAYS, Calendar
from sla.instants import duration_us, from_us, to_us
from sla.text import Minutes, Template, Text

_BUSINESS = Template("target.business-duration", "{amount} business minutes")
_NEXT_DAY = Template("target.end-of-next-working-day", "before the end of the next working day")
_IMMEDIATELY = Template("target.immediately", "immediately (met within {grace} minutes, any hour)")
_NONE = Template("target.none", "no response target (measured, never breached)")

Pause = tuple[datetime, datetime]


@dataclass(frozen=True)
class BusinessDuration:
    amount: timedelta

    def __post_init__(self) -> None:
        if self.amount <= timedelta(0):
            raise ValueError(f"response duration must be positive, got {self.amount}")

    def describe(self) -> Text:
        return _BUSINESS(amount=Minutes(self.amount))

    def code(self) -> str:
        return f"PT{_minutes(self.amount)}M"


@dataclass(frozen=True)
class EndOfNextWorkingDay:
    def describe(self) -> Text:
        return _NEXT_DAY()

    def code(self) -> str:
        return "end-of-next-working-day"


@dataclass(frozen=True)
class Immediately:
    grace: timedelta

    def __post_init__(self) -> None:
        if self.grace <= timedelta(0):
            raise ValueError(f"grace for an immediate response must be positive, got {self.grace}")

    def describe(self) -> Text:
        return _IMMEDIATELY(grace=Minutes(self.grace))

    def code(self) -> str:
        return f"immediately+PT{_minutes(self.grace)}M"


@dataclass(frozen=True)
class NoTarget:
    def describe(self) -> Text:
        return _NONE()

    def code(self) -> None:
        return None


ResponseTarget = BusinessDuration | EndOfNextWorkingDay | Immediately | NoTarget


def _minutes(amount: timedelta) -> str:
    return str(Minutes(amount))


@lru_cache(maxsize=64)
def always_open(timezone: str) -> Calendar:
    """A 24/7 clock in a zone: what "immediately" and real elapsed time run on."""
    return Calendar.from_hours("always", timezone, {day: ["00:00-24:00"] for day in WEEKDAYS})


@dataclass(frozen=True)
class Deadline:
    """When a ticket's clock started, when response is due, and the clock that decides it.

    ``budget`` is the business time from ``clock_starts`` to ``due`` on ``clock`` without
    pauses; escalation points are fractions of it.
    """

    target: ResponseTarget
    received: datetime
    clock_starts: datetime
    due: datetime | None
    budget: timedelta | None
    clock: Calendar
    pauses: tuple[Pause, ...] = ()

    def merged_pauses(self) -> list[Interval]:
        return merge_intervals((to_us(a), to_us(b)) for a, b in self.pauses)

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Business time on this deadline's clock, less its pauses."""
        used = between_with_pauses(
            timeline(self.clock), to_us(start), to_us(end), self.merged_pauses()
        )
        return timedelta(microseconds=used)

    def after_budget(self, spent: timedelta) -> datetime:
        """The instant ``spent`` of the budget has been used (pauses respected)."""
        line = timeline(self.clock)
        start = to_us(self.clock_starts)
        return from_us(
            add_with_pauses(line, start, duration_us(spent), self.merged_pauses()), self.clock.zone
        )


def compute_deadline(
    target: ResponseTarget,
    calendar: Calendar,
    received: datetime,
    pauses: Sequence[Pause] = (),
) -> Deadline:
    """The deadline for a ticket received at ``received`` (an aware datetime).

    A ticket received outside the calendar's windows starts its clock when the next window
    opens (CONTRACTS.md §1 reading); pauses stop the clock and push the deadline out.
    """
    pause_tuple = tuple(pauses)
    merged = merge_intervals((to_us(a), to_us(b)) for a, b in pause_tuple) if pause_tuple else []
    zone = calendar.zone
    start_us = to_us(received)
    if isinstance(target, Immediately):
        clock = always_open(calendar.timezone)
        line = timeline(clock)
        budget_us = duration_us(target.grace)
        clock_start_us = start_us
    else:
        clock = calendar
        line = timeline(calendar)
        clock_start_us = line.next_open(start_us)
        if isinstance(target, BusinessDuration):
            budget_us = duration_us(target.amount)
        elif isinstance(target, EndOfNextWorkingDay):
            budget_us = line.between(clock_start_us, line.end_of_next_working_day(start_us))
        else:
            return Deadline(
                target, received, from_us(clock_start_us, zone), None, None, clock, pause_tuple
            )
    if merged:
        due_us = add_with_pauses(line, clock_start_us, budget_us, merged)
    else:
        due_us = line.add(clock_start_us, budget_us)
    return Deadline(
        target,
        received,
        from_us(clock_start_us, zone),
        from_us(due_us, zone),
        timedelta(microseconds=budget_us),
        clock,
        pause_tuple,
    )


def due_instant(target: ResponseTarget, calendar: Calendar, received: datetime) -> datetime | None:
    """Only the deadline, without pauses: the hot path for recomputing many tickets.

    Adding business time from the receipt gives the same instant as adding it from the
    clock start, because closed time adds nothing; so one bisection does the work.
    """
    zone = calendar.zone
    if isinstance(target, BusinessDuration):
        return from_us(timeline(calendar).add(to_us(received), duration_us(target.amount)), zone)
    if isinstance(target, EndOfNextWorkingDay):
        return from_us(timeline(calendar).end_of_next_working_day(to_us(received)), zone)
    if isinstance(target, Immediately):
        return received.astimezone(zone) + target.grace
    return None


class Outcome(StrEnum):
    """Where a ticket stands against its deadline."""

    MET = "met"
    BREACHED = "breached"
    OPEN = "open"
    NO_TARGET = "no-target"


def judge(due: datetime | None, responded_at: datetime | None, now: datetime) -> Outcome:
    """Met when response came at or before the deadline; breached when it came later, or has
    not come and the deadline has passed; open while there is still time. The one rule the
    queue, the report and the escalation jobs all use."""
    if due is None:
        return Outcome.NO_TARGET
    if responded_at is not None:
        return Outcome.MET if responded_at <= due else Outcome.BREACHED
    return Outcome.BREACHED if now > due else Outcome.OPEN


def response_time(deadline: Deadline, responded_at: datetime) -> timedelta:
    """Business time from receipt to response on the deadline's own clock, less pauses.

    Measured from receipt, not from ``clock_starts``: time outside the windows is not
    business time anyway, so both give the same figure.
    """
    return deadline.business_time(deadline.received, responded_at)
