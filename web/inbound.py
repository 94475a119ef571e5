"""Inbound webhooks: e-mail, chat, Twilio Voice and SMS, and CTI, under ``/inbound``.

Every view does the same steps, in this order, because each protects the next:

1. read the body under a per-view size limit (413 before anything is parsed);
2. authenticate it: HMAC-SHA256 of the raw body (``X-Triage-Signature: sha256=<hex>``)
   for e-mail, chat and CTI, Twilio's own signature for Twilio. Unauthenticated bodies
   are not stored: anyone could fill the inbox with them. The failure is logged;
3. store the raw payload (committed) - from here on nothing the client sent can be lost,
   and a payload that fails its check is quarantined with the reason, answered 4xx;
4. ingest it (``triage.store.intake``): one ticket per message however often delivered.

The HMAC webhooks (e-mail, chat, CTI) accept first and ingest in batches (issue 18):
after a cheap shape check (``workers.channels.payloads.checks``) the payload is stored and
answered ``202 {"receipt", "status_url"}``; the intake worker makes the ticket
(``workers.jobs.intake``), and ``GET /inbound/receipts/<id>`` tells how it went. Without
Redis (the web app alone, or Redis unreachable) the request ingests its own payload
before answering, the same batch code on one item. Twilio Voice stays synchronous: its
TwiML reads the case number to the caller. SMS answers are handled in the request.

Log lines name the channel, the inbox item and the ticket, never a sender, number or text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import NoReturn

from flask import Blueprint, Response, request, url_for
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from triage.intake.message import IncomingMessage, RejectedPayload
from triage.phone import mask_any, normalise_phone
from triage.store.intake import IntakeResult, ingest, quarantine, store_raw
from triage.store.intake_batch import PENDING, Receipt, ingest_pending, receipt, store_pending
from triage.store.sms_outbox import record_delivery
from triage.store.sms_replies import IncompleteSms, receive_sms
from web.desk import MAX_CONTENT_LENGTH, ApiError, desk, limit_body
from workers import enqueue
from workers.channels.payloads import media_type
from workers.channels.schemas import CONTROL_CHARS

JSON_MAX_BYTES = 1024 * 1024  # a chat text is at most 20 000 characters
FORM_MAX_BYTES = 256 * 1024
SIGNATURE_HEADER = "X-Triage-Signature"
TWILIO_FORM = "application/x-www-form-urlencoded"
VOICEMAIL_MAX_SECONDS = 180
LANGUAGE = "nb-NO"

bp = Blueprint("inbound", __name__, url_prefix="/inbound")
log = logging.getLogger(__name__)

_LIMITS = {
    "inbound.chat": JSON_MAX_BYTES,
    "inbound.cti": JSON_MAX_BYTES,
    "inbound.twilio_voice": FORM_MAX_BYTES,
    "inbound.twilio_sms": FORM_MAX_BYTES,
    "inbound.twilio_sms_status": FORM_MAX_BYTES,
}


@bp.before_request
def _limit_body() -> None:
    limit_body(_LIMITS.get(request.endpoint or "", MAX_CONTENT_LENGTH))


# ------------------------------------------------------------------ views


@bp.post("/email")
def email() -> Response:
    """The raw RFC 5322 message (``Content-Type: message/rfc822``) from the mail relay."""
    return _hmac_intake("email")


@bp.post("/chat")
def chat() -> Response:
    """One chat message (JSON, ``workers.channels.schemas.ChatMessageSchema``)."""
    return _hmac_intake("chat")


@bp.post("/cti")
def cti() -> Response:
    """One call event from the desk's phone system (JSON,
    ``workers.channels.schemas.CtiEventSchema``)."""
    return _hmac_intake("cti")


def _hmac_intake(source: str) -> Response:
    """The path every HMAC-signed webhook shares: verify, check, store, answer 202."""
    body = request.get_data()
    _require_hmac(source, body)
    app = desk()
    now = app.clock()
    content_type = request.content_type or ""
    with app.sessions() as session:
        try:
            key = app.checks[source](body, content_type)
        except RejectedPayload as exc:
            item_id = store_raw(session, source, content_type, body, now)
            _refuse(session, source, item_id, exc)
        stored = store_pending(session, source, content_type, body, now, key)
        first = receipt(session, stored.first) if stored.first is not None else None
    redis_url = app.settings.redis_url
    woken = redis_url is not None and enqueue.wake_intake(redis_url)
    if not woken and not app.defer_intake:
        # no intake worker to wake (or Redis is down): this request does the batch's work
        ingest_pending(app.sessions, app.catalog, app.parsers, now, items=[stored.item_id])
        if first is not None and first.state == PENDING:
            with app.sessions() as session:
                first = receipt(session, first.item_id)
    log.info(
        "inbound %s: inbox item %d accepted%s",
        source,
        stored.item_id,
        f" (a redelivery of item {first.item_id})" if first is not None else "",
    )
    return _accepted(stored.item_id, first)


def _refuse(session: Session, source: str, item_id: int, exc: RejectedPayload) -> NoReturn:
    """Quarantine a payload that failed its check, and answer the check's 4xx."""
    detail = f"{exc.message}; {json.dumps(exc.fields)}" if exc.fields else exc.message
    quarantine(session, item_id, detail)
    log.info("inbound %s: inbox item %d quarantined (%s)", source, item_id, exc.code)
    raise ApiError(exc.status, exc.code, exc.message, exc.fields) from None


def _accepted(item_id: int, first: Receipt | None) -> Response:
    """202 with the receipt; a redelivery gets the first delivery's receipt and what is
    known about it (its ticket once ingested)."""
    if first is None:
        body: dict[str, object] = {"receipt": str(item_id), "status_url": _status_url(item_id)}
    else:
        body = {
            "receipt": str(first.item_id),
            "status_url": _status_url(first.item_id),
            "duplicate": True,
            **_receipt_body(first),
        }
    return Response(json.dumps(body), status=202, mimetype="application/json")


def _status_url(item_id: int) -> str:
    return f"{bp.url_prefix}/receipts/{item_id}"


def _receipt_body(found: Receipt) -> dict[str, object]:
    error = None if found.error is None else {"code": "quarantined", "message": found.error}
    return {"state": found.state, "ticket": found.ticket_id, "error": error}


@bp.get("/receipts/<receipt_id>")
def receipt_status(receipt_id: str) -> Response:
    """What became of a payload the HMAC webhooks accepted. Authenticated like them:
    ``X-Triage-Signature`` is the HMAC-SHA256 of the request path (``/inbound/receipts/<id>``)
    or of the empty body (a GET has none)."""
    _require_hmac("receipt", b"", request.path.encode("utf-8"))
    item_id = int(receipt_id) if receipt_id.isascii() and receipt_id.isdigit() else 0
    found = None
    if 0 < item_id < 2**63:
        with desk().sessions() as session:
            found = receipt(session, item_id)
    if found is None:
        raise ApiError(404, "unknown_receipt", f"no receipt {receipt_id[:40]!r}")
    return Response(json.dumps(_receipt_body(found)), mimetype="application/json")


@bp.post("/twilio/voice")
def twilio_voice() -> Response:
    """Twilio Voice: the incoming call, and the voicemail callbacks the TwiML asks for."""
    body = request.get_data()
    require_twilio_signature()
    message, result = _take("twilio", body)
    return Response(_twiml(message, result.ticket_id), mimetype="text/xml")


@bp.post("/twilio/sms")
def twilio_sms() -> Response:
    """An SMS to the desk's number: on-call staff answering a page (``ACK 123``,
    ``START 123``). The raw form is kept in the inbox; the answer is TwiML."""
    body = request.get_data()
    require_twilio_signature()
    app = desk()
    sid = _field("MessageSid") or _field("SmsSid")
    sender = _field("From")
    text = request.form.get("Body", "").replace("\x00", "")
    with app.sessions() as session:
        try:
            answer = receive_sms(
                session,
                app.catalog,
                body,
                request.content_type or "",
                sid,
                sender,
                text,
                app.clock(),
                app.catalog.calendars[app.settings.roster_calendar],
            )
        except IncompleteSms as exc:
            raise ApiError(
                400,
                "invalid_sms",
                "MessageSid and From are required",
                {name: ["missing"] for name in exc.missing},
            ) from None
    if answer.outcome == "unknown sender":
        log.warning("inbound sms from unknown number %s ignored", mask_any(sender))
    else:
        log.info("inbound sms: %s", answer.outcome)
    reply = MessagingResponse()
    if answer.reply:
        reply.message(answer.reply)
    return Response(str(reply.to_xml()), mimetype="text/xml")


@bp.post("/twilio/sms-status")
def twilio_sms_status() -> Response:
    """Twilio's delivery status callback for an SMS the desk sent."""
    require_twilio_signature()
    app = desk()
    sid = _field("MessageSid")
    status = _field("MessageStatus")
    if not sid or not status:
        raise ApiError(400, "invalid_status", "MessageSid and MessageStatus are required")
    code_text = _field("ErrorCode")
    # Twilio's codes are five digits; anything else (a "²", thirty digits) is not one
    code = (
        int(code_text)
        if code_text.isascii() and code_text.isdigit() and len(code_text) <= 9
        else None
    )
    with app.sessions() as session:
        known = record_delivery(
            session,
            sid[:64],
            status[:20],
            code,
            app.clock(),
            recipient=_phone_or_none(request.form.get("To", "")),
        )
    if not known:
        log.warning("sms status for an unknown message ignored")
    return Response(status=204)


def _field(name: str) -> str:
    """A one-line form field (a SID, a number, a status): control characters, which
    no real one contains and PostgreSQL's text refuses (NUL), are dropped."""
    return CONTROL_CHARS.sub("", request.form.get(name, "")).strip()


def _phone_or_none(text: str) -> str | None:
    try:
        return normalise_phone(text)
    except ValueError:  # InvalidPhone: not a number we could have sent to
        return None


# ------------------------------------------------------------------ the common path


def _take(source: str, body: bytes) -> tuple[IncomingMessage, IntakeResult]:
    """Store, parse (quarantine on failure) and ingest one authenticated payload."""
    app = desk()
    now = app.clock()
    content_type = request.content_type or ""
    with app.sessions() as session:
        item_id = store_raw(session, source, content_type, body, now)
        try:
            message = app.parsers[source](body, content_type)
        except RejectedPayload as exc:
            _refuse(session, source, item_id, exc)
    result = ingest(app.sessions, app.catalog, item_id, message, now, received_at=now)
    log.info(
        "inbound %s: inbox item %d -> ticket %d (%s)",
        source,
        item_id,
        result.ticket_id,
        "duplicate" if result.duplicate else "created" if result.created else "continued",
    )
    return message, result


# ------------------------------------------------------------------ authentication


def signature(secret: str, body: bytes) -> str:
    """The ``X-Triage-Signature`` value for ``body``: what senders must compute."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _require_hmac(source: str, body: bytes, *others: bytes) -> None:
    """The signature must be the HMAC of ``body`` (or of one of ``others``)."""
    secret = desk().settings.inbound_secret
    if not secret:
        log.error("inbound %s: refused, TRIAGE_INBOUND_SECRET is not set", source)
        raise ApiError(503, "not_configured", "inbound webhooks are not configured")
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    challenge = {"WWW-Authenticate": f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'}
    if not given:
        log.warning("inbound %s: refused, no signature", source)
        raise ApiError(
            401, "missing_signature", f"{SIGNATURE_HEADER} header is missing", headers=challenge
        )
    given_bytes = given.lower().encode("latin-1", "replace")
    if not any(
        hmac.compare_digest(signature(secret, signed).encode("ascii"), given_bytes)
        for signed in (body, *others)
    ):
        log.warning("inbound %s: refused, bad signature", source)
        raise ApiError(
            401,
            "bad_signature",
            f"{SIGNATURE_HEADER} does not match the body (expected sha256=<hex HMAC-SHA256>)",
            headers=challenge,
        )


def require_twilio_signature() -> None:
    """Twilio signs the public URL it called plus the form parameters.

    ``request.url`` is that URL only as far as the WSGI server sees it; behind a TLS proxy
    the app is built with ProxyFix (``TRIAGE_TRUST_PROXY=1``) so X-Forwarded-Proto/Host
    restore it. Without that setting the headers are ignored: a client could set them.
    """
    token = desk().settings.twilio_auth_token
    if not token:
        log.error("inbound twilio: refused, TWILIO_AUTH_TOKEN is not set")
        raise ApiError(503, "not_configured", "Twilio webhooks are not configured")
    given = request.headers.get("X-Twilio-Signature", "")
    if not given:
        log.warning("inbound twilio: refused, no signature")
        raise ApiError(403, "missing_signature", "X-Twilio-Signature header is missing")
    if media_type(request.content_type or "") != TWILIO_FORM:
        # Twilio posts only url-encoded forms, and only their fields are signed: the
        # fields of a multipart body would pass with the signature of the bare URL.
        log.warning("inbound twilio: refused, body is not %s", TWILIO_FORM)
        raise ApiError(
            415, "unsupported_media_type", f"Twilio webhooks take {TWILIO_FORM} bodies only"
        )
    if not RequestValidator(token).validate(request.url, request.form, given):
        log.warning("inbound twilio: refused, bad signature")
        raise ApiError(
            403, "bad_signature", "X-Twilio-Signature does not match the URL and parameters"
        )


# ------------------------------------------------------------------ TwiML


def _say(response: VoiceResponse, text: str) -> None:
    response.say(text, language=LANGUAGE)


def _twiml(message: IncomingMessage, ticket_id: int) -> str:
    """What the caller hears: the case number, digit by digit, then voicemail.

    Callbacks Twilio makes after the call (recording status, transcription) get an empty
    response; the <Record> action gets a goodbye, because the caller is still listening.
    """
    response = VoiceResponse()
    number = " ".join(str(ticket_id))
    if message.kind == "call":
        here = url_for("inbound.twilio_voice", _external=True)
        _say(response, f"Takk for at du ringte. Saken din har nummer {number}.")
        _say(response, "Legg igjen en beskjed etter tonen, og trykk firkant når du er ferdig.")
        response.record(
            action=here,
            method="POST",
            max_length=VOICEMAIL_MAX_SECONDS,
            finish_on_key="#",
            play_beep=True,
            recording_status_callback=here,
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
        _say(response, "Vi mottok ingen beskjed. Ha det bra.")
        response.hangup()
    elif message.kind == "recording" and "recording_status" not in message.extra:
        _say(response, f"Takk. Beskjeden er lagret på sak nummer {number}. Ha det bra.")
        response.hangup()
    return str(response.to_xml())
