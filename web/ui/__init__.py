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

from triage.shown_text import neutralise

bp = Blueprint(
    "ui",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)
OSLO = ZoneInfo("Europe/Oslo")
VIEW_MODULES = ("queue", "ticket", "reports", "oncall", "admin")


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


def register_ui(app: Flask) -> None:
    for name in VIEW_MODULES:
        importlib.import_module(f"web.ui.{name}")
    app.jinja_env.filters["local"] = local
    app.jinja_env.finalize = shown
    app.register_blueprint(bp)

    @app.context_processor
    def _views() -> dict[str, object]:
        return {"has_view": lambda endpoint: endpoint in app.view_functions}
