"""Page calls: a phone call when an SMS page is not acknowledged in time.

Per person, ``notification_rules`` may say "call after N seconds" (SMS always go at once,
as before). A call is due when the person's SMS for a ladder rung went out N seconds ago and
nobody has acknowledged the ticket at the rung's level since (an ``acknowledged`` event:
an ACK stops the pending rungs, the fired one stays "fired"), its ticket open and
unanswered. The call is a
``voice_calls`` row before it is a request, unique per rung, person and attempt, so however
often the sweeper looks, one call is placed; ``claim`` owns the attempt with a conditional
UPDATE like the SMS outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from triage.store.models import (
    EscalationPoint,
    NotificationRule,
    SmsOutbox,
    SmsPage,
    Staff,
    Ticket,
    TicketEvent,
    VoiceCall,
)

#: Pages older than this are not followed by a call (a desk that was down for a day does
#: not ring everyone about yesterday).
LOOKBACK = timedelta(hours=6)
QUEUED, CALLING, PLACED, FAILED, CANCELLED = "queued", "calling", "placed", "failed", "cancelled"


def set_call_rule(session: Session, staff_id: int, delay: timedelta | None) -> None:
    """Call ``staff_id`` ``delay`` after an unacknowledged SMS page; None: never (commits)."""
    session.execute(
        delete(NotificationRule).where(
            NotificationRule.staff_id == staff_id, NotificationRule.channel == "call"
        )
    )
    if delay is not None:
        if delay < timedelta(0):
            raise ValueError("the delay must not be negative")
        session.add(
            NotificationRule(
                staff_id=staff_id, channel="call", delay_seconds=int(delay.total_seconds())
            )
        )
    session.commit()


def plan_due_calls(session: Session, now: datetime) -> list[int]:
    """Write a call row for every page whose call is due; the ids of calls to place
    (queued ones, also those planned earlier and not yet placed). Commits."""
    rows = session.execute(
        select(
            SmsPage.ticket_id,
            SmsPage.escalation_id,
            SmsPage.staff_id,
            Staff.phone,
            SmsOutbox.sent_at,
            NotificationRule.delay_seconds,
            SmsPage.level,
        )
        .join(SmsOutbox, SmsOutbox.id == SmsPage.outbox_id)
        .join(EscalationPoint, EscalationPoint.id == SmsPage.escalation_id)
        .join(Ticket, Ticket.id == SmsPage.ticket_id)
        .join(Staff, Staff.id == SmsPage.staff_id)
        .join(
            NotificationRule,
            (NotificationRule.staff_id == SmsPage.staff_id) & (NotificationRule.channel == "call"),
        )
        .where(
            SmsPage.status == "sent",
            SmsOutbox.sent_at.is_not(None),
            SmsOutbox.sent_at > now - LOOKBACK,
            EscalationPoint.status == "fired",
            Ticket.status == "open",
            Ticket.responded_at.is_(None),
        )
    ).all()
    acks = _acknowledged(session, {row[0] for row in rows})
    for ticket_id, escalation_id, staff_id, phone, sent_at, delay, level in rows:
        if sent_at is None:  # the query asks for sent ones; the column is nullable
            continue
        due = sent_at + timedelta(seconds=delay)
        if due > now or _acked_since(acks.get(ticket_id, ()), level, sent_at):
            continue
        try:
            with session.begin_nested():
                session.add(
                    VoiceCall(
                        ticket_id=ticket_id,
                        escalation_id=escalation_id,
                        staff_id=staff_id,
                        recipient=phone,
                        attempt=0,
                        status=QUEUED,
                        due_at=due,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # planned already (by this sweeper earlier, or another one now)
    session.commit()
    return list(
        session.scalars(
            select(VoiceCall.id).where(VoiceCall.status == QUEUED).order_by(VoiceCall.id)
        )
    )


def _acknowledged(
    session: Session, ticket_ids: set[int]
) -> dict[int, list[tuple[datetime, set[int]]]]:
    """The ``acknowledged`` events of these tickets: when, and which levels."""
    found: dict[int, list[tuple[datetime, set[int]]]] = {}
    if not ticket_ids:
        return found
    events = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.data).where(
            TicketEvent.ticket_id.in_(sorted(ticket_ids)), TicketEvent.kind == "acknowledged"
        )
    )
    for ticket_id, at, data in events:
        levels = {int(x) for x in (data or {}).get("levels", [])}
        found.setdefault(int(ticket_id), []).append((at, levels))
    return found


def _acked_since(acks: Iterable[tuple[datetime, set[int]]], level: int, since: datetime) -> bool:
    return any(at >= since and level in levels for at, levels in acks)


@dataclass(frozen=True)
class CallToPlace:
    call_id: int
    ticket_id: int
    recipient: str
    critical: bool
    contract_id: str | None
    subject: str


def claim(session: Session, call_id: int, now: datetime) -> CallToPlace | None:
    """Own the placing of this call, or None (someone else has it, or the page was
    answered meanwhile: then the call is cancelled). Commits."""
    row = session.execute(
        select(VoiceCall, Ticket, EscalationPoint)
        .join(Ticket, Ticket.id == VoiceCall.ticket_id)
        .join(EscalationPoint, EscalationPoint.id == VoiceCall.escalation_id)
        .where(VoiceCall.id == call_id)
    ).first()
    if row is None:
        return None
    call, ticket, point = row
    page_level = point.level
    since = call.due_at - LOOKBACK
    acked = _acked_since(_acknowledged(session, {ticket.id}).get(ticket.id, ()), page_level, since)
    answered = (
        ticket.responded_at is not None
        or ticket.status != "open"
        or point.status != "fired"
        or acked
    )
    claimed = cast(
        CursorResult[object],
        session.execute(
            update(VoiceCall)
            .where(VoiceCall.id == call_id, VoiceCall.status == QUEUED)
            .values(status=CANCELLED if answered else CALLING, placed_at=None if answered else now)
            .execution_options(synchronize_session=False)
        ),
    )
    session.commit()
    if claimed.rowcount != 1 or answered:
        return None
    return CallToPlace(
        call.id,
        ticket.id,
        call.recipient,
        ticket.severity == "critical",
        ticket.contract_id,
        ticket.subject,
    )


def mark_call(
    session: Session, call_id: int, sid: str | None, error: str | None, now: datetime
) -> None:
    """Record what the provider said about the call (commits)."""
    call = session.get(VoiceCall, call_id)
    assert call is not None
    call.status = PLACED if sid else FAILED
    call.provider_sid = sid
    call.error = error[:2000] if error else None
    call.placed_at = now
    session.commit()


def call_by_sid(session: Session, sid: str) -> VoiceCall | None:
    return session.scalars(select(VoiceCall).where(VoiceCall.provider_sid == sid)).first()


def record_keys(session: Session, call: VoiceCall, digits: str) -> None:
    """The keys the called person pressed, committed before the answer they stand for is
    taken (a failure there still leaves what was pressed on record)."""
    call.digits = digits
    session.commit()
