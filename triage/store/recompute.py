"""``triage sla recompute``: derive every ticket's SLA columns again from its facts.

Needed after a catalog change (a corrected reading, a new terms version) or a bug fix:
the stored deadlines are a cache, and this is how the cache is rebuilt. Pauses come from
the ticket's paused/resumed events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from config.catalog import Catalog
from sla.severity import Severity
from triage.sla_state import derive_sla_state
from triage.store.escalations import plan_escalations
from triage.store.models import Ticket
from triage.store.tickets import add_event, apply_sla_state, pauses_from_events

BATCH = 1000


def recompute_all(
    sessions: sessionmaker[Session], catalog: Catalog, now: datetime
) -> dict[str, int]:
    changed = unchanged = skipped = 0
    last_id = 0
    while True:
        with sessions() as session:
            batch = session.scalars(
                select(Ticket)
                .where(Ticket.id > last_id)
                .order_by(Ticket.id)
                .limit(BATCH)
                .options(selectinload(Ticket.events))
            ).all()
            if not batch:
                break
            for ticket in batch:
                last_id = ticket.id
                if ticket.contract_id is None or ticket.contract_id not in catalog.contracts:
                    skipped += 1
                    continue
                state = derive_sla_state(
                    catalog.get(ticket.contract_id),
                    Severity(ticket.severity),
                    ticket.received_at,
                    ticket.responded_at,
                    pauses_from_events(ticket.events, now),
                )
                if (ticket.due_at, ticket.clock_starts_at, ticket.response_seconds) == (
                    state.due_at,
                    state.clock_starts_at,
                    state.response_seconds,
                ):
                    unchanged += 1
                    # the ladder may have changed
                    plan_escalations(session, catalog, ticket, now, state.deadline)
                    continue
                add_event(
                    session,
                    ticket,
                    "sla_recomputed",
                    now,
                    before=ticket.due_at.isoformat() if ticket.due_at else None,
                    after=state.due_at.isoformat() if state.due_at else None,
                )
                apply_sla_state(ticket, state)
                ticket.updated_at = now
                plan_escalations(session, catalog, ticket, now, state.deadline)
                changed += 1
            session.commit()
    return {"changed": changed, "unchanged": unchanged, "skipped": skipped}
