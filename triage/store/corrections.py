"""The desk's own labels: every severity an agent set or confirmed, as training examples.

An agent's reclassification (``reclassified`` by a person, not by the system) and a
confirmation of an unsure classification (``classification_confirmed``) both say what the
ticket really was. The latest such event of a ticket wins. ``triage classify learn``
folds them into training and shows the before/after figures; nothing is applied silently.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sla.severity import Severity
from triage.classify.corpus import Example
from triage.store.models import Ticket, TicketEvent

_KINDS = ("reclassified", "classification_confirmed")


def desk_corrections(session: Session) -> list[Example]:
    """One example per ticket an agent labelled, with the label the agent gave last."""
    query = (
        select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.data)
        .where(TicketEvent.kind.in_(_KINDS), TicketEvent.actor != "system")
        .order_by(TicketEvent.id)
    )
    latest: dict[int, str] = {}
    for ticket_id, kind, data in session.execute(query):
        value = data.get("after") if kind == "reclassified" else data.get("severity")
        if value in (Severity.CRITICAL.value, Severity.NON_CRITICAL.value):
            latest[ticket_id] = value
    if not latest:
        return []
    tickets = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.body, Ticket.channel).where(
            Ticket.id.in_(list(latest))
        )
    )
    return [
        Example(
            id=f"ticket-{ident}",
            subject=subject or "",
            text=body or "",
            channel=channel,
            label=Severity(latest[ident]),
            group="desk",
        )
        for ident, subject, body, channel in tickets
    ]
