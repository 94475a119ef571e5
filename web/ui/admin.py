"""The admin page: users, API tokens, the quarantine and personal data (admins only).

One page, ``GET /admin``, with a section per subject; every change is a POST form with
its CSRF token. A change that worked redirects back (303) with a message; a refused one
shows the page again with the reason and a 4xx status (422 a value, 404 an unknown row,
409 a state that does not allow it), so a script or a test sees the refusal as well.

Personal data (CONTRACTS.md §4, ``triage.store.personal_data``): an export is a JSON
download; an erasure needs the e-mail address or number typed a second time, because it
cannot be undone. Neither the values asked for nor the data found are ever put in a
message: flashed messages live in the session cookie. A new API token is shown in the
answer to the POST that made it and nowhere else (not flashed, not stored).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from triage.passwords import MIN_LENGTH as PASSWORD_MIN
from triage.phone import mask_any
from triage.store import ticket_actions as actions
from triage.store.personal_data import (
    ERASED,
    ErasureCounts,
    PersonalDataError,
    UnknownStaff,
    check_email,
    erase_requester,
    erase_staff,
    export_requester,
    export_staff,
    phone_forms,
)
from triage.store.roster import list_staff, staff_by_id
from triage.store.tokens import create_token, list_tokens, revoke_token
from triage.store.users import (
    ROLES,
    UserError,
    create_user,
    list_users,
    set_active,
    unlock,
    user_by_id,
)
from web.auth import role_required
from web.desk import desk
from web.i18n import note
from web.ui.blueprint import bp

log = logging.getLogger(__name__)
QUARANTINE_SHOWN = 50
MAX_FIELD = 320


# ------------------------------------------------------------------ the page


def _page(status: int = 200, **extra: Any) -> tuple[str, int]:
    app = desk()
    now = app.clock()
    with app.sessions() as session:
        users = list_users(session)
        tokens = list_tokens(session)
        quarantine = actions.quarantined(session, limit=QUARANTINE_SHOWN)
        quarantine_total = actions.count_quarantine(session)
        staff = [
            {
                "id": s.id,
                "name": s.name,
                "phone": mask_any(s.phone) if s.name != ERASED else "",
                "active": s.active,
                "erased": s.name == ERASED,
            }
            for s in list_staff(session)
        ]
    page = render_template(
        "admin.html",
        users=users,
        roles=ROLES,
        tokens=tokens,
        quarantine=quarantine,
        quarantine_total=quarantine_total,
        staff=staff,
        now=now,
        new_token=extra.pop("new_token", None),
        password_rule=_(
            "Minst %(n)s tegn, ikke brukernavnet og ikke et vanlig passord "
            "(som «password1234» eller «qwertyuiop12»).",
            n=PASSWORD_MIN,
        ),
        password_min=PASSWORD_MIN,
        **extra,
    )
    return page, status


def _refused(status: int, message: str) -> tuple[str, int]:
    flash(message, "error")
    return _page(status)


def _done(message: str, section: str) -> Response:
    flash(message, "ok")
    return redirect(url_for("ui.admin") + f"#{section}", 303)  # type: ignore[return-value]


def _field(name: str) -> str:
    return (request.form.get(name) or "").strip()[:MAX_FIELD]


def _actor() -> str:
    """Who did it, on the ticket's or the erasure's own events."""
    return str(current_user.username)


def _logged() -> str:
    """Who did it, in the log: the account's id, not its user name (often a person's name
    or e-mail address, and a log outlives an account's erasure); the id leads to it."""
    return f"user #{current_user.id}"


@bp.get("/admin")
@role_required("admin")
def admin() -> tuple[str, int]:
    return _page()


# ------------------------------------------------------------------ users


@bp.post("/admin/users")
@role_required("admin")
def admin_create_user() -> Any:
    email = _field("email") or None
    if email is not None and "@" not in email:
        return _refused(422, _("E-post: ikke en e-postadresse."))
    app = desk()
    with app.sessions() as session:
        try:
            user = create_user(
                session,
                _field("username"),
                _field("name"),
                _field("role"),
                request.form.get("password") or "",
                app.clock(),
                email,
            )
        except UserError as exc:
            return _refused(422, _("Brukeren ble ikke laget: %(why)s", why=note(exc.args[0])))
        log.info("admin %s created user #%d (%s)", _logged(), user.id, user.role)
        return _done(
            _("Bruker %(user)s (%(role)s) er laget.", user=user.username, role=user.role),
            "brukere",
        )


def _change_user(user_id: int, change: str) -> Any:
    app = desk()
    with app.sessions() as session:
        user = user_by_id(session, user_id)
        if user is None:
            return _refused(404, _("Bruker %(id)s finnes ikke.", id=user_id))
        if change == "deactivate":
            if user.id == current_user.id:
                return _refused(409, _("Du kan ikke deaktivere deg selv."))
            set_active(session, user, False)
            message = _("%(user)s er deaktivert og kan ikke logge inn.", user=user.username)
        elif change == "activate":
            set_active(session, user, True)
            message = _("%(user)s er aktiv igjen.", user=user.username)
        else:
            unlock(session, user)
            message = _("%(user)s er låst opp.", user=user.username)
        log.info("admin %s: %s user #%d", _logged(), change, user.id)
        return _done(message, "brukere")


@bp.post("/admin/users/<int:user_id>/deactivate")
@role_required("admin")
def admin_deactivate_user(user_id: int) -> Any:
    return _change_user(user_id, "deactivate")


@bp.post("/admin/users/<int:user_id>/activate")
@role_required("admin")
def admin_activate_user(user_id: int) -> Any:
    return _change_user(user_id, "activate")


@bp.post("/admin/users/<int:user_id>/unlock")
@role_required("admin")
def admin_unlock_user(user_id: int) -> Any:
    return _change_user(user_id, "unlock")


# ------------------------------------------------------------------ API tokens


@bp.post("/admin/tokens")
@role_required("admin")
def admin_create_token() -> Any:
    role = _field("role")
    if role not in ROLES:
        return _refused(422, _("Rolle: må være en av %(roles)s.", roles=", ".join(ROLES)))
    app = desk()
    with app.sessions() as session:
        try:
            row, token = create_token(session, _field("name"), role, app.clock())
        except ValueError as exc:
            return _refused(422, _("Navn: %(why)s.", why=exc))
        log.info("admin %s created API token %d (%s)", _logged(), row.id, row.role)
        shown = {"id": row.id, "name": row.name, "role": row.role, "token": token}
    page, _status = _page(201, new_token=shown)
    # Shown once: not cached, not kept in the session, not on the next GET.
    return Response(page, 201, headers={"Cache-Control": "no-store"}, mimetype="text/html")


@bp.post("/admin/tokens/<int:token_id>/revoke")
@role_required("admin")
def admin_revoke_token(token_id: int) -> Any:
    app = desk()
    with app.sessions() as session:
        row = revoke_token(session, token_id, app.clock())
        if row is None:
            return _refused(404, _("Token %(id)s finnes ikke.", id=token_id))
        log.info("admin %s revoked API token %d", _logged(), row.id)
        return _done(
            _("Token %(id)s (%(name)s) er trukket tilbake.", id=row.id, name=row.name), "tokens"
        )


# ------------------------------------------------------------------ quarantine


@bp.post("/admin/quarantine/<int:item_id>/reprocess")
@role_required("admin")
def admin_reprocess(item_id: int) -> Any:
    app = desk()
    if not 0 < item_id <= actions.MAX_ID:
        return _refused(404, _("Innboks %(id)s finnes ikke.", id=item_id))
    try:
        result = actions.reprocess_item(
            app.sessions, app.catalog, item_id, app.parsers, app.clock()
        )
    except actions.NotFound:
        return _refused(404, _("Innboks %(id)s finnes ikke.", id=item_id))
    except actions.Emptied:
        return _refused(409, _("Innboks %(id)s er tømt (sletting eller lagringstid).", id=item_id))
    except actions.Conflict as exc:
        return _refused(409, exc.message)
    log.info("admin %s reprocessed inbox item %d: %s", _logged(), item_id, result.status)
    if result.status == "processed":
        done = (
            _("Innboks %(id)s ble behandlet: ny sak #%(ticket)s.", id=item_id, ticket=result.ticket)
            if result.created
            else _(
                "Innboks %(id)s ble behandlet: sak #%(ticket)s.", id=item_id, ticket=result.ticket
            )
        )
        return _done(done, "karantene")
    flash(
        _("Innboks %(id)s er fortsatt i karantene: %(why)s", id=item_id, why=result.error),
        "error",
    )
    return redirect(url_for("ui.admin") + "#karantene", 303)


# ------------------------------------------------------------------ personal data


def _download(data: dict[str, Any], stem: str, now: datetime) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    name = f"{stem}-{now.strftime('%Y%m%d-%H%M%S')}.json"
    return Response(
        body,
        200,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


#: What an erasure touched, as the message counts it.
_ERASED_WHAT = {
    "tickets": _l("saker"),
    "events": _l("hendelser"),
    "inbox_items": _l("rå meldinger"),
    "sms_outbox": _l("SMS ut"),
    "sms_inbound": _l("SMS inn"),
    "sms_pages": _l("varsler"),
    "overrides": _l("vaktbytter"),
}


def _counts(counts: ErasureCounts) -> str:
    found = [f"{n} {_ERASED_WHAT[k]}" for k, n in counts.as_dict().items() if n]
    return ", ".join(found) or _("ingenting")


@bp.post("/admin/personal-data/export")
@role_required("admin")
def admin_export_personal_data() -> Any:
    email, phone, problem = _asked()
    if problem is not None:
        return _refused(422, _("Eksport: %(why)s.", why=problem))
    app = desk()
    with app.sessions() as session:
        data = export_requester(session, email=email, phone=phone)
    log.info("admin %s exported requester data: %d tickets", _logged(), len(data["tickets"]))
    return _download(data, "personopplysninger", app.clock())


def _asked() -> tuple[str | None, str | None, str | None]:
    """The e-mail address and number asked about, or why they cannot be used."""
    email, phone = _field("email") or None, _field("phone") or None
    if email is None and phone is None:
        return None, None, _("oppgi e-postadresse eller telefonnummer")
    try:
        check_email(email)
    except PersonalDataError:
        return None, None, _("e-post er ikke en e-postadresse")
    try:
        phone_forms(phone)
    except PersonalDataError:
        return None, None, _("telefon er ikke et telefonnummer")
    return email, phone, None


def _confirmed(email: str, phone: str) -> str | None:
    """Why the confirmation does not match what was asked for, or None when it does."""
    try:
        if email and check_email(email) != check_email(_field("confirm_email") or None):
            return _("e-postadressen i bekreftelsen er ikke den samme")
        if phone and phone_forms(phone) != phone_forms(_field("confirm_phone") or None):
            return _("telefonnummeret i bekreftelsen er ikke det samme")
    except PersonalDataError:
        return _("bekreftelsen er ikke en gyldig e-postadresse eller et gyldig nummer")
    return None


@bp.post("/admin/personal-data/erase")
@role_required("admin")
def admin_erase_personal_data() -> Any:
    email, phone, problem = _asked()
    if problem is not None:
        return _refused(422, _("Sletting: %(why)s. Ingenting er slettet.", why=problem))
    mismatch = _confirmed(email or "", phone or "")
    if mismatch is not None:
        return _refused(422, _("Sletting avbrutt: %(why)s. Ingenting er slettet.", why=mismatch))
    app = desk()
    with app.sessions() as session:
        counts = erase_requester(session, email=email, phone=phone, actor=_actor(), now=app.clock())
    log.info("admin %s erased requester data: %s", _logged(), counts.as_dict())
    if counts.total == 0:
        return _refused(404, _("Fant ingen personopplysninger for det du oppga."))
    return _done(
        _("Personopplysninger slettet: %(what)s.", what=_counts(counts)), "personopplysninger"
    )


@bp.post("/admin/personal-data/staff/<int:staff_id>/export")
@role_required("admin")
def admin_export_staff(staff_id: int) -> Any:
    app = desk()
    with app.sessions() as session:
        try:
            data = export_staff(session, staff_id)
        except UnknownStaff:
            return _refused(404, _("Ansatt %(id)s finnes ikke.", id=staff_id))
    log.info("admin %s exported staff %d", _logged(), staff_id)
    return _download(data, f"ansatt-{staff_id}", app.clock())


@bp.post("/admin/personal-data/staff/<int:staff_id>/erase")
@role_required("admin")
def admin_erase_staff(staff_id: int) -> Any:
    app = desk()
    with app.sessions() as session:
        staff = staff_by_id(session, staff_id)
        if staff is None:
            return _refused(404, _("Ansatt %(id)s finnes ikke.", id=staff_id))
        if staff.name == ERASED:
            return _refused(409, _("Ansatt %(id)s er allerede slettet.", id=staff_id))
        try:
            typed = phone_forms(_field("confirm_phone") or None)
        except PersonalDataError:
            typed = ()
        if staff.phone not in typed:
            return _refused(
                422, _("Sletting avbrutt: skriv den ansattes telefonnummer for å bekrefte.")
            )
        counts = erase_staff(session, staff_id, actor=_actor(), now=app.clock())
    log.info("admin %s erased staff %d: %s", _logged(), staff_id, counts.as_dict())
    return _done(
        _("Ansatt %(id)s er slettet og deaktivert: %(what)s.", id=staff_id, what=_counts(counts)),
        "ansatte",
    )
