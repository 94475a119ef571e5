"""Send e-mail through the server named by ``SMTP_URL``.

``smtp://user:password@host:port`` (plain, upgraded with STARTTLS when the server offers
it and ``?starttls=1`` is given), ``smtps://...`` (TLS from the start). Credentials in the
URL are percent-decoded and never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465"
            )
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def send_email(url: str, message: EmailMessage, timeout: float = 30.0) -> None:
    """Deliver one message; raises ``smtplib.SMTPException`` or ``OSError`` on failure so
    the job that called it can retry."""
    target = SmtpTarget.parse(url)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.tls:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        if target.starttls:
            client.starttls(context=context)
        if target.username:
            client.login(target.username, target.password or "")
        client.send_message(message)


def sender(url: str | None, timeout: float = 30.0) -> Callable[[EmailMessage], None]:
    """``send_email`` through ``url`` as a use-case's ``send``: no ``SMTP_URL`` is a failed
    send (``smtplib.SMTPException``) the use-case records, not a crash; a malformed one
    raises ``ValueError`` from ``SmtpTarget.parse``."""

    def send(message: EmailMessage) -> None:
        if url is None:
            raise smtplib.SMTPException("SMTP_URL is not set")
        send_email(url, message, timeout)

    return send
