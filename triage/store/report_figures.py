"""The breach report's figures aggregated in the database, for the managers' report page.

A quarter at a million tickets is ~100,000 tickets; handing each to ``triage.report`` as a
``TicketFacts`` and tallying it takes most of a second. Here the database counts instead,
and hands back what the figures are computed from:

- per contract, and per group of contracts (the vendor), the ``GroupCounts``: tickets,
  met, breached and open (``judge``'s rule written as a SQL ``CASE``, ``_outcome``), the
  number of response times and the response times at the ranks the median and the
  percentiles read (``triage.report.figure_ranks``; ``row_number()`` over the group
  ordered by ``response_seconds``). ``triage.report.report_figures`` still computes every
  figure, interpolation and rounding included, from those: one definition of each;
- per contract, breaches per receipt bucket of the chart and response times per
  distribution bucket (``triage.report_period.count_per_bucket`` and
  ``response_distribution``, as ``CASE`` ladders over the same bounds);
- the breaches themselves as ``TicketFacts`` only where they are listed: the latest few
  for the page, all of them for the penalties of the summary CSV.

Plain ``CASE``, ``GROUP BY`` and window functions: the same statements on SQLite and
PostgreSQL. ``tests/store/test_report_figures.py`` holds the result to the figures the
Python path (``tally``, ``build_report``) gives for the same tickets, on both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, null, or_, select
from sqlalchemy.orm import Session

from sla.targets import Outcome
from triage.report import GroupCounts, TicketFacts, figure_ranks
from triage.store.models import Ticket
from triage.store.tickets import facts_of, facts_query, routed_in


@dataclass(frozen=True)
class ReportAggregate:
    """What the report page shows of a period, from the database's aggregation."""

    contracts: dict[str, GroupCounts]  # every contract with a ticket in the period
    groups: dict[str, GroupCounts]  # by the caller's grouping of contracts (the vendor)
    # contract -> breaches per receipt bucket (only contracts with a breach)
    breaches_per_bucket: dict[str, list[int]] = field(default_factory=dict)
    # contract -> response times per distribution bucket (only contracts with one)
    responses_per_bucket: dict[str, list[int]] = field(default_factory=dict)

    @property
    def breaches(self) -> int:
        return sum(counts.breached for counts in self.contracts.values())


OUTCOMES = (Outcome.MET, Outcome.BREACHED, Outcome.OPEN, Outcome.NO_TARGET)
"""The outcomes by the small number ``_outcome`` gives them in SQL."""
MET, BREACHED, OPEN, NO_TARGET = range(len(OUTCOMES))


def _outcome(now: datetime) -> ColumnElement[int]:
    """``sla.targets.judge(due_at, responded_at, now)`` in SQL, as its index in
    ``OUTCOMES`` (a number groups faster than a text)."""
    return case(
        (Ticket.due_at.is_(None), NO_TARGET),
        (
            Ticket.responded_at.is_not(None),
            case((Ticket.responded_at <= Ticket.due_at, MET), else_=BREACHED),
        ),
        (Ticket.due_at < now, BREACHED),
        else_=OPEN,
    )


def _breached(now: datetime) -> ColumnElement[bool]:
    """``judge(...) is Outcome.BREACHED`` in SQL."""
    return _outcome(now) == BREACHED


def _receipt_bucket(starts: Sequence[datetime]) -> ColumnElement[Any]:
    """The index of the bucket ``received_at`` falls in, the buckets starting at
    ``starts`` (ascending; the first at or before the period's start)."""
    if len(starts) < 2:
        return literal(0)
    return case(
        *((Ticket.received_at < start, index) for index, start in enumerate(starts[1:])),
        else_=len(starts) - 1,
    )


def _response_bucket(bounds: Sequence[float]) -> ColumnElement[Any]:
    """``response_distribution``'s bucket of the response time in business minutes: the
    first bound it is below, else the last bucket; NULL without a response."""
    minutes = Ticket.response_seconds / 60.0  # what TicketFacts.response_minutes divides
    return case(
        (Ticket.response_seconds.is_(None), null()),
        *((minutes < float(bound), index) for index, bound in enumerate(bounds)),
        else_=len(bounds),
    )


def aggregate_report(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    percentiles: Sequence[float] = (),
    group_of: Callable[[str], str] | None = None,
    bucket_starts: Sequence[datetime] = (),
    response_bounds: Sequence[float] = (),
) -> ReportAggregate:
    """Routed tickets received in [start, end), judged at ``now`` (as ``report_facts``
    and ``tally``): ``GroupCounts`` per contract and per ``group_of(contract)`` with the
    ranks the median and ``percentiles`` read; breaches per receipt bucket (buckets
    starting at ``bucket_starts``) and response times per bucket of ``response_bounds``.

    Two statements: the counts, then the ranked response times. Each sees the tickets as
    of its own start; should a response be recorded (or a ticket come or go) in between,
    the second finds a different number of response times than the first counted, and
    the aggregation is made again rather than a figure read at the wrong rank."""
    for _ in range(ATTEMPTS - 1):
        try:
            return _aggregate(
                session, start, end, now, percentiles, group_of, bucket_starts, response_bounds
            )
        except _Moved:
            continue
    return _aggregate(
        session, start, end, now, percentiles, group_of, bucket_starts, response_bounds
    )


ATTEMPTS = 3


class _Moved(Exception):
    """The response times changed between the counting and the ranking."""


def _aggregate(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    percentiles: Sequence[float],
    group_of: Callable[[str], str] | None,
    bucket_starts: Sequence[datetime],
    response_bounds: Sequence[float],
) -> ReportAggregate:
    in_period = routed_in(start, end)
    outcome = _outcome(now)
    breach_bucket = (
        case((outcome == BREACHED, _receipt_bucket(bucket_starts)), else_=null())
        if bucket_starts
        else null()  # no chart buckets (the CSV): no second outcome CASE per row
    )
    responded = (
        _response_bucket(response_bounds)
        if response_bounds
        else case((Ticket.response_seconds.is_(None), null()), else_=0)
    )
    per_ticket = (
        select(
            Ticket.contract_id.label("contract_id"),
            outcome.label("outcome"),
            breach_bucket.label("breach_bucket"),
            responded.label("response_bucket"),
        )
        .where(*in_period)
        .subquery()
    )
    keys = (
        per_ticket.c.contract_id,
        per_ticket.c.outcome,
        per_ticket.c.breach_bucket,
        per_ticket.c.response_bucket,
    )
    counted = session.execute(select(*keys, func.count()).group_by(*keys)).all()

    # [tickets, met, breached, open, responses], GroupCounts' fields in order
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    breaches_per_bucket: dict[str, list[int]] = {}
    responses_per_bucket: dict[str, list[int]] = {}
    field_of = {MET: 1, BREACHED: 2, OPEN: 3}
    for contract_id, result, breach_bucket, response_bucket, count in counted:
        counts = tallies[str(contract_id)]
        counts[0] += count
        if result in field_of:
            counts[field_of[result]] += count
        if breach_bucket is not None:
            row = breaches_per_bucket.setdefault(str(contract_id), [0] * len(bucket_starts))
            row[int(breach_bucket)] += count
        if response_bucket is not None:
            counts[4] += count
            if response_bounds:
                row = responses_per_bucket.setdefault(
                    str(contract_id), [0] * (len(response_bounds) + 1)
                )
                row[int(response_bucket)] += count
    contract_ids = sorted(tallies)

    group_tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    if group_of is not None:
        for contract_id in contract_ids:
            total = group_tallies[group_of(contract_id)]
            for i, value in enumerate(tallies[contract_id]):
                total[i] += value
    group_ids = sorted(group_tallies)

    partitions = [{c: i for i, c in enumerate(contract_ids)}]
    wanted = [{i: figure_ranks(tallies[c][4], percentiles) for i, c in enumerate(contract_ids)}]
    if group_of is not None:
        group_index = {g: i for i, g in enumerate(group_ids)}
        partitions.append({c: group_index[group_of(c)] for c in contract_ids})
        wanted.append(
            {i: figure_ranks(group_tallies[g][4], percentiles) for i, g in enumerate(group_ids)}
        )
    sizes = [[tallies[c][4] for c in contract_ids], [group_tallies[g][4] for g in group_ids]]
    ranked = _ranked(session, in_period, partitions, wanted, sizes[: len(partitions)])

    def made(counts: list[int], by_rank: dict[int, float]) -> GroupCounts:
        tickets, met, breached, open_, responses = counts
        return GroupCounts(tickets, met, breached, open_, responses, by_rank)

    return ReportAggregate(
        contracts={c: made(tallies[c], ranked[0].get(i, {})) for i, c in enumerate(contract_ids)},
        groups={g: made(group_tallies[g], ranked[1].get(i, {})) for i, g in enumerate(group_ids)},
        breaches_per_bucket=breaches_per_bucket,
        responses_per_bucket=responses_per_bucket,
    )


def _ranked(
    session: Session,
    in_period: Sequence[ColumnElement[bool]],
    partitions: Sequence[Mapping[str, int]],
    wanted: Sequence[Mapping[int, frozenset[int]]],
    counted: Sequence[Sequence[int]],
) -> list[dict[int, dict[int, float]]]:
    """Per way of partitioning the contracts (``partitions[k]``: contract -> partition
    number), per partition: the response times in business minutes at the ranks
    ``wanted[k][partition]`` (0-based, ascending; ties in any order, their values being
    equal). One statement: a ``row_number()`` per partitioning over the period's
    response times, keeping the rows at a wanted rank. The partitions are numbers, not
    contract ids: sorting by them is much cheaper than by text. Raises ``_Moved`` unless
    every wanted rank is found, in partitions of ``counted[k][partition]`` values."""
    found: list[dict[int, dict[int, float]]] = [defaultdict(dict) for _ in partitions]
    all_ranks = [sorted(set().union(*w.values())) for w in wanted]
    if not any(all_ranks):
        return found
    columns: list[Any] = [Ticket.response_seconds.label("seconds")]
    for k, numbers in enumerate(partitions):
        part = case(dict(numbers), value=Ticket.contract_id)
        rank = func.row_number().over(partition_by=part, order_by=Ticket.response_seconds)
        size = func.count().over(partition_by=part)
        columns += [part.label(f"part_{k}"), (rank - 1).label(f"rank_{k}"), size]
    ordered = select(*columns).where(*in_period, Ticket.response_seconds.is_not(None)).subquery()
    picked = or_(*(ordered.c[f"rank_{k}"].in_(ranks) for k, ranks in enumerate(all_ranks)))
    for row in session.execute(select(ordered).where(picked)):
        minutes = row[0] / 60  # TicketFacts.response_minutes
        for k in range(len(partitions)):
            part, rank, size = row[1 + 3 * k : 4 + 3 * k]
            if part is None or size != counted[k][part]:
                raise _Moved
            if rank in wanted[k][part]:
                found[k][part][rank] = minutes
    for k, by_part in enumerate(wanted):
        if any(ranks - found[k][part].keys() for part, ranks in by_part.items()):
            raise _Moved
    return found


BREACH_CANDIDATES = (
    Ticket.due_at.is_not(None),
    or_(Ticket.responded_at > Ticket.due_at, Ticket.responded_at.is_(None)),
)
"""What every breach is, whatever "now": a deadline, and a late response or none. Implied
by ``_breached``, so it changes no result; written out because the database can look it
up (the partial index ix_tickets_breach_candidates of migration 0014 holds exactly these
tickets, ~1 in 10), where the ``CASE`` of ``_breached`` it can only test ticket by
ticket: the penalties' two years of two contracts were ~125,000 tickets read from all
over the table for ~9,000 breaches."""


def breach_facts(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    latest: int | None = None,
    contracts: Collection[str] | None = None,
) -> list[TicketFacts]:
    """The tickets of ``report_facts`` that are breached at ``now``: all of them by
    receipt, or the ``latest`` received, newest first; of ``contracts`` only, if given.

    The penalties and the claim letters want exactly ``tally(report_facts(...))``'s
    ``breaches`` of a few contracts: this is that list (same tickets, same order) without
    handing every other ticket of the period to Python (the penalties page reaches back
    to 1 January of last year: most of a million tickets)."""
    query = facts_query(start, end).where(_breached(now), *BREACH_CANDIDATES)
    if contracts is not None:
        query = query.where(Ticket.contract_id.in_(sorted(contracts)))
    if latest is None:
        query = query.order_by(Ticket.received_at, Ticket.id)
    else:
        query = query.order_by(Ticket.received_at.desc(), Ticket.id.desc()).limit(latest)
    return list(facts_of(session, query))
