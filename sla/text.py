"""Sentences the SLA core writes for people, kept as a template and its values.

A note such as "received Friday 2026-03-13 17:00 outside the calendar's open hours" is
read in three places: the CLI and the JSON API print it in English (DESIGN.md fixes that
text), and the web desk shows it in the reader's language. So the core does not hand out
a finished English sentence but a ``Text``: it *is* the English sentence (a ``str``
subclass, so JSON, the CLI, ``in`` and ``startswith`` see exactly what they saw before),
and it also keeps the ``Template`` it was written from and the values that went in. The
web desk (``web.i18n.note``) looks the template's ``key`` up in its gettext table and
fills in the values formatted for the locale (``60 min``, ``fredag 13.03.2026 17:00``).

Every template registers its key here once; ``tests/web/test_core_texts.py`` checks that
each key has its bokmål and English, so a new sentence cannot reach the desk untranslated
without a test failing. Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from string import Formatter
from types import MappingProxyType
from typing import Any

#: Every template the core writes with, by key (filled as the modules define them).
TEMPLATES: dict[str, Template] = {}


@dataclass(frozen=True)
class Template:
    """One sentence shape: a stable ``key`` (what translations are looked up by) and the
    English as a ``str.format`` pattern (``"{day:%A %Y-%m-%d}"``), exactly as the CLI
    prints it."""

    key: str
    english: str

    def __post_init__(self) -> None:
        known = TEMPLATES.get(self.key)
        if known is not None and known != self:
            raise ValueError(f"text key {self.key!r} is defined twice with different English")
        TEMPLATES[self.key] = self

    @property
    def fields(self) -> dict[str, str]:
        """The values the sentence takes, each with its format spec (``"%A %Y-%m-%d"``)."""
        return {
            name: spec or ""
            for _literal, name, spec, _conversion in Formatter().parse(self.english)
            if name is not None
        }

    def __call__(self, **values: Any) -> Text:
        return Text(self, values)


class Text(str):
    """A sentence in English (the ``str`` itself) that remembers how it was made: its
    ``template`` and the ``values`` (datetimes, durations, other ``Text``s, catalog
    strings) the web desk formats for the reader's locale."""

    template: Template
    values: Mapping[str, Any]

    def __new__(cls, template: Template, values: Mapping[str, Any]) -> Text:
        missing = set(template.fields) - set(values)
        extra = set(values) - set(template.fields)
        if missing or extra:
            raise ValueError(
                f"text {template.key!r}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        self = super().__new__(cls, template.english.format(**values))
        self.template = template
        self.values = MappingProxyType(dict(values))
        return self

    @property
    def key(self) -> str:
        return self.template.key

    def __reduce__(self) -> tuple[Any, ...]:
        # str's own pickling would call ``Text(english)``; rebuild from the registry.
        return (_rebuild, (self.template.key, dict(self.values)))


@dataclass(frozen=True)
class Minutes:
    """A span of time as a value of a sentence: the English says it in minutes (``60``,
    ``0.5``), the desk in the locale's words (``60 min``, ``4 t``)."""

    amount: timedelta

    def __str__(self) -> str:
        minutes = self.amount / timedelta(minutes=1)
        return str(int(minutes)) if minutes == int(minutes) else f"{minutes:g}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Hours:
    """A span of time as a value of a sentence, in hours and minutes: ``4 h``,
    ``2 h 30 min``, ``45 min`` in English (a part of a minute as decimal hours,
    ``0.000278 h``); from a day up, with ``days`` set, in days first (``5 days``,
    ``2 days 3 h``: a notice period). The desk writes it in the locale's words."""

    amount: timedelta
    days: bool = False

    def parts(self) -> tuple[int, int, int, Decimal | None]:
        """(days, hours, minutes, decimal hours or None): what the sentence says."""
        total = self.amount // timedelta(microseconds=1)
        day_us, minute_us = 24 * 3_600_000_000, 60_000_000
        days, rest = divmod(total, day_us) if self.days else (0, total)
        if rest % minute_us:
            exact = (Decimal(rest) / Decimal(3_600_000_000)).quantize(Decimal("0.000001"))
            return days, 0, 0, _plain(exact)
        hours, minutes = divmod(rest // minute_us, 60)
        return days, hours, minutes, None

    def __str__(self) -> str:
        days, hours, minutes, exact = self.parts()
        if exact is not None:
            clock = f"{exact} h"
        elif hours and minutes:
            clock = f"{hours} h {minutes} min"
        elif minutes:
            clock = f"{minutes} min"
        else:
            clock = f"{hours} h" if hours or not days else ""
        if not days:
            return clock
        text = f"{days} day" + ("s" if days != 1 else "")
        return f"{text} {clock}" if clock else text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Truncated:
    """A figure cut (not rounded) to its places, ``95.639534…`` with "…" when it goes on:
    the exact uptime, which must never be rounded across a boundary."""

    value: Decimal
    more: bool

    def __str__(self) -> str:
        return format(self.value, "f") + ("…" if self.more else "")

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Month:
    """A calendar month as a value of a sentence: ``March 2026`` in English whatever the
    process locale (``strftime`` would follow it), ``mars 2026`` on the nb desk."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{_MONTH_NAMES[self.month - 1]} {self.year}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Listing:
    """Several values said one after the other (``a; b``, ``x, y``), each written for the
    locale on the desk."""

    items: tuple[Any, ...]
    separator: str = "; "

    def __str__(self) -> str:
        return self.separator.join(str(item) for item in self.items)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Phrase:
    """Words of the catalog as a value of a sentence (a credit tier's reading): the
    catalog's English, and its bokmål (``text_nb``) where the catalog gives one; the desk
    shows them as it shows a catalog note (``web.i18n.note``)."""

    text: str
    text_nb: str | None = None

    def __str__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Instant:
    """A point in time as a value of a sentence, written ISO 8601 with its offset in
    English (``2026-03-30T08:30:00+02:00``, as the CLI writes times; with ``minutes``,
    ``2026-03-30 08:30+02:00``, as the availability notes do); the desk writes it as a
    wall-clock time."""

    at: datetime
    minutes: bool = False

    def __str__(self) -> str:
        if self.minutes:
            return self.at.isoformat(sep=" ", timespec="minutes")
        return self.at.isoformat()

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (``100``, not ``1E+2``):
    a percentage or a figure as a sentence says it."""
    return _plain(value)


def _plain(value: Decimal) -> Decimal:
    return Decimal(format(value.normalize(), "f"))


def _rebuild(key: str, values: dict[str, Any]) -> Text:
    return Text(TEMPLATES[key], values)
