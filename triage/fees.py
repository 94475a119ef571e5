"""Fee figures changed by a manager: a contract's fee from a date, as a new terms version.

The catalog ships the agreed fee (base per month, price per active user, billing period)
and the active-user count at signing. Both change during a contract's life, and a
penalty is priced on the fee in force in the invoice period it applies to, so a change is
a dated fact, not an edit: it becomes a terms version valid from its date, a copy of the
terms in force then with the new fee. Later catalog versions keep their own fee.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sla.contract import Contract
from sla.ranges import check_amount, check_users
from sla.text import Template

NO_FEE = Template("fee.no-fee", "contract {contract!r} has no fee in force on {day}")


@dataclass(frozen=True)
class FeeChange:
    contract_id: str
    valid_from: date
    active_users: int
    base_monthly: Decimal | None = None  # None: unchanged
    per_user_monthly: Decimal | None = None

    def __post_init__(self) -> None:
        check_users("active_users", self.active_users)  # ranges: sla/ranges.py (issue 15)
        for name in ("base_monthly", "per_user_monthly"):
            value = getattr(self, name)
            if value is not None:
                check_amount(name, value)


def apply_fee_change(contract: Contract, change: FeeChange) -> Contract:
    """The contract with ``change`` as a terms version from its date."""
    base = contract.terms_at_date(change.valid_from)  # ValueError before the first terms
    if base.fee is None:
        raise ValueError(NO_FEE(contract=contract.id, day=change.valid_from))
    fee = replace(
        base.fee,
        default_users=change.active_users,
        base_monthly=base.fee.base_monthly if change.base_monthly is None else change.base_monthly,
        per_user_monthly=(
            base.fee.per_user_monthly
            if change.per_user_monthly is None
            else change.per_user_monthly
        ),
    )
    terms = [t for t in contract.terms if t.valid_from != change.valid_from]
    terms.append(replace(base, valid_from=change.valid_from, fee=fee))
    return replace(contract, terms=tuple(sorted(terms, key=lambda t: t.valid_from)))
