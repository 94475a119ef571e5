"""SQLAlchemy 2 tables: tickets, their append-only events, the raw inbox, API tokens.

Timestamps are stored in UTC (``UTCDateTime``). The SLA columns on ``tickets`` are a
cache of ``triage.sla_state.derive_sla_state`` over the events and the contract terms, kept
for fast queries ("open tickets by time left", period reports) and recomputable at any
time with ``triage sla recompute``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sla.local_time import OSLO
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
    # The classifier was unsure (confidence below the catalog's confirm_below): the ticket
    # runs the critical clock until an agent confirms or downgrades it.
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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


POSTGRESQL_ONLY_INDEXES = frozenset(
    {
        "ix_tickets_active_text",
        "ix_tickets_settled_order",
        "ix_tickets_unanswered_order",
        "ix_tickets_breach_candidates",
    }
)
"""Indexes the migrations create on PostgreSQL only, and only where they can (0006: the
queue's trigram search index over the active tickets, which needs pg_trgm; 0014: the
queue's ``time_left`` order over every status, partial expression indexes, and the
breach candidates): not declared
on the tables here, and left out of the comparison of the migrated schema with these
models."""


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
    and can be re-processed by an admin after a fix. Its id is the receipt the HMAC
    webhooks answer with (``GET /inbound/receipts/<id>``).
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
    #: The channel's cheap identity of a delivery (``triage.store.intake_batch``): a
    #: redelivery is answered with the first delivery's receipt before anything parses it.
    delivery_key: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_inbox_status", "status", "received_at"),
        Index("ix_inbox_delivery", "channel", "delivery_key"),
    )


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
    expires_at: Mapped[datetime | None]  # None: until revoked (demo tokens expire)
    revoked_at: Mapped[datetime | None]


# ------------------------------------------------------------------ escalation by SMS


class EscalationPoint(Base):
    """One rung of a ticket's ladder at its instant: the database's record of what is due.

    Planned whenever the ticket's deadline changes (``triage.store.escalations``); RQ jobs
    and the sweeper only *look* here, so a lost Redis loses nothing. ``status``: pending ->
    fired | acknowledged (an ACK stopped this level) | cancelled (answered, paused,
    resolved, no longer on the ladder) | skipped (already stale when planned).
    """

    __tablename__ = "escalation_points"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    point: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    fire_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    fired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("ticket_id", "point", name="uq_escalation_points_ticket_point"),
        Index("ix_escalation_points_due", "status", "fire_at"),
    )


class Staff(Base):
    """A person who can be paged: name and an E.164 phone number (personal data)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Rotation(Base):
    """A weekly rotation of one level (1 on-call, 2 manager) for one shift (office,
    after-hours, always), handing over at ``first_handover``'s local weekday and time."""

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    shift: Mapped[str] = mapped_column(String(20))
    first_handover: Mapped[datetime]
    zone: Mapped[str] = mapped_column(String(64), default=OSLO.key)
    created_at: Mapped[datetime]

    members: Mapped[list[RotationMember]] = relationship(
        order_by="RotationMember.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("level", "shift", name="uq_rotations_level_shift"),)


class RotationMember(Base):
    __tablename__ = "rotation_members"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))

    staff: Mapped[Staff] = relationship()

    __table_args__ = (
        UniqueConstraint("rotation_id", "position", name="uq_rotation_members_position"),
    )


class RosterOverride(Base):
    """A person on a level for an interval of real time (holiday swap, sickness)."""

    __tablename__ = "roster_overrides"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    shift: Mapped[str | None] = mapped_column(String(20))  # None = any shift
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    staff: Mapped[Staff] = relationship()

    __table_args__ = (Index("ix_roster_overrides_ends", "ends_at"),)


class SmsRecipient(Base):
    """Per phone number: when the next SMS may go (one SMS per number per window, so an
    outage is one grouped SMS a minute, not one per ticket). Its row is also the lock that
    serialises composing SMS for that number across workers."""

    __tablename__ = "sms_recipients"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_allowed_at: Mapped[datetime | None]
    last_outbox_id: Mapped[int | None] = mapped_column(Id)


class SmsPage(Base):
    """ "Page this recipient about this ticket at this ladder point": the idempotency key of
    escalation SMS (unique per escalation point and recipient). Several pages ready for one
    recipient become one (grouped) SMS in the outbox.

    ``status``: waiting -> sent (in ``outbox_id``) | dropped (answered before it went out).
    """

    __tablename__ = "sms_pages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_points.id", ondelete="CASCADE")
    )
    recipient: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbox.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("escalation_id", "recipient", name="uq_sms_pages_point_recipient"),
        Index("ix_sms_pages_waiting", "status", "recipient"),
        Index("ix_sms_pages_ticket", "ticket_id"),
    )


class SmsOutbox(Base):
    """An SMS the desk sends, written before sending so a crash can be reconciled.

    ``status``: queued -> sending -> sent -> delivered | undelivered, or failed (a
    permanent error, or retries exhausted). ``provider`` is "twilio" or "outbox" (no
    credentials: the message is only shown in the UI and API). ``ticket_ids`` are the
    tickets the message is about, so a bare "ACK" answers all of them.
    """

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_sms_outbox_status", "status", "next_attempt_at"),
        Index("ix_sms_outbox_recipient", "recipient", "created_at"),
    )


class SmsInbound(Base):
    """An SMS to the desk's number: kept once per provider SID (Twilio retries webhooks),
    with what the desk made of it."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(40))
    reply: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]


# ------------------------------------------------------------------ the web desk


class User(Base):
    """Someone who logs in to the web desk: agent < manager < admin.

    ``password_hash`` is werkzeug's scrypt hash. ``failed_logins`` counts wrong passwords
    since the last good one (shown to admins); guessing is slowed by ``LoginThrottle``, not
    by a lock an attacker could trigger, so ``locked_until`` is no longer set.
    ``session_generation`` is written into every login session and checked on each
    request: logout, a password change, deactivation and unlock bump it, which ends every
    session (and copied cookie) of the user at once.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    locale: Mapped[str | None] = mapped_column(String(10))  # None: the desk's default (nb)
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(Base):
    """Failed logins per key ("address:<ip>" or "account:<name>@<ip>"), with the backoff
    they earned: ``blocked_until`` grows with ``failures`` and is lifted by a good login
    (account key) or by time. Keyed by address, so guessing from one place never stops
    the account's owner from logging in from another."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class Outage(Base):
    """An outage of a hosted service, for the monthly availability and its credit.

    ``excluded`` outages (customer-caused, force majeure, announced planned maintenance)
    do not count as downtime; ``exclusion_reason`` says why, for the claim.
    """

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(100))
    # Who measured it (manual | alertmanager | webhook | probe) and, from monitoring, the
    # alert's fingerprint: one outage per firing alert, closed by its "resolved".
    source: Mapped[str] = mapped_column(String(20), default="manual")
    fingerprint: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]  # None: still going on (an alert that has not resolved)
    affected_users: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(Text, default="")
    excluded: Mapped[bool] = mapped_column(default=False)
    exclusion_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Planned maintenance: when it was announced to, accepted or objected to by the customer.
    announced_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    objected_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outages_contract_start", "contract_id", "starts_at"),
        Index("ix_outages_fingerprint", "fingerprint"),
    )


class FeeChange(Base):
    """A manager's dated change of a contract's fee figures (``triage.fees``)."""

    __tablename__ = "fee_changes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    active_users: Mapped[int] = mapped_column(Integer)
    base_monthly: Mapped[str | None] = mapped_column(String(20))  # Decimal as text: exact
    per_user_monthly: Mapped[str | None] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("contract_id", "valid_from", name="uq_fee_changes_contract_date"),
    )


class ClaimNotice(Base):
    """A notice of breach (reklamasjon) for one ticket, drafted the day its deadline passed
    without response on a contract with a penalty or credit (``triage.claim_notice``).

    ``status``: drafted -> queued (a manager asked to send it) -> sent | failed (kept with
    the error; sending again is allowed). ``message`` is the e-mail exactly as sent.
    """

    __tablename__ = "claim_notices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    contract_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # penalty | credit
    breach_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime]
    claim_promptly_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="drafted")
    drafted_at: Mapped[datetime]
    requested_by: Mapped[str | None] = mapped_column(String(100))
    requested_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_to: Mapped[str | None] = mapped_column(String(320))
    message_id: Mapped[str | None] = mapped_column(String(500))
    message: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("ticket_id", name="uq_claim_notices_ticket"),
        Index("ix_claim_notices_contract_breach", "contract_id", "breach_on"),
        Index("ix_claim_notices_status", "status", "requested_at"),
    )


class VendorForward(Base):
    """The fault report forwarded to the vendor's support address: the outbox row of one
    forward, written (with a ``forward_queued`` event) before anything is sent.

    ``status``: queued -> sending (one worker claimed the attempt) -> sent, or back to
    queued for the next attempt after ``next_attempt_at``, or failed (attempts used up, or
    a worker stopped while sending, so it may have gone out: never sent again by itself;
    an agent may queue it again). The message itself is not kept: it is rebuilt from the
    ticket when it is sent (with this ``message_id``, the thread key of the vendor's
    reply), so erasing the requester's data leaves no copy here.
    """

    __tablename__ = "vendor_forwards"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    from_address: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # what the report lacked and the desk's forward-by time, as the agent was shown them
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    forward_by: Mapped[datetime | None]
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_vendor_forwards_status", "status", "next_attempt_at"),)


def table_of(model: type[Base]) -> Table:
    """A model's table, for the hot paths that write rows with Core statements instead of
    the unit of work (intake's new tickets: ``triage.store.tickets.insert_ticket``)."""
    return cast(Table, model.__table__)


# ------------------------------------------------------------------ monitoring


class ProbeStatus(Base):
    """The desk's probe of one contract's service: its state between runs (compact: the
    consecutive failures and the run's first failure, not every sample)."""

    __tablename__ = "probe_status"

    contract_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    down: Mapped[bool] = mapped_column(default=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None]
    fingerprint: Mapped[str | None] = mapped_column(String(200))  # the open outage's
    last_checked_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)


class ProbeTransition(Base):
    """A probed service went down or came back: the only samples kept."""

    __tablename__ = "probe_transitions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))  # down | up
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]

    __table_args__ = (Index("ix_probe_transitions_contract", "contract_id", "at"),)


class Heartbeat(Base):
    """The last sign of life of a part of the desk (scheduler, worker, sweeper): the
    dead-man's switch pages when one falls silent. ``alarmed_at``: when its silence was
    paged (once per silence)."""

    __tablename__ = "heartbeats"

    part: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime]
    alarmed_at: Mapped[datetime | None]


class NotificationRule(Base):
    """How one person is reached when paged: ``sms`` at once, then e.g. a ``call`` after
    ``delay_seconds`` without an acknowledgement. No rules: SMS only (as before)."""

    __tablename__ = "notification_rules"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # sms | call
    delay_seconds: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("staff_id", "channel", name="uq_notification_rules_staff_channel"),
    )


class VoiceCall(Base):
    """A phone call that reads a page aloud: written before it is placed, unique per
    ladder rung, person and attempt, so a call is placed once however often the sweeper
    looks. ``status``: queued -> calling -> placed | failed; ``digits``: the key pressed
    (4 = acknowledge, 6 = start work)."""

    __tablename__ = "voice_calls"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_points.id", ondelete="CASCADE")
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    due_at: Mapped[datetime]
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    placed_at: Mapped[datetime | None]
    digits: Mapped[str | None] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(
            "escalation_id", "staff_id", "attempt", name="uq_voice_calls_point_staff_attempt"
        ),
    )
