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
from triage.sla_state import derive_sla_state
from triage.store.escalations import plan_escalations
from triage.store.models import Ticket
from triage.store.tickets import add_event, apply_sla_state, pauses_from_events


def rederive_sla(session: Session, catalog: Catalog, ticket: Ticket, now: datetime) -> None:
    """The SLA columns again from the ticket's facts, contract and pauses; then its ladder."""
    contract = catalog.contracts.get(ticket.contract_id) if ticket.contract_id else None
    state = None
    if contract is not None:
        try:
            state = derive_sla_state(
                contract,
                Severity(ticket.severity),
                ticket.received_at,
                ticket.responded_at,
                pauses_from_events(ticket.events, now),
            )
        except ValueError as exc:  # e.g. no terms in force on the receipt date
            add_event(session, ticket, "sla_unavailable", now, reason=str(exc))
    apply_sla_state(ticket, state)
    plan_escalations(session, catalog, ticket, now)
