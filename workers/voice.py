"""Place the page calls that are due (``triage.store.voice_calls``): the sweeper's tick.

The TwiML is sent inline with the call (no fetch back to the desk), reads the ticket in
Norwegian and, when the desk has a public URL, gathers one key press and posts it to the
signed ``/inbound/twilio/page-call`` webhook (4 = acknowledge, 6 = start work).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from twilio.twiml.voice_response import VoiceResponse

from config.settings import Settings
from triage.phone import mask_phone
from triage.store import voice_calls
from triage.voice_text import NO_ANSWER, PROMPT, page_speech
from workers.channels.twilio_sms import Sent
from workers.channels.twilio_voice import VoiceChannel, voice_channel
from workers.context import WorkerContext

log = logging.getLogger(__name__)
LANGUAGE = "nb-NO"
GATHER_PATH = "/inbound/twilio/page-call"


@lru_cache(maxsize=4)
def _channel(settings: Settings) -> VoiceChannel:
    return voice_channel(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from,
        settings.twilio_api_base,
    )


def twiml(call: voice_calls.CallToPlace, service: str, public_url: str | None) -> str:
    response = VoiceResponse()
    speech = page_speech(call.ticket_id, call.critical, service, call.subject)
    if public_url:
        gather = response.gather(
            num_digits=1, action=f"{public_url}{GATHER_PATH}", method="POST", timeout=8
        )
        gather.say(f"{speech} {PROMPT}", language=LANGUAGE)
        gather.say(PROMPT, language=LANGUAGE)
    else:
        response.say(f"{speech} Svar med SMS: ACK {call.ticket_id}.", language=LANGUAGE)
    response.say(NO_ANSWER, language=LANGUAGE)
    return str(response.to_xml())


def place_due_calls(ctx: WorkerContext) -> int:
    """Plan and place every call that is due; returns how many were placed."""
    with ctx.sessions() as session:
        due = voice_calls.plan_due_calls(session, ctx.clock())
    placed = 0
    for call_id in due:
        with ctx.sessions() as session:
            call = voice_calls.claim(session, call_id, ctx.clock())
        if call is None:
            continue
        contract = ctx.catalog.contracts.get(call.contract_id or "")
        service = contract.short_name if contract else "ukjent tjeneste"
        result = _channel(ctx.settings).call(
            call.recipient, twiml(call, service, ctx.settings.public_url)
        )
        with ctx.sessions() as session:
            if isinstance(result, Sent):
                voice_calls.mark_call(session, call_id, result.sid, None, ctx.clock())
                placed += 1
                log.info("page call %d to %s placed", call_id, mask_phone(call.recipient))
            else:
                voice_calls.mark_call(session, call_id, None, result.error, ctx.clock())
                log.warning("page call %d to %s failed", call_id, mask_phone(call.recipient))
    return placed
