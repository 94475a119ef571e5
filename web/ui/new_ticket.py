"""The queue's "Ny sak" form: ``POST /tickets/new`` registers the phone call an agent took.

The same path as ``POST /api/v1/tickets``: the form becomes the API's JSON, is checked with
its schema (``web.schemas.ManualTicketSchema``), and ``web.manual_tickets.register`` keeps
it in the inbox, classifies, routes and times it like any ticket. The form's own hidden
idempotency key makes a double click one ticket. A refused form re-renders the queue with
the messages and what was typed (422); nothing is stored then.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from triage.store import ticket_actions as actions
from web.auth import role_required
from web.desk import desk
from web.manual_tickets import register
from web.ui.blueprint import bp
from web.ui.queue import _queue_context
from workers.channels.schemas import ManualTicketSchema, field_errors


def _ticket_json(form: Any) -> dict[str, Any]:
    """The form as the API's JSON: empty optional fields left out."""
    requester = {
        key: form.get(f"requester_{key}", "").strip()
        for key in ("name", "email", "phone")
        if form.get(f"requester_{key}", "").strip()
    }
    data: dict[str, Any] = {
        "subject": form.get("subject", ""),
        "text": form.get("text", ""),
        "channel": form.get("channel", "phone"),
        "requester": requester,
    }
    for key in ("contract", "severity"):
        if form.get(key, "").strip():
            data[key] = form[key].strip()
    return data


@bp.post("/tickets/new")
@role_required("agent")
def new_ticket() -> Any:
    data = _ticket_json(request.form)
    errors: dict[str, list[str]] = {}
    try:
        ManualTicketSchema().load(data)
    except ValidationError as exc:
        errors = field_errors(exc.messages)
    if not errors:
        key = request.form.get("key", "").strip()[:200] or None
        try:
            done = register(
                desk(), data, current_user.name, key, may_downgrade=current_user.may("manager")
            )
        except actions.Invalid as exc:
            errors = {exc.field or "contract": [exc.message]}
        else:
            flash(_("Sak #%(id)s er registrert.", id=done.ticket_id), "ok")
            return redirect(url_for("ui.ticket", ticket_id=done.ticket_id), 303)
    flash(_("Saken ble ikke registrert: skjemaet har feil, se under."), "error")
    context = _queue_context()
    context.update(new_errors=errors, new_values=request.form, new_open=True)
    return render_template("queue.html", **context), 422
