"""The headers of an e-mail: From (fatal when unusable), recipients, Message-ID,
In-Reply-To and References (threading), Subject, Date, and whether it was sent by a
machine (auto-replies must not open tickets or be answered).

Part of the e-mail parser (``triage.intake.email_message``); pure.
"""

from __future__ import annotations

import email.header
import email.policy
import email.utils
import hashlib
import re
from datetime import UTC, datetime
from email.message import Message
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from sla.instants import EARLIEST, LATEST
from triage.intake.email_limits import (
    MAX_HEADER_CHARS,
    MAX_MESSAGE_ID_CHARS,
    MAX_RECIPIENTS,
    MAX_REFERENCES,
    MAX_SUBJECT_CHARS,
    MalformedEmail,
)
from triage.intake.email_text import (
    _CONTROL,
    _ENCODED_WORD,
    _EW_GAP,
    _HEADER_FACTORY,
    _attempt,
    _decode_8bit,
    _decode_unstructured,
    _one_line,
    _scrub,
    _truncate,
    _Warnings,
)

_ANGLE = re.compile(r"<([^<>]*)>")


_COMMENT = re.compile(r"\(([^()]*)\)")


_ID_TOKEN = re.compile(r"<[^<>]*>|[^\s<>,]+")


_RECIPIENT_HEADERS = (
    ("to", "To"),
    ("cc", "Cc"),
    ("delivered-to", "Delivered-To"),
    ("x-original-to", "X-Original-To"),
)


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
