"""The breach report (DESIGN.md "Report JSON"): per contract, counts, breach rate, median
response time in business minutes, and the penalties due with the invoice they apply to
and the date by which they must be claimed.

Pure: the store hands in one ``TicketFacts`` per ticket and the current time; this module
decides met/breached/open with ``sla.targets.judge``, the rule every view shares. The
``triage report`` command and the managers' pages (``web.ui.reports``) both build on
``tally`` and ``penalty_periods``, so a figure on a page is the figure the command prints.

Each figure has one definition, ``report_figures``: over a ``Tally`` (a ticket at a time,
the reference) or over ``GroupCounts``, the counts and the few ranked response times a
database aggregates for a large period (``triage.store.report_figures``; the managers'
report page at a million tickets). The outcome rule the aggregation writes in SQL is
``judge``'s, and a test holds the two to identical figures on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sla.contract import Contract
from sla.penalty import Penalty, PenaltyRule, period_penalty
from sla.periods import Period
from sla.readings import ReadingCheck
from sla.severity import Severity
from sla.targets import Outcome, judge

REPORT_CSV_COLUMNS = (
    "contract",
    "tickets",
    "met",
    "breached",
    "open",
    "breach_rate",
    "median_response_business_minutes",
    "penalty_period",
    "deduction_pct",
    "amount_nok",
    "applies_to",
    "claim_by",
    "claim_promptly_by",
)
"""Columns of ``triage report --format csv``: one row per contract and penalty period."""


class TicketFacts(NamedTuple):
    """What the report needs of one ticket. ``ticket_id``, ``severity`` and ``subject``
    are for the evidence lists (ticket CSV, claim letter); the figures never use them.

    A named tuple, not a frozen dataclass: a quarter is ~100,000 of them per report, and
    the tuple is made several times faster."""

    contract_id: str
    received_at: datetime
    due_at: datetime | None
    responded_at: datetime | None
    response_seconds: float | None
    ticket_id: int | None = None
    severity: str | None = None
    subject: str = ""

    def outcome(self, now: datetime) -> Outcome:
        return judge(self.due_at, self.responded_at, now)

    @property
    def response_minutes(self) -> float | None:
        return None if self.response_seconds is None else self.response_seconds / 60


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants [start, end) of the local days ``first``..``last`` (inclusive): a
    ticket counts in the period of the local date it was received on."""
    return (
        datetime.combine(first, time(0), zone),
        datetime.combine(last + timedelta(days=1), time(0), zone),
    )


def _percentile_ranks(count: int, pct: float) -> tuple[int, int, float]:
    """(low, high, fraction): the ``pct``-th percentile of ``count`` ordered values lies
    ``fraction`` of the way from the value at 0-based rank ``low`` to the one at ``high``."""
    if count < 1:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} is not between 0 and 100")
    position = (count - 1) * pct / 100
    low = math.floor(position)
    return low, min(low + 1, count - 1), position - low


def percentile_ranked(count: int, pct: float, at: Callable[[int], float]) -> float:
    """The ``pct``-th percentile of ``count`` values, ``at(rank)`` being the value at
    0-based rank ``rank`` in ascending order (see ``percentile``)."""
    low, high, fraction = _percentile_ranks(count, pct)
    return at(low) + (at(high) - at(low)) * fraction


def median_ranked(count: int, at: Callable[[int], float]) -> float:
    """The median of ``count`` values given by rank, exactly as ``statistics.median``
    computes it: the middle value, or the mean of the two middle ones."""
    if count < 1:
        raise ValueError("median of no values")
    if count % 2:
        return at(count // 2)
    return (at(count // 2 - 1) + at(count // 2)) / 2


def figure_ranks(count: int, percentiles: Sequence[float] = ()) -> frozenset[int]:
    """The 0-based ranks of ``count`` ordered values that the median and ``percentiles``
    read: all a database has to hand back for them (``triage.store.report_figures``)."""
    if count < 1:
        return frozenset()
    ranks = {(count - 1) // 2, count // 2}
    for pct in percentiles:
        low, high, _ = _percentile_ranks(count, pct)
        ranks.update((low, high))
    return frozenset(ranks)


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile, interpolating linearly between the closest ranks
    (numpy's default, Excel's PERCENTILE.INC): ``percentile(v, 50)`` is the median
    ``statistics.median`` gives, and p90 of (30, 75, 90) is 75 + 0.8 × 15 = 87."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    return percentile_ranked(len(ordered), pct, ordered.__getitem__)


def report_figures(
    tickets: int,
    met: int,
    breached: int,
    open_: int,
    responses: int,
    minutes_at: Callable[[int], float],
    percentiles: Sequence[int] = (),
) -> dict[str, Any]:
    """The report's figures of one group (a contract, a vendor): the one definition of
    each, whether the counts and response times come from ``Tally`` (a ticket at a time)
    or from the database's aggregation (``GroupCounts``). ``minutes_at(rank)`` is the
    ``rank``-th smallest of the ``responses`` response times in business minutes.
    ``percentiles`` adds ``p<n>_response_business_minutes`` after the median (the fixed
    JSON of ``triage report`` asks for none)."""
    judged = met + breached
    out: dict[str, Any] = {
        "tickets": tickets,
        "met": met,
        "breached": breached,
        "open": open_,
        "breach_rate": round(breached / judged, 4) if judged else None,
        "median_response_business_minutes": round(median_ranked(responses, minutes_at), 1)
        if responses
        else None,
    }
    for pct in percentiles:
        out[f"p{pct}_response_business_minutes"] = (
            round(percentile_ranked(responses, pct, minutes_at), 1) if responses else None
        )
    return out


@dataclass
class Tally:
    """Counts of one group of tickets (a contract, a vendor)."""

    tickets: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    response_minutes: list[float] = field(default_factory=list)
    breaches: list[TicketFacts] = field(default_factory=list)

    def add(self, facts: TicketFacts, now: datetime) -> None:
        self.tickets += 1
        result = facts.outcome(now)
        if result is Outcome.MET:
            self.met += 1
        elif result is Outcome.BREACHED:
            self.breached += 1
            self.breaches.append(facts)
        elif result is Outcome.OPEN:
            self.open += 1
        if facts.response_minutes is not None:
            self.response_minutes.append(facts.response_minutes)

    def counts(self, percentiles: Sequence[float] = ()) -> GroupCounts:
        """These counts, with the response times at the ranks the figures read."""
        ordered = sorted(self.response_minutes)
        ranks = figure_ranks(len(ordered), percentiles)
        return GroupCounts(
            self.tickets,
            self.met,
            self.breached,
            self.open,
            len(ordered),
            {rank: ordered[rank] for rank in ranks},
        )

    def figures(self, percentiles: Sequence[int] = ()) -> dict[str, Any]:
        """The report's figures (``report_figures``)."""
        ordered = sorted(self.response_minutes)
        return report_figures(
            self.tickets,
            self.met,
            self.breached,
            self.open,
            len(ordered),
            ordered.__getitem__,
            percentiles,
        )


@dataclass(frozen=True)
class GroupCounts:
    """The counts of one group of tickets and its response times (business minutes) at
    the ranks the median and percentiles read (``figure_ranks``): what a database
    aggregates instead of handing over every ticket (``triage.store.report_figures``).
    Gives exactly the figures ``Tally`` gives for the same tickets."""

    tickets: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    responses: int = 0
    minutes_by_rank: Mapping[int, float] = field(default_factory=dict)

    def median(self) -> float | None:
        """The median response time, unrounded."""
        return (
            median_ranked(self.responses, self.minutes_by_rank.__getitem__)
            if self.responses
            else None
        )

    def percentile(self, pct: float) -> float | None:
        """The ``pct``-th percentile of the response times, unrounded."""
        if not self.responses:
            return None
        return percentile_ranked(self.responses, pct, self.minutes_by_rank.__getitem__)

    def figures(self, percentiles: Sequence[int] = ()) -> dict[str, Any]:
        """The report's figures (``report_figures``); a rank the percentiles need and the
        aggregation did not fetch is a ``KeyError``, never a guess."""
        return report_figures(
            self.tickets,
            self.met,
            self.breached,
            self.open,
            self.responses,
            self.minutes_by_rank.__getitem__,
            percentiles,
        )


def tally(
    tickets: Iterable[TicketFacts],
    now: datetime,
    key: Callable[[TicketFacts], str] = lambda facts: facts.contract_id,
) -> dict[str, Tally]:
    """One ``Tally`` per group (by contract unless ``key`` says otherwise)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for facts in tickets:
        tallies[key(facts)].add(facts, now)
    return dict(tallies)


@dataclass(frozen=True)
class PeriodPenalty:
    """The penalty of one billing period of a contract, with the breaches behind it."""

    contract_id: str
    period: Period
    breaches: tuple[TicketFacts, ...]  # by receipt
    first_missed: date  # the local date the first guarantee of the period was missed
    rule: PenaltyRule
    penalty: Penalty
    readings: tuple[ReadingCheck, ...] = ()  # one per breach, in the order of ``breaches``

    @property
    def claim_promptly_by(self) -> date | None:
        """The date to claim by: the prompt-claim date, else the outer limit."""
        return self.penalty.claim_promptly_by or self.penalty.claim_by

    @property
    def depending(self) -> list[tuple[TicketFacts, ReadingCheck]]:
        """The breaches that are breaches only under a chosen reading."""
        return [(f, r) for f, r in zip(self.breaches, self.readings, strict=True) if r.depends_on]

    @property
    def solid(self) -> bool:
        """True when the penalty holds under every reading: one solid breach suffices."""
        return len(self.depending) < len(self.breaches)

    def as_json(self) -> dict[str, Any]:
        pct = self.penalty.deduction_pct
        promptly = self.claim_promptly_by
        return {
            "period": self.period.label,
            "breaches": len(self.breaches),
            "deduction_pct": int(pct) if pct == int(pct) else float(pct),
            "amount_nok": f"{self.penalty.amount:.2f}",
            "applies_to": self.penalty.applies_to.label,
            "claim_by": self.penalty.claim_by.isoformat() if self.penalty.claim_by else None,
            "claim_promptly_by": promptly.isoformat() if promptly else None,
            "solid": self.solid,
            "solid_breaches": len(self.breaches) - len(self.depending),
            "depends_on_reading": [
                {"ticket": f.ticket_id, "readings": list(r.depends_on)} for f, r in self.depending
            ],
        }


def reading_check(contract: Contract, facts: TicketFacts, now: datetime | None) -> ReadingCheck:
    """The ticket's outcome under its terms' alternative readings. Without ``now`` a
    ticket with no response is judged as of its own deadline (a breach stays one)."""
    severity = Severity.parse(facts.severity or "non-critical")
    when = now or (facts.due_at or facts.received_at) + timedelta(microseconds=1)
    return contract.check_readings(
        severity, facts.received_at, facts.due_at, facts.responded_at, when
    )


def alternative_breaches(
    contract: Contract | None, tickets: Iterable[TicketFacts], now: datetime
) -> list[dict[str, Any]]:
    """Tickets that are not breaches under the chosen readings but would be under an
    alternative that favours the customer: the ones a claim could still argue."""
    if contract is None or not any(t.alternatives for t in contract.terms):
        return []
    found = []
    for facts in tickets:
        check = reading_check(contract, facts, now)
        if check.breach_under:
            found.append(
                {
                    "ticket": facts.ticket_id,
                    "received": facts.received_at.isoformat(),
                    "alternatives": list(check.breach_under),
                }
            )
    return found


def penalty_periods(
    contract: Contract | None, breaches: Iterable[TicketFacts], now: datetime | None = None
) -> list[PeriodPenalty]:
    """One entry per billing period with a missed guarantee, under the terms in force then.

    A breach belongs to the period its ticket was received in, like every count of the
    report; the claim limit runs from the day the first guarantee was actually missed.
    The users are the catalog's active-user figure (as ``triage report``).
    """
    if contract is None:
        return []
    zone = contract.terms[0].calendar.zone
    by_period: dict[Period, list[TicketFacts]] = defaultdict(list)
    for facts in breaches:
        received_day = facts.received_at.astimezone(zone).date()
        terms = contract.terms_at_date(received_day)
        if terms.penalty is None or terms.fee is None or facts.due_at is None:
            continue
        by_period[Period.containing(received_day, terms.fee.billing_months)].append(facts)
    result = []
    for period in sorted(by_period):
        group = sorted(by_period[period], key=lambda f: (f.received_at, f.ticket_id or 0))
        breach_terms = contract.terms_at_date(group[0].received_at.astimezone(zone).date())
        rule = breach_terms.penalty
        assert rule is not None
        # The deduction is a share of the invoice it lands on, at that period's prices.
        fee = contract.terms_at_date(rule.applies_to(period).first_day).fee or breach_terms.fee
        assert fee is not None
        first_missed = min(f.due_at.astimezone(zone).date() for f in group if f.due_at)
        penalty = period_penalty(rule, fee, period, fee.default_users, len(group), first_missed)
        readings = tuple(reading_check(contract, f, now) for f in group)
        result.append(
            PeriodPenalty(contract.id, period, tuple(group), first_missed, rule, penalty, readings)
        )
    return result


def build_report(
    first: date,
    last: date,
    tickets: Iterable[TicketFacts],
    contracts: Mapping[str, Contract],
    now: datetime,
    percentiles: Sequence[int] = (),
) -> dict[str, Any]:
    """Tickets count in the period of their ``received_at`` (local date, filtered by the
    caller); penalties are computed per billing period of each contract's fee.
    ``percentiles`` adds response-time percentiles to each row (none in the fixed JSON)."""
    tallies = tally(tickets, now)
    return assemble_report(
        first,
        last,
        {contract_id: counted.figures(percentiles) for contract_id, counted in tallies.items()},
        {contract_id: counted.breaches for contract_id, counted in tallies.items()},
        contracts,
    )


def assemble_report(
    first: date,
    last: date,
    figures: Mapping[str, Mapping[str, Any]],
    breaches: Mapping[str, Sequence[TicketFacts]],
    contracts: Mapping[str, Contract],
) -> dict[str, Any]:
    """The report from each contract's figures (``report_figures``) and its breaches (for
    the penalties): ``build_report`` over a ticket at a time, or the managers' summary over
    the database's aggregation, give the same."""
    rows = []
    for contract_id in sorted(figures):
        rows.append(
            {
                "contract": contract_id,
                **figures[contract_id],
                "penalties": [
                    p.as_json()
                    for p in penalty_periods(
                        contracts.get(contract_id), breaches.get(contract_id, ())
                    )
                ],
            }
        )
    return {"from": first.isoformat(), "to": last.isoformat(), "contracts": rows}


def report_csv_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report flattened for CSV: one row per contract and penalty period (a contract
    without penalties keeps one row with the penalty columns empty)."""
    rows: list[dict[str, Any]] = []
    for row in report["contracts"]:
        base = {k: v for k, v in row.items() if k != "penalties"}
        if not row["penalties"]:
            rows.append(base)
        for penalty in row["penalties"]:
            rows.append(
                {
                    **base,
                    "penalty_period": penalty["period"],
                    **{
                        k: penalty[k]
                        for k in (
                            "deduction_pct",
                            "amount_nok",
                            "applies_to",
                            "claim_by",
                            "claim_promptly_by",
                        )
                    },
                }
            )
    return rows
