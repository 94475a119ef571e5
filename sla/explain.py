"""Deadlines with their reasons: what the ``triage sla deadline`` command and the ticket
page show. Every result carries the notes that decided it, so an agent or a manager can
see *why* a deadline is where it is without reading the contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sla.calendar import holidays_between
from sla.contract import Contract, Terms
from sla.severity import Severity
from sla.targets import Deadline, EndOfNextWorkingDay, Immediately, NoTarget


@dataclass(frozen=True)
class ExplainedDeadline:
    contract: Contract
    severity: Severity
    deadline: Deadline
    target: str | None
    notes: tuple[str, ...]


def explain_deadline(
    contract: Contract, severity: Severity, received: datetime
) -> ExplainedDeadline:
    terms = contract.terms_at(received)
    rule = terms.response[severity]
    deadline = contract.deadline(severity, received)
    calendar = terms.calendar
    notes = [f"{severity.value}: {rule.target.describe()} ({rule.source})"]
    if not isinstance(rule.target, Immediately):
        notes.append(f"clock: {calendar.describe()}")
    local = received.astimezone(calendar.zone)
    if deadline.clock_starts > received and not isinstance(rule.target, NoTarget):
        starts = deadline.clock_starts.astimezone(calendar.zone)
        notes.append(
            f"received {local:%A %Y-%m-%d %H:%M} outside the calendar's open hours: "
            f"the clock starts when the next window opens, {starts:%A %Y-%m-%d %H:%M}"
        )
    if isinstance(rule.target, EndOfNextWorkingDay) and deadline.due is not None:
        notes.append(
            f"next working day after {local:%Y-%m-%d} is {deadline.due.astimezone(calendar.zone):%A %Y-%m-%d}"
        )
    if deadline.due is not None and not isinstance(rule.target, Immediately):
        due_local = deadline.due.astimezone(calendar.zone)
        for day, reason in holidays_between(calendar, local.date(), due_local.date()):
            notes.append(f"closed on {day:%A %Y-%m-%d}: {reason}")
        if local.utcoffset() != due_local.utcoffset():
            notes.append(
                "the clocks changed (daylight saving) between receipt and deadline; "
                "opening hours are wall-clock times, so an 08:00-16:00 day is still 8 hours"
            )
    notes += contract.notes_about(received, "response")
    notes += _alternative_notes(terms, severity, received, deadline.due)
    return ExplainedDeadline(
        contract=contract,
        severity=severity,
        deadline=deadline,
        target=rule.target.code(),
        notes=tuple(notes),
    )


def _alternative_notes(
    terms: Terms, severity: Severity, received: datetime, due: datetime | None
) -> list[str]:
    """A note for each alternative reading that would move the deadline."""
    notes = []
    rule = terms.response[severity]
    for alternative in terms.alternatives:
        if not alternative.applies(severity):
            continue
        other = alternative.due(rule.target, terms.calendar, received)
        if other == due:
            continue
        where = (
            "there would be no deadline"
            if other is None
            else f"the deadline would be {other.astimezone(terms.calendar.zone).isoformat()}"
        )
        notes.append(
            f"alternative reading ({alternative.text}; favours the {alternative.favours.value}, "
            f"{alternative.source}): {where} instead of the chosen reading "
            f"'{alternative.reading}'"
        )
    return notes
