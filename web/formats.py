"""How the desk writes values for people and programs, one way for the command line and
the web pages: times in Europe/Oslo with their offset (``iso``) or as a wall clock
(``local``), money with two decimals (``nok``), figures as JSON numbers (``number``), a
response target in Norwegian (``target_nb``), and any text from outside made safe to show
(``shown``, the templates' finalizer)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from sla.local_time import OSLO
from sla.targets import BusinessDuration, EndOfNextWorkingDay, Immediately
from triage.shown_text import neutralise


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 in Europe/Oslo with its offset, whatever zone the time came in."""
    return None if instant is None else instant.astimezone(OSLO).isoformat()


def local(instant: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A time as people here read it: Europe/Oslo wall clock."""
    return "" if instant is None else instant.astimezone(OSLO).strftime(fmt)


def number(value: Any) -> int | float:
    """A JSON number: integral values as int, others rounded to 4 decimals."""
    as_float = float(value)
    return int(as_float) if as_float == int(as_float) else round(as_float, 4)


def nok(amount: Decimal) -> str:
    return f"{amount:.2f}"


def shown(value: Any) -> Any:
    """Every value a template prints, before escaping: text from outside loses
    bidirectional overrides and control characters (``triage.shown_text``)."""
    if not isinstance(value, str):
        return value
    cleaned = neutralise(value)
    if cleaned is value:
        return value
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def target_nb(target: object) -> str:
    """A response target in Norwegian, for letters to the vendor (no English in them)."""
    if isinstance(target, BusinessDuration):
        minutes = int(target.amount.total_seconds() // 60)
        amount = (
            f"{minutes // 60} timer"
            if minutes % 60 == 0 and minutes >= 120
            else f"{minutes} minutter"
        )
        return f"påbegynt feilsøking/feilretting innen {amount} innenfor avtalens åpningstid"
    if isinstance(target, EndOfNextWorkingDay):
        return "svar innen utgangen av neste virkedag"
    if isinstance(target, Immediately):
        grace = int(target.grace.total_seconds() // 60)
        return f"påbegynt feilretting omgående (regnet som innen {grace} minutter)"
    return "ingen responstid avtalt"
