"""The web desk's pages (server-rendered; a little JavaScript of our own in ``static/``).

One blueprint, ``ui``, whose views live in modules by subject: ``queue`` (the agents'
queue and ticket actions), ``ticket`` (the ticket page), ``reports`` (managers' breach
reports, penalties, claim letters, availability, catalog), ``admin`` (users, personal
data). Every view states its role with ``web.auth.role_required``.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask
from markupsafe import Markup

from sla.targets import BusinessDuration, EndOfNextWorkingDay, Immediately
from triage.shown_text import neutralise

bp = Blueprint(
    "ui",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)
OSLO = ZoneInfo("Europe/Oslo")
VIEW_MODULES = ("queue", "ticket", "reports", "claims", "oncall", "admin")


def local(instant: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A time as people here read it: Europe/Oslo wall clock."""
    return "" if instant is None else instant.astimezone(OSLO).strftime(fmt)


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


def register_ui(app: Flask) -> None:
    for name in VIEW_MODULES:
        importlib.import_module(f"web.ui.{name}")
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["target_nb"] = target_nb
    app.jinja_env.finalize = shown
    app.register_blueprint(bp)

    @app.context_processor
    def _views() -> dict[str, object]:
        return {"has_view": lambda endpoint: endpoint in app.view_functions}
