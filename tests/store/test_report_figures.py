"""The report's figures aggregated in SQL (``triage.store.report_figures``) are the figures
the Python reference (``report_facts`` -> ``tally`` / ``build_report``) gives for the same
tickets, on SQLite and PostgreSQL: counts, breach rates, median and percentiles to the
last bit before rounding, the chart buckets, the listed breaches and the penalties.

The tickets are drawn (seeded) to hit the edges: responses exactly at the deadline, a
deadline exactly "now", response times on a bucket bound and a hair below it, ties and
even counts (the median between two values), receipts at local midnight on the period's
and the weeks' bounds and around the daylight-saving changes, a contract the catalog does
not know, unrouted tickets, tickets without a deadline and with a response time.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert

from config.catalog import load_catalog
from sla.targets import Outcome
from triage.report import (
    GroupCounts,
    TicketFacts,
    assemble_report,
    build_report,
    day_bounds,
    figure_ranks,
    penalty_periods,
    percentile,
    tally,
)
from triage.report_period import (
    RESPONSE_BUCKETS,
    ReportPeriod,
    chart_buckets,
    count_per_bucket,
    report_period,
    response_distribution,
)
from triage.store.models import Ticket
from triage.store.report_figures import aggregate_report, breach_facts
from triage.store.tickets import report_facts

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 3, 20, 11, 0, tzinfo=OSLO)
CONTRACTS = (
    "nettsoft-mbn",  # penalties per quarter
    "nettsoft-unifon-bn",
    "nettsoft-teams",
    "pindena",
    "sensio-velferd",  # no target
    "gone-contract",  # not in the catalog
)
PERCENTILES = (0, 10, 25, 50, 75, 90, 95, 99, 100)
UNKNOWN = "(ukjent)"


VENDORS = {c.id: c.vendor for c in load_catalog().contracts.values()}


def _vendor(contract_id: str) -> str:
    return VENDORS.get(contract_id, UNKNOWN)


def _seconds(rng: random.Random) -> float:
    """A response time in seconds, often on or next to a bound of the distribution."""
    roll = rng.random()
    if roll < 0.2:
        return float(rng.choice(RESPONSE_BUCKETS) * 60)  # exactly on a bound
    if roll < 0.3:
        return rng.choice(RESPONSE_BUCKETS) * 60 - rng.choice((1e-9, 1e-6, 0.001))
    if roll < 0.45:
        return float(rng.choice((60, 61, 120, 3600)))  # ties
    if roll < 0.55:
        return rng.choice((0.1, 0.7, 1.3, 2.9)) * 60  # minutes that are not exact
    return rng.uniform(0, 1500) * 60


def _received(rng: random.Random) -> datetime:
    """Mostly Q4 2025 - Q2 2026; a share on local midnights of period and week bounds and
    around the daylight-saving changes."""
    roll = rng.random()
    if roll < 0.15:
        day = rng.choice(
            (
                date(2026, 1, 1),
                date(2026, 4, 1),
                date(2026, 1, 5),  # a Monday: a week's first day
                date(2026, 3, 30),  # the Monday after the change to summer time
                date(2025, 10, 27),
            )
        )
        at = datetime.combine(day, time(0), OSLO)
        return at - timedelta(microseconds=rng.choice((0, 1)))
    if roll < 0.2:
        return datetime(2026, 3, 29, 0, 30, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 180))
    start = datetime(2025, 10, 1, tzinfo=OSLO)
    return start + timedelta(seconds=rng.uniform(0, 270 * 86400))


def _ticket(rng: random.Random, n: int) -> dict[str, Any]:
    received = _received(rng)
    contract = None if rng.random() < 0.05 else rng.choice(CONTRACTS)
    due = None
    if contract is not None and contract != "sensio-velferd" and rng.random() < 0.9:
        due = received + timedelta(minutes=rng.choice((15, 60, 240, 1440, 4320)))
        if rng.random() < 0.03:
            due = NOW  # open, not breached, at this very instant
    responded = None
    seconds = None
    if rng.random() < 0.7:
        roll = rng.random()
        if due is not None and roll < 0.1:
            responded = due  # met at the deadline itself
        elif due is not None and roll < 0.15:
            responded = due + timedelta(microseconds=1)
        else:
            responded = received + timedelta(minutes=rng.uniform(0, 3000))
        seconds = _seconds(rng) if contract is not None else None
    elif contract is not None and rng.random() < 0.02:
        seconds = _seconds(rng)  # a response time kept without the response: still counted
    return {
        "channel": "email",
        "subject": f"sak {n}",
        "body": "",
        "contract_id": contract,
        "severity": rng.choice(("critical", "non-critical")),
        "severity_reasons": [],
        "status": "resolved" if responded else "open",
        "received_at": received,
        "due_at": due,
        "responded_at": responded,
        "response_seconds": seconds,
        "created_at": received,
        "updated_at": received,
    }


@pytest.fixture
def loaded(sessions):  # type: ignore[no-untyped-def]
    rng = random.Random(20261121)
    rows = [_ticket(rng, n) for n in range(2500)]
    with sessions() as session:
        session.execute(insert(Ticket), rows)
        session.commit()
    return sessions


def _check(sessions, period: ReportPeriod, now: datetime = NOW) -> int:  # type: ignore[no-untyped-def]
    """Compare both paths over ``period``; the number of tickets compared."""
    start, end = day_bounds(period.first, period.last, OSLO)
    buckets = chart_buckets(period)
    contracts = load_catalog().contracts
    with sessions() as session:
        facts = list(report_facts(session, start, end))
        aggregate = aggregate_report(
            session,
            start,
            end,
            now,
            percentiles=PERCENTILES,
            group_of=_vendor,
            bucket_starts=[day_bounds(b.first, b.last, OSLO)[0] for b in buckets],
            response_bounds=RESPONSE_BUCKETS,
        )
        breaches = breach_facts(session, start, end, now)
        latest = breach_facts(session, start, end, now, latest=7)

    by_contract = tally(facts, now)
    by_vendor = tally(facts, now, key=lambda f: _vendor(f.contract_id))
    # the counts and the response times at every rank the figures read
    assert aggregate.contracts == {c: t.counts(PERCENTILES) for c, t in by_contract.items()}
    assert aggregate.groups == {v: t.counts(PERCENTILES) for v, t in by_vendor.items()}
    for sql, python in (
        *((aggregate.contracts[c], t) for c, t in by_contract.items()),
        *((aggregate.groups[v], t) for v, t in by_vendor.items()),
    ):
        # every figure, and the unrounded median and percentiles bit for bit
        assert sql.figures(PERCENTILES) == python.figures(PERCENTILES)
        minutes = python.response_minutes
        assert sql.median() == (statistics.median(minutes) if minutes else None)
        for pct in PERCENTILES:
            assert sql.percentile(pct) == (percentile(minutes, pct) if minutes else None)

    judged = [f for f in facts if f.outcome(now) is Outcome.BREACHED]
    assert aggregate.breaches == len(judged)
    assert breaches == judged
    assert latest == judged[-7:][::-1]

    days: dict[str, list[date]] = defaultdict(list)
    for f in judged:
        days[f.contract_id].append(f.received_at.astimezone(OSLO).date())
    assert aggregate.breaches_per_bucket == {
        c: count_per_bucket(d, buckets) for c, d in days.items()
    }
    minutes_of: dict[str, list[float]] = defaultdict(list)
    for f in facts:
        if f.response_minutes is not None:
            minutes_of[f.contract_id].append(f.response_minutes)
    assert aggregate.responses_per_bucket == {
        c: [count for _, count in response_distribution(m)] for c, m in minutes_of.items()
    }

    # the summary CSV's report (figures and penalties) is build_report's
    grouped: dict[str, list[TicketFacts]] = defaultdict(list)
    for f in breaches:
        grouped[f.contract_id].append(f)
    assert assemble_report(
        period.first,
        period.last,
        {c: counts.figures((90,)) for c, counts in aggregate.contracts.items()},
        grouped,
        contracts,
    ) == build_report(period.first, period.last, facts, contracts, now, percentiles=(90,))
    return len(facts)


def test_sql_aggregation_gives_the_python_figures_over_a_quarter(loaded) -> None:  # type: ignore[no-untyped-def]
    assert _check(loaded, report_period(NOW.date(), quarter="2026Q1")) > 500


def test_sql_aggregation_gives_the_python_figures_over_months_and_ranges(loaded) -> None:  # type: ignore[no-untyped-def]
    today = NOW.date()
    assert _check(loaded, report_period(today, month="2026-03")) > 100
    # monthly chart buckets, clipped at both ends; judged at another instant
    longer = report_period(today, first="2025-10-15", last="2026-06-10")
    assert _check(loaded, longer, now=datetime(2026, 1, 7, 9, 0, tzinfo=OSLO)) > 1000
    assert _check(loaded, report_period(today, first="2026-03-29", last="2026-03-29")) > 0


def test_sql_aggregation_of_an_empty_period(loaded) -> None:  # type: ignore[no-untyped-def]
    assert _check(loaded, report_period(NOW.date(), quarter="2024Q1")) == 0
    with loaded() as session:
        empty = aggregate_report(
            session, *day_bounds(date(2024, 1, 1), date(2024, 3, 31), OSLO), NOW
        )
    assert (empty.contracts, empty.groups, empty.breaches) == ({}, {}, 0)


def test_figure_ranks_are_the_ranks_median_and_percentile_read() -> None:
    assert figure_ranks(0, (90,)) == frozenset()
    assert figure_ranks(1, (90,)) == {0}
    assert figure_ranks(4) == {1, 2}  # the two middle ones
    assert figure_ranks(3, (90,)) == {1, 2}  # p90 of 3: between ranks 1 and 2
    values = [30.0, 75.0, 90.0]
    counts = GroupCounts(3, 1, 2, 0, 3, {r: values[r] for r in figure_ranks(3, (90,))})
    assert counts.figures((90,))["p90_response_business_minutes"] == 87.0
    with pytest.raises(KeyError):  # a rank that was not fetched is an error, never a guess
        counts.figures((10,))


def test_a_response_recorded_between_the_two_statements_means_aggregating_again(loaded) -> None:  # type: ignore[no-untyped-def]
    """The counts and the ranked response times are two statements; a response recorded
    in between (here: a new answered ticket) must not leave a figure read at a rank of
    the other set. The aggregation sees the change and is made again."""
    period = report_period(NOW.date(), quarter="2026Q1")
    start, end = day_bounds(period.first, period.last, OSLO)
    engine = loaded.kw["bind"]
    statements: list[str] = []
    rng = random.Random(7)
    extra = {**_ticket(rng, 9999), "contract_id": "nettsoft-mbn", "response_seconds": 1.0}
    extra["received_at"] = extra["created_at"] = extra["updated_at"] = start + timedelta(hours=9)

    def meanwhile(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().startswith("SELECT"):
            return  # the insert below
        statements.append(statement)
        if len(statements) == 1:  # after the counts, before the ranking
            with engine.begin() as other:
                other.execute(insert(Ticket), [extra])

    event.listen(engine, "after_cursor_execute", meanwhile)
    try:
        with loaded() as session:
            aggregate = aggregate_report(session, start, end, NOW, percentiles=PERCENTILES)
    finally:
        event.remove(engine, "after_cursor_execute", meanwhile)
    assert len(statements) == 4  # counts, ranks (refused), counts, ranks
    with loaded() as session:
        facts = list(report_facts(session, start, end))
    assert aggregate.contracts == {c: t.counts(PERCENTILES) for c, t in tally(facts, NOW).items()}


@pytest.mark.parametrize(
    ("first", "last", "now"),
    [
        (date(2025, 1, 1), date(2026, 3, 20), NOW),  # the penalties page's look-back
        (date(2026, 1, 1), date(2026, 3, 31), NOW),  # a claim letter's quarter
        (date(2026, 1, 1), date(2026, 12, 31), datetime(2026, 7, 1, 9, 0, tzinfo=OSLO)),
        (date(2024, 1, 1), date(2024, 12, 31), NOW),  # nothing
    ],
)
def test_penalties_from_the_selected_breaches_are_the_tallied_ones(
    loaded,  # type: ignore[no-untyped-def]
    first: date,
    last: date,
    now: datetime,
) -> None:
    """The penalties page and the claim letters take each contract's breaches from
    ``breach_facts(contracts=...)`` instead of tallying every ticket of the period: the
    same tickets in the same order as ``tally(report_facts(...))[c].breaches``, so the
    same penalty periods, amounts, claim dates and readings."""
    catalog = load_catalog().contracts
    penalised = [c for c in catalog.values() if any(t.penalty for t in c.terms)]
    start, end = day_bounds(first, last, OSLO)
    for wanted in ({c.id for c in penalised}, {"nettsoft-mbn"}, {"gone-contract", "pindena"}):
        with loaded() as session:
            facts = list(report_facts(session, start, end))
            selected = breach_facts(session, start, end, now, contracts=wanted)
        tallies = tally([f for f in facts if f.contract_id in wanted], now)
        assert selected == [
            f for f in facts if f.contract_id in wanted and f.outcome(now) is Outcome.BREACHED
        ]
        for contract_id in sorted(wanted):
            old = tallies[contract_id].breaches if contract_id in tallies else []
            new = [f for f in selected if f.contract_id == contract_id]
            assert new == old
            contract = catalog.get(contract_id)
            assert penalty_periods(contract, new, now) == penalty_periods(contract, old, now)
    with loaded() as session:
        assert breach_facts(session, start, end, now, contracts=set()) == []
    if first.year == 2025:  # the data reach penalties here: the comparison is not empty
        tallied = tally(facts, now)
        assert sum(len(penalty_periods(c, tallied[c.id].breaches, now)) for c in penalised) > 2
