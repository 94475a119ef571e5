"""Text as an e-mail parser meets it: encoded words and stray 8-bit bytes in headers,
control and bidirectional characters, length caps; the remembering header factory every
parse uses (``POLICY``); and the collector of warnings about what was repaired.

Part of the e-mail parser (``triage.intake.email_message``); pure.
"""

from __future__ import annotations

import email.header
import email.policy
import email.utils
import re
from collections.abc import Callable
from email.headerregistry import HeaderRegistry
from functools import lru_cache
from typing import Any, TypeVar

from triage.intake.email_limits import MAX_WARNINGS, _MiB

_T = TypeVar("_T")


_SURROGATE = re.compile(r"[\ud800-\udfff]")


_ESCAPED_BYTE = re.compile(r"[\udc80-\udcff]")


# C0/C1 controls and the Unicode line/paragraph separators: never allowed in a header value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# Bidirectional overrides let "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_BIDI_CONTROL = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


_EW_GAP = re.compile(r"(?<=\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)")


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
