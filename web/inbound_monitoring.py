"""Monitoring webhooks: Prometheus Alertmanager and a generic up/down hook, under ``/inbound``.

The same four steps as every webhook (``web.inbound``): a size limit, authentication, the
raw payload stored (committed) before parsing, then the use-case
(``triage.store.monitoring.record_signals``): outage register and critical ticket.

Authentication: Alertmanager's ``http_config`` sends ``Authorization: Bearer <token>``
(``TRIAGE_ALERTMANAGER_TOKEN``); senders that sign like the desk's other webhooks may send
``X-Triage-Signature`` (HMAC of ``TRIAGE_INBOUND_SECRET``) instead. With neither setting
the hooks answer 503.

Answered synchronously (200 with what each alert did): the ticket and the outage are the
point of the call, and the benchmark shows it is fast (bench/monitoring_bench.py).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from triage.intake.message import RejectedPayload
from triage.monitoring import Signal, parse_alertmanager, parse_generic
from triage.store.intake import quarantine, settle, store_raw
from triage.store.monitoring import record_signals
from triage.store.sms_replies import take_inbound
from triage.store.voice_calls import call_by_sid, record_keys
from triage.voice_text import key_command, key_confirmation
from web.desk import ApiError, desk, limit_body
from web.inbound import LANGUAGE, SIGNATURE_HEADER, require_twilio_signature, signature

MAX_BYTES = 1024 * 1024  # Alertmanager groups alerts; a megabyte is thousands of them

bp = Blueprint("inbound_monitoring", __name__, url_prefix="/inbound")
log = logging.getLogger(__name__)


@bp.before_request
def _limit_body() -> None:
    limit_body(MAX_BYTES)


@bp.post("/alertmanager")
def alertmanager() -> Response:
    """Prometheus Alertmanager's webhook (payload version 4)."""
    return _take("alertmanager", parse_alertmanager)


@bp.post("/monitoring")
def monitoring() -> Response:
    """Any other monitor: ``{"service", "status": "down"|"up", "time"}``."""
    return _take("monitoring", lambda body: [parse_generic(body)])


@bp.post("/twilio/page-call")
def page_call() -> Response:
    """The key pressed in a page call (Twilio's <Gather> action, X-Twilio-Signature
    checked): 4 acknowledges, 6 starts work. Taken as the SMS answer it stands for
    (``ACK 123`` from the called person's number) through ``take_inbound``, so the same
    rules decide and a Twilio retry of the callback changes nothing twice."""
    body = request.get_data()
    require_twilio_signature()
    app = desk()
    now = app.clock()
    sid = request.form.get("CallSid", "").strip()[:40]
    digits = request.form.get("Digits", "").strip()[:5]
    reply = VoiceResponse()
    with app.sessions() as session:
        item_id = store_raw(session, "voice", request.content_type or "", body, now)
        call = call_by_sid(session, sid) if sid else None
        if call is None:
            quarantine(session, item_id, "CallSid names no page call")
            raise ApiError(404, "unknown_call", "CallSid names no page call the desk placed")
        command = key_command(digits, call.ticket_id)
        answer = None
        if command is not None:
            record_keys(session, call, digits)
            answer = take_inbound(
                session, app.catalog, f"{sid}:{digits}", call.recipient, command, now
            )
        settle(session, item_id, call.ticket_id)
        session.commit()
    log.info("page call answered: key %s (%s)", digits or "-", answer.outcome if answer else "-")
    reply.say(key_confirmation(command, answer.reply if answer else None), language=LANGUAGE)
    return Response(str(reply.to_xml()), mimetype="text/xml")


def _take(channel: str, parse: Callable[[bytes], list[Signal]]) -> Response:
    body = request.get_data()
    _authenticate(channel, body)
    app = desk()
    now = app.clock()
    with app.sessions() as session:
        item_id = store_raw(session, channel, request.content_type or "", body, now)
        try:
            signals = parse(body)
        except RejectedPayload as exc:
            detail = f"{exc.message}; {json.dumps(exc.fields)}" if exc.fields else exc.message
            quarantine(session, item_id, detail)
            log.info("inbound %s: inbox item %d quarantined (%s)", channel, item_id, exc.code)
            raise ApiError(exc.status, exc.code, exc.message, exc.fields) from None
    outcomes = record_signals(app.sessions, app.catalog, item_id, signals, now)
    for outcome in outcomes:
        log.info(
            "inbound %s: item %d alert %s %s -> contract %s outage %s ticket %s%s",
            channel,
            item_id,
            outcome.fingerprint[:16],
            outcome.status,
            outcome.contract_id,
            outcome.outage_id,
            outcome.ticket_id,
            " (silenced)" if outcome.silenced else "",
        )
    answer = {"receipt": str(item_id), "alerts": [o.as_json() for o in outcomes]}
    return Response(json.dumps(answer), status=200, mimetype="application/json")


def _authenticate(channel: str, body: bytes) -> None:
    settings = desk().settings
    token, secret = settings.alertmanager_token, settings.inbound_secret
    if not token and not secret:
        log.error("inbound %s: refused, no TRIAGE_ALERTMANAGER_TOKEN or secret set", channel)
        raise ApiError(503, "not_configured", "monitoring webhooks are not configured")
    given_token = request.headers.get("Authorization", "")
    if token and given_token.lower().startswith("bearer "):
        if hmac.compare_digest(given_token[7:].strip().encode(), token.encode()):
            return
        log.warning("inbound %s: refused, bad bearer token", channel)
        raise ApiError(401, "bad_token", "the bearer token is not valid")
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if secret and given:
        expected = signature(secret, body).encode("ascii")
        if hmac.compare_digest(expected, given.lower().encode("latin-1", "replace")):
            return
        log.warning("inbound %s: refused, bad signature", channel)
        raise ApiError(401, "bad_signature", f"{SIGNATURE_HEADER} does not match the body")
    log.warning("inbound %s: refused, no credentials", channel)
    raise ApiError(
        401,
        "missing_credentials",
        f"send Authorization: Bearer <token> or {SIGNATURE_HEADER}",
        headers={"WWW-Authenticate": 'Bearer realm="monitoring"'},
    )
