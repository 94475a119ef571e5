"""The web desk's pages (server-rendered; a little JavaScript of our own in ``static/``).

One blueprint, ``ui``, whose views live in modules by subject: ``queue`` (the agents'
queue and ticket actions), ``ticket`` (the ticket page), ``reports`` (managers' breach
reports, penalties, claim letters, availability, catalog), ``admin`` (users, personal
data). Every view states its role with ``web.auth.role_required``.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask

bp = Blueprint(
    "ui",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)
OSLO = ZoneInfo("Europe/Oslo")
VIEW_MODULES = ("queue", "ticket", "reports", "oncall", "admin", "language", "new_ticket")


def local(instant: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A time as people here read it: Europe/Oslo wall clock."""
    return "" if instant is None else instant.astimezone(OSLO).strftime(fmt)


def register_ui(app: Flask) -> None:
    for name in VIEW_MODULES:
        importlib.import_module(f"web.ui.{name}")
    app.jinja_env.filters["local"] = local
    app.register_blueprint(bp)

    @app.context_processor
    def _views() -> dict[str, object]:
        return {"has_view": lambda endpoint: endpoint in app.view_functions}
