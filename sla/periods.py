"""Billing periods (quarters, months) and the date arithmetic of claims."""

from __future__ import annotations

import calendar as _stdcal
import re
from dataclasses import dataclass
from datetime import date

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class Period:
    """A billing period of ``months`` months (3 = quarter, 1 = month); ``index`` counts
    from 1 within the year."""

    year: int
    index: int
    months: int = 3

    def __post_init__(self) -> None:
        if self.months not in (1, 3, 6, 12):
            raise ValueError(f"billing period of {self.months} months is not supported")
        if not 1 <= self.index <= 12 // self.months:
            raise ValueError(
                f"period index {self.index} out of range for {self.months}-month periods"
            )

    @classmethod
    def quarter(cls, text: str) -> Period:
        match = _QUARTER.match(text)
        if not match:
            raise ValueError(f"quarter {text!r} is not of the form YYYYQn (e.g. 2026Q1)")
        return cls(int(match.group(1)), int(match.group(2)), 3)

    @classmethod
    def month(cls, text: str) -> Period:
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"month {text!r} is not of the form YYYY-MM (e.g. 2026-03)")
        return cls(int(match.group(1)), int(match.group(2)), 1)

    @classmethod
    def containing(cls, day: date, months: int) -> Period:
        return cls(day.year, (day.month - 1) // months + 1, months)

    @property
    def first_day(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def last_day(self) -> date:
        month = self.index * self.months
        return date(self.year, month, _stdcal.monthrange(self.year, month)[1])

    def next(self) -> Period:
        per_year = 12 // self.months
        if self.index == per_year:
            return Period(self.year + 1, 1, self.months)
        return Period(self.year, self.index + 1, self.months)

    @property
    def label(self) -> str:
        if self.months == 3:
            return f"{self.year}Q{self.index}"
        if self.months == 1:
            return f"{self.year}-{self.index:02d}"
        if self.months == 6:
            return f"{self.year}H{self.index}"
        return str(self.year)

    def __str__(self) -> str:
        return self.label


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (29 Feb + 12 months = 28 Feb):
    a claim limit "12 months after" cannot fall on a day that does not exist."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
