"""SQLAlchemy 2 tables: tickets, their append-only events, the raw inbox, API tokens.

Timestamps are stored in UTC (``UTCDateTime``). The SLA columns on ``tickets`` are a
cache of ``triage.sla_state.derive_sla_state`` over the events and the contract terms, kept
for fast queries ("open tickets by time left", period reports) and recomputable at any
time with ``triage sla recompute``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from triage.store.types import UTCDateTime

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    requester_phone: Mapped[str | None] = mapped_column(String(32))
    contract_id: Mapped[str | None] = mapped_column(String(100))  # None = unrouted
    severity: Mapped[str] = mapped_column(String(20))
    severity_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | paused | resolved
    assignee: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime]
    # SLA state, derived (see module docstring)
    terms_valid_from: Mapped[date | None] = mapped_column(Date)
    clock_starts_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    response_seconds: Mapped[float | None] = mapped_column(Float)
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # The agents' queue: open, unanswered tickets by time left.
        Index("ix_tickets_queue", "status", "responded_at", "due_at"),
        # Period reports: tickets by contract and receipt time.
        Index("ix_tickets_contract_received", "contract_id", "received_at"),
        Index("ix_tickets_received", "received_at"),
    )


class TicketEvent(Base):
    """Append-only: every change to a ticket, with who did it and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100), default="system")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class ChannelMessage(Base):
    """One message of a channel (e-mail Message-ID, chat message id, CallSid) and the
    ticket it belongs to: makes intake idempotent and threads replies."""

    __tablename__ = "channel_messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(500))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("channel", "key", name="uq_channel_messages_key"),)


class InboxItem(Base):
    """A raw payload as it arrived, stored before parsing so nothing is ever lost.

    ``status``: received -> processed | quarantined; a quarantined item keeps the error
    and can be re-processed by an admin after a fix.
    """

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(200), default="")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_inbox_status", "status", "received_at"),)


class ApiToken(Base):
    """A bearer token of the REST API: ``trg_<id>_<secret>``, shown once at creation.

    Only the SHA-256 of the secret is stored: the secret is 32 random bytes, so a fast
    hash is enough (nothing to brute-force), and a stolen table grants nothing. ``name``
    is the actor recorded on every event the token makes; ``role`` is agent < manager <
    admin. A revoked token stays for the audit trail.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
