"""The escalation SMS sent to on-call staff, and the replies they send back.

Every message must fit ONE SMS segment. A second segment is more than a second charge:
concatenated segments can arrive late, out of order or not at all, and half a page read
at night is worse than a short one. A single character outside the GSM 03.38 alphabet
switches the whole message to UCS-2 (70 characters a segment), so ticket text -- typed in
any language, pasted from mail with typographic quotes and emoji -- is transliterated to
GSM-7 before it is measured, and lengths are counted in septets, where the extension
characters (``€``, ``[`` ...) cost two because they travel behind an escape.

The reply hint ("Svar ACK 123") is the one part of a page that is never shortened: a page
nobody can answer keeps escalating. Replies are typed on a phone under stress, so parsing
tolerates case, punctuation, ``#`` and missing spaces, but whatever it does not fully
understand is "unknown", never a guess: acknowledging the wrong ticket silences an
escalation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

SMS_SEPTETS = 160
MAX_REPLY_ID_DIGITS = 12
MAX_REPLY_CHARS = 160

# GSM 03.38 default alphabet in code order 0x00-0x7F, without 0x1B (the escape to the
# extension table, not a character).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + code, two septets.
GSM7_EXTENDED: frozenset[str] = frozenset("\f^{}\\[~]|€")

# Characters whose Unicode decomposition does not lead to what a reader expects:
# typography pasted from mail and office documents, and letters (Sami, Polish,
# Icelandic...) that have no decomposition at all but an obvious ASCII spelling.
_MAPPED: dict[str, str] = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‹": "'",
    "›": "'",
    "`": "'",
    "´": "'",
    "ʼ": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "–": "-",
    "—": "-",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "―": "-",
    "…": "...",
    "•": "*",
    "⁄": "/",
    "×": "x",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
    "ŋ": "n",
    "Ŋ": "N",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ĸ": "k",
    "ẞ": "SS",
}

_CUT = ".."
_WORD_SLACK = 10
_WEEKDAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")
_GROUP_HINT = "Svar ACK for alle, START n for en"


def _is_gsm7(ch: str) -> bool:
    return ch in GSM7_BASIC or ch in GSM7_EXTENDED


def septets(text: str) -> int | None:
    total = 0
    for ch in text:
        if ch in GSM7_BASIC:
            total += 1
        elif ch in GSM7_EXTENDED:
            total += 2
        else:
            return None
    return total


def _size(text: str) -> int:
    size = septets(text)
    if size is None:
        raise ValueError(f"not GSM-7 text: {text!r}")
    return size


def _decomposed(ch: str) -> str:
    if ch.isspace():
        return " "
    if _is_gsm7(ch):
        return ch
    return _MAPPED.get(ch, "")


@lru_cache(maxsize=4096)
def _transliterate(ch: str) -> str:
    """A letter that cannot be spelt becomes "?" so the reader sees that something was
    there ("Re: ???" rather than "Re: "); an emoji, control or unmapped symbol simply
    goes, because "?" in its place reads as a question."""
    if ch.isspace():
        return " "
    if _is_gsm7(ch):
        return ch
    if ch in _MAPPED:
        return _MAPPED[ch]
    kept = "".join(_decomposed(d) for d in unicodedata.normalize("NFKD", ch))
    if kept.strip():
        return kept
    category = unicodedata.category(ch)
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    if category.startswith("L"):
        return "?"
    return ""


def to_gsm7(text: str) -> str:
    """NFC first, so that a decomposed "e" + combining acute becomes the GSM "é" instead
    of a bare "e". Line breaks go too: a page is read as one line."""
    mapped = "".join(_transliterate(ch) for ch in unicodedata.normalize("NFC", text))
    return " ".join(mapped.split())


def fit(text: str, limit: int) -> str:
    """Cut at the last word boundary when that loses little, otherwise mid-word: a
    subject cut to its first word says less than one cut mid-way through its last.
    Trailing spaces go before any text does. Below two septets nothing readable fits,
    so the result is empty."""
    size = septets(text)
    if size is None:
        raise ValueError("fit() takes GSM-7 text; pass it through to_gsm7() first")
    if size <= limit:
        return text
    if _size(text.rstrip()) <= limit:
        return text.rstrip()
    if limit < len(_CUT):
        return ""
    budget = limit - len(_CUT)
    used = 0
    end = 0
    for ch in text:
        cost = 2 if ch in GSM7_EXTENDED else 1
        if used + cost > budget:
            break
        used += cost
        end += 1
    head = text[:end]
    if not text[end].isspace():
        boundary = max(head.rfind(ws) for ws in " \n\r\f")
        if boundary > 0 and end - boundary <= _WORD_SLACK:
            head = head[:boundary]
    return head.rstrip() + _CUT


@dataclass(frozen=True)
class Page:
    ticket_id: int
    critical: bool
    contract_label: str
    due: datetime
    subject: str
    point: str

    def __post_init__(self) -> None:
        _require_aware(self.due, "due")


def _require_aware(value: datetime, name: str) -> None:
    """A naive datetime would be read in the server's local zone: a clock read in all
    but name, and wrong by an hour on a server in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _clock(due: datetime, now: datetime, zone: ZoneInfo) -> str:
    """Bare time today, weekday within a week (either way), date beyond: the shortest
    form that cannot be mistaken for another day."""
    local_due = due.astimezone(zone)
    days = abs((local_due.date() - now.astimezone(zone).date()).days)
    time = f"{local_due:%H:%M}"
    if days == 0:
        return time
    if days <= 6:
        return f"{_WEEKDAYS[local_due.weekday()]} {time}"
    return f"{local_due:%d.%m} {time}"


def _time_left(due: datetime, now: datetime) -> str:
    """Whole minutes, floor of the absolute difference, in both directions. Both sides go
    to UTC first: subtracting two datetimes that share a ZoneInfo compares wall clocks
    and is an hour off across a DST change."""
    delta = due.astimezone(UTC) - now.astimezone(UTC)
    minutes = abs(delta) // timedelta(minutes=1)
    if minutes == 0:
        return "nå"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        amount = f"{days} d {hours} t" if hours else f"{days} d"
    elif hours:
        amount = f"{hours} t {mins} min" if mins else f"{hours} t"
    else:
        amount = f"{mins} min"
    return f"over {amount}" if delta < timedelta(0) else amount


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _quoted(subject: str, room: int) -> str:
    """Nothing rather than a lone ".." when almost no room is left."""
    if not subject or room < 3:
        return ""
    inner = fit(subject, room - 2)
    return "" if inner in ("", _CUT) else f'"{inner}"'


def page_message(page: Page, now: datetime, zone: ZoneInfo) -> str:
    """The subject gives way first, then the START half of the hint, then the label; the
    ACK hint never does for any real ticket id (a final cut to one segment only matters
    for ids with more than ~60 digits)."""
    _require_aware(now, "now")
    ident = str(page.ticket_id)
    tag = f"{'KRIT' if page.critical else 'SAK'} #{ident}"
    label = to_gsm7(page.contract_label)
    timing = f"frist {_clock(page.due, now, zone)} ({_time_left(page.due, now)})"
    subject = to_gsm7(page.subject).replace('"', "'")
    short_hint = f"Svar ACK {ident}"
    for hint in (f"{short_hint} eller START {ident}", short_hint):
        fixed = _size(_join(tag, label, timing, hint))
        if fixed <= SMS_SEPTETS:
            room = SMS_SEPTETS - fixed - 1
            return _join(tag, label, timing, _quoted(subject, room), hint)
    room = SMS_SEPTETS - _size(_join(tag, timing, short_hint)) - 1
    short_label = fit(label, room)
    if short_label == _CUT:
        short_label = ""
    return fit(_join(tag, short_label, timing, short_hint), SMS_SEPTETS)


def _urgency(page: Page) -> tuple[datetime, bool, int]:
    return (page.due.astimezone(UTC), not page.critical, page.ticket_id)


def _group_text(total: int, items: Sequence[str]) -> str:
    if not items:
        return f"{total} saker. {_GROUP_HINT}"
    rest = total - len(items)
    more = f" +{rest} til" if rest else ""
    return f"{total} saker: {', '.join(items)}{more}. {_GROUP_HINT}"


def grouped_message(pages: Sequence[Page], now: datetime, zone: ZoneInfo) -> str:
    """One SMS for an outage instead of fifty. Listing stops at the first ticket that
    does not fit, so what is listed is always the most urgent prefix; the caller keeps
    the full set of ids, which is what a bare "ACK" acknowledges. KRIT/SAK is written
    where the class changes, not on every ticket."""
    if not pages:
        raise ValueError("grouped_message needs at least one page")
    if len(pages) == 1:
        return page_message(pages[0], now, zone)
    _require_aware(now, "now")
    total = len(pages)
    items: list[str] = []
    previous: bool | None = None
    for page in sorted(pages, key=_urgency):
        tag = f"#{page.ticket_id}"
        if page.critical != previous:
            tag = f"{'KRIT' if page.critical else 'SAK'} {tag}"
        clock = _clock(page.due, now, zone)
        label = to_gsm7(page.contract_label)
        item = _join(tag, label, clock)
        if _size(_group_text(total, [*items, item])) > SMS_SEPTETS:
            if items:
                break
            room = SMS_SEPTETS - _size(_group_text(total, [_join(tag, clock)])) - 1
            short_label = fit(label, room)
            item = _join(tag, "" if short_label == _CUT else short_label, clock)
            if _size(_group_text(total, [item])) > SMS_SEPTETS:
                break
        items.append(item)
        previous = page.critical
    return _group_text(total, items)


Command = Literal["ack", "start", "help", "unknown"]


@dataclass(frozen=True)
class Reply:
    command: Command
    ticket_ids: tuple[int, ...]


_UNKNOWN = Reply("unknown", ())
_COMMANDS: dict[str, Command] = {
    "ack": "ack",
    "ok": "ack",
    "kvitter": "ack",
    "start": "start",
    "hjelp": "help",
    "help": "help",
}
_REPLY = re.compile(r"([a-z]+)\s*(.*)", re.DOTALL)
_ID_SEPARATORS = re.compile(r"[\s,;.&+/#]+")
_ID = re.compile(rf"[0-9]{{1,{MAX_REPLY_ID_DIGITS}}}")


def _strip_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def _ticket_ids(text: str) -> tuple[int, ...] | None:
    ids: list[int] = []
    for token in _ID_SEPARATORS.split(text):
        if token in ("", "og"):
            continue
        if not _ID.fullmatch(token) or int(token) == 0:
            return None
        if int(token) not in ids:
            ids.append(int(token))
    return tuple(ids)


def parse_reply(text: str) -> Reply:
    """START takes exactly one ticket: taking several at once is not something anyone
    should do by accident. A bare ACK means "everything in the last SMS I got", which
    only the caller knows, so ticket_ids is empty then."""
    if len(text) > MAX_REPLY_CHARS:
        return _UNKNOWN
    normalised = unicodedata.normalize("NFKC", text).strip()
    if normalised and set(normalised) == {"?"}:
        return Reply("help", ())
    match = _REPLY.fullmatch(_strip_edges(normalised).lower())
    if match is None or match[1] not in _COMMANDS:
        return _UNKNOWN
    command = _COMMANDS[match[1]]
    if command == "help":
        return Reply("help", ())
    ids = _ticket_ids(match[2])
    if ids is None or (command == "start" and len(ids) != 1):
        return _UNKNOWN
    return Reply(command, ids)


HELP_TEXT = (
    "Svar ACK n for å kvittere sak n, ACK 12 13 for flere, ACK alene for alle i siste SMS. "
    "START n når du tar saken selv. HJELP viser denne teksten."
)


def ack_confirmation(ticket_ids: Sequence[int]) -> str:
    if not ticket_ids:
        return "Ingen saker å kvittere."
    listed: list[str] = []
    for ident in ticket_ids:
        candidate = [*listed, f"#{ident}"]
        rest = len(ticket_ids) - len(candidate)
        text = "Kvittert: " + ", ".join(candidate) + (f" +{rest}" if rest else "")
        if _size(text) > SMS_SEPTETS:
            break
        listed = candidate
    if not listed:
        count = len(ticket_ids)
        return f"Kvittert: {count} {'sak' if count == 1 else 'saker'}."
    rest = len(ticket_ids) - len(listed)
    return "Kvittert: " + ", ".join(listed) + (f" +{rest}" if rest else "")


def start_confirmation(ticket_id: int) -> str:
    return fit(f"Startet: #{ticket_id} er registrert på deg.", SMS_SEPTETS)


def not_entitled_reply(ticket_ids: Sequence[int]) -> str:
    """ACK or START from staff neither paged for the tickets nor on call for them."""
    listed = ", ".join(f"#{i}" for i in ticket_ids)
    return fit(f"Avvist: du er ikke varslet om {listed} og har ikke vakt for den.", SMS_SEPTETS)


def unknown_ticket_reply(ticket_id: int) -> str:
    return fit(f"Finner ingen åpen sak #{ticket_id}. Svar HJELP for bruk.", SMS_SEPTETS)
