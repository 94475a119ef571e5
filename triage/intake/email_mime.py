"""The MIME walk: plain and HTML bodies chosen from the tree (forwarded messages are
attachments, not this ticket's text), attachments described but not carried, and body
bytes decoded with the charset the sender meant.

Part of the e-mail parser (``triage.intake.email_message``); pure.
"""

from __future__ import annotations

import codecs
import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from email.message import Message

from triage.intake.email_headers import _Headers
from triage.intake.email_html import _cap_html, _html_to_text, _sanitize_html, _strip_tags
from triage.intake.email_limits import (
    MAX_BODY_CHARS,
    MAX_DEPTH,
    MAX_FILENAME_CHARS,
    MAX_HEADER_CHARS,
    MAX_HTML_SOURCE_CHARS,
    MAX_PARTS,
)
from triage.intake.email_text import (
    _BIDI_CONTROL,
    _attempt,
    _decode_8bit,
    _decode_unstructured,
    _format_size,
    _one_line,
    _scrub,
    _Warnings,
)


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


_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


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
