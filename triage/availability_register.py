"""Monthly availability from the outage register (the ``outages`` table).

``sla.availability.month_availability`` does the arithmetic (core time, threshold,
maintenance, exclusions by cause, credit tiers) exactly as ``triage sla uptime``; this module
only turns register entries into its ``Outage`` values:

- an entry marked *excluded* by a manager does not count, and the note says so with the
  recorded reason (customer's equipment, force majeure, ...);
- every other entry is an outage whose cause is the recorded cause, so a cause the terms
  exclude (``third-party``) or planned maintenance is judged by the contract's own rules.

The service's total user count decides the downtime threshold only for services with
fewer users than the threshold (§3.6 6.1). When the manager gives none, the month is
computed with the smallest count consistent with the register: the threshold itself, or
the most users an outage affected if that is more; the notes say so.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sla.availability import (
    MonthAvailability,
    MonthSoFar,
    Outage,
    month_availability,
    month_so_far,
)
from sla.contract import Contract
from sla.periods import Period
from sla.text import Instant, Listing, Template, Text
from triage.report import day_bounds

# The register's sentences (``sla.text``): English for the CLI, translated on the desk.
_USERS_ASSUMED = Template(
    "register.users-assumed",
    "the service's user count was not given: computed with {users} users (downtime counts "
    "from {need} affected users when the service has at least {need}); give the count for "
    "a service with fewer users",
)
_UNKNOWN_CAUSE = Template(
    "register.unknown-cause",
    "outage {start}: cause {cause!r} is not one of the contract's cause words ({known}), so "
    "it counts as unplanned downtime",
)
_EXCLUDED = Template(
    "register.excluded",
    "outage {start} – {end} ({affected} users): not counted, excluded in the outage "
    "register: {reason}",
)
_EXCLUDED_NO_REASON = Template(
    "register.excluded-no-reason",
    "outage {start} – {end} ({affected} users): not counted, excluded in the outage "
    "register: no reason recorded",
)
_LIVE = Template(
    "register.live", "live: measured up to {now}; outages still going on count until then"
)


@dataclass(frozen=True)
class RecordedOutage:
    """One entry of the outage register."""

    id: int
    contract_id: str
    starts_at: datetime
    ends_at: datetime
    affected_users: int
    cause: str
    excluded: bool
    exclusion_reason: str | None
    recorded_by: str = ""
    created_at: datetime | None = None
    announced_at: datetime | None = None
    accepted_at: datetime | None = None
    objected_at: datetime | None = None
    ongoing: bool = False  # monitoring has not seen it end: ``ends_at`` is "now"
    source: str = "manual"  # manual | alertmanager | webhook | probe


@dataclass(frozen=True)
class MonthFigures:
    contract_id: str
    month: Period
    users: int
    users_given: bool
    result: MonthAvailability | None  # None when ``error`` says why it cannot be computed
    error: str | None
    notes: tuple[str, ...]
    so_far: MonthSoFar | None = None  # the month still running: up to "now" (live)


def month_figures(
    contract: Contract,
    month: Period,
    users: int | None,
    register: Sequence[RecordedOutage],
    now: datetime | None = None,
) -> MonthFigures | None:
    """The month's availability of ``contract`` from the register entries that overlap it
    (others are ignored); None when the terms of that month guarantee no availability.

    With ``now`` inside the month, ``so_far`` is the month up to now (live availability:
    outages still going on count until now, as the register gives them)."""
    terms = contract.terms_at_date(month.first_day)
    guarantee = terms.availability
    if guarantee is None:
        return None
    zone = guarantee.core_time.zone
    start, end = day_bounds(month.first_day, month.last_day, zone)
    entries = sorted(
        (
            e
            for e in register
            if e.contract_id == contract.id and e.starts_at < end and e.ends_at > start
        ),
        key=lambda e: (e.starts_at, e.id),
    )
    counted = [e for e in entries if not e.excluded]
    assumed: list[str] = []  # ``Text``s
    given = users is not None
    if users is None:
        need = guarantee.threshold.min_users
        users = max([need, *(e.affected_users for e in counted)])
        assumed.append(_USERS_ASSUMED(users=users, need=need))
    known = guarantee.known_causes
    outages = []
    for e in counted:
        cause = e.cause.strip() or None
        if cause is not None and cause not in known:
            # The register's cause is free text too ("strømbrudd i datasenteret"): only the
            # contract's cause words decide an exclusion; anything else is downtime.
            assumed.append(
                _UNKNOWN_CAUSE(
                    start=_when(e.starts_at, zone), cause=cause, known=Listing(known, ", ")
                )
            )
            cause = None
        outages.append(
            Outage(
                e.starts_at,
                e.ends_at,
                e.affected_users,
                cause=cause,
                announced_at=e.announced_at,
                accepted_at=e.accepted_at,
                objected_at=e.objected_at,
            )
        )
    try:
        result = month_availability(guarantee, month.year, month.index, users, outages)
    except ValueError as exc:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)
        return MonthFigures(contract.id, month, users, given, None, error, tuple(assumed))
    notes = [*assumed, *result.notes]
    for entry in entries:
        if entry.excluded:
            shown = {
                "start": _when(entry.starts_at, zone),
                "end": _when(entry.ends_at, zone),
                "affected": entry.affected_users,
            }
            notes.append(
                _EXCLUDED(**shown, reason=entry.exclusion_reason)
                if entry.exclusion_reason
                else _EXCLUDED_NO_REASON(**shown)
            )
    notes += [n.text for n in contract.notes if n.about == "availability"]
    notes += terms.notes_about("availability")
    so_far = None
    if now is not None and start <= now < end:
        so_far = month_so_far(guarantee, month.year, month.index, users, outages, now)
        notes.append(_LIVE(now=_when(now, zone)))
    return MonthFigures(contract.id, month, users, given, result, None, tuple(notes), so_far)


def _when(instant: datetime, zone: ZoneInfo) -> Instant:
    return Instant(instant.astimezone(zone), minutes=True)
