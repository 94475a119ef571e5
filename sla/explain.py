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
from sla.text import Instant, Template, Text

RULE = Template("explain.rule", "{severity}: {target} ({source})")
_CLOCK = Template("explain.clock", "clock: {calendar}")
_OUTSIDE_HOURS = Template(
    "explain.outside-hours",
    "received {received:%A %Y-%m-%d %H:%M} outside the calendar's open hours: "
    "the clock starts when the next window opens, {starts:%A %Y-%m-%d %H:%M}",
)
_NEXT_WORKING_DAY = Template(
    "explain.next-working-day", "next working day after {received:%Y-%m-%d} is {due:%A %Y-%m-%d}"
)
_CLOSED = Template("explain.closed", "closed on {day:%A %Y-%m-%d}: {reason}")
_DST = Template(
    "explain.dst",
    "the clocks changed (daylight saving) between receipt and deadline; "
    "opening hours are wall-clock times, so an 08:00-16:00 day is still 8 hours",
)
_ALTERNATIVE = Template(
    "explain.alternative",
    "alternative reading ({text}; favours the {favours}, {source}): {where} instead of the "
    "chosen reading '{reading}'",
)
_NO_DEADLINE = Template("explain.alternative.no-deadline", "there would be no deadline")
_OTHER_DEADLINE = Template("explain.alternative.deadline", "the deadline would be {due}")
_FAVOURS = {
    "customer": Template("explain.favours.customer", "customer"),
    "vendor": Template("explain.favours.vendor", "vendor"),
}


@dataclass(frozen=True)
class ExplainedDeadline:
    contract: Contract
    severity: Severity
    deadline: Deadline
    target: str | None
    notes: tuple[str, ...]  # ``Text`` where the core wrote them, catalog notes as written


def explain_deadline(
    contract: Contract, severity: Severity, received: datetime
) -> ExplainedDeadline:
    terms = contract.terms_at(received)
    rule = terms.response[severity]
    deadline = contract.deadline(severity, received)
    calendar = terms.calendar
    notes: list[str] = [rule_text(severity, rule.target.describe(), rule.source)]
    if not isinstance(rule.target, Immediately):
        notes.append(_CLOCK(calendar=calendar.describe()))
    local = received.astimezone(calendar.zone)
    if deadline.clock_starts > received and not isinstance(rule.target, NoTarget):
        starts = deadline.clock_starts.astimezone(calendar.zone)
        notes.append(_OUTSIDE_HOURS(received=local, starts=starts))
    if isinstance(rule.target, EndOfNextWorkingDay) and deadline.due is not None:
        notes.append(
            _NEXT_WORKING_DAY(
                received=local.date(), due=deadline.due.astimezone(calendar.zone).date()
            )
        )
    if deadline.due is not None and not isinstance(rule.target, Immediately):
        due_local = deadline.due.astimezone(calendar.zone)
        for day, reason in holidays_between(calendar, local.date(), due_local.date()):
            notes.append(_CLOSED(day=day, reason=reason))
        if local.utcoffset() != due_local.utcoffset():
            notes.append(_DST())
    notes += contract.notes_about(received, "response")
    notes += _alternative_notes(terms, severity, received, deadline.due)
    return ExplainedDeadline(
        contract=contract,
        severity=severity,
        deadline=deadline,
        target=rule.target.code(),
        notes=tuple(notes),
    )


def rule_text(severity: Severity, target: Text, source: str) -> Text:
    """``non-critical: 60 business minutes (004 §2.6)``: a response rule with its clause."""
    return RULE(severity=severity, target=target, source=source)


def _alternative_notes(
    terms: Terms, severity: Severity, received: datetime, due: datetime | None
) -> list[str]:
    """A note for each alternative reading that would move the deadline."""
    notes: list[str] = []
    rule = terms.response[severity]
    for alternative in terms.alternatives:
        if not alternative.applies(severity):
            continue
        other = alternative.due(rule.target, terms.calendar, received)
        if other == due:
            continue
        where = (
            _NO_DEADLINE()
            if other is None
            else _OTHER_DEADLINE(due=Instant(other.astimezone(terms.calendar.zone)))
        )
        notes.append(
            _ALTERNATIVE(
                text=alternative.text,
                favours=_FAVOURS[alternative.favours.value](),
                source=alternative.source,
                where=where,
                reading=alternative.reading,
            )
        )
    return notes
