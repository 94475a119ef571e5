"""Raw webhook payloads to ``IncomingMessage``s, one parser per inbox channel.

The views and ``triage.store.intake.reprocess`` share these, so a payload quarantined
today parses tomorrow exactly as a fresh delivery would. Each parser takes the stored
bytes and content type and raises ``RejectedPayload`` (415 wrong media type, 422 bad
content) naming what is wrong. Only authenticated payloads reach the inbox, so none of
this re-checks signatures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from marshmallow import Schema, ValidationError

from config.settings import Settings
from triage.intake.email_message import MalformedEmail, parse_email
from triage.intake.message import IncomingMessage, RejectedPayload, from_email, normalise_phone
from triage.store.intake import Parser
from workers.channels.schemas import (
    ChatMessageSchema,
    CtiEventSchema,
    ManualTicketSchema,
    TwilioVoiceSchema,
    field_errors,
)

#: Twilio's CallStatus values once a call is over.
CALL_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
MAX_FORM_FIELDS = 200
Check = Callable[[bytes, str], str]
"""The accept path's shape check of an HMAC webhook's payload: raises ``RejectedPayload``
(answered 4xx at once), else returns the delivery's key (a redelivery has the same)."""
# One instance each: building a schema copies its declared fields, which cost a sixth of
# a chat intake; ``load`` keeps no state on the instance (marshmallow 4 has no context).
CHAT_SCHEMA = ChatMessageSchema()
CTI_SCHEMA = CtiEventSchema()
TWILIO_SCHEMA = TwilioVoiceSchema()
MANUAL_SCHEMA = ManualTicketSchema()


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _require(content_type: str, *allowed: str) -> None:
    if media_type(content_type) not in allowed:
        shown = media_type(content_type) or "none"
        raise RejectedPayload(
            f"Content-Type must be {' or '.join(allowed)}, not {shown}",
            code="unsupported_media_type",
            status=415,
        )


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RejectedPayload(
            f"body is not UTF-8 (byte {exc.start})", code="invalid_json"
        ) from None
    except json.JSONDecodeError as exc:
        raise RejectedPayload(
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            code="invalid_json",
        ) from None
    except RecursionError:
        raise RejectedPayload("body is JSON nested too deeply", code="invalid_json") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
        raise RejectedPayload(
            f"body is not usable JSON: {str(exc)[:200]}", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise RejectedPayload("body must be a JSON object", code="invalid_json")
    return data


def _load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        problems = field_errors(exc.messages)
        raise RejectedPayload(
            "invalid fields: " + ", ".join(sorted(problems)),
            code="validation_failed",
            fields=problems,
        ) from None
    return loaded


# ------------------------------------------------------------------ e-mail


def parse_email_payload(payload: bytes, content_type: str) -> IncomingMessage:
    _require(content_type, "message/rfc822")
    try:
        return from_email(parse_email(payload))
    except MalformedEmail as exc:
        raise RejectedPayload(str(exc), code="malformed_email") from None


# ------------------------------------------------------------------ chat


def parse_chat_payload(payload: bytes, content_type: str) -> IncomingMessage:
    _require(content_type, "application/json")
    data = _load(CHAT_SCHEMA, _json_object(payload))
    sender = data["sender"]
    return IncomingMessage(
        channel="chat",
        source="chat",
        dedup_key=f"message:{data['message_id']}",
        conversation_key=f"conversation:{data['conversation_id']}",
        text=data["text"],
        sender_name=sender["name"],
        sender_email=sender.get("email"),
        sender_phone=sender.get("phone"),
        sent_at=data["sent_at"],
        extra={"conversation_id": data["conversation_id"]},
    )


# ------------------------------------------------------------------ by hand


def manual_envelope(ticket: Mapping[str, Any], key: str, actor: str) -> bytes:
    """What the inbox keeps of a ticket registered by hand: the client's JSON as sent,
    the key that makes a retry idempotent, and who registered it. Kept whole, so the
    item parses again exactly as it did (``reprocess``)."""
    envelope = {"ticket": ticket, "key": key, "by": actor}
    return json.dumps(envelope, ensure_ascii=False).encode("utf-8")


def parse_manual_payload(payload: bytes, content_type: str) -> IncomingMessage:
    """A ticket an agent registered (``manual_envelope``): the phone call they took."""
    _require(content_type, "application/json")
    envelope = _json_object(payload)
    ticket = envelope.get("ticket")
    if not isinstance(ticket, dict) or not isinstance(envelope.get("key"), str):
        raise RejectedPayload(
            "a manual ticket's envelope needs ticket and key", code="invalid_json"
        )
    data = _load(MANUAL_SCHEMA, ticket)
    requester = data["requester"]
    return IncomingMessage(
        channel=data["channel"],
        source="manual",
        # one agent's retry is the same ticket; another agent's key is their own
        dedup_key=f"manual:{str(envelope.get('by', ''))[:100]}:{envelope['key']}",
        subject=data["subject"],
        text=data["text"],
        sender_name=requester["name"],
        sender_email=requester.get("email"),
        sender_phone=requester.get("phone"),
        extra={"registered_by": str(envelope.get("by", ""))[:100]},
    )


# ------------------------------------------------------------------ phone


def _is_oncall(to: str, oncall: str | None) -> bool:
    return bool(oncall) and bool(to) and to == normalise_phone(oncall or "")


def cti_parser(oncall: str | None) -> Parser:
    """CTI events: ``new_call`` opens the call's ticket, the others add to it (any of them
    opens it when it comes first: a missed call is still a contact)."""

    def parse(payload: bytes, content_type: str) -> IncomingMessage:
        _require(content_type, "application/json")
        data = _load(CTI_SCHEMA, _json_object(payload))
        event, call_id = data["event"], data["call_id"]
        caller = data["from_"]
        return IncomingMessage(
            channel="phone",
            source="cti",
            dedup_key=f"{event}:{call_id}",
            conversation_key=f"call:{call_id}",
            kind="call" if event == "new_call" else event,
            sender_phone=None if caller == "anonymous" else caller,
            recipients=(data["to"],),
            sent_at=data["at"],
            after_hours=_is_oncall(data["to"], oncall),
            extra={"cti_event": event, "call_id": call_id},
        )

    return parse


def twilio_parser(oncall: str | None) -> Parser:
    """Twilio Voice webhooks of one call (the call, the voicemail's action and status
    callbacks, a transcription) all continue the ticket of its CallSid."""

    def parse(payload: bytes, content_type: str) -> IncomingMessage:
        _require(content_type, "application/x-www-form-urlencoded")
        try:
            pairs = parse_qsl(
                payload.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise RejectedPayload(f"form body cannot be read: {exc}", code="invalid_form") from None
        form: dict[str, str] = {}
        for key, value in pairs:
            form.setdefault(key, value)
        data = _load(TWILIO_SCHEMA, form)
        return _twilio_message(data, oncall)

    return parse


def _twilio_message(data: Mapping[str, Any], oncall: str | None) -> IncomingMessage:
    sid = data["CallSid"]
    to = normalise_phone(data["To"])
    caller = normalise_phone(data["From"])
    common: dict[str, Any] = {
        "channel": "phone",
        "source": "twilio",
        "conversation_key": f"call:{sid}",
        "sender_phone": caller or None,
        "recipients": (to,) if to else (),
        "after_hours": _is_oncall(to, oncall),
    }
    if data["TranscriptionText"] or data["TranscriptionSid"]:
        return IncomingMessage(
            dedup_key=f"transcription:{data['TranscriptionSid'] or data['RecordingSid'] or sid}",
            kind="transcription",
            text=data["TranscriptionText"],
            extra=_present(
                call_sid=sid,
                recording_sid=data["RecordingSid"],
                transcription_status=data["TranscriptionStatus"],
            ),
            **common,
        )
    if data["RecordingSid"] or data["RecordingUrl"]:
        return IncomingMessage(
            dedup_key=f"recording:{data['RecordingSid'] or data['RecordingUrl']}",
            kind="recording",
            extra=_present(
                call_sid=sid,
                recording_sid=data["RecordingSid"],
                recording_url=data["RecordingUrl"],
                recording_duration=data["RecordingDuration"],
                recording_status=data["RecordingStatus"],
            ),
            **common,
        )
    if data["CallStatus"] in CALL_ENDED:
        return IncomingMessage(
            dedup_key=f"status:{sid}:{data['CallStatus']}",
            kind="call_status",
            extra=_present(call_sid=sid, call_status=data["CallStatus"]),
            **common,
        )
    return IncomingMessage(
        dedup_key=f"voice:{sid}",
        kind="call",
        extra=_present(call_sid=sid, call_status=data["CallStatus"], direction=data["Direction"]),
        **common,
    )


def _present(**values: str) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


# ------------------------------------------------------------------ accept-time checks


def check_email(payload: bytes, content_type: str) -> str:
    """The e-mail webhook's cheap check: its media type and a non-empty body. The MIME
    parse (the costly part) runs in the batch; a message it refuses is quarantined and
    its receipt says why. The key is the SHA-256 of the bytes: a relay's retry sends the
    same bytes (a copy with other trace headers is deduplicated by Message-ID later)."""
    _require(content_type, "message/rfc822")
    if not payload.strip():
        raise RejectedPayload("message is empty", code="malformed_email")
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def checks(settings: Settings) -> dict[str, Check]:
    """Accept-time check per HMAC webhook. Chat and CTI bodies are small JSON objects:
    their full parse (~0.1 ms) is the check, so a bad field is still answered 422 with
    the field named, and their key is the message's own dedup key."""
    cti = cti_parser(settings.oncall_number)
    return {
        "email": check_email,
        "chat": lambda payload, content_type: parse_chat_payload(payload, content_type).dedup_key,
        "cti": lambda payload, content_type: cti(payload, content_type).dedup_key,
    }


# ------------------------------------------------------------------ registry


def parsers(settings: Settings) -> dict[str, Parser]:
    """Parser per inbox channel, for the views and for ``reprocess``."""
    return {
        "email": parse_email_payload,
        "chat": parse_chat_payload,
        "cti": cti_parser(settings.oncall_number),
        "twilio": twilio_parser(settings.oncall_number),
        "manual": parse_manual_payload,
    }
