"""Fee changes in the database, and the catalog with them applied.

Reports, penalties and claim letters price breaches on ``effective_catalog``: the shipped
catalog plus every dated fee change a manager recorded.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.text import Template
from triage.fees import FeeChange, apply_fee_change
from triage.store.models import FeeChange as FeeChangeRow

log = logging.getLogger(__name__)


class FeeError(ValueError):
    """A fee change that cannot be recorded; the message (``args[0]``, a ``sla.text.Text``
    where the store or the core wrote it) names the field."""


UNKNOWN_CONTRACT = Template("fee.unknown-contract", "contract: unknown contract {contract!r}")
DUPLICATE = Template("fee.duplicate", "valid_from: {contract} already has a fee change from {day}")


def _value(row: FeeChangeRow) -> FeeChange:
    """The stored change; ``ValueError`` (or ``ArithmeticError``) when it is out of range."""
    return FeeChange(
        contract_id=row.contract_id,
        valid_from=row.valid_from,
        active_users=row.active_users,
        base_monthly=Decimal(row.base_monthly) if row.base_monthly is not None else None,
        per_user_monthly=Decimal(row.per_user_monthly)
        if row.per_user_monthly is not None
        else None,
    )


def usable(row: FeeChangeRow) -> bool:
    """Whether a stored change is within today's ranges. One stored before they were
    checked (``base_monthly=1e999999``, issue 15) is left out of the prices rather than
    breaking every page that prices a penalty; the catalog page marks it for undoing."""
    try:
        _value(row)
    except (ValueError, ArithmeticError):
        return False
    return True


def fee_changes(session: Session) -> list[FeeChangeRow]:
    return list(
        session.scalars(
            select(FeeChangeRow).order_by(FeeChangeRow.contract_id, FeeChangeRow.valid_from)
        )
    )


def effective_catalog(session: Session, catalog: Catalog) -> Catalog:
    rows = fee_changes(session)
    if not rows:
        return catalog
    contracts = dict(catalog.contracts)
    for row in rows:
        if row.contract_id not in contracts:  # a contract since removed from the catalog
            continue
        try:
            contracts[row.contract_id] = apply_fee_change(contracts[row.contract_id], _value(row))
        except (ValueError, ArithmeticError) as exc:
            log.warning("fee change %d left out of the prices: %s", row.id, exc)
    return replace(catalog, contracts=contracts)


def record_fee_change(
    session: Session,
    catalog: Catalog,
    contract_id: str,
    valid_from: date,
    active_users: int,
    actor: str,
    now: datetime,
    base_monthly: Decimal | None = None,
    per_user_monthly: Decimal | None = None,
) -> FeeChangeRow:
    contract = catalog.contracts.get(contract_id)
    if contract is None:
        raise FeeError(UNKNOWN_CONTRACT(contract=contract_id))
    try:
        change = FeeChange(contract_id, valid_from, active_users, base_monthly, per_user_monthly)
        apply_fee_change(contract, change)  # refuses a contract without a fee then
    except ValueError as exc:
        raise FeeError(exc.args[0] if exc.args else str(exc)) from None
    row = FeeChangeRow(
        contract_id=contract_id,
        valid_from=valid_from,
        active_users=active_users,
        base_monthly=str(base_monthly) if base_monthly is not None else None,
        per_user_monthly=str(per_user_monthly) if per_user_monthly is not None else None,
        changed_by=actor,
        created_at=now,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise FeeError(DUPLICATE(contract=contract_id, day=valid_from)) from None
    return row


def delete_fee_change(session: Session, change_id: int) -> FeeChangeRow | None:
    """Undo a fee change: the row goes, and the prices are those without it again.
    None when there is no such change (the caller commits)."""
    row = session.get(FeeChangeRow, change_id) if 0 < change_id < 2**63 else None
    if row is not None:
        session.delete(row)
    return row
