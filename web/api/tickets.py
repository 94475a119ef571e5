"""``/api/v1/tickets``: the queue, a ticket with its events and SLA state, and the
agents' actions. Thin: arguments in, a use-case of ``triage.store.ticket_actions``, the
ticket out. Every action answers with the ticket as ``GET`` shows it after the change."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import request
from flask_smorest import Page

from sla.severity import Severity
from triage.store import ticket_actions as actions
from triage.store import vendor_forwards
from web.api.base import PREFIX, ApiBlueprint, LazyPage, principal
from web.api.schemas import (
    AssigneeArgsSchema,
    ClassificationArgsSchema,
    ContractArgsSchema,
    ForwardSchema,
    HandoffSchema,
    NoteArgsSchema,
    PauseArgsSchema,
    ResolveArgsSchema,
    ResponseArgsSchema,
    TicketQuerySchema,
    TicketSchema,
    TicketSummarySchema,
    VendorResponseArgsSchema,
)
from web.desk import desk
from web.manual_tickets import register
from workers.channels.schemas import ManualTicketSchema
from workers.jobs.vendor_forward import dispatch

if TYPE_CHECKING:  # the row the ticket use-cases return
    from triage.store.models import Ticket

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

blp = ApiBlueprint(
    "tickets",
    __name__,
    url_prefix=f"{PREFIX}/tickets",
    description="The agents' queue, tickets with their events and SLA state, and actions.",
)


# ------------------------------------------------------------------ shapes


def _summary(ticket: Ticket, where: actions.Standing, since: Any) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "channel": ticket.channel,
        "contract": ticket.contract_id,
        "severity": ticket.severity,
        "needs_confirmation": bool(ticket.needs_confirmation),
        "status": ticket.status,
        "assignee": ticket.assignee,
        "received_at": ticket.received_at,
        "due_at": ticket.due_at,
        "responded_at": ticket.responded_at,
        "resolved_at": ticket.resolved_at,
        "outcome": where.outcome.value,
        "seconds_left": where.seconds_left,
        "paused_since": since,
    }


def _ticket(ticket_id: int) -> dict[str, Any]:
    app = desk()
    with app.sessions() as session:
        view = actions.ticket_view(session, app.catalog, ticket_id, app.clock())
        ticket, sla = view.ticket, view.sla
        where = actions.Standing(sla.outcome, sla.seconds_left, app.clock())
        return {
            **_summary(ticket, where, sla.paused_since),
            "body": ticket.body,
            "requester_name": ticket.requester_name,
            "requester_email": ticket.requester_email,
            "requester_phone": ticket.requester_phone,
            "severity_reasons": list(ticket.severity_reasons or ()),
            "sla": {**sla.__dict__, "outcome": sla.outcome.value, "notes": list(sla.notes)},
            "events": [
                {"id": e.id, "kind": e.kind, "at": e.at, "actor": e.actor, "data": e.data}
                for e in ticket.events
            ],
            "forwards": vendor_forwards.of_ticket(session, ticket_id),
        }


def _act(ticket_id: int, change: Callable[..., Ticket], **kwargs: Any) -> Any:
    """Run a use-case as the caller, then answer with the ticket."""
    app = desk()
    with app.sessions() as session:
        change(session, ticket_id=ticket_id, actor=principal().name, now=app.clock(), **kwargs)
    return _ticket(ticket_id)


# ------------------------------------------------------------------ reading


@blp.route("")
@blp.requires("agent")
@blp.arguments(TicketQuerySchema, location="query", as_kwargs=False)
@blp.response(200, TicketSummarySchema(many=True))
@blp.paginate(Page, page_size=DEFAULT_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_tickets(args: dict[str, Any]) -> LazyPage:
    """The queue: filtered, sorted (most urgent first by default), paged.

    Paging: ``page``, ``page_size`` (at most 200); the total is in ``X-Total-Count``
    and ``X-Pagination``, the neighbouring pages in ``Link``.
    """
    app = desk()
    now = app.clock()
    sort = args.pop("sort")
    filters = actions.QueueFilter(**args)

    def count() -> int:
        with app.sessions() as session:
            return actions.count_queue(session, filters, now)

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        with app.sessions() as session:
            items = actions.queue(session, filters, now, sort=sort, offset=offset, limit=limit)
            return [_summary(i.ticket, i.standing, i.paused_since) for i in items]

    return LazyPage(count, fetch)


@blp.route("/<int:ticket_id>")
@blp.requires("agent", 404)
@blp.response(200, TicketSchema)
def get_ticket(ticket_id: int) -> Any:
    """A ticket with its events and SLA state: the deadline, and why it is there."""
    return _ticket(ticket_id)


@blp.route("/<int:ticket_id>/handoff")
@blp.requires("agent", 404, 409)
@blp.response(200, HandoffSchema)
def get_handoff(ticket_id: int) -> Any:
    """Before forwarding to the vendor: what the fault report lacks, the forward-by time."""
    app = desk()
    with app.sessions() as session:
        check = actions.handoff(session, app.catalog, ticket_id)
        ticket = actions.get_ticket(session, ticket_id)
        contract = app.catalog.get(str(ticket.contract_id))
    return {
        "ticket": ticket_id,
        "contract": contract.id,
        "support_email": contract.support_email,
        "support_phone": contract.support_phone,
        "missing": list(check.missing),
        "forward_by": check.forward_by,
        "forward_by_source": check.forward_by_source,
        "notes": list(check.notes),
    }


# ------------------------------------------------------------------ registering by hand

#: Header that makes a retried registration return the ticket the first one made.
IDEMPOTENCY_HEADER = "Idempotency-Key"


@blp.route("", methods=["POST"])
@blp.requires("agent", 422)
@blp.arguments(ManualTicketSchema, as_kwargs=False)
@blp.response(201, TicketSchema)
@blp.alt_response(200, schema=TicketSchema, description="A retry with the same Idempotency-Key.")
def create_ticket(args: dict[str, Any]) -> Any:
    """Register a ticket by hand (the phone call an agent took): classified, routed and
    timed like any ticket; ``contract`` and ``severity``, when given, override the desk's
    answer as events of the caller. Answers 201 with the ticket (its ``id``). With an
    ``Idempotency-Key`` header a retry answers 200 with the same ticket."""
    del args  # validated; the inbox keeps the JSON exactly as the client sent it
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()[:200] or None
    done = register(
        desk(),
        request.get_json(),
        principal().name,
        key,
        may_downgrade=principal().may("manager"),
    )
    return _ticket(done.ticket_id), 201 if done.created else 200


# ------------------------------------------------------------------ actions


@blp.route("/<int:ticket_id>/forward", methods=["POST"])
@blp.requires("agent", 404, 409, 503)
@blp.response(202, ForwardSchema)
@blp.alt_response(200, schema=ForwardSchema, description="Sent in the request (no Redis).")
def forward(ticket_id: int) -> Any:
    """Forward the fault report to the vendor's support address (``SMTP_URL``): the
    forward is queued (a ``forward_queued`` event records what the report lacked and the
    desk's forward-by time) and sent from the notify queue with retries; answers 202 with
    the forward's state, which the ticket's ``forwards`` follow (a ``forwarded`` event
    when the mail server took it, ``forward_failed`` when it gave up). Without Redis it
    is sent in the request: 200 when sent, 503 when it failed (kept as failed; ``retry``
    queues it again). 409 while a forward of the ticket is queued, 503 with no
    ``SMTP_URL``."""
    app = desk()
    if app.settings.smtp_url is None:
        raise actions.Unavailable("SMTP_URL is not set: forward the report by another channel")
    return _forwarded(
        actions.forward_to_vendor,
        ticket_id,
        catalog=app.catalog,
        desk_address=app.settings.desk_address,
    )


@blp.route("/<int:ticket_id>/forwards/<int:forward_id>/retry", methods=["POST"])
@blp.requires("agent", 404, 409, 503)
@blp.response(202, ForwardSchema)
@blp.alt_response(200, schema=ForwardSchema, description="Sent in the request (no Redis).")
def retry_forward(ticket_id: int, forward_id: int) -> Any:
    """Queue a failed forward again (same report, same Message-ID, fresh attempts);
    answers as ``forward`` does. 409 unless it failed."""
    return _forwarded(actions.retry_forward, ticket_id, forward_id=forward_id)


def _forwarded(queue: Callable[..., Any], ticket_id: int, **kwargs: Any) -> Any:
    """Queue as the caller, then ring the notify queue or send now (``dispatch``)."""
    app = desk()
    with app.sessions() as session:
        row = queue(session, ticket_id=ticket_id, actor=principal().name, now=app.clock(), **kwargs)
        forward_id = row.id
    after = dispatch(app, forward_id)
    if after.status == vendor_forwards.FAILED:
        raise actions.Unavailable(f"the report was not sent: {after.error}")
    return after, 200 if after.status == vendor_forwards.SENT else 202


@blp.route("/<int:ticket_id>/response", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.arguments(ResponseArgsSchema, required=False)
@blp.response(200, TicketSchema)
def record_response(args: dict[str, Any], ticket_id: int) -> Any:
    """Response started (default now): not before receipt, not in the future (422);
    once per ticket (409)."""
    return _act(ticket_id, actions.record_response, catalog=desk().catalog, at=args.get("at"))


@blp.route("/<int:ticket_id>/vendor-response", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.arguments(VendorResponseArgsSchema)
@blp.response(200, TicketSchema)
def confirm_vendor_response(args: dict[str, Any], ticket_id: int) -> Any:
    """Confirm a vendor message the desk did not trust (``confirmable`` on its
    ``vendor_replied`` event) as the vendor's response: the response is that message's
    receipt time, and the event names who confirmed it. Unknown event 404; not
    confirmable or already answered 409."""
    return _act(
        ticket_id,
        actions.confirm_vendor_response,
        catalog=desk().catalog,
        event_id=args["event"],
    )


@blp.route("/<int:ticket_id>/classification", methods=["POST"])
@blp.requires("agent", 403, 404, 409)
@blp.arguments(ClassificationArgsSchema)
@blp.response(200, TicketSchema)
def reclassify(args: dict[str, Any], ticket_id: int) -> Any:
    """Correct the severity, with a reason; the deadline follows the contract's rule.
    Downgrading a critical ticket that does not need confirmation needs a manager (403)."""
    return _act(
        ticket_id,
        actions.reclassify,
        catalog=desk().catalog,
        severity=Severity(args["severity"]),
        reason=args["reason"],
        wrong_reason=args.get("wrong_reason"),
        may_downgrade=principal().may("manager"),
    )


@blp.route("/<int:ticket_id>/confirmation", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.response(200, TicketSchema)
def confirm_classification(ticket_id: int) -> Any:
    """Confirm an unsure (needs-confirmation) classification: it stays critical."""
    return _act(ticket_id, actions.confirm_classification, catalog=desk().catalog)


@blp.route("/<int:ticket_id>/contract", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.arguments(ContractArgsSchema)
@blp.response(200, TicketSchema)
def set_contract(args: dict[str, Any], ticket_id: int) -> Any:
    """Route an unrouted ticket, or move it to another contract (unknown contract: 422)."""
    return _act(
        ticket_id,
        actions.set_contract,
        catalog=desk().catalog,
        contract_id=args["contract"],
        reason=args["reason"],
    )


@blp.route("/<int:ticket_id>/assignee", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.arguments(AssigneeArgsSchema)
@blp.response(200, TicketSchema)
def assign(args: dict[str, Any], ticket_id: int) -> Any:
    """Who works the ticket (null: nobody)."""
    return _act(ticket_id, actions.assign, assignee=args["assignee"])


@blp.route("/<int:ticket_id>/pause", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.arguments(PauseArgsSchema)
@blp.response(200, TicketSchema)
def pause(args: dict[str, Any], ticket_id: int) -> Any:
    """Stop the clock (e.g. waiting on the customer); 409 when paused or resolved."""
    return _act(ticket_id, actions.pause, catalog=desk().catalog, reason=args["reason"])


@blp.route("/<int:ticket_id>/resume", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.response(200, TicketSchema)
def resume(ticket_id: int) -> Any:
    """Restart the clock: the deadline moves by the business time paused; 409 when not
    paused."""
    return _act(ticket_id, actions.resume, catalog=desk().catalog)


@blp.route("/<int:ticket_id>/resolve", methods=["POST"])
@blp.requires("agent", 404, 409)
@blp.arguments(ResolveArgsSchema, required=False)
@blp.response(200, TicketSchema)
def resolve(args: dict[str, Any], ticket_id: int) -> Any:
    """Close the ticket (a running pause ends); 409 when already resolved."""
    return _act(ticket_id, actions.resolve, catalog=desk().catalog, note=args.get("note"))


@blp.route("/<int:ticket_id>/notes", methods=["POST"])
@blp.requires("agent", 404)
@blp.arguments(NoteArgsSchema)
@blp.response(200, TicketSchema)
def add_note(args: dict[str, Any], ticket_id: int) -> Any:
    """An internal note on the ticket's history."""
    return _act(ticket_id, actions.add_note, text=args["text"])
