"""marshmallow schemas of the REST API: what it takes (strict) and what it answers.

Times in are ISO 8601, a time without an offset is Europe/Oslo (house rule); times out are
Europe/Oslo with their offset. Free text is cleaned as the inbound payloads are (NUL
dropped, lone surrogates replaced) so the databases never see what they refuse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from sla.local_time import OSLO
from sla.severity import Severity
from triage.intake.message import CHANNELS
from triage.store.ticket_actions import SORTS, STATUSES
from workers.channels.schemas import NOT_BLANK, Identifier, Instant, Text

SEVERITIES = tuple(s.value for s in Severity)
OUTCOMES = ("met", "breached", "open", "no-target")
MAX_REASON = 2000
MAX_NOTE = 20_000


class OsloDateTime(fields.DateTime):
    """An aware datetime, written in Europe/Oslo with its offset."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(OSLO).isoformat()


def _reason(*, required: bool = True) -> Text:
    return Text(
        required=required,
        validate=[validate.Length(min=1, max=MAX_REASON), NOT_BLANK],
        metadata={"description": "Why; recorded on the event."},
    )


# ------------------------------------------------------------------ arguments


class TicketQuerySchema(Schema):
    """Filters and order of ``GET /api/v1/tickets`` (``page``/``page_size`` page it)."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    contract = Identifier(metadata={"description": "Contract id, e.g. nettsoft-mbn."})
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    channel = fields.String(validate=validate.OneOf(sorted(CHANNELS)))
    assignee = Identifier()
    breached = fields.Boolean(
        metadata={"description": "Only breached tickets (true) or only the others (false)."}
    )
    q = Identifier(
        metadata={"description": "Words in the subject or body (case-insensitive substring)."}
    )
    sort = fields.String(
        load_default="time_left",
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "time_left: breached first, then open, then met, then tickets "
            "without a deadline; critical before non-critical; then by due_at. "
            "received_at / -received_at: by receipt, oldest / newest first."
        },
    )


class ResponseArgsSchema(Schema):
    at = Instant(
        metadata={"description": "When response started (default: now); not before receipt."},
    )


class VendorResponseArgsSchema(Schema):
    event = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=2**53),
        metadata={"description": "The vendor_replied event to confirm as the response."},
    )


class ClassificationArgsSchema(Schema):
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    reason = _reason()
    wrong_reason = Text(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "Which of the classifier's reasons was wrong (optional)."},
    )


class ContractArgsSchema(Schema):
    contract = Identifier(required=True, metadata={"description": "A contract of the catalog."})
    reason = _reason()


class AssigneeArgsSchema(Schema):
    assignee = Identifier(
        required=True,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "Who works the ticket; null unassigns."},
    )


class PauseArgsSchema(Schema):
    reason = _reason()


class ResolveArgsSchema(Schema):
    note = Text(validate=validate.Length(max=MAX_NOTE))


class NoteArgsSchema(Schema):
    text = Text(required=True, validate=[validate.Length(min=1, max=MAX_NOTE), NOT_BLANK])


# ------------------------------------------------------------------ answers


class TicketSummarySchema(Schema):
    id = fields.Integer()
    subject = fields.String()
    channel = fields.String()
    contract = fields.String(allow_none=True)
    severity = fields.String()
    needs_confirmation = fields.Boolean(
        metadata={
            "description": "The classifier was unsure: runs the critical clock until "
            "an agent confirms or downgrades it."
        }
    )
    status = fields.String(metadata={"description": "open, paused or resolved."})
    assignee = fields.String(allow_none=True)
    received_at = OsloDateTime()
    due_at = OsloDateTime(
        allow_none=True,
        metadata={
            "description": "Null without a deadline. Of a paused ticket: as of the "
            "pause start; the paused business time is added on resume."
        },
    )
    responded_at = OsloDateTime(allow_none=True)
    resolved_at = OsloDateTime(allow_none=True)
    outcome = fields.String(
        validate=validate.OneOf(OUTCOMES),
        metadata={"description": "sla.targets.judge now (a paused ticket: at its pause start)."},
    )
    seconds_left = fields.Float(
        allow_none=True,
        metadata={
            "description": "Until due_at; negative when overdue; null once answered "
            "or without a deadline."
        },
    )
    paused_since = OsloDateTime(allow_none=True)


class EventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    at = OsloDateTime()
    actor = fields.String()
    data = fields.Dict()


class SlaSchema(Schema):
    contract = fields.String(allow_none=True)
    clock_starts_at = OsloDateTime(allow_none=True)
    due_at = OsloDateTime(allow_none=True)
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    seconds_left = fields.Float(allow_none=True)
    response_business_minutes = fields.Float(allow_none=True)
    paused_since = OsloDateTime(allow_none=True)
    target = fields.String(
        allow_none=True, metadata={"description": "PT60M, immediately+PT15M, ..."}
    )
    rule = fields.String(allow_none=True, metadata={"description": "The contract's rule."})
    notes = fields.List(fields.String(), metadata={"description": "Why the deadline is there."})


class ForwardSchema(Schema):
    """A forward of the fault report to the vendor: the outbox row's state."""

    id = fields.Integer()
    ticket = fields.Integer(attribute="ticket_id")
    to = fields.String(attribute="to_address")
    message_id = fields.String(metadata={"description": "The vendor's reply threads by it."})
    status = fields.String(
        validate=validate.OneOf(("queued", "sending", "sent", "failed")),
        metadata={"description": "queued -> sending -> sent, or failed (see error)."},
    )
    attempts = fields.Integer()
    missing = fields.List(fields.String(), metadata={"description": "What the report lacked."})
    requested_by = fields.String()
    requested_at = OsloDateTime()
    next_attempt_at = OsloDateTime(metadata={"description": "While queued: the next attempt."})
    sent_at = OsloDateTime(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "The last failure."})


class TicketSchema(TicketSummarySchema):
    body = fields.String()
    requester_name = fields.String(allow_none=True)
    requester_email = fields.String(allow_none=True)
    requester_phone = fields.String(allow_none=True)
    severity_reasons = fields.List(fields.String())
    sla = fields.Nested(SlaSchema)
    events = fields.List(fields.Nested(EventSchema))
    forwards = fields.List(fields.Nested(ForwardSchema))


class HandoffSchema(Schema):
    ticket = fields.Integer()
    contract = fields.String()
    support_email = fields.String(allow_none=True)
    support_phone = fields.String(allow_none=True)
    missing = fields.List(fields.String(), metadata={"description": "Required, not found."})
    forward_by = OsloDateTime(allow_none=True)
    forward_by_source = fields.String(allow_none=True)
    notes = fields.List(fields.String())


class QuarantineItemSchema(Schema):
    id = fields.Integer()
    channel = fields.String()
    content_type = fields.String()
    received_at = OsloDateTime()
    error = fields.String(allow_none=True)
    size = fields.Integer(metadata={"description": "Bytes of the stored payload."})


class ReprocessSchema(Schema):
    item = fields.Integer()
    status = fields.String(metadata={"description": "processed, or quarantined again."})
    error = fields.String(allow_none=True)
    ticket = fields.Integer(allow_none=True)
    created = fields.Boolean()
    duplicate = fields.Boolean()


class ErrorBodySchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Each bad field and its problems."},
    )


class ErrorSchema(Schema):
    """``{"error": {"code", "message", "fields"}}``: every error of the desk."""

    error = fields.Nested(ErrorBodySchema)


class SmsSchema(Schema):
    id = fields.Integer()
    to = fields.String(metadata={"description": "The recipient, masked (+47******67)."})
    staff = fields.String(allow_none=True, metadata={"description": "Who the number belongs to."})
    body = fields.String()
    tickets = fields.List(fields.Integer())
    status = fields.String(
        metadata={"description": "queued, sending, sent, delivered, undelivered or failed."}
    )
    provider = fields.String(
        allow_none=True, metadata={"description": "twilio, or outbox when no Twilio is set."}
    )
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = OsloDateTime()
    sent_at = OsloDateTime(allow_none=True)
    delivered_at = OsloDateTime(allow_none=True)


class SmsQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(("queued", "sending", "sent", "delivered", "undelivered", "failed"))
    )


class OnCallSchema(Schema):
    level = fields.Integer()
    shift = fields.String()
    staff = fields.String(allow_none=True)
    to = fields.String(allow_none=True)
