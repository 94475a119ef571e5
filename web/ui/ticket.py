"""The ticket page: ``GET /tickets/<id>``, the raw payload behind "Vis original", and the
agents' action forms.

Thin, like ``web.api.tickets``: each form is checked with the REST API's argument schema,
runs a use-case of ``triage.store.ticket_actions`` as the logged-in user, and redirects
back with a flash message (303). A refusal re-renders the page with the message and the
use-case's status (422 a bad or missing value, 409 a state that does not allow it, 503
the vendor's mail server); an unknown ticket is 404. Every value a user or a sender wrote
is rendered autoescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from sla.severity import Severity
from triage.phone import InvalidPhone, mask_phone
from triage.store import sms_replies, vendor_forwards
from triage.store import ticket_actions as actions
from triage.store.escalation_facts import escalation_ladder
from triage.store.originals import has_original, original_payload
from triage.store.users import user_by_id
from web.api.schemas import (
    AssigneeArgsSchema,
    ClassificationArgsSchema,
    ContractArgsSchema,
    NoteArgsSchema,
    PauseArgsSchema,
    ResolveArgsSchema,
    ResponseArgsSchema,
    VendorResponseArgsSchema,
)
from web.auth import role_required
from web.desk import desk
from web.formats import local
from web.ui.blueprint import bp
from web.ui.queue import (
    CHANNEL_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    contract_label,
    desk_users,
    escalation_states,
    left_text,
)
from workers.channels.schemas import field_errors
from workers.jobs.vendor_forward import dispatch

if TYPE_CHECKING:  # the outbox row a forward's state is read from
    from triage.store.models import VendorForward

OUTCOME_LABELS = {
    "met": _l("overholdt"),
    "breached": _l("brutt"),
    "open": _l("løper"),
    "no-target": _l("ingen frist"),
}
POINT_STATUS_LABELS = {
    "pending": _l("planlagt"),
    "fired": _l("varslet"),
    "acknowledged": _l("kvittert"),
    "cancelled": _l("avlyst"),
    "skipped": _l("hoppet over"),
}
#: The escalation ladders' point names (config/catalog.toml) as an agent says them.
POINT_LABELS = {
    "received": _l("ved mottak"),
    "half-budget": _l("halve tiden brukt"),
    "late": _l("80 prosent av tiden brukt"),
    "due": _l("ved fristen"),
    "overdue": _l("etter fristen (leder)"),
}
PAGE_STATUS_LABELS = {"waiting": _l("venter"), "sent": _l("i SMS"), "dropped": _l("droppet")}
SMS_STATUS_LABELS = {
    "queued": _l("i kø"),
    "sending": _l("sendes"),
    "sent": _l("sendt"),
    "delivered": _l("levert"),
    "undelivered": _l("ikke levert"),
    "failed": _l("feilet"),
    "withdrawn": _l("trukket (besvart før sending)"),
}
FORWARD_STATUS_LABELS = {
    vendor_forwards.QUEUED: _l("i kø"),
    vendor_forwards.SENDING: _l("sendes"),
    vendor_forwards.SENT: _l("sendt"),
    vendor_forwards.FAILED: _l("feilet"),
}
EVENT_LABELS = {
    "received": _l("Mottatt"),
    "classified": _l("Klassifisert"),
    "routed": _l("Rutet til avtale"),
    "unrouted": _l("Ikke rutet"),
    "escalated": _l("Varslet (SMS)"),
    "escalation_unstaffed": _l("Ingen på vakt å varsle"),
    "sms_sent": _l("SMS sendt"),
    "sms_delivered": _l("SMS levert"),
    "sms_undelivered": _l("SMS ikke levert"),
    "sms_failed": _l("SMS feilet"),
    "sms_withdrawn": _l("SMS trukket (saken var besvart)"),
    "sms_received": _l("SMS-svar mottatt"),
    "acknowledged": _l("Kvittert"),
    "forward_queued": _l("Videresending lagt i kø"),
    "forwarded": _l("Videresendt til leverandør"),
    "forward_failed": _l("Videresending feilet"),
    "vendor_replied": _l("Leverandøren svarte"),
    "response_started": _l("Respons registrert"),
    "reclassified": _l("Omklassifisert"),
    "classification_confirmed": _l("Klassifisering bekreftet"),
    "assigned": _l("Tildelt"),
    "paused": _l("Pauset"),
    "resumed": _l("Gjenopptatt"),
    "resolved": _l("Løst"),
    "note": _l("Notat"),
    "message": _l("Melding"),
    "call": _l("Anrop"),
    "recording": _l("Opptak"),
    "transcription": _l("Transkripsjon"),
    "call_status": _l("Samtalestatus"),
    "answered": _l("Anrop besvart"),
    "hung_up": _l("Lagt på"),
    "missed": _l("Tapt anrop"),
    "sla_unavailable": _l("Ingen SLA-frist"),
    "imported_update": _l("Importert endring"),
    "reopened": _l("Gjenåpnet"),
    "claim_notice_drafted": _l("Reklamasjon skrevet (utkast)"),
    "claim_notice_sent": _l("Reklamasjon sendt til leverandør"),
    "vendor_response_confirmed": _l("Bekreftet som leverandørens respons"),
    "ref_refused": _l("Nevnte en annen sak, men avsenderen er ikke part i den"),
    "mentioned_by_outsider": _l("Nevnt av en som ikke er part i saken"),
    "sms_refused": _l("SMS-svar avvist (ikke varslet, ikke på vakt)"),
}
DATA_LABELS = {
    "channel": _l("kanal"),
    "subject": _l("emne"),
    "text": _l("tekst"),
    "body": _l("tekst"),
    "sender_name": _l("avsender"),
    "sender_email": _l("e-post"),
    "sender_phone": _l("telefon"),
    "sent_at": _l("sendt (oppgitt)"),
    "attachments": _l("vedlegg"),
    "after_hours": _l("utenfor kontortid"),
    "severity": _l("alvorlighet"),
    "reasons": _l("grunner"),
    "reason": _l("begrunnelse"),
    "score": _l("poeng"),
    "contract": _l("avtale"),
    "before": _l("før"),
    "after": _l("etter"),
    "point": _l("punkt"),
    "level": _l("nivå"),
    "due": _l("tidspunkt"),
    "staff": _l("varslet"),
    "to": _l("til"),
    "from": _l("fra"),
    "provider": _l("tjeneste"),
    "error": _l("feil"),
    "error_code": _l("feilkode"),
    "code": _l("feilkode"),
    "levels": _l("nivåer"),
    "stopped": _l("stoppet"),
    "message_id": _l("Message-ID"),
    "missing": _l("manglet"),
    "forward_by": _l("videresend innen"),
    "late": _l("for sent"),
    "counted_as_response": _l("teller som respons"),
    "not_counted_because": _l("teller ikke fordi"),
    "vendor_of": _l("leverandør for"),
    "recorded_at": _l("registrert"),
    "note": _l("notat"),
    "why": _l("hvorfor"),
    "notice": _l("reklamasjon nr."),
    "claim_promptly_by": _l("reklamer innen"),
    "confirmable": _l("kan bekreftes av en agent"),
    "sender_auth": _l("avsenderkontroll (DMARC/DKIM)"),
    "new_ticket": _l("ny sak"),
    "ticket": _l("sak"),
    "action": _l("gjort"),
    "event": _l("hendelse"),
    "responded_at": _l("respons"),
    "attempts": _l("forsøk"),
    "again": _l("på nytt"),
    "last_error": _l("forrige feil"),
}
#: Event data that says nothing to a person reading the timeline.
HIDDEN_DATA = frozenset({"key", "inbox_item", "outbox_id", "recipients", "forward"})
TIME_DATA = frozenset({"sent_at", "due", "forward_by", "recorded_at"})


# ------------------------------------------------------------------ reading


def _value(key: str, value: Any) -> str:
    """An event's datum as text (the template escapes it)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nei")
    if key in TIME_DATA and isinstance(value, str):
        try:
            return local(datetime.fromisoformat(value), "%d.%m.%Y %H:%M:%S")
        except (ValueError, OverflowError):  # not a time, or one no zone can show
            return value
    if key in ("severity", "before", "after") and isinstance(value, str):
        return str(SEVERITY_LABELS.get(value, value))
    if key == "channel" and isinstance(value, str):
        return str(CHANNEL_LABELS.get(value, value))
    if key == "point" and isinstance(value, str):
        return str(POINT_LABELS.get(value, value))
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_value(str(k), v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, Mapping) and "filename" in item:
                parts.append(str(item.get("filename") or _("(uten navn)")))
            else:
                parts.append(_value(key, item))
        return ", ".join(parts) if parts else "–"
    return str(value)


@dataclass(frozen=True)
class EventRow:
    kind: str
    label: str
    at: datetime
    actor: str
    data: list[tuple[str, str, bool]]  # (label, text, long text)
    inbox_item: int | None
    confirm: int | None = None  # event id: offer "confirm as vendor response"


def _event_row(
    kind: str, at: datetime, actor: str, data: Mapping[str, Any], confirm: int | None = None
) -> EventRow:
    shown = [
        (str(DATA_LABELS.get(key, key)), _value(key, value), key in ("text", "body"))
        for key, value in data.items()
        if key not in HIDDEN_DATA and value not in (None, "", [], {})
    ]
    item = data.get("inbox_item")
    return EventRow(
        kind=kind,
        label=str(EVENT_LABELS.get(kind, kind)),
        at=at,
        actor=actor,
        data=shown,
        inbox_item=item if isinstance(item, int) and not isinstance(item, bool) else None,
        confirm=confirm,
    )


@dataclass(frozen=True)
class ForwardRow:
    """A forward to the vendor as the page shows it: queued / sent at / failed with the
    error (and "try again")."""

    id: int
    status: str
    label: str
    to: str
    requested_at: datetime
    requested_by: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    error: str | None


def _forward_row(row: VendorForward) -> ForwardRow:
    return ForwardRow(
        id=row.id,
        status=row.status,
        label=str(FORWARD_STATUS_LABELS.get(row.status, row.status)),
        to=row.to_address,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        error=row.error,
    )


@dataclass(frozen=True)
class PointRow:
    point: str
    level: int
    fire_at: datetime
    status: str
    status_label: str
    fired_at: datetime | None
    pages: list[str]


def _phone(number: str) -> str:
    try:
        return mask_phone(number)
    except InvalidPhone:
        return _("(ukjent nummer)")


def _escalation_points(session: Session, ticket_id: int) -> list[PointRow]:
    rows = []
    for p in escalation_ladder(session, ticket_id):
        pages = []
        for page in p.pages:
            recipient = _phone(page.recipient)
            who = f"{page.staff_name} ({recipient})" if page.staff_name else recipient
            if page.sms_status is not None:
                state = str(SMS_STATUS_LABELS.get(page.sms_status, page.sms_status))
                if page.sms_error:
                    state = f"{state}: {page.sms_error}"
            else:
                state = str(PAGE_STATUS_LABELS.get(page.page_status, page.page_status))
            pages.append(f"{who}: {state}")
        rows.append(
            PointRow(
                point=p.point,
                level=p.level,
                fire_at=p.fire_at,
                status=p.status,
                status_label=str(POINT_STATUS_LABELS.get(p.status, p.status)),
                fired_at=p.fired_at,
                pages=pages,
            )
        )
    return rows


def _page(
    ticket_id: int,
    *,
    failed: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Everything the page shows; raises ``actions.NotFound``."""
    app = desk()
    now = app.clock()
    with app.sessions() as session:
        view = actions.ticket_view(session, app.catalog, ticket_id, now)
        ticket, sla = view.ticket, view.sla
        try:
            check: Any = actions.handoff(session, app.catalog, ticket_id)
            handoff_problem = None
        except actions.ActionError as exc:
            check, handoff_problem = None, exc.message
        unanswered = ticket.responded_at is None
        events = [
            _event_row(
                e.kind,
                e.at,
                e.actor,
                e.data or {},
                e.id if unanswered and (e.data or {}).get("confirmable") else None,
            )
            for e in ticket.events
        ]
        points = _escalation_points(session, ticket_id)
        forwards = [_forward_row(f) for f in vendor_forwards.of_ticket(session, ticket_id)]
        escalation = escalation_states(session, [ticket_id])[ticket_id]
        original = has_original(session, ticket_id)
        contract, vendor = contract_label(app.catalog, ticket.contract_id)
        entry = app.catalog.contracts.get(ticket.contract_id or "")
        left = sla.seconds_left if ticket.status != actions.RESOLVED else None
        resolved = ticket.status == actions.RESOLVED
        paged = (
            None
            if resolved
            else sms_replies.paged_staff(
                session, ticket_id, _user_email(session), current_user.name
            )
        )
        return {
            "resolved": resolved,
            "point_labels": POINT_LABELS,
            "assignees": desk_users(session),
            "paged_as": paged.name if paged is not None else None,
            "ticket": ticket,
            "sla": sla,
            "outcome": _("klokken står")
            if sla.paused_since is not None and sla.outcome.value == "open"
            else OUTCOME_LABELS.get(sla.outcome.value, sla.outcome.value),
            "left": left_text(left) if left is not None else None,
            "countdown": left is not None
            and ticket.status == actions.OPEN
            and sla.due_at is not None,
            "contract": contract,
            "vendor": vendor,
            "service": entry.service if entry is not None else None,
            "support_email": entry.support_email if entry is not None else None,
            "severity": SEVERITY_LABELS.get(ticket.severity, ticket.severity),
            "status": STATUS_LABELS.get(ticket.status, ticket.status),
            "channel": CHANNEL_LABELS.get(ticket.channel, ticket.channel),
            "check": check,
            "handoff_problem": handoff_problem,
            "smtp": app.settings.smtp_url is not None,
            "events": events,
            "forwards": forwards,
            "points": points,
            "escalation": escalation,
            "has_original": original,
            "contracts": sorted(
                app.catalog.contracts.values(), key=lambda c: (c.vendor, c.service, c.id)
            ),
            "severities": SEVERITY_LABELS,
            "failed": failed,
            "errors": dict(errors or {}),
            "values": request.form if failed else {},
        }


def _user_email(session: Session) -> str | None:
    user = user_by_id(session, int(current_user.id))
    return user.email if user is not None else None


def _not_found(ticket_id: int) -> tuple[str, int]:
    return render_template("ticket.html", missing=ticket_id), 404


@bp.get("/tickets/<int:ticket_id>")
@role_required("agent")
def ticket(ticket_id: int) -> tuple[str, int]:
    try:
        context = _page(ticket_id)
    except actions.NotFound:
        return _not_found(ticket_id)
    return render_template("ticket.html", **context), 200


@bp.get("/tickets/<int:ticket_id>/original")
@role_required("agent")
def ticket_original(ticket_id: int) -> Response:
    """A raw payload of the ticket as it arrived, as plain text (never rendered as HTML):
    the first one, or ``?item=<id>`` of a later message on the ticket."""
    item_id = request.args.get("item", type=int)
    if not 0 < ticket_id <= actions.MAX_ID or not 0 < (item_id or 1) <= actions.MAX_ID:
        abort(404)  # no row has such an id (and PostgreSQL's BIGINT would refuse it)
    with desk().sessions() as session:
        payload = original_payload(session, ticket_id, item_id)
    if payload is None:
        abort(404)
    response = Response(bytes(payload).decode("utf-8", errors="replace"), mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"  # personal data
    return response


# ------------------------------------------------------------------ actions

STATUS_OF = {
    actions.NotFound: 404,
    actions.Conflict: 409,
    actions.Invalid: 422,
    actions.Forbidden: 403,
}


class FormError(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid form")
        self.errors = errors


def _form(schema: Schema, blank_is_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's fields through the API's schema (the CSRF token and buttons ignored);
    an empty optional field is left out, or None for ``blank_is_none``."""
    data: dict[str, Any] = {}
    for name in schema.fields:
        value = request.form.get(name)
        if value is None:
            continue
        if not value.strip() and name in blank_is_none:
            data[name] = None
        elif value.strip() or schema.fields[name].required:
            data[name] = value
    try:
        return dict(schema.load(data, unknown=EXCLUDE))
    except ValidationError as exc:
        errors = field_errors(exc.messages)
        for name in errors:
            if isinstance(data.get(name), str) and not data[name].replace("\x00", "").strip():
                errors[name] = [_("Må fylles ut.")]
        raise FormError(errors) from None


def _refused(
    ticket_id: int,
    form: str,
    message: str,
    status: int,
    errors: Mapping[str, list[str]] | None = None,
) -> Any:
    flash(message, "error")
    try:
        context = _page(ticket_id, failed=form, errors=errors)
    except actions.NotFound:
        return _not_found(ticket_id)
    return render_template("ticket.html", **context), status


def _act(
    ticket_id: int,
    form: str,
    change: Callable[..., Any],
    done: str | Callable[[], str],
    schema: Schema | None = None,
    *,
    blank_is_none: tuple[str, ...] = (),
    rename: Mapping[str, str] | None = None,
    **fixed: Any,
) -> Any:
    """Check the form, run the use-case as the logged-in user, redirect with a message."""
    app = desk()
    try:
        args = _form(schema, blank_is_none) if schema is not None else {}
    except FormError as exc:
        return _refused(ticket_id, form, _("Skjemaet har feil, se under."), 422, exc.errors)
    kwargs = {(rename or {}).get(k, k): v for k, v in args.items()}
    try:
        with app.sessions() as session:
            change(
                session,
                ticket_id=ticket_id,
                actor=current_user.name,
                now=app.clock(),
                **fixed,
                **kwargs,
            )
    except actions.NotFound:
        return _not_found(ticket_id)
    except actions.Unavailable as exc:
        return _refused(ticket_id, form, _("Ikke sendt: %(why)s", why=exc.message), 503)
    except actions.ActionError as exc:
        status = STATUS_OF.get(type(exc), 409)
        fields = {exc.field: [exc.message]} if exc.field else {}
        return _refused(ticket_id, form, _("Ikke utført: %(why)s", why=exc.message), status, fields)
    flash(done if isinstance(done, str) else done(), "ok")
    return redirect(url_for("ui.ticket", ticket_id=ticket_id), 303)


@bp.post("/tickets/<int:ticket_id>/response")
@role_required("agent")
def ticket_response(ticket_id: int) -> Any:
    return _act(
        ticket_id,
        "response",
        actions.record_response,
        _("Respons registrert."),
        ResponseArgsSchema(),
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/vendor-response")
@role_required("agent")
def ticket_vendor_response(ticket_id: int) -> Any:
    """Confirm a vendor message the desk did not trust as the vendor's response."""
    return _act(
        ticket_id,
        "vendor-response",
        actions.confirm_vendor_response,
        "Meldingen er bekreftet som leverandørens respons.",
        VendorResponseArgsSchema(),
        rename={"event": "event_id"},
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/classification")
@role_required("agent")
def ticket_classification(ticket_id: int) -> Any:
    severity = request.form.get("severity", "")
    label = str(SEVERITY_LABELS.get(severity, severity))
    try:
        args = _form(ClassificationArgsSchema())
    except FormError as exc:
        return _refused(
            ticket_id, "classification", _("Skjemaet har feil, se under."), 422, exc.errors
        )
    return _act(
        ticket_id,
        "classification",
        actions.reclassify,
        _("Alvorlighet endret til %(label)s.", label=label),
        catalog=desk().catalog,
        severity=Severity(args["severity"]),
        reason=args["reason"],
        wrong_reason=args.get("wrong_reason") or None,
        may_downgrade=current_user.may("manager"),
    )


@bp.post("/tickets/<int:ticket_id>/confirmation")
@role_required("agent")
def ticket_confirmation(ticket_id: int) -> Any:
    """One click from the queue or the ticket: the unsure classification is right."""
    return _act(
        ticket_id,
        "classification",
        actions.confirm_classification,
        _("Kritisk bekreftet."),
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/contract")
@role_required("agent")
def ticket_contract(ticket_id: int) -> Any:
    chosen = request.form.get("contract", "")
    return _act(
        ticket_id,
        "contract",
        actions.set_contract,
        _("Avtale satt til %(contract)s.", contract=chosen),
        ContractArgsSchema(),
        rename={"contract": "contract_id"},
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/assignee")
@role_required("agent")
def ticket_assign(ticket_id: int) -> Any:
    who = request.form.get("assignee", "").strip()
    return _act(
        ticket_id,
        "assignee",
        actions.assign,
        _("Tildelt %(who)s.", who=who) if who else _("Tildelingen er fjernet."),
        AssigneeArgsSchema(),
        blank_is_none=("assignee",),
    )


@bp.post("/tickets/<int:ticket_id>/pause")
@role_required("agent")
def ticket_pause(ticket_id: int) -> Any:
    return _act(
        ticket_id,
        "pause",
        actions.pause,
        _("Klokken er stoppet (saken er pauset)."),
        PauseArgsSchema(),
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/resume")
@role_required("agent")
def ticket_resume(ticket_id: int) -> Any:
    return _act(
        ticket_id,
        "resume",
        actions.resume,
        _("Klokken går igjen (saken er gjenopptatt)."),
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/notes")
@role_required("agent")
def ticket_note(ticket_id: int) -> Any:
    return _act(ticket_id, "note", actions.add_note, _("Notat lagt til."), NoteArgsSchema())


@bp.post("/tickets/<int:ticket_id>/resolve")
@role_required("agent")
def ticket_resolve(ticket_id: int) -> Any:
    return _act(
        ticket_id,
        "resolve",
        actions.resolve,
        _("Saken er løst."),
        ResolveArgsSchema(),
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/forward")
@role_required("agent")
def ticket_forward(ticket_id: int) -> Any:
    """Queue the fault report for the vendor (``SMTP_URL``); the page showed what it lacks.
    The notify queue sends it, or this request when there is no Redis."""
    app = desk()
    if app.settings.smtp_url is None:
        return _refused(
            ticket_id,
            "forward",
            _(
                "Ikke sendt: SMTP_URL er ikke satt opp; send feilmeldingen til leverandøren "
                "på annen måte."
            ),
            503,
        )
    return _forward(
        ticket_id,
        "forward",
        actions.forward_to_vendor,
        catalog=app.catalog,
        desk_address=app.settings.desk_address,
    )


@bp.post("/tickets/<int:ticket_id>/forwards/<int:forward_id>/retry")
@role_required("agent")
def ticket_forward_retry(ticket_id: int, forward_id: int) -> Any:
    """ "Prøv igjen" on a failed forward: the same report (and Message-ID) queued again."""
    return _forward(ticket_id, "forward", actions.retry_forward, forward_id=forward_id)


def _forward(ticket_id: int, form: str, queue: Callable[..., Any], **fixed: Any) -> Any:
    """Run the use-case that queues a forward, then ring the queue or send it now
    (``dispatch``); a send that failed in this request re-renders the page with the error
    (503), and the page offers to try again."""
    app = desk()
    sent: dict[str, Any] = {}

    def queue_and_send(session: Any, **kwargs: Any) -> None:
        row = queue(session, **kwargs)
        after = dispatch(app, row.id)
        if after.status == vendor_forwards.FAILED:
            raise actions.Unavailable(after.error or after.status)
        sent.update(status=after.status, to=after.to_address)

    def done() -> str:
        if sent["status"] == vendor_forwards.SENT:
            return _("Feilmeldingen er sendt til %(to)s.", to=sent["to"])
        return _("Feilmeldingen er lagt i kø og sendes til %(to)s straks.", to=sent["to"])

    return _act(ticket_id, form, queue_and_send, done, **fixed)


@bp.post("/tickets/<int:ticket_id>/reopen")
@role_required("agent")
def ticket_reopen(ticket_id: int) -> Any:
    return _act(
        ticket_id,
        "reopen",
        actions.reopen,
        _("Saken er åpnet igjen."),
        PauseArgsSchema(),  # one required reason, as a pause has
        catalog=desk().catalog,
    )


@bp.post("/tickets/<int:ticket_id>/answer")
@role_required("agent")
def ticket_answer(ticket_id: int) -> Any:
    """ "Kvitter" (ACK) or "Start arbeid" (START) by the person paged about this ticket: the
    SMS answer's rules and events (``triage.store.sms_replies.answer_from_web``)."""
    command = request.form.get("command", "")
    if command not in ("ack", "start"):
        return _refused(ticket_id, "answer", _("Ukjent svar."), 422)
    app = desk()
    with app.sessions() as session:
        try:
            actions.get_ticket(session, ticket_id)
        except actions.NotFound:
            return _not_found(ticket_id)
        staff = sms_replies.paged_staff(session, ticket_id, _user_email(session), current_user.name)
        if staff is None:
            return _refused(ticket_id, "answer", _("Du er ikke varslet om denne saken."), 409)
        answer = sms_replies.answer_from_web(
            session,
            app.catalog,
            staff,
            command,
            ticket_id,
            app.clock(),
            app.catalog.calendars[app.settings.roster_calendar],
        )
    if answer.outcome == "start refused":
        return _refused(ticket_id, "answer", answer.reply or "", 409)
    done = _("Kvittert: varslingen stopper.") if command == "ack" else _("Arbeid startet.")
    flash(done, "ok")
    return redirect(url_for("ui.ticket", ticket_id=ticket_id), 303)
