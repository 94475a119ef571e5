"""The agents' queue (placeholder until the queue view lands)."""

from __future__ import annotations

from flask import render_template_string

from web.auth import role_required
from web.ui import bp


@bp.get("/")
@role_required("agent")
def queue() -> str:
    return render_template_string(
        '{% extends "base.html" %}{% block content %}<h1>Kø</h1>{% endblock %}'
    )
