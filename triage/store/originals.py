"""A ticket's raw payloads as they arrived (the inbox rows behind "Vis original"): the
evidence of what a sender wrote, read back byte for byte."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.store.models import InboxItem


def has_original(session: Session, ticket_id: int) -> bool:
    """Whether any inbox item made or joined the ticket (an imported one has none)."""
    query = select(InboxItem.id).where(InboxItem.ticket_id == ticket_id).limit(1)
    return session.scalar(query) is not None


def original_payload(session: Session, ticket_id: int, item_id: int | None = None) -> bytes | None:
    """The ticket's first raw payload, or inbox item ``item_id`` if it belongs to the
    ticket; None when there is no such payload."""
    query = select(InboxItem.payload).where(InboxItem.ticket_id == ticket_id)
    if item_id is not None:
        query = query.where(InboxItem.id == item_id)
    payload = session.scalar(query.order_by(InboxItem.id).limit(1))
    return None if payload is None else bytes(payload)
