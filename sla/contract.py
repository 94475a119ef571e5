"""Vendor contracts and their versioned terms, as the catalog describes them.

Identity (who the vendor is, how its tickets are recognised, where to hand them off)
stays put; *terms* change over time and carry a valid-from date, so a ticket is always
judged by the terms in force on the local date it was received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sla.availability import AvailabilityTerms
from sla.calendar import Calendar
from sla.claims import LiabilityCap
from sla.escalation import Ladder
from sla.penalty import FeeFormula, PenaltyRule
from sla.readings import Alternative, ReadingCheck, check_readings
from sla.severity import Severity
from sla.targets import Deadline, Pause, ResponseTarget, compute_deadline
from sla.text import Template

NO_TERMS = Template(
    "contract.no-terms",
    "contract {contract!r} has no terms in force on {day} (first valid from {first})",
)


@dataclass(frozen=True)
class Note:
    """A reading or remark shown wherever it decides a result.

    ``about`` says which results it explains: "response", "penalty", "availability",
    "classification", "routing", "hand-off", "claim" or "general".
    """

    about: str
    text: str
    text_nb: str | None = None  # the same note in Norwegian bokmål, for the web desk


@dataclass(frozen=True)
class ResponseRule:
    """A target with the clause it comes from; ``ladder`` overrides the terms' default
    ladder (critical hosted faults page on receipt, other tickets at 50 % of budget)."""

    target: ResponseTarget
    source: str
    ladder: Ladder | None = None


@dataclass(frozen=True)
class Terms:
    valid_from: date
    calendar: Calendar
    response: Mapping[Severity, ResponseRule]
    ladder: Ladder | None = None
    forward_by: ResponseRule | None = None  # the desk's own deadline to report to the vendor
    fee: FeeFormula | None = None
    penalty: PenaltyRule | None = None
    availability: AvailabilityTerms | None = None
    notes: tuple[Note, ...] = ()
    alternatives: tuple[Alternative, ...] = ()  # readings a party could argue instead

    def notes_about(self, *topics: str) -> list[str]:
        return [note.text for note in self.notes if note.about in topics]

    def ladder_for(self, severity: Severity) -> Ladder | None:
        return self.response[severity].ladder or self.ladder


@dataclass(frozen=True)
class Recognition:
    """How tickets are tied to the contract: recipient/sender addresses and domains, and
    service keywords."""

    addresses: tuple[str, ...] = ()
    sender_domains: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    id: str
    vendor: str
    service: str
    source: str
    terms: tuple[Terms, ...]
    short_name: str = ""  # the label an SMS has room for ("MBN", "MS365")
    recognition: Recognition = field(default_factory=Recognition)
    support_email: str | None = None
    support_phone: str | None = None
    fault_report_contents: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    liability_cap: LiabilityCap | None = None

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError(f"contract {self.id!r} has no terms")
        dates = [t.valid_from for t in self.terms]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError(
                f"contract {self.id!r}: terms must have distinct valid_from dates in order"
            )

    def terms_at(self, received: datetime) -> Terms:
        """The terms in force on the local date of ``received`` (in the contract's zone)."""
        return self.terms_at_date(received.astimezone(self.terms[0].calendar.zone).date())

    def terms_at_date(self, day: date) -> Terms:
        in_force = [t for t in self.terms if t.valid_from <= day]
        if not in_force:
            raise ValueError(NO_TERMS(contract=self.id, day=day, first=self.terms[0].valid_from))
        return in_force[-1]

    def deadline(
        self, severity: Severity, received: datetime, pauses: tuple[Pause, ...] = ()
    ) -> Deadline:
        terms = self.terms_at(received)
        return compute_deadline(terms.response[severity].target, terms.calendar, received, pauses)

    def notes_about(self, received: datetime, *topics: str) -> list[str]:
        """Contract-wide and version notes on ``topics``, for the terms in force then."""
        own = [note.text for note in self.notes if note.about in topics]
        return own + self.terms_at(received).notes_about(*topics)

    def check_readings(
        self,
        severity: Severity,
        received: datetime,
        due: datetime | None,
        responded_at: datetime | None,
        now: datetime,
    ) -> ReadingCheck:
        """Whether the outcome holds under the alternative readings of the terms then."""
        terms = self.terms_at(received)
        return check_readings(
            terms.alternatives,
            terms.response[severity].target,
            terms.calendar,
            severity,
            received,
            due,
            responded_at,
            now,
        )
