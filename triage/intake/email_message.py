"""Parse one inbound RFC 5322 e-mail into the fields a ticket message needs.

Why so defensive: inbound mail is written by every mail client, auto-responder and spam
cannon there is, and the standard library's ``email`` package raises on some of it (for
example ``IndexError`` for ``From: bob@``).  The caller has already stored the raw bytes,
so the contract here is simple: either a :class:`ParsedEmail` that is safe to show and to
store (no CR/LF in header values, no script in HTML, no NUL or lone surrogates anywhere),
with a warning for everything that was repaired or dropped, or a :class:`MalformedEmail`
saying exactly why the message cannot become a ticket.  Only a missing or unusable From is
fatal, because without it the ticket cannot be answered; everything else degrades.

Pure: standard library, ``email_validator`` (syntax only, no DNS) and ``nh3``; no clock,
no I/O, so a stored raw message can be re-parsed later with identical results.

The work is split by what it reads: ``email_headers``, ``email_mime`` (the MIME walk and
charsets), ``email_html``, ``email_text`` (header text, warnings) and ``email_limits``.
"""

from __future__ import annotations

import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime
from email.feedparser import BytesFeedParser
from email.message import EmailMessage, Message

from triage.intake.email_headers import (
    _date,
    _Headers,
    _in_reply_to,
    _is_auto_submitted,
    _message_id,
    _parse_from,
    _recipients,
    _references,
    _subject,
)
from triage.intake.email_limits import (
    _FEED_CHUNK,
    MAX_AUTH_RESULTS,
    MAX_HEADER_CHARS,
    MAX_PARSED_OBJECTS,
    MalformedEmail,
    _MiB,
)
from triage.intake.email_mime import Attachment, _bodies, _MimeWalker
from triage.intake.email_text import POLICY, _format_size, _one_line, _truncate, _Warnings

__all__ = [
    "Attachment",
    "MalformedEmail",
    "ParsedEmail",
    "parse_email",
    "thread_keys",
    "ticket_ref_from_subject",
]


@dataclass(frozen=True)
class ParsedEmail:
    """Everything the ticket layer needs from one e-mail, already normalised and made safe."""

    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: str
    sender_name: str
    to: tuple[str, ...]
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    auto_submitted: bool
    warnings: tuple[str, ...]
    #: The Authentication-Results headers, topmost (the nearest relay's) first; see
    #: ``triage.intake.sender_auth``.
    authentication_results: tuple[str, ...] = ()


def parse_email(
    raw: bytes,
    *,
    max_message_bytes: int = 25 * _MiB,
    max_attachment_bytes: int = 10 * _MiB,
) -> ParsedEmail:
    """Parse raw RFC 5322 bytes (as received by the webhook or fetched over IMAP).

    Raises :class:`MalformedEmail`, and nothing else, for any ``bytes`` input: the size
    check comes first so an oversized upload is refused before the parser allocates
    anything, and any unexpected failure inside the standard library is reported as
    "message could not be parsed" instead of crashing the intake worker.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"parse_email expects bytes, not {type(raw).__name__}")
    data = bytes(raw)
    if len(data) > max_message_bytes:
        raise MalformedEmail(f"message is larger than {_format_size(max_message_bytes)}")
    if not data.strip():
        raise MalformedEmail("message is empty")
    try:
        return _parse(data, max_attachment_bytes)
    except MalformedEmail:
        raise
    except RecursionError:
        raise MalformedEmail(
            "message could not be parsed: MIME parts are nested too deeply"
        ) from None
    except Exception as exc:  # the stdlib parser has known crash bugs on hostile input
        detail = _truncate(_one_line(f"{type(exc).__name__}: {exc}"), 200)
        raise MalformedEmail(f"message could not be parsed ({detail})") from exc


def ticket_ref_from_subject(subject: str) -> int | None:
    """Find the ticket number our replies put in the subject: "[#123]", "[Sak #123]", ...

    The tag survives "Re:"/"SV:"/"Fwd:" prefixes and client rewriting, so it threads
    replies whose In-Reply-To was lost.  The first tag wins: a forwarded ticket keeps the
    newest tag in front.  Only ASCII digits count, and 0 is not a ticket.
    """
    for match in _TICKET_TAG.finditer(subject):
        number = int(match.group(1))
        if number > 0:
            return number
    return None


def thread_keys(parsed: ParsedEmail) -> tuple[str, ...]:
    """Message ids this mail answers, most specific first, for looking up the ticket.

    In-Reply-To names the direct parent; References lists the thread oldest-first, so it is
    walked newest-first.  The message's own id is left out: it identifies this mail, it
    does not point at an existing ticket.
    """
    keys: list[str] = []
    seen = {parsed.message_id}
    candidates = [parsed.in_reply_to] if parsed.in_reply_to else []
    candidates.extend(reversed(parsed.references))
    for key in candidates:
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return tuple(keys)


_TICKET_TAG = re.compile(r"\[\s*(?:[^\W\d_]{1,20}\s*)?#\s*([0-9]{1,18})\s*\]")


def _parse(data: bytes, max_attachment_bytes: int) -> ParsedEmail:
    warnings = _Warnings()
    msg = _parse_bytes(data, warnings)
    headers = _Headers(msg)

    sender_name, sender = _parse_from(headers, warnings)
    message_id = _message_id(headers, data, warnings)
    in_reply_to = _in_reply_to(headers)
    references = _references(headers, warnings)
    subject = _subject(headers, warnings)
    recipients = _recipients(headers, warnings)
    date = _date(headers, warnings)

    walker = _MimeWalker(max_attachment_bytes, warnings)
    walker.visit(msg, depth=0, in_alternative=False)
    text, html = _bodies(walker.plain, walker.html, warnings)
    if walker.defects:
        warnings.add("MIME structure was repaired: " + ", ".join(sorted(walker.defects)))

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        to=recipients,
        date=date,
        text=text,
        html=html,
        attachments=tuple(walker.attachments),
        auto_submitted=_is_auto_submitted(headers, sender, msg),
        warnings=warnings.result(),
        authentication_results=tuple(
            value[:MAX_HEADER_CHARS]
            for value in headers.all("authentication-results")[:MAX_AUTH_RESULTS]
        ),
    )


class _TooManyObjects(Exception):
    """Raised from inside the stdlib parser to stop it; never leaves this module."""


class _CountingFactory:
    """Message factory for the feed parser that enforces MAX_PARSED_OBJECTS."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0

    def __call__(self, policy: email.policy.Policy | None = None) -> EmailMessage:
        self.count += 1
        if self.limit is not None and self.count > self.limit:
            raise _TooManyObjects
        return EmailMessage(policy=policy or POLICY)


def _parse_bytes(data: bytes, warnings: _Warnings) -> Message:
    """``BytesParser(policy=email.policy.default)``, fed in chunks under an object budget.

    Same parser and policy as ``BytesParser.parsebytes`` (which is a thin wrapper around
    this feed parser); feeding it ourselves is what lets us stop a message made of
    thousands of tiny parts and re-parse just the part of it before the budget ran out.
    """
    factory = _CountingFactory(MAX_PARSED_OBJECTS)
    parser = BytesFeedParser(factory, policy=POLICY)
    for offset in range(0, len(data), _FEED_CHUNK):
        try:
            parser.feed(data[offset : offset + _FEED_CHUNK])
        except _TooManyObjects:
            if offset == 0:
                raise MalformedEmail(
                    f"message has more than {MAX_PARSED_OBJECTS:,} MIME parts"
                ) from None
            warnings.add(
                f"message has more than {MAX_PARSED_OBJECTS:,} MIME parts; only the first "
                f"{_format_size(offset)} were read"
            )
            parser = BytesFeedParser(_CountingFactory(None), policy=POLICY)
            parser.feed(data[:offset])
            break
    return parser.close()
