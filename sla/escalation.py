"""Escalation ladders as data: points on a ticket's response budget and who is paged.

A ladder such as "50 % and 80 % of the budget to the on-call engineer, due and 30 minutes
after due to a manager" is catalog data. This module only turns it into instants for one
deadline; the workers schedule and send, and re-check the ticket when a point fires.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction

from sla.targets import Deadline


@dataclass(frozen=True)
class LadderPoint:
    """One rung: either a fraction of the budget (0 = on receipt, 1 = due) or a wall-clock
    delay after the deadline, paging roster ``level`` (1 on-call, 2 manager, ...)."""

    name: str
    level: int
    budget_fraction: Fraction | None = None
    after_due: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.budget_fraction is None) == (self.after_due is None):
            raise ValueError(
                f"ladder point {self.name!r} needs exactly one of a budget fraction or a delay after due"
            )
        if self.budget_fraction is not None and not 0 <= self.budget_fraction <= 1:
            raise ValueError(
                f"ladder point {self.name!r}: budget fraction must be between 0 % and 100 %"
            )
        if self.after_due is not None and self.after_due < timedelta(0):
            raise ValueError(f"ladder point {self.name!r}: delay after due must not be negative")
        if self.level < 1:
            raise ValueError(f"ladder point {self.name!r}: level must be 1 or more")


@dataclass(frozen=True)
class Ladder:
    """``repeats``: when nobody acknowledges, the whole ladder runs again this many times,
    each round starting ``repeat_every`` after the previous round's last point (an ACK
    stops the pending rounds at the acknowledging level, like any pending point)."""

    name: str
    points: tuple[LadderPoint, ...]
    repeats: int = 0
    repeat_every: timedelta | None = None

    def __post_init__(self) -> None:
        names = [p.name for p in self.points]
        if len(set(names)) != len(names):
            raise ValueError(f"ladder {self.name!r} repeats a point name")
        if self.repeats < 0:
            raise ValueError(f"ladder {self.name!r}: repeats must not be negative")
        if self.repeats and (self.repeat_every is None or self.repeat_every <= timedelta(0)):
            raise ValueError(f"ladder {self.name!r}: repeating needs a positive interval")


@dataclass(frozen=True)
class EscalationPoint:
    point: LadderPoint
    at: datetime


def escalation_schedule(ladder: Ladder, deadline: Deadline) -> list[EscalationPoint]:
    """The instants the ladder's points fall on for this deadline, in time order.

    Budget fractions are spent on the deadline's own clock (so 50 % of a 60-minute office
    hours budget received Friday 15:45 falls on Monday), rounded down to the microsecond;
    delays after due are real time, because a missed deadline is news at any hour.
    A ticket without a target is never escalated.
    """
    if deadline.due is None or deadline.budget is None:
        return []
    result = []
    for point in ladder.points:
        if point.budget_fraction is not None:
            spent = (
                deadline.budget
                * point.budget_fraction.numerator
                // point.budget_fraction.denominator
            )
            at = deadline.due if point.budget_fraction == 1 else deadline.after_budget(spent)
        else:
            assert point.after_due is not None
            at = deadline.due + point.after_due
        result.append(EscalationPoint(point, at))
    result.sort(key=lambda p: p.at)
    if not ladder.repeats or not result:
        return result
    assert ladder.repeat_every is not None
    span = result[-1].at - result[0].at + ladder.repeat_every
    rounds = [
        EscalationPoint(replace(p.point, name=f"{p.point.name}_{n + 1}"), p.at + n * span)
        for n in range(1, ladder.repeats + 1)
        for p in result
    ]
    return sorted(result + rounds, key=lambda p: p.at)
