"""The one way a ticket's SLA columns and escalation plan are derived again.

Intake, import, agents' actions and ``triage sla recompute`` all come here, so a changed
deadline always re-plans the ladder (``triage.store.escalations``) in the same
transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.severity import Severity
from sla.targets import Pause
from triage.sla_state import SlaState, derive_sla_state
from triage.store.escalations import plan_escalations
from triage.store.models import Ticket
from triage.store.tickets import add_event, apply_sla_state, pauses_from_events


def rederive_sla(session: Session, catalog: Catalog, ticket: Ticket, now: datetime) -> None:
    """The SLA columns again from the ticket's facts, contract and pauses; then its ladder."""
    state, why_not = sla_state_or_why(
        catalog,
        ticket.contract_id,
        ticket.severity,
        ticket.received_at,
        ticket.responded_at,
        pauses_from_events(ticket.events, now),
    )
    if why_not is not None:
        add_event(session, ticket, "sla_unavailable", now, reason=why_not)
    apply_sla_state(ticket, state)
    # the same contract, severity, receipt and pauses: the ladder is planned on this deadline
    plan_escalations(session, catalog, ticket, now, state.deadline if state else None)


def sla_state_or_why(
    catalog: Catalog,
    contract_id: str | None,
    severity: str,
    received_at: datetime,
    responded_at: datetime | None,
    pauses: tuple[Pause, ...],
) -> tuple[SlaState | None, str | None]:
    """The SLA state under the ticket's contract; None without a contract (no clock), or
    None and the reason when the contract cannot give one (no terms in force then)."""
    contract = catalog.contracts.get(contract_id) if contract_id else None
    if contract is None:
        return None, None
    try:
        state = derive_sla_state(contract, Severity(severity), received_at, responded_at, pauses)
    except ValueError as exc:
        return None, str(exc)
    return state, None
