"""Deadline arithmetic speed: the compiled timeline against two baselines, same process.

    python bench/sla_bench.py [--tickets 100000] [--reference 300] [--seed 1]

Prints, per contract (MBN 60 min, a 4-hour contract, Pindena end of next working day):
median microseconds per deadline for ``sla.targets.due_instant`` (the hot path, datetime
in and out) and for the full ``compute_deadline`` (clock start, budget and deadline), a
straightforward day-by-day loop written here as the baseline, and a brute-force
minute-stepping reference on a subset; the ratios against the hot path; and whether every
sampled ticket agrees exactly with the reference. Medians are over batches, because this
machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.catalog import load_catalog
from sla.calendar import Calendar
from sla.severity import Severity
from sla.targets import (
    BusinessDuration,
    EndOfNextWorkingDay,
    ResponseTarget,
    compute_deadline,
    due_instant,
)

OSLO = ZoneInfo("Europe/Oslo")
MINUTE = timedelta(minutes=1)


def random_tickets(count: int, seed: int) -> list[datetime]:
    """Whole-minute receipt times over 2026-2028 (both DST changes, every holiday)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=OSLO)
    return [
        (start + timedelta(minutes=rng.randrange(3 * 365 * 1440))).astimezone(OSLO)
        for _ in range(count)
    ]


def day_loop_due(target: ResponseTarget, calendar: Calendar, received: datetime) -> datetime:
    """The straightforward baseline: walk local days, spending the budget window by window."""
    zone = calendar.zone
    local = received.astimezone(zone)
    if isinstance(target, EndOfNextWorkingDay):
        day = local.date() + timedelta(days=1)
        while not calendar.windows_on(day):
            day += timedelta(days=1)
        end = calendar.windows_on(day)[-1].end
        return _wall(day, end, zone)
    assert isinstance(target, BusinessDuration)
    remaining = target.amount
    day = local.date()
    while True:
        for window in calendar.windows_on(day):
            start = max(_wall(day, window.start, zone), received)
            end = _wall(day, window.end, zone)
            if end <= start:
                continue
            if end - start >= remaining:
                return (start + remaining).astimezone(zone)
            remaining -= end - start
        day += timedelta(days=1)


def _wall(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    """Wall-clock time of a local day (aware + timedelta is wall-clock arithmetic)."""
    if seconds >= 86_400:
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return datetime.combine(day, datetime.min.time(), zone) + timedelta(seconds=seconds)


def minute_stepping_due(target: ResponseTarget, calendar: Calendar, received: datetime) -> datetime:
    """Brute force: step real minutes (UTC) and ask the calendar about each local minute."""
    zone = calendar.zone
    if isinstance(target, EndOfNextWorkingDay):
        day = received.astimezone(zone).date() + timedelta(days=1)
        while not calendar.windows_on(day):
            day += timedelta(days=1)
        return _wall(day, calendar.windows_on(day)[-1].end, zone)
    assert isinstance(target, BusinessDuration)
    remaining = int(target.amount / MINUTE)
    instant = received.astimezone(ZoneInfo("UTC"))
    while remaining:
        local = instant.astimezone(zone)
        seconds = local.hour * 3600 + local.minute * 60
        if any(w.start <= seconds < w.end for w in calendar.windows_on(local.date())):
            remaining -= 1
        instant += MINUTE
    return instant.astimezone(zone)


def median_us(
    func: Callable[[datetime], object], tickets: Sequence[datetime], batches: int = 20
) -> float:
    size = max(1, len(tickets) // batches)
    timings = []
    for i in range(0, len(tickets), size):
        batch = tickets[i : i + size]
        started = time.perf_counter()
        for ticket in batch:
            func(ticket)
        timings.append((time.perf_counter() - started) / len(batch) * 1e6)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--reference", type=int, default=300, help="tickets checked by brute force")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    catalog = load_catalog()
    tickets = random_tickets(args.tickets, args.seed)
    sample = tickets[: args.reference]
    print(f"{args.tickets} random tickets over 2026-2028; brute-force reference on {len(sample)}")
    header = f"{'contract':24} {'due_instant':>11} {'full':>8} {'day-loop':>9} {'minute-ref':>11} {'loop/due':>9} {'ref/due':>9}  agree"
    print(header)
    print("-" * len(header))
    for contract_id in ("nettsoft-mbn", "nettsoft-ms365-bruker", "pindena"):
        terms = catalog.get(contract_id).terms[-1]
        target = terms.response[Severity.NON_CRITICAL].target
        calendar = terms.calendar
        due_instant(target, calendar, tickets[0])  # compile the timeline outside the timing

        fast = median_us(lambda t, tg=target, c=calendar: due_instant(tg, c, t), tickets)
        full = median_us(lambda t, tg=target, c=calendar: compute_deadline(tg, c, t), tickets)
        loop = median_us(lambda t, tg=target, c=calendar: day_loop_due(tg, c, t), tickets[:20_000])
        ref = median_us(
            lambda t, tg=target, c=calendar: minute_stepping_due(tg, c, t), sample, batches=5
        )
        disagreements = [
            t
            for t in sample
            if due_instant(target, calendar, t) != minute_stepping_due(target, calendar, t)
        ]
        loop_disagreements = [
            t
            for t in sample
            if due_instant(target, calendar, t) != day_loop_due(target, calendar, t)
        ]
        verdict = "all" if not disagreements else f"{len(disagreements)} DIFFER"
        if loop_disagreements:
            verdict += f" (day-loop differs on {len(loop_disagreements)})"
        print(
            f"{contract_id:24} {fast:10.2f}µs {full:7.2f}µs {loop:8.2f}µs {ref:10.1f}µs "
            f"{loop / fast:8.1f}x {ref / fast:8.0f}x  {verdict}"
        )

    print("(Pindena's reference steps whole days, not minutes: its target is a day boundary.)")


if __name__ == "__main__":
    main()
