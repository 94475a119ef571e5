"""Parser-level properties, many examples (no app, no database): every parser either
returns its value or raises its documented rejection, never anything else, and what it
returns is safe to store and to show (no NUL, no lone surrogates, no CR/LF in one-line
fields)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from marshmallow import ValidationError

from tests.fuzz import strategies as S
from tests.fuzz.support import fuzz
from tests.web.support import CALL_SID, chat_payload, email_bytes
from triage.csv_import import BadFile, ImportRow, RowError, classify_row, parse_csv
from triage.intake.email_message import MalformedEmail, ParsedEmail, parse_email
from triage.intake.message import IncomingMessage, RejectedPayload
from triage.phone import InvalidPhone, mask_any, mask_phone, normalise_phone
from triage.sms_text import SMS_SEPTETS, Page, page_message, parse_reply, septets
from workers.channels.payloads import (
    cti_parser,
    parse_chat_payload,
    parse_email_payload,
    twilio_parser,
)

OSLO = ZoneInfo("Europe/Oslo")
ONCALL = "+4791000000"
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
LINE_BREAK = re.compile("[\r\n\u2028\u2029]")
CONTENT_TYPES = st.sampled_from(
    (
        "message/rfc822",
        "application/json",
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-8",
        "",
        "text/plain",
        "APPLICATION/JSON",
        ";;;",
        "\x00",
    )
)


def _assert_storable(message: IncomingMessage) -> None:
    """What intake stores and the desk shows: no NUL or lone surrogates anywhere, one
    line where a header or a title goes."""
    for name in ("subject", "text", "sender_name", "sender_email", "sender_phone"):
        value = getattr(message, name) or ""
        assert not UNSTORABLE.search(value), (name, value[:200])
    for name in ("subject", "sender_name", "sender_email"):
        value = getattr(message, name) or ""
        assert not LINE_BREAK.search(value), (name, value[:200])
    assert message.dedup_key.strip()
    if message.sent_at is not None:  # every zone can show it (the ticket page uses Oslo)
        message.sent_at.astimezone(OSLO)
        message.sent_at.astimezone(UTC)


def _rejection(exc: RejectedPayload) -> None:
    assert exc.message.strip(), exc
    assert exc.code and exc.status in (415, 422), (exc.code, exc.status)
    assert all(isinstance(v, list) and v for v in exc.fields.values())


# ------------------------------------------------------------------ payload parsers


@fuzz(300)
@given(raw=S.email_bodies, content_type=CONTENT_TYPES)
@example(  # a Date no zone west of UTC+14 can show
    raw=email_bytes(
        message_id="<x@y>", subject="s", text="t", date="Fri, 31 Dec 9999 23:59:00 -1400"
    ),
    content_type="message/rfc822",
)
def test_email_parser(raw: bytes, content_type: str) -> None:
    try:
        message = parse_email_payload(raw, content_type)
    except RejectedPayload as exc:
        _rejection(exc)
        return
    _assert_storable(message)


@fuzz(200)
@given(raw=S.email_bodies)
def test_parse_email_raises_only_malformed_email(raw: bytes) -> None:
    try:
        parsed = parse_email(raw)
    except MalformedEmail as exc:
        assert str(exc).strip()
        return
    assert isinstance(parsed, ParsedEmail)
    assert not LINE_BREAK.search(parsed.subject + parsed.sender + parsed.sender_name)
    for attachment in parsed.attachments:
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert not UNSTORABLE.search(attachment.filename)
    if parsed.html is not None:
        lowered = parsed.html.lower()
        assert "<script" not in lowered and "javascript:" not in lowered
        assert not re.search(r"<[^>]+\son\w+\s*=", lowered), parsed.html[:300]


@fuzz(300)
@given(raw=S.chat_bodies, content_type=CONTENT_TYPES)
@example(raw=b'{"a": ' + b"1" * 5000 + b"}", content_type="application/json")
@example(
    raw=S.json_dumps(chat_payload(sent_at="0001-01-01T00:00:00+14:00")),
    content_type="application/json",
)
def test_chat_parser(raw: bytes, content_type: str) -> None:
    try:
        message = parse_chat_payload(raw, content_type)
    except RejectedPayload as exc:
        _rejection(exc)
        return
    _assert_storable(message)
    assert message.text.strip() and len(message.text) <= 20_000


@fuzz(300)
@given(raw=S.cti_bodies, content_type=CONTENT_TYPES)
@example(raw=b'{"call_id": ' + b"7" * 4301 + b"}", content_type="application/json")
def test_cti_parser(raw: bytes, content_type: str) -> None:
    try:
        message = cti_parser(ONCALL)(raw, content_type)
    except RejectedPayload as exc:
        _rejection(exc)
        return
    _assert_storable(message)
    assert all(not UNSTORABLE.search(r) for r in message.recipients)


@fuzz(300)
@given(
    raw=st.one_of(
        S.voice_forms.map(lambda pairs: urlencode(pairs).encode()),
        S.voice_forms.map(lambda pairs: urlencode(pairs).encode()).flatmap(S.mutations),
        st.binary(max_size=300),
    ),
    content_type=CONTENT_TYPES,
)
@example(  # NUL in a SID that becomes a dedup key (PostgreSQL refuses it)
    raw=urlencode({"CallSid": CALL_SID, "RecordingSid": "RE\x00"}).encode(),
    content_type="application/x-www-form-urlencoded",
)
def test_twilio_parser(raw: bytes, content_type: str) -> None:
    try:
        message = twilio_parser(ONCALL)(raw, content_type)
    except RejectedPayload as exc:
        _rejection(exc)
        return
    _assert_storable(message)
    keys = [message.dedup_key, message.conversation_key or ""]
    assert not any(UNSTORABLE.search(key) for key in keys), keys
    assert all(not UNSTORABLE.search(str(v)) for v in message.extra.values())


# ------------------------------------------------------------------ CSV import


@fuzz(200)
@given(data=S.csv_bodies)
def test_csv_parser_yields_rows_or_line_errors(data: bytes) -> None:
    contracts = dict.fromkeys(S.CONTRACT_IDS)
    try:
        items = list(parse_csv(data, contracts, classify_row, OSLO))
    except BadFile as exc:
        assert str(exc).strip()
        return
    for item in items:
        assert item.line >= 2
        if isinstance(item, RowError):
            assert item.error.strip()
            continue
        assert isinstance(item, ImportRow)
        assert item.external_id.strip() and item.contract_id in contracts
        assert item.received_at.tzinfo is not None
        item.received_at.astimezone(OSLO)  # every imported time can be shown
        if item.responded_at is not None:
            assert item.responded_at >= item.received_at
        for text in (item.external_id, item.subject, item.body):
            assert not UNSTORABLE.search(text), text[:100]


# ------------------------------------------------------------------ SMS and phone numbers


@fuzz(300)
@given(text=st.one_of(S.wild_text, S.hostile_text(), st.sampled_from(["ACK 1", "start 2", "?"])))
def test_sms_replies_parse_to_a_reply(text: str) -> None:
    reply = parse_reply(text)
    assert reply.command in ("ack", "start", "help", "unknown")
    assert all(isinstance(i, int) and 0 < i < 10**12 for i in reply.ticket_ids)
    if reply.command == "start":
        assert len(reply.ticket_ids) == 1


@fuzz(300)
@given(
    subject=st.one_of(S.wild_text, S.hostile_text(), S.huge_text.map(lambda t: t[:2000])),
    label=st.one_of(S.any_text, S.hostile_text()),
    ticket_id=st.integers(1, 10**15),
    minutes=st.integers(-(10**6), 10**6),
    critical=st.booleans(),
)
def test_a_page_is_one_sms_whatever_the_subject(
    subject: str, label: str, ticket_id: int, minutes: int, critical: bool
) -> None:
    now = datetime(2026, 3, 10, 9, 15, tzinfo=OSLO)
    page = Page(ticket_id, critical, label, now + timedelta(minutes=minutes), subject, "t0")
    text = page_message(page, now, OSLO)
    size = septets(text)
    assert size is not None and size <= SMS_SEPTETS, text
    assert f"ACK {ticket_id}" in text


@fuzz(150)
@given(text=st.one_of(S.wild_text, S.phones.filter(lambda p: isinstance(p, str))))
@example(text="+47 912 34 567")
def test_phone_numbers_normalise_or_refuse(text: str) -> None:
    try:
        e164 = normalise_phone(text)
    except InvalidPhone as exc:
        assert str(exc).strip()
    else:
        assert re.fullmatch(r"\+[1-9][0-9]{1,14}", e164), e164
        assert normalise_phone(e164) == e164
        assert mask_phone(e164).startswith("+")
    masked = mask_any(text)  # never raises, never shows a run of digits
    assert not re.search(r"\d{5}", masked), masked


def test_text_that_starts_with_a_space_or_line_break_is_not_blank() -> None:
    """Found by the chat fuzz: Regexp(r"\\S") matches at the start only, so "\\r\\nHei" and
    " Hei" were refused as "Must not be blank." (chat text, API notes and reasons)."""
    from web.api.schemas import NoteArgsSchema, PauseArgsSchema

    body = S.json_dumps(chat_payload(text="\r\n  Sentralbordet er nede"))
    assert parse_chat_payload(body, "application/json").text == "\n  Sentralbordet er nede"
    assert NoteArgsSchema().load({"text": " hei"}) == {"text": " hei"}
    assert PauseArgsSchema().load({"reason": "\nventer på kunden"})["reason"]
    for blank in ("", " ", "\r\n\t", "\x00"):
        with pytest.raises(ValidationError):
            NoteArgsSchema().load({"text": blank})
