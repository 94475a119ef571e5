"""The language switch in the page header: ``POST /language`` stores the choice on the
logged-in user (and in the session), then goes back to the page it came from."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from triage.store import users
from web.auth import role_required
from web.desk import desk
from web.i18n import LOCALES
from web.ui.blueprint import bp


@bp.post("/language")
@role_required("agent")
def language() -> Response:
    chosen = request.form.get("locale", "")
    if chosen not in LOCALES:
        abort(400, f"unknown language {chosen!r}; one of {', '.join(LOCALES)}")
    with desk().sessions() as db_session:
        users.set_locale(db_session, current_user.id, chosen)
    current_user.locale = chosen
    session["locale"] = chosen
    back = request.form.get("next", "")
    parts = urlsplit(back)
    if not back.startswith("/") or back.startswith("//") or parts.netloc:
        back = url_for("ui.queue")  # only our own pages
    return redirect(back, 303)
