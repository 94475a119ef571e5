"""One inbound message from any channel, in the shape the intake use-case decides on.

Why one value for every channel: e-mail, chat, Twilio and CTI payloads differ in every
detail, but the intake questions are the same (is this a redelivery? does it continue a
ticket? who sent it? what does it say?). Channel adapters build an ``IncomingMessage``;
``triage.store.intake.ingest`` answers the questions. Pure: no I/O, no clock.

Keys, unique per ``source`` (the adapter) so a chat message id never collides with a
CallSid: ``dedup_key`` identifies this delivery (Message-ID, chat message id, a Twilio
callback, a CTI event); ``thread_keys`` are keys of earlier messages it answers
(In-Reply-To, References), looked up, and remembered as "answered by" this ticket while
the desk has not seen them (``triage.store.intake._parent_marks``); ``conversation_key`` names the conversation
itself (chat conversation, call), looked up and registered with the ticket, so every later
message of the conversation finds it. E-mail has no conversation key on purpose: two
people answering one announcement must not land in one ticket through a parent id nobody
registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from triage.intake.email_message import ParsedEmail, thread_keys, ticket_ref_from_subject
from triage.intake.sender_auth import sender_verdict

#: ``manual``: an agent registered it by hand (``POST /api/v1/tickets``, "Ny sak").
CHANNELS = frozenset({"email", "chat", "phone", "manual"})
#: Event kinds a message may add to a ticket it continues (besides the vendor's reply).
KINDS = frozenset(
    {
        "message",
        "call",
        "recording",
        "transcription",
        "call_status",
        "answered",
        "hung_up",
        "missed",
    }
)


class RejectedPayload(ValueError):
    """A stored raw payload that cannot become a message; says what is wrong and where.

    ``status`` is the HTTP status a webhook answers with (415 for the wrong media type,
    422 for content), ``fields`` maps each bad field to its problems.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_payload",
        status: int = 422,
        fields: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields: dict[str, list[str]] = dict(fields or {})


@dataclass(frozen=True)
class AttachmentInfo:
    """What the sender attached, described; the bytes stay in the raw inbox payload."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class IncomingMessage:
    """A message as intake needs it; see the module docstring for the keys."""

    channel: str  # the ticket's channel: email | chat | phone
    source: str  # the adapter, the namespace of the keys: email | chat | twilio | cti
    dedup_key: str
    thread_keys: tuple[str, ...] = ()  # keys of other messages this one answers
    conversation_key: str | None = None  # names the conversation itself (chat, call)
    ticket_ref: int | None = None  # "[#123]" in a subject
    kind: str = "message"  # the event it adds when it continues a ticket
    subject: str = ""
    text: str = ""
    sender_name: str | None = None
    sender_email: str | None = None
    sender_phone: str | None = None
    recipients: tuple[str, ...] = ()  # addresses or numbers it was sent to (routing)
    sent_at: datetime | None = None  # what the client claims; never used for the SLA clock
    after_hours: bool = False  # came in on the after-hours on-call line
    auto_submitted: bool = False  # a machine sent it (auto-reply, bounce, monitoring)
    #: "pass"/"fail": the relay's Authentication-Results for the From domain; None: none
    #: recorded, or not e-mail (``triage.intake.sender_auth``).
    sender_auth: str | None = None
    attachments: tuple[AttachmentInfo, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe adapter details

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"channel {self.channel!r} is not one of {sorted(CHANNELS)}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {sorted(KINDS)}")
        if not self.source or not self.dedup_key.strip():
            raise ValueError("a message needs a source and a dedup key")
        if self.sent_at is not None and self.sent_at.tzinfo is None:
            raise ValueError("sent_at must be an aware datetime")


_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalise_phone(number: str) -> str:
    """One spelling per number, so "+47 22 88 19 19" and "004722881919" compare equal.

    Caller ids that are not numbers ("anonymous", "restricted") come back as they are.
    """
    compact = _PHONE_NOISE.sub("", number.strip())
    if compact.startswith("00") and compact[2:].isdigit():
        return "+" + compact[2:]
    return compact


def from_email(parsed: ParsedEmail) -> IncomingMessage:
    """An e-mail (webhook or IMAP) as a message: its Message-ID dedups, the ids it answers
    and the "[#123]" tag in its subject thread."""
    return IncomingMessage(
        channel="email",
        source="email",
        dedup_key=parsed.message_id,
        thread_keys=thread_keys(parsed),
        ticket_ref=ticket_ref_from_subject(parsed.subject),
        subject=parsed.subject,
        text=parsed.text,
        sender_name=parsed.sender_name or None,
        sender_email=parsed.sender,
        recipients=parsed.to,
        sent_at=parsed.date,
        auto_submitted=parsed.auto_submitted,
        sender_auth=sender_verdict(parsed.authentication_results, parsed.sender.rpartition("@")[2]),
        attachments=tuple(
            AttachmentInfo(a.filename, a.content_type, a.size) for a in parsed.attachments
        ),
        extra={"warnings": list(parsed.warnings)} if parsed.warnings else {},
    )
