"""Alternative readings of a contract, and whether a breach depends on the chosen one.

Several readings decide outcomes and a vendor (or the customer) could contest them:
"virkedag" read as Monday–Friday where statutory usage counts Saturday; §3.12/§3.13's
"within 4 hours" read on the office-hours clock; Pindena's promise read as covering the
problem at hand. The catalog keeps the chosen reading and declares each alternative as
data (another clock, another target). Evaluating a ticket under every alternative says
whether its breach is *solid* (a breach under every reading) or *depends on a reading*
(and which), and which tickets would be breaches under an alternative that favours the
customer. Pure: stdlib and ``sla.*`` only; the current time is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sla.calendar import Calendar
from sla.severity import Severity
from sla.targets import Outcome, ResponseTarget, compute_deadline, judge


class Favours(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"


@dataclass(frozen=True)
class Alternative:
    """Another reading of one response term: ``calendar`` and/or ``target`` replace the
    chosen ones for ``severities``. ``reading`` names the chosen reading the alternative
    contests ("virkedag = Monday–Friday"); ``text`` says what the alternative is."""

    reading: str
    text: str
    favours: Favours
    severities: frozenset[Severity]
    source: str
    calendar: Calendar | None = None
    target: ResponseTarget | None = None

    def __post_init__(self) -> None:
        if self.calendar is None and self.target is None:
            raise ValueError("an alternative reading needs another calendar or another target")

    def applies(self, severity: Severity) -> bool:
        return severity in self.severities

    def due(
        self, target: ResponseTarget, calendar: Calendar, received: datetime
    ) -> datetime | None:
        """The deadline under this reading (no pauses: a contested clock is read plain)."""
        return compute_deadline(self.target or target, self.calendar or calendar, received).due


@dataclass(frozen=True)
class ReadingCheck:
    """How a ticket fares under the alternatives of its terms.

    ``depends_on``: chosen readings without which the breach would not be a breach.
    ``breach_under``: alternatives (favouring the customer) under which a ticket that is
    not a breach under the chosen readings would be one.
    """

    outcome: Outcome
    depends_on: tuple[str, ...] = ()
    breach_under: tuple[str, ...] = ()

    @property
    def solid(self) -> bool:
        return self.outcome is Outcome.BREACHED and not self.depends_on

    @property
    def status(self) -> str | None:
        """ "solid" or "depends-on-reading" for a breach, else None."""
        if self.outcome is not Outcome.BREACHED:
            return None
        return "solid" if not self.depends_on else "depends-on-reading"


def check_readings(
    alternatives: Sequence[Alternative],
    target: ResponseTarget,
    calendar: Calendar,
    severity: Severity,
    received: datetime,
    due: datetime | None,
    responded_at: datetime | None,
    now: datetime,
) -> ReadingCheck:
    """The outcome under the chosen readings (``due``) and under each alternative."""
    outcome = judge(due, responded_at, now)
    depends: list[str] = []
    under: list[str] = []
    for alternative in alternatives:
        if not alternative.applies(severity):
            continue
        other = judge(alternative.due(target, calendar, received), responded_at, now)
        if outcome is Outcome.BREACHED and other is not Outcome.BREACHED:
            depends.append(alternative.reading)
        elif (
            outcome is not Outcome.BREACHED
            and other is Outcome.BREACHED
            and alternative.favours is Favours.CUSTOMER
        ):
            under.append(alternative.text)
    return ReadingCheck(outcome, tuple(depends), tuple(under))
