"""On-call: who is paged now, the rotations and overrides, and the SMS outbox.

Agents see who is on call and every SMS the desk sent (or, with no Twilio configured,
would have sent: the outbox is then the destination). Managers also add staff and
overrides (holiday swaps). Numbers are masked for agents.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from sla.instants import parse_instant
from sla.local_time import OSLO
from triage.oncall import coverage_gaps, on_call, shift_at
from triage.phone import mask_phone
from triage.store import sms_outbox, sms_replies
from triage.store import ticket_actions as actions
from triage.store.roster import (
    SHIFTS,
    RosterError,
    add_override,
    add_staff,
    current_overrides,
    list_staff,
    load_roster,
    staff_by_id,
)
from triage.store.roster import rotations as roster_rotations
from triage.store.users import user_by_id
from web.auth import role_required
from web.desk import desk
from web.ui.blueprint import bp
from web.ui.ticket import SMS_STATUS_LABELS

SHOWN_SMS = 100
SHIFT_LABELS = {
    "always": _l("alltid"),
    "office": _l("kontortid"),
    "after-hours": _l("utenom kontortid"),
}
FORM_TYPE = "application/x-www-form-urlencoded"


def _twilio(settings: object) -> bool:
    """Whether SMS really go out (and answers come in through Twilio's webhook)."""
    return bool(getattr(settings, "twilio_account_sid", None))


def _page(status: int = 200, errors: dict[str, str] | None = None) -> tuple[str, int]:
    app = desk()
    now = app.clock()
    calendar = app.catalog.calendars[app.settings.roster_calendar]
    manager = current_user.may("manager")
    with app.sessions() as session:
        roster = load_roster(session, calendar, now)
        staff = list_staff(session)
        rotations = roster_rotations(session)
        overrides = current_overrides(session, now)
        names = {s.id: s.name for s in staff}
        phones = {s.phone: s.name for s in staff}
        sms = sms_outbox.listing(session, limit=SHOWN_SMS)
        replies = sms_replies.replies_to(session, sms)
        rotation_rows = [
            {
                "level": r.level,
                "shift": r.shift,
                "first_handover": r.first_handover,
                "members": [names.get(m.staff_id, "?") for m in r.members],
            }
            for r in rotations
        ]
    now_on_call = [(level, on_call(roster, level, now)) for level in (1, 2)]
    gaps = coverage_gaps(roster, 1, now, now + timedelta(days=14))

    def shown(phone: str) -> str:
        return phone if manager else mask_phone(phone)

    return (
        render_template(
            "oncall.html",
            shift=shift_at(roster, now),
            now_on_call=now_on_call,
            gaps=gaps,
            staff=staff,
            rotations=rotation_rows,
            overrides=[(o, names.get(o.staff_id, "?")) for o in overrides],
            sms=[(m, phones.get(m.recipient)) for m in sms],
            replies=replies,
            sms_labels=SMS_STATUS_LABELS,
            shift_labels=SHIFT_LABELS,
            twilio=_twilio(app.settings),
            shown=shown,
            shifts=SHIFTS,
            errors=errors or {},
            form=request.form,
        ),
        status,
    )


@bp.get("/oncall")
@role_required("agent")
def oncall() -> Any:
    return _page()


@bp.post("/oncall/staff")
@role_required("manager")
def oncall_add_staff() -> Any:
    app = desk()
    try:
        with app.sessions() as session:
            add_staff(
                session,
                request.form.get("name", ""),
                request.form.get("phone", ""),
                app.clock(),
                request.form.get("email") or None,
            )
    except (RosterError, ValueError) as exc:
        return _page(422, {"staff": str(exc)})
    flash(_("Lagt til."), "ok")
    return redirect(url_for("ui.oncall"), 303)


#: Escalation levels are small (1 on-call, 2 manager, a few more at most); the column is
#: a 32-bit integer, and a larger number is no level (issue 15: it was a 500).
MAX_LEVEL = 99


def _bounded(name: str, text: str, largest: int) -> int:
    """A whole number from 1 to ``largest``, or ``ValueError`` naming the field: beyond
    the database's range it is no id, and must be refused before a query overflows."""
    text = text.strip()
    if not text.isdecimal() or len(text) > 19 or not 1 <= int(text) <= largest:
        raise ValueError(f"{name}: et helt tall fra 1 til {largest}")
    return int(text)


@bp.post("/oncall/overrides")
@role_required("manager")
def oncall_add_override() -> Any:
    app = desk()
    form = request.form
    try:
        level = _bounded("level", form.get("level", ""), MAX_LEVEL)
        starts = parse_instant(form.get("starts", ""), OSLO)
        ends = parse_instant(form.get("ends", ""), OSLO)
        staff_id = _bounded("staff_id", form.get("staff_id", ""), actions.MAX_ID)
    except ValueError as exc:
        return _page(422, {"override": _("ugyldig verdi: %(why)s", why=exc)})
    shift = form.get("shift") or None
    with app.sessions() as session:
        person = staff_by_id(session, staff_id)
        if person is None:
            return _page(422, {"override": _("ukjent person")})
        try:
            add_override(
                session, level, starts, ends, person, app.clock(), shift, form.get("reason", "")
            )
        except RosterError as exc:
            return _page(422, {"override": str(exc)})
    flash(_("Overstyring lagret."), "ok")
    return redirect(url_for("ui.oncall"), 303)


@bp.post("/oncall/reply")
@role_required("agent")
def oncall_reply() -> Any:
    """The demo's "svar som vakt": an answer typed here goes through the same path as an SMS
    to the desk's number (``receive_sms``: kept raw, heard only from rostered numbers).
    Only without Twilio: with it, answers come by SMS, from the person's own phone."""
    app = desk()
    if _twilio(app.settings):
        return _page(409, {"reply": _("Twilio er satt opp: svar med SMS fra telefonen.")})
    body = request.form.get("body", "").strip()
    if not body:
        return _page(422, {"reply": _("Skriv svaret, f.eks. ACK 12 eller START 12.")})
    with app.sessions() as session:
        person = staff_by_id(session, request.form.get("staff_id", type=int) or 0)
        if person is None:
            return _page(422, {"reply": _("ukjent person")})
        user = user_by_id(session, int(current_user.id))
        if not sms_replies.is_desk_user(person, user.email if user else None, current_user.name):
            # ACK and START stop a clock: nobody answers in another person's name
            return _page(403, {"reply": _("Du kan bare svare som deg selv.")})
        number, name = person.phone, person.name
        sid = f"WEB{uuid.uuid4().hex}"
        raw = urlencode({"MessageSid": sid, "From": number, "Body": body}).encode("ascii")
        answer = sms_replies.receive_sms(
            session,
            app.catalog,
            raw,
            FORM_TYPE,
            sid,
            number,
            body,
            app.clock(),
            app.catalog.calendars[app.settings.roster_calendar],
        )
    flash(
        _("Svar fra %(name)s: %(reply)s", name=name, reply=answer.reply or "–"),
        "ok",
    )
    return redirect(url_for("ui.oncall"), 303)
