"""How the desk writes values for people and programs, one way for the command line and
the web pages: times in Europe/Oslo with their offset (``iso``) or as a wall clock
(``local``), money with two decimals (``nok``), figures as JSON numbers (``number``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from config.local_time import OSLO


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
