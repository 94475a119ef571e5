"""The breach report (DESIGN.md "Report JSON"): per contract, counts, breach rate, median
response time in business minutes, and the penalties due with the invoice they apply to
and the date by which they must be claimed.

Pure: the store hands in one ``TicketFacts`` per ticket and the current time; this module
decides met/breached/open with ``sla.targets.judge``, the rule every view shares.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sla.contract import Contract
from sla.penalty import period_penalty
from sla.periods import Period
from sla.targets import Outcome, judge


@dataclass(frozen=True)
class TicketFacts:
    contract_id: str
    received_at: datetime
    due_at: datetime | None
    responded_at: datetime | None
    response_seconds: float | None


@dataclass
class _Tally:
    tickets: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    response_minutes: list[float] | None = None
    breaches: list[tuple[date, date]] | None = None  # (local receipt date, local deadline date)


def build_report(
    first: date,
    last: date,
    tickets: Iterable[TicketFacts],
    contracts: Mapping[str, Contract],
    now: datetime,
) -> dict[str, Any]:
    """Tickets count in the period of their ``received_at`` (local date, filtered by the
    caller); penalties are computed per billing period of each contract's fee."""
    tallies: dict[str, _Tally] = defaultdict(lambda: _Tally(response_minutes=[], breaches=[]))
    for facts in tickets:
        tally = tallies[facts.contract_id]
        tally.tickets += 1
        result = judge(facts.due_at, facts.responded_at, now)
        if result is Outcome.MET:
            tally.met += 1
        elif result is Outcome.BREACHED:
            tally.breached += 1
            assert facts.due_at is not None and tally.breaches is not None
            zone = contracts[facts.contract_id].terms[0].calendar.zone
            tally.breaches.append(
                (facts.received_at.astimezone(zone).date(), facts.due_at.astimezone(zone).date())
            )
        elif result is Outcome.OPEN:
            tally.open += 1
        if facts.response_seconds is not None:
            assert tally.response_minutes is not None
            tally.response_minutes.append(facts.response_seconds / 60)
    rows = []
    for contract_id in sorted(tallies):
        tally = tallies[contract_id]
        judged = tally.met + tally.breached
        minutes = tally.response_minutes or []
        rows.append(
            {
                "contract": contract_id,
                "tickets": tally.tickets,
                "met": tally.met,
                "breached": tally.breached,
                "open": tally.open,
                "breach_rate": round(tally.breached / judged, 4) if judged else None,
                "median_response_business_minutes": round(statistics.median(minutes), 1)
                if minutes
                else None,
                "penalties": _penalties(contracts.get(contract_id), tally.breaches or []),
            }
        )
    return {"from": first.isoformat(), "to": last.isoformat(), "contracts": rows}


def _penalties(
    contract: Contract | None, breaches: list[tuple[date, date]]
) -> list[dict[str, Any]]:
    """One entry per billing period with a missed guarantee, under the terms in force then.

    A breach belongs to the period its ticket was received in, like every count of the
    report; the claim limit runs from the day the first guarantee was actually missed.
    """
    if contract is None or not breaches:
        return []
    by_period: dict[Period, list[tuple[date, date]]] = defaultdict(list)
    for received_day, missed_day in breaches:
        terms = contract.terms_at_date(received_day)
        if terms.penalty is None or terms.fee is None:
            continue
        by_period[Period.containing(received_day, terms.fee.billing_months)].append(
            (received_day, missed_day)
        )
    result = []
    for period in sorted(by_period):
        group = by_period[period]
        breach_terms = contract.terms_at_date(min(received for received, _ in group))
        rule = breach_terms.penalty
        assert rule is not None
        # The deduction is a share of the invoice it lands on, at that period's prices.
        fee = contract.terms_at_date(rule.applies_to(period).first_day).fee or breach_terms.fee
        assert fee is not None
        first_missed = min(missed for _, missed in group)
        penalty = period_penalty(rule, fee, period, fee.default_users, len(group), first_missed)
        result.append(
            {
                "period": period.label,
                "breaches": len(group),
                "deduction_pct": int(penalty.deduction_pct)
                if penalty.deduction_pct == int(penalty.deduction_pct)
                else float(penalty.deduction_pct),
                "amount_nok": f"{penalty.amount:.2f}",
                "applies_to": penalty.applies_to.label,
                "claim_by": penalty.claim_by.isoformat() if penalty.claim_by else None,
            }
        )
    return result
