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
"""

from __future__ import annotations

import codecs
import email.header
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.feedparser import BytesFeedParser
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from functools import lru_cache
from html import unescape as _unescape_html
from html.parser import HTMLParser
from typing import Any, TypeVar

import nh3
from email_validator import EmailNotValidError, validate_email

from sla.instants import EARLIEST, LATEST

__all__ = [
    "Attachment",
    "MalformedEmail",
    "ParsedEmail",
    "parse_email",
    "thread_keys",
    "ticket_ref_from_subject",
]

#: Longest body (plain text or sanitised HTML) kept; longer ones are cut with a warning so
#: one pasted log file cannot bloat the ticket store or the agent's screen.
MAX_BODY_CHARS = 200_000
#: Subjects longer than this are spam or loops, and they end up in list views and e-mail
#: subject lines of our own replies.
MAX_SUBJECT_CHARS = 1_000
#: HTML source handed to the sanitiser; sanitised output (mostly smaller: styles and
#: attributes go) is then cut to MAX_BODY_CHARS.
MAX_HTML_SOURCE_CHARS = 5 * MAX_BODY_CHARS
#: Raw header values handed to the standard library's header parsers are cut to this
#: length: some of those parsers are super-linear on pathological input.
MAX_HEADER_CHARS = 16 * 1024
#: Recipient addresses examined per message (To + Cc + Delivered-To + X-Original-To).
MAX_RECIPIENTS = 500
#: Authentication-Results headers kept (each relay on the way adds one).
MAX_AUTH_RESULTS = 20
#: References kept (the newest ones); enough to thread any real conversation.
MAX_REFERENCES = 100
#: MIME parts examined and nesting depth followed; beyond that the message is hostile.
MAX_PARTS = 1_000
#: Message objects the stdlib parser may build (MIME parts, delivery-status blocks, ...).
#: policy.default spends ~0.1 ms per part, so 25 MiB of tiny parts would otherwise cost
#: minutes of worker time; past this budget only the start of the message is parsed.
MAX_PARSED_OBJECTS = 2_000
_FEED_CHUNK = 8192
MAX_DEPTH = 50
#: Warnings kept; a message with 10 000 bad recipients should not produce 10 000 lines.
MAX_WARNINGS = 50
MAX_FILENAME_CHARS = 255
#: RFC 5322 line limit; longer "ids" cannot have come from a conforming client.
MAX_MESSAGE_ID_CHARS = 998

_MiB = 1024 * 1024


class MalformedEmail(ValueError):
    """The bytes cannot become a ticket message; the text says exactly why, for the sender log."""


@dataclass(frozen=True)
class Attachment:
    """A non-body MIME part, described but not carried: the raw message holds the bytes.

    ``too_large`` lets the caller refuse to extract or virus-scan oversized files while
    still telling the agent that the customer did send something.
    """

    filename: str
    content_type: str
    size: int
    too_large: bool


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


# --------------------------------------------------------------------------- public API


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


# --------------------------------------------------------------------------- parsing

_T = TypeVar("_T")

_TICKET_TAG = re.compile(r"\[\s*(?:[^\W\d_]{1,20}\s*)?#\s*([0-9]{1,18})\s*\]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_BYTE = re.compile(r"[\udc80-\udcff]")
# C0/C1 controls and the Unicode line/paragraph separators: never allowed in a header value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidirectional overrides let "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_BIDI_CONTROL = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ANGLE = re.compile(r"<([^<>]*)>")
_COMMENT = re.compile(r"\(([^()]*)\)")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_EW_GAP = re.compile(r"(?<=\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)")
_ID_TOKEN = re.compile(r"<[^<>]*>|[^\s<>,]+")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

_RECIPIENT_HEADERS = (
    ("to", "To"),
    ("cc", "Cc"),
    ("delivered-to", "Delivered-To"),
    ("x-original-to", "X-Original-To"),
)

# Labels that mail clients use for a charset while actually sending its superset (the
# WHATWG encoding standard makes the same substitutions); decoding with the superset gets
# e.g. Outlook's curly quotes right where the declared charset would give C1 controls.
_CHARSET_SUPERSETS = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
# Text codecs that are not charsets: they interpret escapes or are quadratic (punycode),
# so a sender must not be able to pick them for a 25 MiB body.
_UNSAFE_CODECS = frozenset(
    {"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"}
)

_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/calendar": ".ics",
    "text/html": ".html",
    "text/plain": ".txt",
    "text/rfc822-headers": ".txt",
}

#: Header values longer than this are parsed every time rather than remembered.
MEMO_HEADER_CHARS = 1000


class _RememberingHeaders(HeaderRegistry):
    """``policy.default``'s header factory, remembering the header objects it built.

    The standard library parses a structured header anew every time it is read, and the
    MIME accessors read Content-Type up to eight times per part: that was two thirds of
    the time to parse a plain e-mail. Header objects are immutable and the same values
    recur (the desk's own address, "text/plain; charset=utf-8"), so one object serves
    every read. Only short values are kept: hostile headers cannot fill memory.
    """

    def __init__(self) -> None:
        super().__init__()
        self._build = lru_cache(maxsize=2048)(super().__call__)

    def __call__(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and len(value) <= MEMO_HEADER_CHARS:
            return self._build(name, value)
        return super().__call__(name, value)


_HEADER_FACTORY = _RememberingHeaders()
#: ``email.policy.default`` with the remembering factory: what every parse here uses.
POLICY = email.policy.default.clone(header_factory=_HEADER_FACTORY)


class _Warnings:
    """Collects human-readable warnings once each, single-line, capped in number."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._dropped = 0

    def add(self, text: str) -> None:
        line = _truncate(_one_line(text), 500)
        if line in self._items:
            return
        if len(self._items) >= MAX_WARNINGS:
            self._dropped += 1
            return
        self._items.append(line)

    def result(self) -> tuple[str, ...]:
        if self._dropped:
            return (*self._items, f"{self._dropped} more warnings were left out")
        return tuple(self._items)


class _Headers:
    """Raw header values by lower-case name, unfolded and with 8-bit bytes decoded.

    Reading ``msg[name]`` would run the standard library's structured parsers, which can
    raise; here every value is kept as text and parsed by the caller with a fallback.
    """

    def __init__(self, msg: Message) -> None:
        self._raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self._raw.setdefault(str(name).strip().lower(), []).append(str(value))

    def all(self, name: str) -> list[str]:
        return [
            _decode_8bit(v).replace("\r", "").replace("\n", "") for v in self._raw.get(name, [])
        ]

    def first(self, name: str) -> str | None:
        values = self._raw.get(name)
        return _decode_8bit(values[0]).replace("\r", "").replace("\n", "") if values else None


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


# --------------------------------------------------------------------------- headers


def _parse_from(headers: _Headers, warnings: _Warnings) -> tuple[str, str]:
    """Return (display name, normalised address); a From we cannot answer is fatal."""
    values = headers.all("from")
    if not values:
        raise MalformedEmail("From header is missing")
    if len(values) > 1:
        warnings.add(f"message has {len(values)} From headers; the first was used")
    value = values[0][:MAX_HEADER_CHARS]
    shown = repr(_truncate(_one_line(value), 200))
    pieces = _split_address_list(value)
    if not pieces:
        if not value.strip():
            raise MalformedEmail("From header is empty")
        raise MalformedEmail(f"From header {shown} is not a valid address: it holds no address")
    if len(pieces) > 1:
        warnings.add(f"From header names {len(pieces)} addresses; the first was used")
    name, address = _parse_mailbox(pieces[0])
    try:
        normalised = _normalise_address(address)
    except ValueError as exc:
        raise MalformedEmail(f"From header {shown} is not a valid address: {exc}") from None
    return _truncate(_one_line(name), 200), _one_line(normalised)


def _recipients(headers: _Headers, warnings: _Warnings) -> tuple[str, ...]:
    """Every valid address the mail was sent to, so routing can tell which queue it hit."""
    found: list[str] = []
    examined = 0
    for key, label in _RECIPIENT_HEADERS:
        for value in headers.all(key):
            for piece in _split_address_list(value[:MAX_HEADER_CHARS]):
                examined += 1
                if examined > MAX_RECIPIENTS:
                    warnings.add(f"more than {MAX_RECIPIENTS} recipients; the rest were ignored")
                    return tuple(found)
                _, address = _parse_mailbox(piece)
                try:
                    normalised = _one_line(_normalise_address(address))
                except ValueError as exc:
                    shown = repr(_truncate(_one_line(piece), 200))
                    warnings.add(f"{label} address {shown} is not valid and was skipped: {exc}")
                    continue
                if normalised not in found:
                    found.append(normalised)
    return tuple(found)


@lru_cache(maxsize=4096)
def _normalise_address(address: str) -> str:
    """Syntax-check with email-validator (no DNS: parsing must be pure and repeatable).

    Remembered: the same senders and the desk's own addresses recur in every message,
    and the check was a fifth of the time to parse one."""
    try:
        return str(validate_email(address, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:  # e.g. an IDNA codec error the library did not wrap
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def _split_address_list(value: str) -> list[str]:
    """Split an address-list on top-level commas, honouring quotes, comments and <...>.

    Done by hand so that one bad address is reported (and skipped) on its own instead of
    the standard library's parser failing on the whole header.  Group syntax
    ("team: a@x, b@y;") is flattened, and "undisclosed-recipients:;" yields nothing.
    """
    pieces: list[str] = []
    buf: list[str] = []
    in_quote = escaped = in_literal = False
    comment = angle = 0
    index = 0
    while index < len(value):
        ch = value[index]
        index += 1
        word = None if in_quote or comment or ch != "=" else _ENCODED_WORD.match(value, index - 1)
        if word is not None:  # an encoded-word is atomic even if it holds "," or ":"
            buf.append(word.group(0))
            index = word.end()
            continue
        if escaped:
            escaped = False
        elif in_quote:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                in_quote = False
        elif comment:
            if ch == "\\":
                escaped = True
            elif ch == "(":
                comment += 1
            elif ch == ")":
                comment -= 1
        elif ch == '"':
            in_quote = True
        elif ch == "(":
            comment = 1
        elif ch == "<":
            angle += 1
        elif ch == ">":
            angle = max(0, angle - 1)
        elif ch == "[":
            in_literal = True
        elif ch == "]":
            in_literal = False
        elif not angle and not in_literal and ch in ",;":
            pieces.append("".join(buf))
            buf = []
            continue
        elif not angle and not in_literal and ch == ":":
            buf = []  # what came before was a group's display name
            continue
        buf.append(ch)
    pieces.append("".join(buf))
    return [piece.strip() for piece in pieces if piece.strip()]


def _parse_mailbox(piece: str) -> tuple[str, str]:
    """Return (decoded display name, addr-spec) for one mailbox, leniently."""
    # RFC 2047 6.2: whitespace between adjacent encoded-words is not part of the text, but
    # the stdlib's address parser keeps it ("Åse Øde gård" from a folded display name).
    piece = _EW_GAP.sub("", piece)
    try:
        addresses = _HEADER_FACTORY("to", piece).addresses
    except Exception:
        addresses = ()
    if addresses and addresses[0].username and addresses[0].domain:
        first = addresses[0]
        return str(first.display_name) or _comment_name(piece), str(first.addr_spec)
    # Fallback: take the last <...> as the address and what precedes it as the name.
    angles = list(_ANGLE.finditer(piece))
    if angles:
        last = angles[-1]
        name = _decode_unstructured(piece[: last.start()].strip().strip('"').strip())
        return name, last.group(1).strip()
    return _comment_name(piece), _COMMENT.sub("", piece).strip()


def _comment_name(piece: str) -> str:
    """Old-style "bob@example.com (Bob Smith)": the comment is the only display name."""
    match = _COMMENT.search(piece)
    return _decode_unstructured(match.group(1).strip()) if match else ""


def _message_id(headers: _Headers, data: bytes, warnings: _Warnings) -> str:
    """The Message-ID, or a synthetic one that is identical for identical bytes.

    Dedupe (webhook retries, IMAP re-fetches) keys on this id, so the fallback must be a
    pure function of the raw bytes; ".invalid" guarantees it never collides with a real id.
    """
    value = headers.first("message-id")
    if value is not None:
        normalised = _normalise_message_id(value)
        if normalised is not None:
            return normalised
        shown = repr(_truncate(_one_line(value), 200))
        warnings.add(f"Message-ID header {shown} is not usable; a synthetic id was used")
    else:
        warnings.add("Message-ID header is missing; a synthetic id was used")
    return f"<sha256-{hashlib.sha256(data).hexdigest()}@triage.invalid>"


def _normalise_message_id(value: str) -> str | None:
    """Bring an id to the canonical "<...>" form so ids from different headers compare equal."""
    match = _ANGLE.search(value)
    if match:
        core = "".join(match.group(1).split())
    else:
        tokens = _COMMENT.sub(" ", value).split()
        core = tokens[0].strip("<>\"'") if tokens else ""
    core = _CONTROL.sub("", _scrub(core))
    if not core or len(core) + 2 > MAX_MESSAGE_ID_CHARS:
        return None
    return f"<{core}>"


def _in_reply_to(headers: _Headers) -> str | None:
    """The direct parent's id; some clients list several, the first one is the parent."""
    value = headers.first("in-reply-to")
    if value is None:
        return None
    for token in _message_id_tokens(value[:MAX_HEADER_CHARS]):
        normalised = _normalise_message_id(token)
        if normalised is not None:
            return normalised
    return None


def _message_id_tokens(value: str) -> list[str]:
    """Bracketed ids, plus bare ones with an "@" (some clients drop the brackets).

    Old mailers also put prose in In-Reply-To ('Your message of "Mon, 4 Mar"'), which
    must not turn into ids.
    """
    tokens = _ID_TOKEN.findall(_COMMENT.sub(" ", value))
    return [t for t in tokens if t.startswith("<") or "@" in t]


def _references(headers: _Headers, warnings: _Warnings) -> tuple[str, ...]:
    """References in header order (oldest first), deduplicated, the newest ones kept."""
    unique: dict[str, None] = {}  # an ordered set
    for value in headers.all("references"):
        for token in _message_id_tokens(value[: MAX_HEADER_CHARS * 4]):
            normalised = _normalise_message_id(token)
            if normalised is not None:
                unique.setdefault(normalised)
    ids = list(unique)
    if len(ids) > MAX_REFERENCES:
        warnings.add(f"References header lists {len(ids)} ids; the newest {MAX_REFERENCES} kept")
        ids = ids[-MAX_REFERENCES:]
    return tuple(ids)


def _subject(headers: _Headers, warnings: _Warnings) -> str:
    value = headers.first("subject")
    if value is None:
        return ""
    subject = _one_line(_decode_unstructured(value[:MAX_HEADER_CHARS]))
    if len(subject) > MAX_SUBJECT_CHARS:
        warnings.add(f"subject is longer than {MAX_SUBJECT_CHARS:,} characters; truncated")
        subject = subject[:MAX_SUBJECT_CHARS].rstrip()
    return subject


def _date(headers: _Headers, warnings: _Warnings) -> datetime | None:
    """The sender's claimed send time, always timezone-aware (SLA maths needs instants)."""
    value = headers.first("date")
    if value is None:
        warnings.add("Date header is missing")
        return None
    text = _one_line(value[:MAX_HEADER_CHARS])
    try:
        parsed: datetime | None = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        warnings.add(f"Date header {_truncate(text, 200)!r} could not be parsed")
        return None
    if parsed.tzinfo is None:  # "-0000": UTC, sender's local offset unknown (RFC 5322 3.3)
        parsed = parsed.replace(tzinfo=UTC)
    if not EARLIEST <= parsed <= LATEST:
        # e.g. "31 Dec 9999 23:59 -1400": a datetime, but not one every zone can show
        warnings.add(f"Date header {_truncate(text, 200)!r} is out of range")
        return None
    return parsed


def _is_auto_submitted(headers: _Headers, sender: str, msg: Message) -> bool:
    """Whether a machine sent this, so the desk must not answer it (mail loops, RFC 3834).

    Besides the headers the brief names (Auto-Submitted, X-Autoreply, Precedence,
    MAILER-DAEMON) this also honours X-Autorespond, a null Return-Path ("<>", which only
    bounces and RFC 3834 responders use) and multipart/report delivery or read reports.
    """
    auto = headers.first("auto-submitted")
    if auto is not None:
        token = _COMMENT.sub(" ", auto).split(";")[0].strip().lower()
        if token != "no":
            return True
    for name in ("x-autoreply", "x-autorespond"):
        flag = headers.first(name)
        if flag is not None and flag.strip().lower() not in ("no", "false", "0"):
            return True
    precedence = (headers.first("precedence") or "").strip().lower()
    if precedence in ("bulk", "auto_reply", "auto-reply", "junk"):
        return True
    if sender.rpartition("@")[0].lower() == "mailer-daemon":
        return True
    return_path = headers.first("return-path")
    if return_path is not None and "".join(return_path.split()) == "<>":
        return True
    if _attempt(msg.get_content_type, "") == "multipart/report":
        report = _attempt(lambda: msg.get_param("report-type"), None)
        if isinstance(report, str) and report.lower() in (
            "delivery-status",
            "disposition-notification",
        ):
            return True
    return False


# --------------------------------------------------------------------------- MIME bodies


@dataclass
class _MimeWalker:
    """Walks the MIME tree once, sorting parts into plain bodies, HTML bodies, attachments.

    Not ``Message.walk()``: that descends into forwarded message/rfc822 parts, whose text
    is somebody else's mail and must not become this ticket's body.
    """

    max_attachment_bytes: int
    warnings: _Warnings
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: set[str] = field(default_factory=set)
    parts_seen: int = 0

    def visit(self, part: Message, depth: int, in_alternative: bool) -> None:
        self.parts_seen += 1
        if self.parts_seen > MAX_PARTS:
            self.warnings.add(f"message has more than {MAX_PARTS} MIME parts; the rest ignored")
            return
        if depth > MAX_DEPTH:
            self.warnings.add(f"MIME parts nested deeper than {MAX_DEPTH} levels were ignored")
            return
        ctype = _attempt(part.get_content_type, "text/plain")
        maintype = ctype.partition("/")[0]
        if part.is_multipart():
            payload = part.get_payload()
            children = (
                [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []
            )
            if maintype == "multipart":
                if ctype == "multipart/alternative":
                    self._visit_alternative(children, depth)
                else:
                    for child in children:
                        self.visit(child, depth + 1, in_alternative=False)
            else:  # message/rfc822, message/delivery-status: a mail inside the mail
                self._attach(part, ctype, self._filename(part))
        else:
            self._visit_leaf(part, ctype, in_alternative)
        self.defects.update(type(defect).__name__ for defect in part.defects)

    def _visit_alternative(self, children: list[Message], depth: int) -> None:
        """Keep one plain and one HTML rendering: the first plain, the last (richest) HTML."""
        best_plain: list[str] | None = None
        best_html: list[str] | None = None
        outer_plain, outer_html = self.plain, self.html
        for child in children:
            self.plain, self.html = [], []
            try:
                self.visit(child, depth + 1, in_alternative=True)
                if self.plain and best_plain is None:
                    best_plain = self.plain
                if self.html:
                    best_html = self.html
            finally:
                self.plain, self.html = outer_plain, outer_html
        self.plain.extend(best_plain or [])
        self.html.extend(best_html or [])

    def _visit_leaf(self, part: Message, ctype: str, in_alternative: bool) -> None:
        maintype = ctype.partition("/")[0]
        filename = self._filename(part)
        disposition = _attempt(part.get_content_disposition, None)
        if disposition == "attachment" or filename or maintype == "message":
            self._attach(part, ctype, filename)
            return
        if maintype == "multipart":  # boundary missing: the content is still readable text
            self.warnings.add(f"{ctype} part has no usable boundary; read as plain text")
            self.plain.append(self._text(part, "multipart part"))
        elif ctype == "text/plain":
            self.plain.append(self._text(part, "text/plain part"))
        elif ctype == "text/html":
            self.html.append(self._text(part, "text/html part"))
        elif not in_alternative:  # inline images, calendars, signatures: all attachments
            self._attach(part, ctype, filename)
        # else: another rendering of the body (text/enriched, text/watch-html): dropped

    def _text(self, part: Message, what: str) -> str:
        payload = _payload_bytes(part)
        charset = _attempt(part.get_content_charset, None)
        return _decode_text(payload, charset, what, self.warnings)

    def _filename(self, part: Message) -> str:
        """The sender's file name reduced to a safe single basename (it is shown and saved)."""
        name = _attempt(part.get_filename, None)
        if not isinstance(name, str):
            return ""
        name = _decode_8bit(name)
        if "=?" in name:  # Outlook puts RFC 2047 words inside quoted parameters
            name = _decode_unstructured(name)
        name = name.replace("\\", "/").rpartition("/")[2]
        name = _one_line(_BIDI_CONTROL.sub("", name))
        if name in (".", ".."):
            return ""
        if len(name) > MAX_FILENAME_CHARS:
            stem, dot, ext = name.rpartition(".")
            if dot and 0 < len(ext) <= 16:
                name = stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
            else:
                name = name[:MAX_FILENAME_CHARS]
        return name

    def _attach(self, part: Message, ctype: str, filename: str) -> None:
        content_type = ctype if _MIME_TYPE.match(ctype) else "application/octet-stream"
        if part.is_multipart():  # an embedded message: measured as the .eml it would be
            size = _serialized_size(part)
            if not filename and ctype == "message/rfc822":
                filename = _forwarded_name(part)
        else:
            size = len(_payload_bytes(part))
        if not filename:
            filename = f"attachment-{len(self.attachments) + 1}{_EXTENSIONS.get(ctype, '')}"
        too_large = size > self.max_attachment_bytes
        if too_large:
            self.warnings.add(
                f"attachment {filename!r} is {_format_size(size)}, larger than the "
                f"{_format_size(self.max_attachment_bytes)} limit"
            )
        self.attachments.append(Attachment(filename, content_type, size, too_large))


def _payload_bytes(part: Message) -> bytes:
    """The part's content with its transfer encoding (base64, quoted-printable) undone."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _serialized_size(part: Message) -> int:
    """Size of an embedded message as it would be saved (an .eml file)."""
    try:
        payload = part.get_payload()
        inner = payload if isinstance(payload, list) else []
        sizes = [
            len(sub.as_bytes(policy=email.policy.compat32))
            for sub in inner
            if isinstance(sub, Message)
        ]
        return sum(sizes)
    except Exception:
        return 0


def _forwarded_name(part: Message) -> str:
    """A forwarded mail is saved under its own subject, like mail clients do."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = _Headers(payload[0]).first("subject")
        if inner is not None:
            subject = _one_line(_decode_unstructured(inner[:MAX_HEADER_CHARS]))
            subject = _one_line(_BIDI_CONTROL.sub("", subject.replace("/", "-")))
            subject = subject.replace("\\", "-").strip(". ")
            if subject:
                return subject[: MAX_FILENAME_CHARS - 4] + ".eml"
    return "forwarded-message.eml"


def _bodies(
    plain_parts: list[str], html_parts: list[str], warnings: _Warnings
) -> tuple[str, str | None]:
    """Pick the ticket text and safe HTML from the collected body parts."""
    cleaned = (_clean_body(part, warnings) for part in plain_parts)
    plain = "\n\n".join(part.rstrip("\n") for part in cleaned if part.strip())
    html: str | None = None
    derived: str | None = None
    if html_parts:
        source = _clean_body("\n".join(html_parts), warnings)
        if len(source) > MAX_HTML_SOURCE_CHARS:  # sanitising 25 MiB of markup takes seconds
            warnings.add(f"HTML body is longer than {MAX_BODY_CHARS:,} characters; truncated")
            source = source[:MAX_HTML_SOURCE_CHARS]
        safe = _sanitize_html(source)
        if safe is None:
            warnings.add("HTML body could not be sanitised and was dropped")
            derived = _strip_tags(source)
        else:
            derived = _html_to_text(safe)
            html = _cap_html(safe, warnings)
    if plain.strip():
        text = plain
    elif derived is not None:
        text = derived
    else:
        text = plain
        if not plain_parts:
            warnings.add("message has no text body")
    if len(text) > MAX_BODY_CHARS:
        warnings.add(f"text body is longer than {MAX_BODY_CHARS:,} characters; truncated")
        text = text[:MAX_BODY_CHARS]
    return text, html


def _clean_body(text: str, warnings: _Warnings) -> str:
    """One line-ending convention, and nothing a database text column refuses (NUL)."""
    text = _scrub(text).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        warnings.add("NUL characters were removed from the body")
        text = text.replace("\x00", "")
    return text


def _decode_text(payload: bytes, charset: str | None, what: str, warnings: _Warnings) -> str:
    """Decode a body with its declared charset, falling back when it is unknown or lies.

    Order: the declared charset (or its everyday superset), then strict UTF-8, then UTF-8
    with replacement characters if the bytes are mostly UTF-8 with a few corrupt
    sequences, else latin-1, which maps every byte and so loses nothing.
    """
    label = (charset or "").strip().strip("\"'").strip().lower()
    codec = _lookup_codec(label or "us-ascii")
    if codec is not None:
        for name in (_CHARSET_SUPERSETS.get(codec), codec):
            if name is None:
                continue
            try:
                return payload.decode(name)
            except Exception:  # UnicodeDecodeError, or LookupError for bytes-to-bytes codecs
                continue
    if not label:
        problem = "declares no charset but is not ASCII"
    elif codec is None:
        problem = f"has unknown charset {label!r}"
    else:
        problem = f"is not valid {label!r}"
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        warnings.add(f"{what} {problem}; decoded as utf-8")
        return text
    lenient = payload.decode("utf-8", "replace")
    if _mostly_utf8(lenient):
        warnings.add(f"{what} {problem}; decoded as utf-8 with replacement characters")
        return lenient
    warnings.add(f"{what} {problem}; decoded as latin-1")
    return payload.decode("latin-1")


def _lookup_codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError, TypeError):
        return None
    return None if name in _UNSAFE_CODECS else name


def _mostly_utf8(text: str) -> bool:
    """True when valid multi-byte characters clearly outnumber the broken sequences."""
    sample = text[: MAX_BODY_CHARS * 2]
    bad = sample.count("\ufffd")
    good = sum(1 for ch in sample if ch > "\x7f") - bad
    return good >= 4 * bad


def _decode_bytes_leniently(data: bytes) -> str:
    """For 8-bit header bytes, which come without any charset label at all."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --------------------------------------------------------------------------- HTML

_HTML_DROP_CONTENT = {"script", "style", "title", "template"}
# cid: lets the UI map inline images to their attachments; javascript: and data: stay out.
_HTML_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}


def _sanitize_html(source: str) -> str | None:
    """nh3 (ammonia) allow-list cleaning: no script/style, no on* handlers, no javascript:."""
    try:
        return str(
            nh3.clean(
                source,
                clean_content_tags=_HTML_DROP_CONTENT,
                url_schemes=_HTML_URL_SCHEMES,
            )
        )
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return None


def _cap_html(safe: str, warnings: _Warnings) -> str:
    if len(safe) <= MAX_BODY_CHARS:
        return safe
    warnings.add(f"HTML body is longer than {MAX_BODY_CHARS:,} characters; truncated")
    cut = safe[: MAX_BODY_CHARS - 10_000]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    again = _sanitize_html(cut)  # re-closes the tags the cut left open
    return (again if again is not None else "")[:MAX_BODY_CHARS]


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "caption", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li", "main",
        "nav", "section", "tr",
    }
)  # fmt: skip
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_PARAGRAPH_TAGS = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
)


class _TextExtractor(HTMLParser):
    """HTML to readable plain text: blocks become lines, quotes get "> " prefixes.

    Used when a mail has no text/plain part, so agents, search and notifications still get
    text, including the quoted history Gmail puts in <blockquote>.  It is fed nh3's output,
    which is well-formed, so only the tags nh3 allows matter here.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.line_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0
        self.skip_depth = 0
        self.pending = 0  # 1: a line break is due before the next text, 2: a blank line
        self.chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_DROP_CONTENT:
            self.skip_depth += 1
        elif tag == "br":
            self._flush_pending()
            self._end_line()
        elif tag in ("td", "th"):
            if self.current and not self.current[-1].endswith(" "):
                self.current.append(" ")
        elif tag in _PARAGRAPH_TAGS or tag in _BLOCK_TAGS:
            self.pending = max(self.pending, 2 if tag in _PARAGRAPH_TAGS else 1)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_DROP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _PARAGRAPH_TAGS or tag in _BLOCK_TAGS:
            self.pending = max(self.pending, 2 if tag in _PARAGRAPH_TAGS else 1)
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:  # preformatted: keep spaces and line breaks as they are
            for index, line in enumerate(data.split("\n")):
                if index:
                    self._flush_pending()
                    self._end_line()
                if line:
                    self._append(line)
            return
        text = _HTML_SPACE.sub(" ", data)
        if not text.strip(" "):
            # whitespace between inline elements separates words; at a line start it is nothing
            if self.current and not self.pending and not self.current[-1].endswith(" "):
                self.current.append(" ")
            return
        if self.pending or not self.current or self.current[-1].endswith(" "):
            text = text.lstrip(" ")
        self._append(text)

    def _flush_pending(self) -> None:
        if self.pending and (self.lines or self.current):
            previous_depth = self.line_depth
            self._end_line()
            if self.pending == 2:
                self.lines.append((min(previous_depth, self.quote_depth), ""))
        self.pending = 0

    def _append(self, text: str) -> None:
        self._flush_pending()
        if not self.current:
            self.line_depth = self.quote_depth
        self.current.append(text)
        self.chars += len(text)

    def _end_line(self) -> None:
        self.lines.append((self.line_depth, "".join(self.current)))
        self.current = []
        self.line_depth = self.quote_depth

    def text(self) -> str:
        if self.current:
            self._end_line()
        out: list[str] = []
        for depth, line in self.lines:
            rendered = ("> " * depth + line.replace("\xa0", " ")).rstrip()
            if not line.strip() and out and out[-1] == rendered:
                continue  # collapse runs of blank lines
            out.append(rendered)
        return "\n".join(out).strip("\n")


def _html_to_text(html: str) -> str:
    """Text of sanitised HTML; stops reading once there is more text than will be kept."""
    extractor = _TextExtractor()
    try:
        for offset in range(0, len(html), 64 * 1024):
            extractor.feed(html[offset : offset + 64 * 1024])
            if extractor.chars > MAX_BODY_CHARS:
                break
        else:
            extractor.close()
    except Exception:  # html.parser has had assertion failures on odd markup
        return _strip_tags(html)
    return extractor.text()


def _strip_tags(html: str) -> str:
    """Last-resort text from HTML that neither nh3 nor html.parser could handle."""
    text = re.sub(r"(?is)<(script|style|title)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>", "\n", text)
    text = _unescape_html(re.sub(r"<[^>]*>", " ", text))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------- text helpers


def _decode_8bit(value: str) -> str:
    """Raw 8-bit header bytes (RFC 6532 UTF-8, or legacy charsets) arrive as escapes."""
    if not _ESCAPED_BYTE.search(value):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _scrub(value)
    return _decode_bytes_leniently(data)


def _decode_unstructured(value: str) -> str:
    """Decode RFC 2047 encoded-words, tolerating broken ones (left as they are)."""
    if "=?" not in value:
        return value
    try:
        return str(_HEADER_FACTORY("subject", value))
    except Exception:
        pass
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return value


def _scrub(text: str) -> str:
    """Replace lone surrogates: they cannot be encoded as UTF-8 for storage or display."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _one_line(text: str) -> str:
    """A header value that is safe to echo into another header: no CR/LF, no controls."""
    return " ".join(_CONTROL.sub(" ", _scrub(text)).split())


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format_size(size: int) -> str:
    if size >= _MiB and size % _MiB == 0:
        return f"{size // _MiB} MiB"
    if size >= _MiB:
        return f"{size / _MiB:.1f} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size:,} bytes"


def _attempt(func: Callable[[], _T], default: _T) -> _T:
    """Call a stdlib accessor that may raise on malformed headers; fall back quietly."""
    try:
        return func()
    except Exception:
        return default
