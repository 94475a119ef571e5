"""The ``ui`` blueprint the desk's view modules register on. The view modules import it
from here; ``web.ui`` imports the view modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "ui",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)
