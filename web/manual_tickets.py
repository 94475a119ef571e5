"""Tickets an agent registers by hand: the phone call they took, a walk-in, a note.

One path for the REST API (``POST /api/v1/tickets``) and the desk's "Ny sak" form, and the
same path as every channel: the request is kept in the inbox first (nothing is lost),
parsed by the inbox's own parser (``workers.channels.payloads.parse_manual_payload``, so
``reprocess`` reads it again the same way), then ingested: classified, routed, timed and laddered like any
ticket. An agent who names the contract or the severity overrides the desk's own answer
through the ordinary actions, so the override is an event with who made it and why.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sla.severity import Severity
from triage.store import ticket_actions as actions
from triage.store.intake import ingest, store_raw
from web.desk import Desk
from workers.channels.payloads import manual_envelope

#: The reason the events give when the agent's own choice replaces the desk's.
OVERRIDE_REASON = "angitt av {actor} ved registrering"
#: The note when an agent names "non-critical" for a ticket the desk is sure is critical.
DOWNGRADE_REFUSED = (
    "Registrert som ikke-kritisk, men klassifisert som kritisk: saken står som kritisk. "
    "Å nedgradere en kritisk sak krever leder."
)


@dataclass(frozen=True)
class Registered:
    ticket_id: int
    created: bool  # False: a retry with the same idempotency key


def register(
    app: Desk,
    ticket: Mapping[str, Any],
    actor: str,
    key: str | None = None,
    *,
    may_downgrade: bool = False,
) -> Registered:
    """Register ``ticket`` (``workers.channels.schemas.ManualTicketSchema``'s fields, as the
    client sent them) for ``actor``. ``key`` makes a retry return the same ticket (``Idempotency-Key``);
    without one every call is a new ticket, as two calls about one fault are two contacts.

    ``may_downgrade``: the actor may downgrade a confirmed critical (a manager), the same
    rule as reclassifying later; otherwise a named "non-critical" that would downgrade one
    is not applied, and a note on the ticket says so.

    Raises ``actions.Invalid`` for an unknown contract before anything is stored.
    """
    contract = ticket.get("contract")
    if contract is not None and contract not in app.catalog.contracts:
        raise actions.Invalid(f"unknown contract {contract!r}", "contract")
    now = app.clock()
    payload = manual_envelope(ticket, key or uuid.uuid4().hex, actor)
    with app.sessions() as session:
        item_id = store_raw(session, "manual", "application/json", payload, now)
    message = app.parsers["manual"](payload, "application/json")
    result = ingest(app.sessions, app.catalog, item_id, message, now, received_at=now)
    if result.created:
        _override(app, result.ticket_id, actor, contract, ticket.get("severity"), may_downgrade)
    return Registered(result.ticket_id, result.created)


def _override(
    app: Desk,
    ticket_id: int,
    actor: str,
    contract: str | None,
    severity: str | None,
    may_downgrade: bool,
) -> None:
    reason = OVERRIDE_REASON.format(actor=actor)
    with app.sessions() as session:
        current = actions.get_ticket(session, ticket_id)
        routed, classified = current.contract_id, current.severity
        unsure = bool(current.needs_confirmation)
    now = app.clock()
    if contract is not None and contract != routed:
        with app.sessions() as session:
            actions.set_contract(
                session, app.catalog, ticket_id, actor, now, contract_id=contract, reason=reason
            )
    if severity is not None and severity == classified and unsure:
        # the classifier was unsure; the agent who named this severity settles it
        with app.sessions() as session:
            actions.confirm_classification(session, app.catalog, ticket_id, actor, now)
    if severity is not None and severity != classified:
        with app.sessions() as session:
            try:
                actions.reclassify(
                    session,
                    app.catalog,
                    ticket_id,
                    actor,
                    now,
                    severity=Severity(severity),
                    reason=reason,
                    may_downgrade=may_downgrade,
                )
            except actions.Forbidden:
                session.rollback()
                actions.add_note(session, ticket_id, actor, now, DOWNGRADE_REFUSED)
