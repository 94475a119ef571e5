"""The ``ui`` blueprint the desk's view modules register on, and the wall-clock filter
their templates use. The view modules import these from here; ``web.ui`` imports the
view modules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint

bp = Blueprint(
    "ui",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)
OSLO = ZoneInfo("Europe/Oslo")


def local(instant: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A time as people here read it: Europe/Oslo wall clock."""
    return "" if instant is None else instant.astimezone(OSLO).strftime(fmt)
