"""Monthly availability, downtime and credit tiers (CONTRACTS.md §2, §3).

Availability is measured per calendar month in *core time* only: D is the core time of the
month's local calendar dates, N the real downtime that falls in core time, and
uptime % = (D − N) / D × 100, kept as an exact ``Fraction`` so that a credit tier is never
chosen on a rounded value.

Every rule is data in ``AvailabilityTerms`` (core calendar, maintenance windows, notice,
downtime threshold, excluded causes, credit tiers), supplied by the contract catalog. The
result carries notes that explain each decision a manager could question: which outages
counted and for how many core hours, why the others did not, which reading of the credit
table was applied, and the exact uptime whenever the two-decimal display would mislead.

Pure: stdlib and ``sla.*`` only, no clock reads, no I/O. All instants are handled as integer
microseconds on the compiled timelines of ``sla.business_time``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from sla.business_time import Interval, merge_intervals, timeline
from sla.calendar import Calendar, holidays_between
from sla.claims import PromptClaim
from sla.instants import (
    US_PER_HOUR,
    duration_us,
    from_us,
    local_midnight_us,
    to_us,
)
from sla.text import Hours, Instant, Listing, Month, Phrase, Template, Text, Truncated, plain

PLANNED_MAINTENANCE = "planned-maintenance"
"""The outage cause that marks announced, planned maintenance (CONTRACTS.md §2, 6.3)."""

_HUNDRED = Fraction(100)
_EXACT_DIGITS = 6

# The sentences of the notes (``sla.text``): the English is what the CLI and the JSON print.
_BAND = Template("availability.tier-band", "[{low}, {high}{closing} %")
_THRESHOLD = Template(
    "availability.threshold",
    "{affected} of {users} users affected; downtime counts from {min_users} users",
)
_THRESHOLD_FEWER = Template(
    "availability.threshold-fewer",
    "{affected} of {users} users affected; with fewer than {min_users} users downtime "
    "counts from {fraction} of them, i.e. {need} of {users}",
)
_SERVICE_START = Template(
    "availability.service-start",
    "measurement starts on the service's first day, {first:%Y-%m-%d}: core time before it "
    "is not part of D ({source})",
)
_CORE_TIME = Template(
    "availability.core-time",
    "{month}: D = {core} of core time ({calendar}); only downtime in core time counts ({source})",
)
_HOLIDAYS = Template("availability.holidays", "public holidays are not core time: {days}")
_HOLIDAY = Template("availability.holiday", "{day:%Y-%m-%d} {name}")
_NO_CORE_TIME = Template(
    "availability.no-core-time",
    "{month} has no core time, so nothing can be missed: uptime is 100 %",
)
_UPTIME = Template(
    "availability.uptime",
    "N = {downtime}; uptime = (D − N) / D × 100 = {exact} % (displayed {display} %)",
)
_GUARANTEE = {
    True: Template("availability.guarantee-met", "guaranteed availability {pct} % met"),
    False: Template("availability.guarantee-missed", "guaranteed availability {pct} % missed"),
}
_OVERLAP = Template(
    "availability.overlap",
    "{note}; {overlap} of it overlap outages counted already and are counted once",
)
_NO_TABLE = {
    True: Template(
        "availability.no-credit-table-met",
        "the terms have no credit table: a miss would be reported, not priced",
    ),
    False: Template(
        "availability.no-credit-table-missed",
        "the terms have no credit table: the miss is reported, not priced",
    ),
}
_TIER = Template(
    "availability.credit-tier",
    "credit tier {tier} applies: {reduction} % reduction of the monthly fee for {month}",
)
_TIER_READING = Template("availability.tier-reading", "reading applied to tier {tier}: {reading}")
_OUTAGE = Template(
    "availability.outage", "outage {start} – {end} ({length}, {affected} of {users} users)"
)
_OUTAGE_CAUSE = Template(
    "availability.outage-cause",
    "outage {start} – {end} ({length}, {affected} of {users} users, cause {cause})",
)
_OUTSIDE_MONTH = Template(
    "availability.outside-month", "{head}: not counted, it lies outside {month}"
)
_CAUSE_EXCLUDED = Template(
    "availability.cause-excluded", "{head}: not counted, cause {cause!r} is excluded ({source})"
)
_BELOW_THRESHOLD = Template(
    "availability.below-threshold", "{head}: not counted, {reason} ({source})"
)
_AFFECTED = Template("availability.affected", "{affected} of {users} users affected, {need} needed")
_CLIPPED = Template("availability.clipped", "{length} outside {month} not counted")
_OUTSIDE_CORE = Template("availability.outside-core", "{length} outside core time not counted")
_PERIODIC = Template(
    "availability.periodic",
    "{length} of core time inside periodic maintenance windows ({windows}) not counted",
)
_COUNTED = Template(
    "availability.counted", "{head}: counted, {length} of core time in {month} ({reasons})"
)
_NOT_COUNTED = Template(
    "availability.none-counted", "{head}: no downtime counted in {month} ({reasons})"
)
_NO_ANNOUNCEMENT = Template(
    "planned.no-announcement", "no recorded announcement (it needs a notice of at least {need})"
)
_LATE = {
    "after": Template(
        "planned.late-after",
        "announced {given} after the start; it needs a notice of at least {need}",
    ),
    "before": Template(
        "planned.late-before",
        "announced {given} before the start; it needs a notice of at least {need}",
    ),
}
_OBJECTED = Template("planned.objected", "the customer objected on {at}")
_OBJECTED_IN_TIME = Template(
    "planned.objected-in-time", "the customer objected on {at}, at least {limit} before the start"
)
_NOT_ACCEPTED = Template(
    "planned.not-accepted", "no acceptance by the customer recorded before the start (required)"
)
_CONDITIONS_FAIL = Template(
    "planned.conditions-fail",
    "planned maintenance whose conditions do not hold: {failed}, so it counts like an "
    "unplanned outage ({source})",
)
_CONDITIONS_FAIL_OUTSIDE = Template(
    "planned.conditions-fail-outside-core",
    "planned maintenance whose conditions do not hold: {failed}, but none of it lies in core time",
)
_AHEAD = {
    False: Template("planned.announced", "planned maintenance announced {given} ahead"),
    True: Template(
        "planned.announced-accepted", "planned maintenance announced {given} ahead and accepted"
    ),
}
_IN_CORE = Template(
    "planned.in-core",
    "{ahead}, but {length} of it lie in core time; the contract puts maintenance windows "
    "only outside core time, so it counts like an unplanned outage ({source})",
)
_OUTSIDE_CORE_ONLY = Template("planned.outside-core", "{ahead}, outside core time")
_EXCLUDED = Template("planned.excluded", "{ahead}: excluded ({source})")
_ALL_INSIDE = Template(
    "planned.all-inside",
    "{ahead}: all {length} of core time lie inside the planned-maintenance windows "
    "({windows}) and are excluded",
)
_PART_INSIDE = Template(
    "planned.part-inside",
    "{ahead}: {length} of core time inside the planned-maintenance windows ({windows}) "
    "excluded; the part outside the windows counts",
)
_NONE_INSIDE = Template(
    "planned.none-inside",
    "{ahead}, but none of its core time lies inside the planned-maintenance windows "
    "({windows}), so it counts like an unplanned outage ({source})",
)
_CROSSES = Template(
    "availability.display-crosses",
    "the display {display} % rounds across {crossed}; the exact uptime {exact} % decides",
)
_CROSSES_GUARANTEE = Template("availability.crosses-guarantee", "the {pct} % guarantee")
_CROSSES_TIER = Template("availability.crosses-tier", "the boundary of tier {tier}")
_BOTH = Template("availability.both", "{first} and {second}")
_AFFECTED_RANGE = Template(
    "availability.affected-range",
    "affected users {affected} must be between 0 and the {users} users",
)
_OUTAGE_ERROR = Template("availability.outage-error", "outage {number}: {error}")


# --------------------------------------------------------------------------------------------
# Terms


@dataclass(frozen=True)
class CreditTier:
    """A half-open band [low_pct, high_pct) of uptime % and the fee reduction it earns.

    The band whose ``high_pct`` is 100 also includes 100. ``reading`` says how the product
    reads an unclear table (e.g. a band the contract leaves unstated); whenever the tier is
    applied, the reading is shown in the result's notes.
    """

    low_pct: Decimal
    high_pct: Decimal
    reduction_pct: int
    reading: str | None = None
    reading_nb: str | None = None  # the same reading in Norwegian bokmål, for the web desk

    def contains(self, uptime_pct: Fraction) -> bool:
        low, high = Fraction(self.low_pct), Fraction(self.high_pct)
        return low <= uptime_pct < high or (high == _HUNDRED and uptime_pct == _HUNDRED)

    def reading_phrase(self) -> Phrase | None:
        """The tier's reading with its bokmål, as a sentence's value or on the desk."""
        return Phrase(self.reading, self.reading_nb) if self.reading else None

    def describe(self) -> Text:
        closing = "]" if Fraction(self.high_pct) == _HUNDRED else ")"
        return _BAND(low=_pct(self.low_pct), high=_pct(self.high_pct), closing=closing)


@dataclass(frozen=True)
class DowntimeThreshold:
    """How many affected users make an outage downtime (§3.6 6.1).

    At least ``min_users`` users, or, when the service has fewer than ``min_users`` users in
    total, at least ``fraction_when_fewer`` of them, rounded up (3 users, 1/2 → 2 users).
    """

    min_users: int = 5
    fraction_when_fewer: Fraction = Fraction(1, 2)

    def __post_init__(self) -> None:
        if self.min_users < 1:
            raise ValueError(
                f"downtime threshold min_users must be at least 1, not {self.min_users}"
            )
        if not 0 < self.fraction_when_fewer <= 1:
            raise ValueError(
                f"downtime threshold fraction {self.fraction_when_fewer} must be in (0, 1]"
            )

    def required(self, users: int) -> int:
        """The number of affected users from which an outage counts."""
        _check_users(users)
        if users >= self.min_users:
            return self.min_users
        return max(1, math.ceil(Fraction(self.fraction_when_fewer) * users))

    def counts(self, affected: int, users: int) -> bool:
        _check_users(users)
        _check_affected(affected, users)
        return affected >= self.required(users)

    def explain(self, affected: int, users: int) -> Text:
        """ "3 of 40 users affected; downtime counts from 5 users"."""
        need = self.required(users)
        if users >= self.min_users:
            return _THRESHOLD(affected=affected, users=users, min_users=self.min_users)
        return _THRESHOLD_FEWER(
            affected=affected,
            users=users,
            min_users=self.min_users,
            fraction=self.fraction_when_fewer,
            need=need,
        )


@dataclass(frozen=True)
class AvailabilityTerms:
    """One contract's availability guarantee, all of it catalog data.

    ``credit_tiers`` are validated (see ``validate_credit_tiers``) and stored sorted; an
    empty tuple means the contract has no credit table (a miss is reported, not priced).
    """

    guarantee_pct: Decimal
    core_time: Calendar
    periodic_maintenance: Calendar | None
    planned_maintenance: Calendar | None
    planned_notice: timedelta
    threshold: DowntimeThreshold
    excluded_causes: frozenset[str]
    credit_tiers: tuple[CreditTier, ...]
    source: str
    planned_cause: str = PLANNED_MAINTENANCE
    # Planned maintenance is excluded only when its conditions hold (CONTRACTS.md §2, §3):
    # "unless-objected" = announced ``planned_notice`` ahead and no objection made at least
    # ``objection_before`` before the start (§3.6/§3.7); "required" = the customer's
    # recorded acceptance is needed too (§3.12/§3.13, Pindena §18).
    planned_acceptance: str = "unless-objected"
    objection_before: timedelta | None = None
    planned_outside_core_only: bool = False  # windows lie only outside core time
    prompt_claim: PromptClaim | None = None  # the date to claim a credit by
    service_start: date | None = None  # measurement starts on the service's first day
    exclusive_remedy: str | None = None  # the credit settles the vendor's liability

    def __post_init__(self) -> None:
        if self.planned_acceptance not in ("unless-objected", "required"):
            raise ValueError(
                f"planned_acceptance {self.planned_acceptance!r} must be "
                "'unless-objected' or 'required'"
            )
        if not 0 < self.guarantee_pct <= 100:
            raise ValueError(f"guaranteed availability {self.guarantee_pct} % must be in (0, 100]")
        if self.planned_notice < timedelta(0):
            raise ValueError("planned-maintenance notice must not be negative")
        object.__setattr__(self, "excluded_causes", frozenset(self.excluded_causes))
        object.__setattr__(self, "credit_tiers", validate_credit_tiers(self.credit_tiers))

    @property
    def known_causes(self) -> tuple[str, ...]:
        """The cause words an outage may carry: the excluded causes and planned
        maintenance (no cause = unplanned downtime)."""
        return tuple(sorted({*self.excluded_causes, self.planned_cause}))

    def check_cause(self, cause: str | None) -> None:
        """ValueError listing the known causes when ``cause`` is not one of them: an
        unknown word must not silently count as unplanned downtime."""
        if cause is not None and cause not in self.known_causes:
            raise ValueError(
                f"unknown cause {cause!r}; known causes: {', '.join(self.known_causes)}"
            )


def validate_credit_tiers(tiers: Sequence[CreditTier]) -> tuple[CreditTier, ...]:
    """The tiers sorted by band; ValueError naming every bad band, gap or overlap.

    Bands must lie within 0–100 %, have low < high, carry a reduction of 0–100 %, and
    together cover 0–100 % without gaps or overlaps. A band the contract leaves unstated
    belongs in the list as an explicit tier with a ``reading``. No tiers at all is valid.
    """
    ordered = tuple(sorted(tiers, key=lambda t: (t.low_pct, t.high_pct)))
    if not ordered:
        return ordered
    problems: list[str] = []
    for tier in ordered:
        band = _band(tier.low_pct, tier.high_pct)
        if tier.low_pct < 0 or tier.high_pct > 100:
            problems.append(f"credit tier {band} % lies outside 0–100 %")
        if tier.low_pct >= tier.high_pct:
            problems.append(f"credit tier {band} % has low >= high")
        if not 0 <= tier.reduction_pct <= 100:
            problems.append(
                f"credit tier {band} % has a reduction of {tier.reduction_pct} %, "
                "which must be 0–100 %"
            )
    if ordered[0].low_pct > 0:
        problems.append(f"credit tiers leave {_band(Decimal(0), ordered[0].low_pct)} % uncovered")
    for earlier, later in pairwise(ordered):
        if later.low_pct > earlier.high_pct:
            problems.append(
                f"credit tiers leave {_band(earlier.high_pct, later.low_pct)} % uncovered"
            )
        elif later.low_pct < earlier.high_pct:
            problems.append(
                f"credit tiers {_band(earlier.low_pct, earlier.high_pct)} % and "
                f"{_band(later.low_pct, later.high_pct)} % overlap"
            )
    top = max(tier.high_pct for tier in ordered)
    if top < 100:
        problems.append(f"credit tiers leave {_band(top, Decimal(100))} % uncovered")
    if problems:
        raise ValueError("; ".join(problems))
    return ordered


# --------------------------------------------------------------------------------------------
# Inputs and result


@dataclass(frozen=True)
class Outage:
    """The service was unavailable to ``affected_users`` users in [start, end).

    ``cause`` is matched against the terms' excluded causes and planned-maintenance cause;
    ``announced_at`` is when planned maintenance was announced to the customer.
    """

    start: datetime
    end: datetime
    affected_users: int
    cause: str | None = None
    announced_at: datetime | None = None
    accepted_at: datetime | None = None  # the customer accepted planned maintenance
    objected_at: datetime | None = None  # the customer objected to it

    def __post_init__(self) -> None:
        for name in ("start", "end", "announced_at", "accepted_at", "objected_at"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(
                    f"outage {name} {value.isoformat()} is a naive datetime; give a UTC offset"
                )
        if self.end < self.start:
            raise ValueError(
                f"outage ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
            )
        if self.affected_users < 0:
            raise ValueError(f"affected_users must not be negative, not {self.affected_users}")


@dataclass(frozen=True)
class MonthAvailability:
    """Availability of one calendar month; ``uptime`` is in percent and exact."""

    year: int
    month: int
    users: int
    core_hours: Fraction
    downtime_hours: Fraction
    uptime: Fraction
    guarantee_met: bool
    reduction_pct: int | None
    tier: CreditTier | None
    notes: tuple[str, ...]  # ``sla.text.Text``s: the English, and the template for the desk

    def uptime_pct_display(self) -> Decimal:
        """Uptime % to two decimals, rounded half up (from the exact value, no float)."""
        return _display(self.uptime)


# --------------------------------------------------------------------------------------------
# The computation


@dataclass(frozen=True)
class _Month:
    """One calendar month as local dates and as the instants that bound them."""

    first: date
    after: date
    start: int
    end: int
    label: Month

    @classmethod
    def of(cls, year: int, month: int, zone: ZoneInfo) -> _Month:
        first = date(year, month, 1)
        after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(
            first=first,
            after=after,
            start=local_midnight_us(first, zone),
            end=local_midnight_us(after, zone),
            label=Month(year, month),
        )


def month_availability(
    terms: AvailabilityTerms, year: int, month: int, users: int, outages: Sequence[Outage]
) -> MonthAvailability:
    """Core hours, counted downtime, exact uptime and credit tier of one month."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is out of range 1–12")
    if not 1 < year < 9999:
        raise ValueError(f"year {year} is out of range")
    _check_users(users)
    for number, outage in enumerate(outages, 1):
        try:
            _check_affected(outage.affected_users, users)
            terms.check_cause(outage.cause)
        except ValueError as exc:
            raise ValueError(_OUTAGE_ERROR(number=number, error=_reason(exc))) from None

    core = terms.core_time
    span = _Month.of(year, month, core.zone)
    notes: list[Text] = []
    if terms.service_start is not None and terms.service_start > span.first:
        began = min(local_midnight_us(terms.service_start, core.zone), span.end)
        span = _Month(span.first, span.after, began, span.end, span.label)
        notes.append(_SERVICE_START(first=terms.service_start, source=terms.source))
    core_us = _measure(_open_intervals(core, span.start, span.end))
    notes.insert(
        0,
        _CORE_TIME(
            month=span.label, core=_hours(core_us), calendar=core.describe(), source=terms.source
        ),
    )
    closed = holidays_between(core, span.first, span.after - timedelta(days=1))
    if closed:
        days = tuple(_HOLIDAY(day=day, name=name) for day, name in closed)
        notes.append(_HOLIDAYS(days=Listing(days, ", ")))

    downtime_us = _downtime(terms, span, users, outages, notes)
    core_hours = Fraction(core_us, US_PER_HOUR)
    downtime_hours = Fraction(downtime_us, US_PER_HOUR)
    if core_us == 0:
        uptime = _HUNDRED
        notes.append(_NO_CORE_TIME(month=span.label))
    else:
        uptime = (core_hours - downtime_hours) / core_hours * 100
        notes.append(
            _UPTIME(downtime=_hours(downtime_us), exact=_exact(uptime), display=_display(uptime))
        )

    guarantee_met = uptime >= Fraction(terms.guarantee_pct)
    notes.append(_GUARANTEE[guarantee_met](pct=_pct(terms.guarantee_pct)))
    tier = _credit(terms, uptime, guarantee_met, span.label, notes)
    return MonthAvailability(
        year=year,
        month=month,
        users=users,
        core_hours=core_hours,
        downtime_hours=downtime_hours,
        uptime=uptime,
        guarantee_met=guarantee_met,
        reduction_pct=None if tier is None else tier.reduction_pct,
        tier=tier,
        notes=tuple(notes),
    )


def _downtime(
    terms: AvailabilityTerms,
    span: _Month,
    users: int,
    outages: Sequence[Outage],
    notes: list[Text],
) -> int:
    """N in microseconds: the union of every outage's counted core time, with a note each."""
    counted: list[Interval] = []
    for outage in sorted(outages, key=lambda o: (to_us(o.start), to_us(o.end))):
        pieces, note = _assess(terms, outage, users, span)
        overlap = _measure(_intersect(pieces, merge_intervals(counted)))
        if overlap:
            note = _OVERLAP(note=note, overlap=_hours(overlap))
        notes.append(note)
        counted.extend(pieces)
    return _measure(merge_intervals(counted))


def _credit(
    terms: AvailabilityTerms, uptime: Fraction, met: bool, label: Month, notes: list[Text]
) -> CreditTier | None:
    """The credit tier of the exact uptime (None without a credit table), with notes."""
    tier: CreditTier | None = None
    if not terms.credit_tiers:
        notes.append(_NO_TABLE[met]())
    else:
        tier = _tier_for(terms.credit_tiers, uptime)
        notes.append(_TIER(tier=tier.describe(), reduction=tier.reduction_pct, month=label))
        if tier.reading:
            notes.append(_TIER_READING(tier=tier.describe(), reading=tier.reading_phrase()))
    boundary = _display_boundary_note(terms, uptime, met, tier)
    if boundary:
        notes.append(boundary)
    return tier


def _assess(
    terms: AvailabilityTerms, outage: Outage, users: int, span: _Month
) -> tuple[list[Interval], Text]:
    """The counted core-time pieces of one outage within the month, and a note saying why."""
    zone = terms.core_time.zone
    start, end = to_us(outage.start), to_us(outage.end)
    shown = {
        "start": _when(start, zone),
        "end": _when(end, zone),
        "length": _hours(end - start),
        "affected": outage.affected_users,
        "users": users,
    }
    head = _OUTAGE_CAUSE(**shown, cause=outage.cause) if outage.cause else _OUTAGE(**shown)
    low, high = max(start, span.start), min(end, span.end)
    if high <= low:
        return [], _OUTSIDE_MONTH(head=head, month=span.label)
    if outage.cause is not None and outage.cause in terms.excluded_causes:
        return [], _CAUSE_EXCLUDED(head=head, cause=outage.cause, source=terms.source)
    if not terms.threshold.counts(outage.affected_users, users):
        reason = terms.threshold.explain(outage.affected_users, users)
        return [], _BELOW_THRESHOLD(head=head, reason=reason, source=terms.source)

    need = terms.threshold.required(users)
    reasons = [_AFFECTED(affected=outage.affected_users, users=users, need=need)]
    clipped_off = (end - start) - (high - low)
    if clipped_off:
        reasons.append(_CLIPPED(length=_hours(clipped_off), month=span.label))
    in_core = _open_intervals(terms.core_time, low, high)
    outside_core = (high - low) - _measure(in_core)
    if outside_core:
        reasons.append(_OUTSIDE_CORE(length=_hours(outside_core)))

    pieces = in_core
    if terms.periodic_maintenance is not None:
        pieces = _subtract(pieces, _open_intervals(terms.periodic_maintenance, low, high))
        in_periodic = _measure(in_core) - _measure(pieces)
        if in_periodic:
            reasons.append(
                _PERIODIC(length=_hours(in_periodic), windows=terms.periodic_maintenance.describe())
            )
    if outage.cause == terms.planned_cause:
        pieces, reason = _planned(terms, outage, start, pieces, (low, high))
        reasons.append(reason)

    counted = _measure(pieces)
    said = Listing(tuple(reasons))
    if counted:
        return pieces, _COUNTED(head=head, length=_hours(counted), month=span.label, reasons=said)
    return pieces, _NOT_COUNTED(head=head, month=span.label, reasons=said)


def planned_conditions_failed(terms: AvailabilityTerms, outage: Outage) -> list[Text]:
    """Which of the contract's conditions for excluding planned maintenance do not hold
    (an empty list: all hold). CONTRACTS.md §2: announced at least ``planned_notice``
    ahead; the customer may object up to ``objection_before`` before the start; where
    acceptance is required, the customer's acceptance is recorded before the start."""
    start = to_us(outage.start)
    failed: list[Text] = []
    need = _span(duration_us(terms.planned_notice))
    if outage.announced_at is None:
        failed.append(_NO_ANNOUNCEMENT(need=need))
    else:
        given = start - to_us(outage.announced_at)
        if given < duration_us(terms.planned_notice):
            when = "after" if given < 0 else "before"
            failed.append(_LATE[when](given=_span(abs(given)), need=need))
    objected = outage.objected_at
    accepted_after = (
        outage.accepted_at is not None and objected is not None and outage.accepted_at > objected
    )
    if objected is not None and not accepted_after:
        limit = terms.objection_before
        if limit is None or start - to_us(objected) >= duration_us(limit):
            at = _when(to_us(objected), terms.core_time.zone)
            failed.append(
                _OBJECTED_IN_TIME(at=at, limit=_span(duration_us(limit)))
                if limit
                else _OBJECTED(at=at)
            )
    if terms.planned_acceptance == "required" and (
        outage.accepted_at is None or to_us(outage.accepted_at) > start
    ):
        failed.append(_NOT_ACCEPTED())
    return failed


def _planned(
    terms: AvailabilityTerms,
    outage: Outage,
    start: int,
    pieces: list[Interval],
    span: Interval,
) -> tuple[list[Interval], Text]:
    """Apply the planned-maintenance exclusion to ``pieces`` (its counted core time);
    say what was decided and, when it counts, which condition failed."""
    failed = planned_conditions_failed(terms, outage)
    if failed:
        if pieces:
            return pieces, _CONDITIONS_FAIL(failed=Listing(tuple(failed)), source=terms.source)
        return pieces, _CONDITIONS_FAIL_OUTSIDE(failed=Listing(tuple(failed)))
    # No condition failed, so the announcement is recorded (else one would have).
    announced = to_us(outage.announced_at) if outage.announced_at else start
    ahead = _AHEAD[outage.accepted_at is not None](given=_span(start - announced))
    if terms.planned_outside_core_only:
        if pieces:
            length = _hours(_measure(pieces))
            return pieces, _IN_CORE(ahead=ahead, length=length, source=terms.source)
        return pieces, _OUTSIDE_CORE_ONLY(ahead=ahead)
    windows = terms.planned_maintenance
    if windows is None:
        return [], _EXCLUDED(ahead=ahead, source=terms.source)
    remaining = _subtract(pieces, _open_intervals(windows, *span))
    excluded = _measure(pieces) - _measure(remaining)
    described = windows.describe()
    if excluded and not remaining:
        return remaining, _ALL_INSIDE(ahead=ahead, length=_hours(excluded), windows=described)
    if excluded:
        return remaining, _PART_INSIDE(ahead=ahead, length=_hours(excluded), windows=described)
    return remaining, _NONE_INSIDE(ahead=ahead, windows=described, source=terms.source)


def _tier_for(tiers: Sequence[CreditTier], uptime: Fraction) -> CreditTier:
    for tier in tiers:
        if tier.contains(uptime):
            return tier
    raise ValueError(f"no credit tier covers uptime {_exact(uptime)} %")  # validated away


def _display_boundary_note(
    terms: AvailabilityTerms, uptime: Fraction, met: bool, tier: CreditTier | None
) -> Text | None:
    """Say so when the rounded display sits on the other side of a boundary than the value."""
    shown = Fraction(_display(uptime))
    if shown == uptime:
        return None
    crossed: list[Text] = []
    if (shown >= Fraction(terms.guarantee_pct)) != met:
        crossed.append(_CROSSES_GUARANTEE(pct=_pct(terms.guarantee_pct)))
    if tier is not None and not tier.contains(shown):
        crossed.append(_CROSSES_TIER(tier=tier.describe()))
    if not crossed:
        return None
    both = _BOTH(first=crossed[0], second=crossed[1]) if len(crossed) == 2 else crossed[0]
    return _CROSSES(display=_display(uptime), crossed=both, exact=_exact(uptime))


# --------------------------------------------------------------------------------------------
# Interval helpers (sorted, disjoint, half-open [start, end) in epoch microseconds)


def _open_intervals(calendar: Calendar, start: int, end: int) -> list[Interval]:
    """The calendar's open time within [start, end), as sorted disjoint intervals."""
    return timeline(calendar).open_intervals(start, end)


def _intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        low = max(first[i][0], second[j][0])
        high = min(first[i][1], second[j][1])
        if low < high:
            result.append((low, high))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def _subtract(base: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    result: list[Interval] = []
    j = 0
    for start, end in base:
        position = start
        while j < len(holes) and holes[j][1] <= position:
            j += 1
        k = j
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > position:
                result.append((position, holes[k][0]))
            position = max(position, holes[k][1])
            k += 1
        if position < end:
            result.append((position, end))
    return result


def _measure(intervals: Iterable[Interval]) -> int:
    return sum(end - start for start, end in intervals)


# --------------------------------------------------------------------------------------------
# Checks and wording


def _check_users(users: int) -> None:
    if users < 1:
        raise ValueError(f"the service must have at least 1 user, not {users}")


def _check_affected(affected: int, users: int) -> None:
    if not 0 <= affected <= users:
        raise ValueError(_AFFECTED_RANGE(affected=affected, users=users))


def _reason(error: ValueError) -> str:
    """An error's sentence, a ``Text`` when the core wrote one (``str(error)`` would be
    its English only)."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, Text) else str(error)


def _display(uptime: Fraction) -> Decimal:
    hundredths = math.floor(uptime * 100 + Fraction(1, 2))  # ROUND_HALF_UP for uptime >= 0
    return Decimal(hundredths).scaleb(-2)


def _exact(value: Fraction) -> Truncated:
    """The value to six decimals, truncated, with "…" when it goes on: truncation never
    moves a value across a boundary stated with up to six decimals."""
    scaled = value * 10**_EXACT_DIGITS
    whole = math.floor(scaled)
    return Truncated(plain(Decimal(whole).scaleb(-_EXACT_DIGITS)), whole != scaled)


def _pct(value: Decimal) -> Decimal:
    """A percentage as the notes say it: ``99.5``, ``100`` (no trailing zeros)."""
    return plain(value)


def _band(low: Decimal, high: Decimal) -> str:
    return f"{_pct(low)}–{_pct(high)}"


def _when(instant: int, zone: ZoneInfo) -> Instant:
    """``2026-03-16 08:00+01:00`` in the notes' English; a wall-clock time on the desk."""
    return Instant(from_us(instant, zone), minutes=True)


def _hours(us: int) -> Hours:
    """A duration as "4 h", "2 h 30 min", "45 min"; fractional minutes as decimal hours."""
    return Hours(timedelta(microseconds=us))


def _span(us: int) -> Hours:
    """A notice period as "5 days", "2 days 3 h", "20 h 30 min"."""
    return Hours(timedelta(microseconds=us), days=True)


# --------------------------------------------------------------------------------------------
# The month so far (live availability)


@dataclass(frozen=True)
class MonthSoFar:
    """A month up to ``until``: the core time elapsed, the downtime counted in it, the
    exact uptime of that part, and the credit tier that uptime would earn if the rest of
    the month went the same way (``tier``: the tier it is heading for)."""

    year: int
    month: int
    until: datetime
    core_hours_elapsed: Fraction
    core_hours_month: Fraction
    downtime_hours: Fraction
    uptime: Fraction
    guarantee_met: bool
    reduction_pct: int | None
    tier: CreditTier | None

    def uptime_pct_display(self) -> Decimal:
        return _display(self.uptime)


def month_so_far(
    terms: AvailabilityTerms,
    year: int,
    month: int,
    users: int,
    outages: Sequence[Outage],
    until: datetime,
) -> MonthSoFar:
    """The month from its start to ``until`` (an outage still going on is given ending at
    ``until``). Same rules as ``month_availability``; only D is the core time elapsed."""
    whole = month_availability(terms, year, month, users, outages)
    core = terms.core_time
    span = _Month.of(year, month, core.zone)
    cut = min(max(to_us(until), span.start), span.end)
    elapsed_us = _measure(_open_intervals(core, span.start, cut))
    elapsed = Fraction(elapsed_us, US_PER_HOUR)
    downtime = whole.downtime_hours  # outages end by ``until``: all of it lies before the cut
    uptime = _HUNDRED if elapsed_us == 0 else (elapsed - min(downtime, elapsed)) / elapsed * 100
    met = uptime >= Fraction(terms.guarantee_pct)
    tier = _tier_for(terms.credit_tiers, uptime) if terms.credit_tiers else None
    return MonthSoFar(
        year=year,
        month=month,
        until=until,
        core_hours_elapsed=elapsed,
        core_hours_month=whole.core_hours,
        downtime_hours=downtime,
        uptime=uptime,
        guarantee_met=met,
        reduction_pct=None if tier is None else tier.reduction_pct,
        tier=tier,
    )
