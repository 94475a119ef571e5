"""marshmallow schemas for the inbound webhooks' payloads, and their error shape.

Strict where we define the format (chat, CTI: an unknown field is a client bug worth
hearing about), lenient where Twilio does (it adds parameters over time). Strings are
checked for what JSON allows but the databases refuse (NUL, unpaired surrogates), so a
bad payload is a 422 naming the field instead of a 500 from the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from sla.instants import EARLIEST, LATEST
from sla.local_time import OSLO
from triage.intake.message import normalise_phone

MAX_TEXT = 20_000
CTI_EVENTS = ("new_call", "answered", "hung_up", "missed")
#: Caller ids for a withheld number, as telephone systems spell them.
WITHHELD = frozenset({"anonymous", "unknown", "restricted", "private", "unavailable"})

#: C0 control characters and DEL: never in a name, an id or a parameter another system
#: sends, and PostgreSQL's text refuses NUL.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
#: Some non-space character anywhere ("Regexp" matches at the start: r"\S" alone refused
#: every text that begins with a space or a line break).
NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{2,30}$")


class Text(fields.String):
    """Free text: NUL dropped, unpaired surrogates replaced, line ends normalised."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        text = _SURROGATE.sub("\ufffd", text.replace("\x00", ""))
        return text.replace("\r\n", "\n").replace("\r", "\n")


class Name(Text):
    """A person's name: one line (line breaks, tabs and runs of spaces become one space),
    so it can go wherever a header or a title goes, as the e-mail parser's names do."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return " ".join(CONTROL_CHARS.sub(" ", text).split())  # split() knows U+2028 and U+2029


def _no_control(text: str) -> str:
    if CONTROL_CHARS.search(text) or _SURROGATE.search(text):
        raise ValidationError("Must not contain control characters.")
    return text


class Identifier(fields.String):
    """An id chosen by the other system: 1 to 200 characters, no control characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip() or len(text) > 200:
            raise ValidationError("Must be 1 to 200 characters.")
        return _no_control(text)


class Param(fields.String):
    """A parameter another system fills in (a Twilio SID, status or number): no control
    characters, which such systems never send and the databases may refuse (NUL)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _no_control(super()._deserialize(value, attr, data, **kwargs))


class Instant(fields.AwareDateTime):
    """An ISO 8601 time (without an offset: Oslo time) that every time zone can show."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "iso")
        kwargs.setdefault("default_timezone", OSLO)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        instant: datetime = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= instant <= LATEST:
            raise ValidationError("Not a usable time: too far in the past or the future.")
        return instant


class EmailAddress(fields.String):
    """Syntax checked and normalised by email-validator; no DNS (a webhook must not wait
    on, or fail with, someone's resolver)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return _normalised_email(text)
        except EmailNotValidError as exc:
            raise ValidationError(f"Not a valid e-mail address: {exc}") from None


@lru_cache(maxsize=4096)
def _normalised_email(text: str) -> str:
    """email-validator's normal form of ``text`` (raises ``EmailNotValidError``). Cached:
    without DNS it depends on the text alone, it was a tenth of the intake worker's CPU
    per chat message (the payload is parsed again there, issue 18), and during a storm
    the same people write again and again. A refused address is not cached."""
    return str(validate_email(text, check_deliverability=False).normalized)


class PhoneNumber(fields.String):
    """A dialable number in one spelling (``normalise_phone``); with ``withheld_ok`` also
    the words systems use for a hidden caller id, which come back as "anonymous"."""

    def __init__(self, *, withheld_ok: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.withheld_ok = withheld_ok

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if self.withheld_ok and text.lower() in WITHHELD:
            return "anonymous"
        if not _PHONE.match(text):
            raise ValidationError("Not a valid phone number.")
        return normalise_phone(text)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ChatSenderSchema(_Strict):
    name = Name(
        required=True,
        validate=[
            validate.Length(min=1, max=200),
            NOT_BLANK,
        ],
    )
    email = EmailAddress()
    phone = PhoneNumber()

    @validates_schema
    def _reachable(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ValidationError("Give an email or a phone number, so the sender can be answered.")


class ChatMessageSchema(_Strict):
    """``POST /inbound/chat``: one message of one chat conversation."""

    conversation_id = Identifier(required=True)
    message_id = Identifier(required=True)
    sender = fields.Nested(ChatSenderSchema, required=True)
    text = Text(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_TEXT),
            NOT_BLANK,
        ],
    )
    sent_at = Instant(required=True)


#: How an agent heard of a ticket they register by hand.
MANUAL_CHANNELS = ("phone", "email", "chat", "manual")
SEVERITY_VALUES = ("critical", "non-critical")


class ManualTicketSchema(_Strict):
    """``POST /api/v1/tickets``: a ticket an agent registers by hand (the phone call they
    took). The requester is answered like a chat sender, so the same rules apply: a name,
    and an e-mail address or a phone number."""

    subject = Text(required=True, validate=[validate.Length(min=1, max=300), NOT_BLANK])
    text = Text(required=True, validate=[validate.Length(min=1, max=MAX_TEXT), NOT_BLANK])
    channel = fields.String(required=True, validate=validate.OneOf(MANUAL_CHANNELS))
    requester = fields.Nested(ChatSenderSchema, required=True)
    contract = Identifier(
        load_default=None,
        allow_none=True,
        metadata={"description": "A contract of the catalog; default: routed like any ticket."},
    )
    severity = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(SEVERITY_VALUES),
        metadata={"description": "The agent's call; default: classified like any ticket."},
    )


class CtiEventSchema(_Strict):
    """``POST /inbound/cti``: one event of one call on the desk's phone system."""

    event = fields.String(required=True, validate=validate.OneOf(CTI_EVENTS))
    call_id = Identifier(required=True)
    from_ = PhoneNumber(required=True, data_key="from", withheld_ok=True)
    to = PhoneNumber(required=True)
    at = Instant(required=True)


class TwilioVoiceSchema(Schema):
    """The Twilio Voice parameters intake uses; Twilio's other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    CallSid = fields.String(
        required=True, validate=validate.Regexp(r"^CA[0-9a-fA-F]{32}\Z", error="Not a CallSid.")
    )
    From = Param(load_default="", validate=validate.Length(max=64))
    To = Param(load_default="", validate=validate.Length(max=64))
    CallStatus = Param(load_default="", validate=validate.Length(max=40))
    Direction = Param(load_default="", validate=validate.Length(max=40))
    RecordingSid = Param(load_default="", validate=validate.Length(max=64))
    RecordingUrl = Param(load_default="", validate=validate.Length(max=1000))
    RecordingDuration = Param(load_default="", validate=validate.Length(max=20))
    RecordingStatus = Param(load_default="", validate=validate.Length(max=40))
    TranscriptionSid = Param(load_default="", validate=validate.Length(max=64))
    TranscriptionStatus = Param(load_default="", validate=validate.Length(max=40))
    TranscriptionText = Text(load_default="", validate=validate.Length(max=MAX_TEXT))


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"sender.email": ["..."]}, one key per bad field.

    A schema-level problem is reported on the object it concerns ("sender"), or on
    "(body)" for the whole payload.
    """
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            for path, problems in field_errors(value, name).items():
                out.setdefault(path, []).extend(problems)
        return out
    if isinstance(messages, list | tuple):
        flat: list[str] = []
        nested: dict[str, list[str]] = {}
        for item in messages:
            if isinstance(item, Mapping):
                for path, problems in field_errors(item, prefix).items():
                    nested.setdefault(path, []).extend(problems)
            else:
                flat.append(str(item))
        if flat:
            nested.setdefault(prefix or "(body)", []).extend(flat)
        return nested
    return {prefix or "(body)": [str(messages)]}
