"""When a claim must be made, and how much a contract lets the customer claim in a year.

Two limits govern a claim. The outer one is the contract's claim limit (overarching
agreement §8.1: no later than 12 months after the breach first occurred; ``claim_by``).
The one that matters in practice is earlier: a claim must be made *without undue delay*,
and Nettsoft's general terms give complaints about services at most 10 working days
(Pindena §14.1: 14 days). ``PromptClaim`` is that earlier date as catalog data, so the desk
counts down to it (``claim_promptly_by``) rather than to the outer limit.

``LiabilityCap`` says how much the contract lets the customer claim per year, so a claim
can be shown against it. Pure: stdlib and ``sla.*`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sla.calendar import Calendar
from sla.text import Template, Text

_WITHIN = re.compile(r"^\s*(\d{1,3})\s+(working\s+days|days)\s*$")


class ClaimFrom(StrEnum):
    """What the prompt-claim period counts from."""

    BREACH = "breach"  # the day the guarantee was missed (a response deadline passed)
    PERIOD_END = "period-end"  # the last day of the measured period (availability month)


_WITHIN_TEXT = {
    (True, ClaimFrom.BREACH): Template(
        "claim.working-days-after-breach", "{days} working days after the breach ({source})"
    ),
    (False, ClaimFrom.BREACH): Template(
        "claim.days-after-breach", "{days} days after the breach ({source})"
    ),
    (True, ClaimFrom.PERIOD_END): Template(
        "claim.working-days-after-period", "{days} working days after the period ends ({source})"
    ),
    (False, ClaimFrom.PERIOD_END): Template(
        "claim.days-after-period", "{days} days after the period ends ({source})"
    ),
}


@dataclass(frozen=True)
class PromptClaim:
    """Claim within ``days`` (working days on ``calendar`` when ``working_days``) after
    the breach or after the measured period ends; ``source`` names the clause."""

    days: int
    working_days: bool
    counts_from: ClaimFrom
    source: str
    calendar: Calendar | None = None

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"a prompt-claim period needs at least 1 day, not {self.days}")
        if self.working_days and self.calendar is None:
            raise ValueError("a period in working days needs the calendar that defines them")

    @classmethod
    def parse_within(cls, text: str) -> tuple[int, bool]:
        """``"10 working days"`` → (10, True); ``"14 days"`` → (14, False)."""
        match = _WITHIN.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a period such as '10 working days' or '14 days'")
        return int(match.group(1)), match.group(2).startswith("working")

    def describe(self) -> Text:
        """``10 working days after the breach (§2)``."""
        template = _WITHIN_TEXT[self.working_days, self.counts_from]
        return template(days=self.days, source=self.source)

    def due(self, day: date) -> date:
        """The last day to claim, ``day`` being the breach or the period's last day.

        Counting starts the day after ``day``: 10 working days after Tuesday 2026-02-03
        is Tuesday 2026-02-17 (weekends and public holidays are not working days).
        """
        if not self.working_days:
            return day + timedelta(days=self.days)
        assert self.calendar is not None
        counted, current = 0, day
        while counted < self.days:
            current += timedelta(days=1)
            if self.calendar.is_working_day(current):
                counted += 1
        return current


class CapBasis(StrEnum):
    """What a liability cap is measured in."""

    FEES = "fees"  # ``months`` months of the agreement fee (annual fee = 12)
    AMOUNT = "amount"  # a fixed amount in the contract (Pindena: the contract amount)


@dataclass(frozen=True)
class LiabilityCap:
    """The most the customer can claim from the vendor per contract year."""

    basis: CapBasis
    source: str
    months: int = 12
    amount: Decimal | None = None
    text: str = ""

    def limit(self, monthly_fee: Decimal | None) -> Decimal | None:
        """The cap in money, or None when the catalog does not know the figure."""
        if self.basis is CapBasis.AMOUNT:
            return self.amount
        if monthly_fee is None:
            return None
        return monthly_fee * self.months
