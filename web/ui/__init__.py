"""The web desk's pages (server-rendered; a little JavaScript of our own in ``static/``).

One blueprint, ``ui`` (``web.ui.blueprint``), whose views live in modules by subject:
``queue`` (the agents' queue and ticket actions), ``ticket`` (the ticket page), ``reports``
(managers' breach reports, penalties, claim letters, availability, catalog), ``claims``,
``oncall``, ``admin`` (users, personal data). Every view states its role with
``web.auth.role_required``. Importing a view module registers its routes on ``bp``; the
templates' filters are ``web.formats``'.
"""

from __future__ import annotations

from flask import Flask

from web.formats import local, shown, target_nb
from web.ui import admin, claims, language, new_ticket, oncall, queue, reports, ticket
from web.ui.blueprint import bp

VIEW_MODULES = (queue, ticket, reports, claims, oncall, admin, language, new_ticket)


def register_ui(app: Flask) -> None:
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["target_nb"] = target_nb
    app.jinja_env.finalize = shown
    app.register_blueprint(bp)

    @app.context_processor
    def _views() -> dict[str, object]:
        return {"has_view": lambda endpoint: endpoint in app.view_functions}
