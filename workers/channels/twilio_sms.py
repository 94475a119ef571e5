"""Send escalation SMS through Twilio with the official ``twilio`` client.

The channel never raises for a network or API problem; it answers with a result the
caller can act on:

- ``Sent``: Twilio accepted the message (``sid`` is Twilio's message SID).
- ``Retryable``: a 5xx, a 429, a timeout or a broken connection. Try again later with
  backoff. A timeout or a dropped connection on the create request does *not* mean the SMS
  was not sent, so before a retry the caller should ask ``find_sent`` whether Twilio has it
  already; otherwise the on-call phone gets the escalation twice.
- ``Rejected``: any other 4xx (bad number, missing body, wrong credentials). Retrying will
  not help; record the error on the ticket.

``api_base`` points the real client at another host (the fake API in ``tests/fakes`` for
tests and benchmarks) by rewriting the ``https://api.twilio.com`` prefix of every request
URL in the HTTP client, so everything above the socket is the code that runs in production.

Without Twilio credentials ``sms_channel`` hands out ``OutboxSms``, which only pretends to
send, so development and demo set-ups need no account.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger(__name__)

# The twilio client logs every request at INFO, query parameters included (the ``To``
# number of a list call). Phone numbers stay out of our logs, so that logger only speaks up
# for warnings.
TWILIO_LOGGER = "twilio.http_client"
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class Sent:
    """Twilio took the message; ``status`` is its first status, usually ``queued``."""

    sid: str
    status: str


@dataclass(frozen=True)
class Retryable:
    """A passing failure (5xx, 429, timeout, connection error): retry with backoff, after
    checking ``find_sent`` if the request may have reached Twilio."""

    error: str


@dataclass(frozen=True)
class Rejected:
    """A permanent refusal (a 4xx other than 429); ``code`` is Twilio's error code, e.g.
    21211 for an invalid ``To`` number, so the ticket can say what to fix."""

    code: int | None
    error: str


SendResult = Sent | Retryable | Rejected


class ReconcileError(Exception):
    """``find_sent`` could not ask Twilio; distinct from "not found" because only a real
    "not found" makes it safe to send again."""


class SmsChannel(Protocol):
    """What the escalation job needs from an SMS backend."""

    name: str  # recorded as the outbox row's provider

    def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult: ...

    def find_sent(self, to: str, body: str, since: datetime) -> str | None: ...


class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no py.typed
    """``TwilioHttpClient`` that sends requests for Twilio's API host to ``api_base``.

    ``Client`` builds absolute URLs (``https://api.twilio.com/2010-04-01/...``, or
    ``https://api.<edge>.<region>.twilio.com/...`` when ``TWILIO_EDGE``/``TWILIO_REGION``
    are set) before calling ``request``, so that method is the one place every call passes
    with its final URL.
    """

    def __init__(self, api_base: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/") if api_base else None
        if self.session is not None:
            # The parent sizes the pool for https:// only; a plain-http api_base (the fake)
            # would get requests' default of 10 and discard (with a warning) the
            # connections of any further concurrent sends.
            self.session.mount("http://", HTTPAdapter(pool_maxsize=32))

    def rebase(self, url: str) -> str:
        if self.api_base is None:
            return url
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "https" and (
            host == "api.twilio.com" or (host.startswith("api.") and host.endswith(".twilio.com"))
        ):
            return self.api_base + url[len(f"{parts.scheme}://{parts.netloc}") :]
        return url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rebase(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def _quiet_twilio_logger() -> None:
    logger = logging.getLogger(TWILIO_LOGGER)
    if logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)


def _classify(exc: TwilioRestException | TwilioServiceException) -> Retryable | Rejected:
    status = int(exc.status)
    code = exc.code if isinstance(exc.code, int) else None
    # RFC 9457 errors (TwilioServiceException) carry detail/title instead of msg
    text = (exc.detail or exc.title) if isinstance(exc, TwilioServiceException) else exc.msg
    if status == 429 or status >= 500:
        return Retryable(f"Twilio answered HTTP {status} (code {code}): {text}")
    if status in (401, 403):
        return Rejected(
            code,
            f"Twilio refused the account SID / auth token (HTTP {status}, code {code}): {text}",
        )
    return Rejected(code, f"Twilio rejected the message (HTTP {status}, code {code}): {text}")


class TwilioSms:
    """The production channel: one ``twilio.rest.Client`` (and its connection pool) per
    instance, safe to share between threads of one worker."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        *,
        api_base: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        _quiet_twilio_logger()
        self.from_ = from_
        self.http_client = _RebasedHttpClient(api_base, timeout)
        self.client = Client(account_sid, auth_token, http_client=self.http_client)

    def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        """Ask Twilio to send ``body`` to ``to``; see the module docstring for what each
        result means to the caller."""
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if MESSAGING_SERVICE_SID.match(self.from_):
            kwargs["messaging_service_sid"] = self.from_
        else:
            kwargs["from_"] = self.from_
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            return _classify(exc)
        except requests.Timeout:
            return Retryable("no answer from Twilio in time; the message may have been sent")
        except requests.ConnectionError as exc:
            return Retryable(
                f"connection to Twilio failed ({type(exc).__name__}); "
                "the message may have been sent"
            )
        except (TwilioException, requests.RequestException, ValueError) as exc:
            # ValueError: a 2xx whose body is not JSON. Twilio may well have the message.
            return Retryable(f"unusable answer from Twilio ({type(exc).__name__})")
        if not message.sid:
            return Retryable("Twilio answered without a message SID")
        return Sent(sid=message.sid, status=str(message.status or "queued"))

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The SID of a message to ``to`` with exactly ``body`` created at or after ``since``,
        else None: used after a crash or timeout between "request sent" and "SID stored".

        ``since`` must be timezone-aware. The twilio client formats dates as
        ``%Y-%m-%dT%H:%M:%SZ`` *without* converting to UTC, so it is converted here; and
        since Twilio's ``DateSent`` filter is documented by the day, the creation time is
        checked again on our side. Raises ``ReconcileError`` if Twilio could not be asked.
        """
        if since.tzinfo is None or since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        since_utc = since.astimezone(UTC)
        floor = since_utc.replace(microsecond=0)  # Twilio keeps whole seconds
        try:
            messages = self.client.messages.list(to=to, date_sent_after=since_utc, limit=50)
        except (TwilioException, requests.RequestException, ValueError) as exc:
            raise ReconcileError(f"could not list messages at Twilio: {exc!r}") from exc
        for message in messages:
            created = message.date_created or message.date_sent
            if message.body == body and (created is None or created >= floor):
                return str(message.sid)
        return None


class OutboxSms:
    """The channel without Twilio credentials: nothing leaves the machine, every send
    "succeeds" with an ``OUTBOX-`` SID so the escalation flow can be run end to end."""

    name = "outbox"

    def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        return Sent(sid="OUTBOX-" + uuid.uuid4().hex, status="outbox")

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None


def sms_channel(
    account_sid: str | None,
    auth_token: str | None,
    from_: str | None,
    api_base: str | None = None,
) -> SmsChannel:
    """``TwilioSms`` when the account SID, auth token and sender are all set, else
    ``OutboxSms``. A half-filled configuration is logged (names only, no values), since it
    is more likely a mistake than a choice."""
    if account_sid and auth_token and from_:
        return TwilioSms(account_sid, auth_token, from_, api_base=api_base)
    if account_sid or auth_token or from_:
        missing = [
            name
            for name, value in (
                ("account SID", account_sid),
                ("auth token", auth_token),
                ("sender", from_),
            )
            if not value
        ]
        log.warning("Twilio settings incomplete (missing %s); SMS go to the outbox", missing)
    return OutboxSms()
