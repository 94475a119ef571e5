"""What the desk shows of a ticket's escalation: the state of each ticket in the queue,
and the ladder of one ticket with the pages each rung sent.

Reads only; the pages word them (``web.ui.queue``, ``web.ui.ticket``). Kept apart from
``triage.store.escalations``, which plans and fires the ladder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.store.escalations import ACKNOWLEDGED, FIRED, PENDING
from triage.store.models import EscalationPoint, SmsOutbox, SmsPage, Staff


@dataclass(frozen=True)
class EscalationFacts:
    """Per ticket: the highest level paged that nobody acknowledged, else the highest
    acknowledged level, else when the next page is planned; all None: nothing."""

    unanswered_level: int | None = None
    acknowledged_level: int | None = None
    next_page_at: datetime | None = None


def escalation_facts(session: Session, ticket_ids: Iterable[int]) -> dict[int, EscalationFacts]:
    """The facts of each ticket in ``ticket_ids`` (one query for all of them)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            EscalationPoint.ticket_id,
            EscalationPoint.level,
            EscalationPoint.status,
            EscalationPoint.fire_at,
        ).where(
            EscalationPoint.ticket_id.in_(ids),
            EscalationPoint.status.in_((PENDING, FIRED, ACKNOWLEDGED)),
        )
    )
    fired: dict[int, set[int]] = {}
    acked: dict[int, set[int]] = {}
    planned: dict[int, datetime] = {}
    for ticket_id, level, status, fire_at in rows:
        if status == FIRED:
            fired.setdefault(ticket_id, set()).add(level)
        elif status == ACKNOWLEDGED:
            acked.setdefault(ticket_id, set()).add(level)
        elif ticket_id not in planned or fire_at < planned[ticket_id]:
            planned[ticket_id] = fire_at
    facts: dict[int, EscalationFacts] = {}
    for ticket_id in ids:
        acknowledged = acked.get(ticket_id, set())
        unanswered = fired.get(ticket_id, set()) - acknowledged
        if unanswered:
            facts[ticket_id] = EscalationFacts(unanswered_level=max(unanswered))
        elif acknowledged:
            facts[ticket_id] = EscalationFacts(acknowledged_level=max(acknowledged))
        else:
            facts[ticket_id] = EscalationFacts(next_page_at=planned.get(ticket_id))
    return facts


@dataclass(frozen=True)
class PageFacts:
    """One SMS page of a rung: to whom, and how far it got."""

    recipient: str
    staff_name: str | None
    page_status: str
    sms_status: str | None  # None: no outbox message (yet)
    sms_error: str | None


@dataclass(frozen=True)
class PointFacts:
    """One rung of the ticket's ladder, with its pages in the order they were made."""

    point: str
    level: int
    fire_at: datetime
    status: str
    fired_at: datetime | None
    pages: list[PageFacts]


def escalation_ladder(session: Session, ticket_id: int) -> list[PointFacts]:
    """The ticket's rungs by instant."""
    pages: dict[int, list[PageFacts]] = {}
    query = (
        select(SmsPage.escalation_id, SmsPage.recipient, SmsPage.status, Staff.name, SmsOutbox)
        .outerjoin(Staff, Staff.id == SmsPage.staff_id)
        .outerjoin(SmsOutbox, SmsOutbox.id == SmsPage.outbox_id)
        .where(SmsPage.ticket_id == ticket_id)
        .order_by(SmsPage.id)
    )
    for escalation_id, recipient, status, name, sms in session.execute(query):
        pages.setdefault(escalation_id, []).append(
            PageFacts(
                recipient=recipient,
                staff_name=name,
                page_status=status,
                sms_status=sms.status if sms is not None else None,
                sms_error=sms.error if sms is not None else None,
            )
        )
    points = session.scalars(
        select(EscalationPoint)
        .where(EscalationPoint.ticket_id == ticket_id)
        .order_by(EscalationPoint.fire_at, EscalationPoint.id)
    )
    return [
        PointFacts(
            point=p.point,
            level=p.level,
            fire_at=p.fire_at,
            status=p.status,
            fired_at=p.fired_at,
            pages=pages.get(p.id, []),
        )
        for p in points
    ]
