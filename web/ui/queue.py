"""The agents' queue: ``GET /`` (the page) and ``GET /queue/rows`` (its rows alone, which
``static/queue.js`` fetches every 15 seconds and swaps in).

Thin, like the REST API: the filters are ``web.api.schemas.TicketQuerySchema``'s, the
order and paging ``triage.store.ticket_actions.queue``'s (breached first, then critical
before non-critical, then by deadline). What the use-case does not know, the escalation
state of each row, comes from ``triage.store.escalation_facts`` for the page's tickets only.

``status`` defaults to "aktive": open or paused tickets still waiting for a response
(what an agent must act on); one status, or "alle", can be chosen instead. There is no
vendor filter beyond picking a contract (the contract select is grouped by vendor).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from config.catalog import Catalog
from triage.intake.message import CHANNELS
from triage.store import ticket_actions as actions
from triage.store.escalation_facts import escalation_facts
from triage.store.users import active_user_names
from web.api.schemas import TicketQuerySchema
from web.auth import role_required
from web.desk import desk
from web.formats import local
from web.i18n import SEVERITY_WORDS, ago
from web.ui.blueprint import bp
from workers.channels.schemas import field_errors

PAGE_SIZE = 50
AT_RISK_SECONDS = 30 * 60  # a deadline this close, or passed, marks the row "at-risk"
ALL = "alle"  # the status filter's "every status"
ACTIVE = "aktive"  # the default: open or paused, no response yet
FILTERS = ("status", "contract", "severity", "channel", "assignee", "breached", "q", "sort")

SEVERITY_LABELS = SEVERITY_WORDS
STATUS_LABELS = {"open": _l("åpen"), "paused": _l("pauset"), "resolved": _l("løst")}
CHANNEL_LABELS = {
    "email": _l("e-post"),
    "chat": _l("chat"),
    "phone": _l("telefon"),
    "manual": _l("registrert for hånd"),
}
SORT_LABELS = {
    "time_left": _l("mest haster først"),
    "received_at": _l("eldste først"),
    "-received_at": _l("nyeste først"),
}
FIELD_LABELS = {
    "status": _l("Status"),
    "contract": _l("Avtale"),
    "severity": _l("Alvorlighet"),
    "channel": _l("Kanal"),
    "assignee": _l("Ansvarlig"),
    "breached": _l("Brutt"),
    "q": _l("Søk"),
    "sort": _l("Sortering"),
    "page": _l("Side"),
}
JUMP = re.compile(r"^#?\s*(\d{1,18})$")  # "12" or "#12" in the search box: that ticket


# ------------------------------------------------------------------ shared with the ticket page


def left_text(seconds: float) -> str:
    """Time left as the countdown script writes it (``1 t 5 min``, a passed deadline
    ``brutt for 27 d siden``): the text before the script runs, and the standing value of
    a paused ticket."""
    if seconds < 0:
        return _("brutt for %(ago)s siden", ago=ago(seconds))
    sign = ""
    s = int(abs(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    if days:
        return f"{sign}{days} d {hours} t"
    if hours:
        return f"{sign}{hours} t {minutes} min"
    return f"{sign}{minutes} min"


def contract_label(catalog: Catalog, contract_id: str | None) -> tuple[str, str]:
    """(contract, vendor) as a row shows them; an unrouted ticket is "uten avtale"."""
    if contract_id is None:
        return _("uten avtale"), ""
    contract = catalog.contracts.get(contract_id)
    return contract_id, contract.vendor if contract is not None else _("ukjent avtale")


@dataclass(frozen=True)
class EscalationState:
    label: str  # "varslet nivå 1", "kvittert (nivå 1)", "neste varsel 09:45", ""
    css: str  # "paged", "acked", "planned", ""


def escalation_states(session: Session, ticket_ids: Iterable[int]) -> dict[int, EscalationState]:
    """Per ticket: paged at a level nobody has acknowledged (the highest such level), else
    acknowledged, else the next planned page, else nothing."""
    states: dict[int, EscalationState] = {}
    for ticket_id, facts in escalation_facts(session, ticket_ids).items():
        if facts.unanswered_level is not None:
            states[ticket_id] = EscalationState(
                _("varslet nivå %(level)s", level=facts.unanswered_level), "paged"
            )
        elif facts.acknowledged_level is not None:
            states[ticket_id] = EscalationState(
                _("kvittert (nivå %(level)s)", level=facts.acknowledged_level), "acked"
            )
        elif facts.next_page_at is not None:
            when = local(facts.next_page_at, "%d.%m. %H:%M")
            states[ticket_id] = EscalationState(_("neste varsel %(when)s", when=when), "planned")
        else:
            states[ticket_id] = EscalationState("", "")
    return states


# ------------------------------------------------------------------ the queue


@dataclass(frozen=True)
class QueueArgs:
    filters: actions.QueueFilter
    sort: str
    page: int
    params: dict[str, str]  # the accepted filters as query parameters, for links
    errors: dict[str, list[str]]


def _queue_args(args: Mapping[str, str]) -> QueueArgs:
    """The query string as the use-case's filter; a bad value is dropped and reported."""
    raw = {name: args[name].strip() for name in (*FILTERS, "page") if args.get(name, "").strip()}
    status = raw.pop("status", ACTIVE)
    data = dict(raw)
    data.pop("page", None)
    if status not in (ALL, ACTIVE):
        data["status"] = status
    errors: dict[str, list[str]] = {}
    try:
        loaded = TicketQuerySchema().load(data, unknown=EXCLUDE)
    except ValidationError as exc:
        errors = field_errors(exc.messages)
        loaded = dict(exc.valid_data or {})
        loaded.setdefault("sort", "time_left")
        if "status" in errors:
            status = ACTIVE
    sort = loaded.pop("sort")
    page = 1
    if "page" in raw:
        try:
            page = max(1, int(raw["page"]))
        except ValueError:
            errors["page"] = [_("Må være et heltall.")]
    params = {"status": status}
    params.update((k, v) for k, v in raw.items() if k not in errors and k != "page")
    if sort == "time_left":
        params.pop("sort", None)
    filters = actions.QueueFilter(**loaded)
    if status == ACTIVE:
        filters = replace(filters, statuses=(actions.OPEN, actions.PAUSED), unanswered=True)
    return QueueArgs(filters, sort, page, params, errors)


@dataclass(frozen=True)
class Row:
    id: int
    subject: str
    critical: bool
    severity: str
    needs_confirmation: bool  # the classifier was unsure: confirm or downgrade in one click
    contract: str
    vendor: str
    routed: bool
    channel: str
    assignee: str | None
    received_at: datetime
    status: str
    status_label: str
    due_at: datetime | None
    due_iso: str | None  # set when a live countdown runs (open, unanswered, with a deadline)
    left: str | None  # time left as text (the countdown's first frame, or a paused one's)
    answered_at: datetime | None
    outcome: str
    at_risk: bool
    escalation: EscalationState


def _row(catalog: Catalog, item: actions.QueueItem, escalation: EscalationState) -> Row:
    ticket, where = item.ticket, item.standing
    contract, vendor = contract_label(catalog, ticket.contract_id)
    left = where.seconds_left if ticket.status != actions.RESOLVED else None
    running = left is not None and ticket.status == actions.OPEN
    return Row(
        id=ticket.id,
        subject=ticket.subject,
        critical=ticket.severity == "critical",
        severity=SEVERITY_LABELS.get(ticket.severity, ticket.severity),
        needs_confirmation=bool(ticket.needs_confirmation),
        contract=contract,
        vendor=vendor,
        routed=ticket.contract_id is not None,
        channel=CHANNEL_LABELS.get(ticket.channel, ticket.channel),
        assignee=ticket.assignee,
        received_at=ticket.received_at,
        status=ticket.status,
        status_label=STATUS_LABELS.get(ticket.status, ticket.status),
        due_at=ticket.due_at,
        due_iso=ticket.due_at.isoformat() if running and ticket.due_at is not None else None,
        left=left_text(left) if left is not None else None,
        answered_at=ticket.responded_at,
        outcome=where.outcome.value,
        at_risk=left is not None and left <= AT_RISK_SECONDS,
        escalation=escalation,
    )


def _url(endpoint: str, params: Mapping[str, str], page: int) -> str:
    """The queue (or its rows) with these filters, on this page."""
    values: dict[str, Any] = dict(params)
    if page > 1:
        values["page"] = page
    return url_for(endpoint, **values)


def _paged(
    session: Session, filters: actions.QueueFilter, sort: str, wanted: int, now: datetime
) -> tuple[list[actions.QueueItem], int, int, int]:
    """(items, total, page, pages) of one list of the queue."""

    def rows_of(page: int) -> list[actions.QueueItem]:
        offset = (page - 1) * PAGE_SIZE
        return actions.queue(session, filters, now, sort=sort, offset=offset, limit=PAGE_SIZE)

    items: list[actions.QueueItem] | None = None
    if wanted == 1:
        # The first page first: when it is not full it holds every match, and the
        # count (a second pass over the same tickets, e.g. a search's) is not needed.
        items = rows_of(1)
    if items is not None and len(items) < PAGE_SIZE:
        total = len(items)
    else:
        total = actions.count_queue(session, filters, now)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(wanted, pages)
    if items is None:
        items = rows_of(page)
    return items, total, page, pages


def desk_users(session: Session) -> list[str]:
    """The names a ticket can be assigned to: the desk's active user accounts."""
    return active_user_names(session)


def _queue_context() -> dict[str, Any]:
    app = desk()
    now = app.clock()
    args = _queue_args(request.args)
    # The desk's default view keeps breached-and-unanswered tickets in a section of their
    # own below the live work: a ticket a month late must not sit above one with 9 minutes.
    split = args.params.get("status") == ACTIVE and args.filters.breached is None
    with app.sessions() as session:
        live = replace(args.filters, breached=False) if split else args.filters
        items, total, page, pages = _paged(session, live, args.sort, args.page, now)
        overdue: list[actions.QueueItem] = []
        overdue_total = 0
        if split:
            late = replace(args.filters, breached=True)
            overdue, overdue_total, _page, _pages = _paged(session, late, args.sort, 1, now)
        states = escalation_states(session, (item.ticket.id for item in (*items, *overdue)))
        assignees = desk_users(session)
    rows = [_row(app.catalog, item, states[item.ticket.id]) for item in items]
    overdue_rows = [_row(app.catalog, item, states[item.ticket.id]) for item in overdue]
    vendors: dict[str, list[str]] = {}
    for contract in sorted(app.catalog.contracts.values(), key=lambda c: (c.vendor, c.id)):
        vendors.setdefault(contract.vendor, []).append(contract.id)
    return {
        "rows": rows,
        "overdue_rows": overdue_rows,
        "split": split,
        "live_total": total,
        "overdue_total": overdue_total,
        "total": total + overdue_total,
        "page": page,
        "pages": pages,
        "params": args.params,
        "errors": {str(FIELD_LABELS.get(k, k)): v for k, v in args.errors.items()},
        "rows_url": _url("ui.queue_rows", args.params, page),
        "page_url": lambda n: _url("ui.queue", args.params, n),
        "overdue_url": _url("ui.queue", {**args.params, "breached": "true"}, 1),
        "mine_url": _url("ui.queue", {"status": ACTIVE, "assignee": current_user.name}, 1),
        "vendors": vendors,
        "contracts": sorted(
            app.catalog.contracts.values(), key=lambda c: (c.vendor, c.service, c.id)
        ),
        "assignees": assignees,
        "severities": SEVERITY_LABELS,
        "statuses": STATUS_LABELS,
        "channels": {c: CHANNEL_LABELS.get(c, c) for c in sorted(CHANNELS)},
        "sorts": SORT_LABELS,
        "all_statuses": ALL,
        "now": now,
    }


def _jump() -> Response | None:
    """``q=12`` or ``q=#12``: straight to ticket 12 when it exists."""
    match = JUMP.match(request.args.get("q", "").strip())
    if match is None:
        return None
    ticket_id = int(match.group(1))
    if not 0 < ticket_id <= actions.MAX_ID:
        return None
    with desk().sessions() as session:
        try:
            actions.get_ticket(session, ticket_id)
        except actions.NotFound:
            flash(_("Sak #%(id)s finnes ikke.", id=ticket_id), "error")
            return redirect(url_for("ui.queue"), 303)
    return redirect(url_for("ui.ticket", ticket_id=ticket_id), 303)


@bp.get("/")
@role_required("agent")
def queue() -> Any:
    jump = _jump()
    if jump is not None:
        return jump
    context = _queue_context()
    return render_template("queue.html", **context), 400 if context["errors"] else 200


@bp.get("/queue/rows")
@role_required("agent")
def queue_rows() -> Response:
    """The queue's lists only (the live work and the breached section, with their counts),
    for the page's refresh script."""
    context = _queue_context()
    response = Response(
        render_template("queue_rows.html", **context),
        status=400 if context["errors"] else 200,
        mimetype="text/html",
    )
    response.headers["X-Queue-Rows"] = "1"  # the script swaps only what carries this
    response.headers["Cache-Control"] = "no-store"
    return response
