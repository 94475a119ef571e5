"""Penalties for missed response guarantees, in Decimal money.

The MBN/BN sanction is "50 % deduction on the cost of the agreement at the next invoicing
point". Percent, stacking, fee formula, billing period and claim limit are all terms from
the catalog; this module only does the arithmetic and says which reading decided it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sla.claims import PromptClaim
from sla.periods import Period, add_months
from sla.ranges import check_amount, check_users
from sla.text import Template

ORE = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    """Round to øre, half up, as invoices do."""
    return amount.quantize(ORE, rounding=ROUND_HALF_UP)


_FEE = Template(
    "penalty.fee",
    "fee {period}: ({base_monthly} + {users} × {per_user}) × {months} months = "
    "{currency} {base} excl. VAT",
)
_NO_BREACH = Template("penalty.no-breach", "no missed guarantee in the period: no deduction")
_NO_STACKING = Template(
    "penalty.no-stacking",
    "reading: {breaches} missed guarantees in {period} do not stack; one {pct} % deduction "
    "({source})",
)
_ONE_BREACH = Template(
    "penalty.one-breach", "1 missed guarantee in {period}: {pct} % deduction ({source})"
)
_STACKED = Template(
    "penalty.stacked",
    "{breaches} × {pct} % per missed guarantee, capped at 100 % ({source})",
)
_APPLIES_TO = Template(
    "penalty.applies-to", "deduction applies to the invoice for {period} (next invoicing point)"
)
_CLAIM_PROMPTLY = Template(
    "penalty.claim-promptly",
    "claim in writing by {by}: {rule}, counted from the first breach on {first_breach}",
)
_CLAIM_LIMIT = Template(
    "penalty.claim-limit",
    "claim in writing without undue delay, no later than {by} ({months} months after the "
    "first breach on {first_breach}; the outer limit)",
)


@dataclass(frozen=True)
class FeeFormula:
    """Agreement fee: a base per month plus a price per active user per month, invoiced
    every ``billing_months`` months (prices excluding VAT)."""

    base_monthly: Decimal
    per_user_monthly: Decimal
    billing_months: int
    default_users: int
    currency: str = "NOK"

    def __post_init__(self) -> None:
        check_amount("base_monthly", self.base_monthly)  # sla/ranges.py: issue 15
        check_amount("per_user_monthly", self.per_user_monthly)
        check_users("active_users", self.default_users)

    def period_fee(self, users: int) -> Decimal:
        if users < 0:
            raise ValueError("active users must not be negative")
        return money((self.base_monthly + self.per_user_monthly * users) * self.billing_months)


class Stacking(StrEnum):
    ONCE_PER_PERIOD = "once-per-period"
    PER_BREACH = "per-breach"


@dataclass(frozen=True)
class PenaltyRule:
    deduction_pct: Decimal
    stacking: Stacking
    periods_later: int  # 1 = "at the next invoicing point"
    claim_limit_months: int
    source: str
    prompt_claim: PromptClaim | None = None  # the date to act by, before the outer limit

    def __post_init__(self) -> None:
        if not 0 <= self.deduction_pct <= 100:
            raise ValueError(f"deduction must be between 0 and 100 %, got {self.deduction_pct}")
        if self.periods_later < 0 or self.claim_limit_months < 0:
            raise ValueError("penalty offsets must not be negative")

    def applies_to(self, period: Period) -> Period:
        """The invoicing period the deduction lands on ("the next invoicing point")."""
        for _ in range(self.periods_later):
            period = period.next()
        return period


@dataclass(frozen=True)
class Penalty:
    period: Period
    breaches: int
    users: int
    deduction_pct: Decimal
    base: Decimal
    amount: Decimal
    applies_to: Period
    claim_by: date | None
    notes: tuple[str, ...]
    claim_promptly_by: date | None = None


def period_penalty(
    rule: PenaltyRule,
    fee: FeeFormula,
    period: Period,
    users: int,
    breaches: int,
    first_breach: date | None = None,
) -> Penalty:
    """Deduction due for the missed guarantees of one billing period.

    ``fee`` must be the formula in force in the period the deduction applies to, and
    ``users`` the active users then (CONTRACTS.md §1): the deduction is a share of that
    invoice. ``claim_by`` needs the date the first breach occurred.
    """
    if breaches < 0:
        raise ValueError("breaches must not be negative")
    if period.months != fee.billing_months:
        raise ValueError(
            f"the fee is invoiced every {fee.billing_months} months; {period} is not such a period"
        )
    applies_to = rule.applies_to(period)
    base = fee.period_fee(users)
    notes: list[str] = [
        _FEE(
            period=applies_to,
            base_monthly=fee.base_monthly,
            users=users,
            per_user=fee.per_user_monthly,
            months=fee.billing_months,
            currency=fee.currency,
            base=base,
        )
    ]
    if breaches == 0:
        pct = Decimal(0)
        notes.append(_NO_BREACH())
    elif rule.stacking is Stacking.ONCE_PER_PERIOD:
        pct = rule.deduction_pct
        if breaches > 1:
            notes.append(
                _NO_STACKING(
                    breaches=breaches, period=period, pct=rule.deduction_pct, source=rule.source
                )
            )
        else:
            notes.append(_ONE_BREACH(period=period, pct=rule.deduction_pct, source=rule.source))
    else:
        pct = min(Decimal(100), rule.deduction_pct * breaches)
        notes.append(_STACKED(breaches=breaches, pct=rule.deduction_pct, source=rule.source))
    amount = money(base * pct / 100)
    notes.append(_APPLIES_TO(period=applies_to))
    claim_by = promptly = None
    if first_breach is not None and breaches > 0:
        claim_by = add_months(first_breach, rule.claim_limit_months)
        if rule.prompt_claim is not None:
            promptly = rule.prompt_claim.due(first_breach)
            notes.append(
                _CLAIM_PROMPTLY(
                    by=promptly, rule=rule.prompt_claim.describe(), first_breach=first_breach
                )
            )
        notes.append(
            _CLAIM_LIMIT(by=claim_by, months=rule.claim_limit_months, first_breach=first_breach)
        )
    return Penalty(
        period=period,
        breaches=breaches,
        users=users,
        deduction_pct=pct,
        base=base,
        amount=amount,
        applies_to=applies_to,
        claim_by=claim_by,
        notes=tuple(notes),
        claim_promptly_by=promptly,
    )
