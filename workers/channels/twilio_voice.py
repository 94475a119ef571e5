"""Place page calls through Twilio's Calls API with the official ``twilio`` client.

The same client set-up as the SMS channel (``TwilioSms``: the rebased HTTP client, so tests
and the benchmark run the real client against the fake API) and the same results (``Sent``
with the call SID, ``Retryable``, ``Rejected``). Without credentials ``OutboxVoice`` only
pretends, like the SMS outbox.
"""

from __future__ import annotations

import uuid
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

from workers.channels.twilio_sms import Retryable, SendResult, Sent, TwilioSms, _classify


class VoiceChannel(Protocol):
    name: str

    def call(self, to: str, twiml: str) -> SendResult: ...


class TwilioVoice:
    name = "twilio"

    def __init__(
        self, account_sid: str, auth_token: str, from_: str, *, api_base: str | None = None
    ) -> None:
        self.sms = TwilioSms(account_sid, auth_token, from_, api_base=api_base)
        self.from_ = from_

    def call(self, to: str, twiml: str) -> SendResult:
        try:
            call = self.sms.client.calls.create(to=to, from_=self.from_, twiml=twiml)
        except (TwilioRestException, TwilioServiceException) as exc:
            return _classify(exc)
        except (TwilioException, requests.RequestException, ValueError) as exc:
            return Retryable(f"no usable answer from Twilio ({type(exc).__name__})")
        if not call.sid:
            return Retryable("Twilio answered without a call SID")
        return Sent(sid=call.sid, status=str(call.status or "queued"))


class OutboxVoice:
    name = "outbox"

    def call(self, to: str, twiml: str) -> SendResult:
        return Sent(sid="OUTBOX-CALL-" + uuid.uuid4().hex, status="outbox")


def voice_channel(
    account_sid: str | None, auth_token: str | None, from_: str | None, api_base: str | None
) -> VoiceChannel:
    """``TwilioVoice`` with a phone number as sender (a Messaging Service cannot call)."""
    if account_sid and auth_token and from_ and from_.startswith("+"):
        return TwilioVoice(account_sid, auth_token, from_, api_base=api_base)
    return OutboxVoice()
