"""A ticket's SLA state, derived from its facts and the contract terms in force.

Stored on the ticket for fast queries, but always recomputable from the events: this is
the one function that derives it, used by intake, import, reclassification and
``triage sla recompute`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sla.contract import Contract
from sla.severity import Severity
from sla.targets import Deadline, Pause, response_time


@dataclass(frozen=True)
class SlaState:
    terms_valid_from: date
    clock_starts_at: datetime
    due_at: datetime | None
    response_seconds: float | None  # business seconds from receipt to response, less pauses
    #: The deadline these were derived from: the escalation ladder is planned on it, so a
    #: new ticket's deadline is computed once, not again for its ladder.
    deadline: Deadline | None = field(default=None, compare=False, repr=False)


def derive_sla_state(
    contract: Contract,
    severity: Severity,
    received_at: datetime,
    responded_at: datetime | None,
    pauses: tuple[Pause, ...] = (),
) -> SlaState:
    terms = contract.terms_at(received_at)
    deadline = contract.deadline(severity, received_at, pauses)
    seconds = None
    if responded_at is not None:
        seconds = response_time(deadline, max(responded_at, received_at)).total_seconds()
    return SlaState(
        terms_valid_from=terms.valid_from,
        clock_starts_at=deadline.clock_starts,
        due_at=deadline.due,
        response_seconds=seconds,
        deadline=deadline,
    )
