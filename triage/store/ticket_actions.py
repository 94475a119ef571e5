"""What agents and admins do to tickets, as use-cases the REST API (and later the UI) call.

Every change is a ``TicketEvent`` with the actor's name, made in one transaction with the
ticket locked (``_locked``), so two agents pausing the same ticket at once give one pause
and one refusal, on PostgreSQL and SQLite alike. A change that affects the SLA (response,
severity, contract, pause, resume, resolve) derives the SLA columns again with
``derive_sla_state`` from the ticket's facts and its paused/resumed events.

Pauses: ``status`` is "paused" while the clock is stopped. The stored ``due_at`` of a
paused ticket is the deadline as of the pause start; on resume the paused business time is
added. A paused ticket is judged as of its pause start (``standing``): its clock stands
still, so it cannot become breached while paused.

Refusals are exceptions the web layer maps to statuses: ``NotFound`` (404), ``Conflict``
(409: the ticket is not in a state that allows it), ``Invalid`` (422, naming the field).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, load_only, selectinload, sessionmaker

from config.catalog import Catalog
from sla.explain import explain_deadline
from sla.local_time import OSLO
from sla.severity import Severity
from sla.targets import Outcome, judge
from sla.text import Template
from triage.handoff import AttachmentInfo, HandoffCheck, check_handoff, forward_message
from triage.intake.message import KINDS
from triage.store import vendor_forwards
from triage.store.intake import Parser, reprocess
from triage.store.models import InboxItem, Ticket, TicketEvent, VendorForward
from triage.store.sla_columns import rederive_sla
from triage.store.tickets import add_event, pauses_from_events

MAX_ID = 2**63 - 1  # BIGINT: a larger id is no row, not a database error
OPEN, PAUSED, RESOLVED = "open", "paused", "resolved"
STATUSES = (OPEN, PAUSED, RESOLVED)
SORTS = ("time_left", "received_at", "-received_at")


class ActionError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ActionError):
    """No such ticket or inbox item."""


class Conflict(ActionError):
    """The ticket's state does not allow this (already paused, resolved, ...)."""


class Emptied(Conflict):
    """The payload was emptied by erasure or retention: nothing left to parse."""


class Invalid(ActionError):
    """A value that is well-formed but not acceptable here; ``field`` names it."""


class Unavailable(ActionError):
    """A service the action needs (the vendor's mail server) failed or is not set up."""


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Standing:
    outcome: Outcome
    seconds_left: float | None  # until due_at; negative when overdue; None once answered
    judged_at: datetime  # "now", or the pause start of a paused ticket


def standing(
    due_at: datetime | None,
    responded_at: datetime | None,
    now: datetime,
    paused_since: datetime | None = None,
) -> Standing:
    """Where a ticket stands (``sla.targets.judge``); a paused one as of its pause start."""
    at = min(paused_since, now) if paused_since is not None else now
    outcome = judge(due_at, responded_at, at)
    left = None
    if due_at is not None and responded_at is None:
        left = (due_at - at).total_seconds()
    return Standing(outcome, left, at)


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    statuses: tuple[str, ...] | None = None  # any of these (the desk's "active": open, paused)
    unanswered: bool | None = None  # True: no response recorded yet
    contract: str | None = None
    severity: str | None = None
    channel: str | None = None
    assignee: str | None = None
    breached: bool | None = None
    q: str | None = None


@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket  # body not loaded
    paused_since: datetime | None
    standing: Standing


def _last_pause() -> Any:
    """The time of a ticket's last "paused" event."""
    return (
        select(func.max(TicketEvent.at))
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "paused")
        .correlate(Ticket)
        .scalar_subquery()
    )


def _paused_since() -> Any:
    """The start of the running pause (the last "paused" event) of a paused ticket."""
    return case((Ticket.status == PAUSED, _last_pause()), else_=None)


def _breached(now: datetime, paused_since: Any) -> ColumnElement[bool]:
    """``judge(...) == BREACHED`` in SQL (a paused ticket judged at its pause start)."""
    return or_(
        and_(
            Ticket.responded_at.is_not(None),
            Ticket.due_at.is_not(None),
            Ticket.responded_at > Ticket.due_at,
        ),
        and_(Ticket.responded_at.is_(None), Ticket.status != PAUSED, Ticket.due_at < now),
        and_(Ticket.responded_at.is_(None), Ticket.status == PAUSED, Ticket.due_at < paused_since),
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.status is not None:
        where.append(Ticket.status == filters.status)
    if filters.statuses is not None:
        where.append(Ticket.status.in_(filters.statuses))
    if filters.unanswered is not None:
        answered = Ticket.responded_at.is_not(None)
        where.append(~answered if filters.unanswered else answered)
    if filters.contract is not None:
        where.append(Ticket.contract_id == filters.contract)
    if filters.severity is not None:
        where.append(Ticket.severity == filters.severity)
    if filters.channel is not None:
        where.append(Ticket.channel == filters.channel)
    if filters.assignee is not None:
        where.append(Ticket.assignee == filters.assignee)
    if filters.breached is not None:
        # CASE, not NOT: a comparison with NULL (no deadline) is unknown in SQL, and
        # NOT unknown would drop unrouted tickets from "not breached" as well.
        breached = case((_breached(now, _paused_since()), 1), else_=0)
        where.append(breached == (1 if filters.breached else 0))
    if filters.q:
        pattern = _like(filters.q)
        where.append(
            or_(Ticket.subject.ilike(pattern, escape="\\"), Ticket.body.ilike(pattern, escape="\\"))
        )
    return where


def count_queue(session: Session, filters: QueueFilter, now: datetime) -> int:
    query = select(func.count()).select_from(Ticket).where(*_conditions(filters, now))
    return int(session.execute(query).scalar_one())


def queue(
    session: Session,
    filters: QueueFilter,
    now: datetime,
    *,
    sort: str = "time_left",
    offset: int = 0,
    limit: int = 50,
) -> list[QueueItem]:
    """One page of tickets.

    ``time_left``: breached first, then open, then met, then tickets without a deadline
    (unrouted, or a contract without a target); within each, critical before non-critical,
    then by due_at. ``received_at`` / ``-received_at``: by receipt. Ties go by id.
    """
    if sort not in SORTS:
        raise Invalid(f"unknown sort {sort!r} (expected one of {', '.join(SORTS)})", "sort")
    if sort == "time_left" and not filters.unanswered:
        return _by_time_left(session, filters, now, offset, limit)
    paused_since = _paused_since()
    order: Sequence[Any]
    if sort == "time_left":
        # Unanswered tickets only (the desk's default view): a few thousand, read through
        # ix_tickets_queue and sorted in one statement.
        group = case(
            (Ticket.due_at.is_(None), 3),
            (_breached(now, paused_since), 0),
            (Ticket.responded_at.is_not(None), 2),
            else_=1,
        )
        critical = case((Ticket.severity == Severity.CRITICAL.value, 0), else_=1)
        order = (group, critical, Ticket.due_at.asc(), Ticket.received_at.asc(), Ticket.id)
    elif sort == "received_at":
        order = (Ticket.received_at.asc(), Ticket.id.asc())
    else:
        order = (Ticket.received_at.desc(), Ticket.id.desc())
    query: Select[Any] = (
        select(Ticket, paused_since.label("paused_since"))
        .options(load_only(*_LIST_COLUMNS))
        .where(*_conditions(filters, now))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return [
        QueueItem(ticket, since, standing(ticket.due_at, ticket.responded_at, now, since))
        for ticket, since in session.execute(query)
    ]


# The order of ``time_left`` is (group, critical first, due_at, received_at, id), the
# group being 0 breached, 1 running, 2 met, 3 without a deadline. The group of a settled
# ticket (answered, or without a deadline) never changes; that of an unanswered one with
# a deadline depends on "now" (a paused one's on its pause start). Sorting the whole table
# for each page (a million tickets with every status) took seconds, so the page is read
# from sources that each come in that order from an index (migration 0014) and are
# merged here, group by group (``_by_time_left``):
#
#   group 0: settled and late (ix_tickets_settled_order), unanswered not paused and
#            overdue (ix_tickets_unanswered_order), paused and overdue at its pause start
#   group 1: unanswered not paused and not overdue (ix_tickets_unanswered_order),
#            paused and not overdue at its pause start
#   group 2: settled and met                  group 3: settled without a deadline
#
# A source is read up to ``offset + limit`` rows; a group wholly before the page is
# counted and skipped. The first page reads ~50 index entries per source instead of the
# table. The constants are written into the statements (``literal_column``): the
# indexes' expressions are matched against the statement, which a bound parameter would
# hide from a generic plan.
_ZERO: ColumnElement[int] = literal_column("0")
_ONE: ColumnElement[int] = literal_column("1")
_TWO: ColumnElement[int] = literal_column("2")
_THREE: ColumnElement[int] = literal_column("3")
_CRITICAL_FIRST = case(
    (Ticket.severity == literal_column(f"'{Severity.CRITICAL.value}'"), _ZERO), else_=_ONE
)
_SETTLED = or_(Ticket.responded_at.is_not(None), Ticket.due_at.is_(None))
_SETTLED_GROUP = case(
    (Ticket.due_at.is_(None), _THREE),
    (Ticket.responded_at > Ticket.due_at, _ZERO),
    else_=_TWO,
)
_UNSETTLED = (Ticket.responded_at.is_(None), Ticket.due_at.is_not(None))
_IS_PAUSED = Ticket.status == literal_column(f"'{PAUSED}'")
_ORDER = (_CRITICAL_FIRST, Ticket.due_at, Ticket.received_at, Ticket.id)


class _Row(NamedTuple):
    """A ticket's place in the ``time_left`` order within its group."""

    critical_first: int
    due_at: datetime | None
    received_at: datetime
    id: int
    paused_since: datetime | None


def _by_time_left(
    session: Session, filters: QueueFilter, now: datetime, offset: int, limit: int
) -> list[QueueItem]:
    """One page in the ``time_left`` order (see above): the page's ids from the merged
    sources, then those tickets. A source is its conditions on top of the filters'."""
    where = _conditions(filters, now)
    columns = (*_ORDER, _paused_since())
    late_at_pause = Ticket.due_at < _last_pause()
    paused = (*_UNSETTLED, _IS_PAUSED)
    groups: tuple[tuple[tuple[ColumnElement[bool], ...], ...], ...] = (
        (
            (_SETTLED, _SETTLED_GROUP == _ZERO),
            (*_UNSETTLED, ~_IS_PAUSED, Ticket.due_at < now),
            (*paused, late_at_pause),
        ),
        (
            (*_UNSETTLED, ~_IS_PAUSED, Ticket.due_at >= now),
            (*paused, or_(~late_at_pause, _last_pause().is_(None))),
        ),
        ((_SETTLED, _SETTLED_GROUP == _TWO),),
        ((_SETTLED, _SETTLED_GROUP == _THREE),),
    )

    def rows(conditions: Sequence[ColumnElement[bool]], skip: int, count: int) -> list[_Row]:
        query = select(*columns).where(*where, *conditions).order_by(*_ORDER)
        return _rows(session, query.offset(skip or None).limit(count))

    def counted(conditions: Sequence[ColumnElement[bool]]) -> int:
        query = select(func.count()).select_from(Ticket).where(*where, *conditions)
        return int(session.execute(query).scalar_one())

    page: list[_Row] = []
    skip = offset
    for sources in groups:
        wanted = limit - len(page)
        if wanted <= 0:
            break
        if skip:  # the page starts further on: a group wholly before it is only counted
            total = sum(counted(conditions) for conditions in sources)
            if skip >= total:
                skip -= total
                continue
        if len(sources) == 1:
            page += rows(sources[0], skip, wanted)
        else:
            reads = [rows(conditions, 0, skip + wanted) for conditions in sources]
            page += list(heapq.merge(*reads))[skip : skip + wanted]
        skip = 0
    return _items(session, page, now)


def _rows(session: Session, query: Select[Any]) -> list[_Row]:
    return [_Row(*row) for row in session.execute(query)]


def _items(session: Session, page: Sequence[_Row], now: datetime) -> list[QueueItem]:
    """The page's tickets (list columns only), in the page's order."""
    if not page:
        return []
    found = session.scalars(
        select(Ticket).options(load_only(*_LIST_COLUMNS)).where(Ticket.id.in_([r.id for r in page]))
    )
    tickets = {ticket.id: ticket for ticket in found}
    return [
        QueueItem(
            ticket,
            row.paused_since,
            standing(ticket.due_at, ticket.responded_at, now, row.paused_since),
        )
        for row in page
        if (ticket := tickets.get(row.id)) is not None  # deleted in between: gone
    ]


_LIST_COLUMNS = (
    Ticket.id,
    Ticket.subject,
    Ticket.channel,
    Ticket.contract_id,
    Ticket.severity,
    Ticket.needs_confirmation,
    Ticket.status,
    Ticket.assignee,
    Ticket.received_at,
    Ticket.due_at,
    Ticket.responded_at,
    Ticket.resolved_at,
)


_UNROUTED = Template(
    "ticket.unrouted", "unrouted: no SLA clock runs until an agent picks a contract"
)
_NOT_IN_CATALOG = Template(
    "ticket.contract-unknown", "contract {contract} is not in the catalog: no SLA clock"
)
_RULE = Template("ticket.rule", "{target} ({source})")
_PAUSES = Template(
    "ticket.pauses",
    "{count} pause(s) stop the clock; the deadline moves by the business time paused",
)


@dataclass(frozen=True)
class SlaView:
    contract: str | None
    clock_starts_at: datetime | None
    due_at: datetime | None
    outcome: Outcome
    seconds_left: float | None
    response_business_minutes: float | None
    paused_since: datetime | None
    target: str | None  # "PT60M", "immediately+PT15M", ... None without a target
    rule: str | None  # the target in words, with the clause it comes from
    notes: tuple[str, ...]  # why the deadline is where it is (sla.explain)


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket  # events loaded
    sla: SlaView


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    if not 0 < ticket_id <= MAX_ID:
        raise NotFound(f"ticket {ticket_id} does not exist")
    ticket = session.get(Ticket, ticket_id, options=[selectinload(Ticket.events)])
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    return ticket


def paused_since(ticket: Ticket) -> datetime | None:
    if ticket.status != PAUSED:
        return None
    return max((e.at for e in ticket.events if e.kind == "paused"), default=None)


def ticket_view(session: Session, catalog: Catalog, ticket_id: int, now: datetime) -> TicketView:
    ticket = get_ticket(session, ticket_id)
    since = paused_since(ticket)
    where = standing(ticket.due_at, ticket.responded_at, now, since)
    contract = catalog.contracts.get(ticket.contract_id) if ticket.contract_id else None
    target = rule = None
    notes: tuple[str, ...] = ()
    if ticket.contract_id is None:
        notes = (_UNROUTED(),)
    elif contract is None:
        notes = (_NOT_IN_CATALOG(contract=repr(ticket.contract_id)),)
    else:
        try:
            explained = explain_deadline(contract, Severity(ticket.severity), ticket.received_at)
        except ValueError as exc:  # no terms in force on the receipt date
            notes = (str(exc),)
        else:
            terms = contract.terms_at(ticket.received_at)
            response_rule = terms.response[Severity(ticket.severity)]
            target = explained.target
            rule = _RULE(target=response_rule.target.describe(), source=response_rule.source)
            notes = explained.notes
            pauses = pauses_from_events(ticket.events, now)
            if pauses:
                notes = (*notes, _PAUSES(count=len(pauses)))
    minutes = ticket.response_seconds / 60 if ticket.response_seconds is not None else None
    sla = SlaView(
        contract=ticket.contract_id,
        clock_starts_at=ticket.clock_starts_at,
        due_at=ticket.due_at,
        outcome=where.outcome,
        seconds_left=where.seconds_left,
        response_business_minutes=minutes,
        paused_since=since,
        target=target,
        rule=rule,
        notes=notes,
    )
    return TicketView(ticket, sla)


#: Events that carry what the customer sent (a vendor's reply or an agent's note does not
#: count as content of the fault report).
_CUSTOMER_MESSAGES = frozenset(KINDS) | {"received"}


def handoff(session: Session, catalog: Catalog, ticket_id: int) -> HandoffCheck:
    """What the vendor's fault report still lacks, and the desk's forward-by deadline."""
    ticket = get_ticket(session, ticket_id)
    if ticket.contract_id is None:
        raise Conflict(f"ticket {ticket_id} is unrouted: pick a contract before the hand-off")
    contract = catalog.contracts.get(ticket.contract_id)
    if contract is None:
        raise Conflict(f"contract {ticket.contract_id!r} of ticket {ticket_id} is not known")
    texts = [ticket.subject, ticket.body]
    attachments: list[AttachmentInfo] = []
    for event in ticket.events:
        if event.kind in _CUSTOMER_MESSAGES:
            text = event.data.get("text")
            if isinstance(text, str):
                texts.append(text)
            for item in event.data.get("attachments") or ():
                if isinstance(item, Mapping):
                    attachments.append(
                        AttachmentInfo(
                            str(item.get("filename") or ""), str(item.get("content_type") or "")
                        )
                    )
    try:
        return check_handoff(contract, ticket.received_at, "\n".join(texts), attachments)
    except ValueError as exc:  # no terms in force on the receipt date
        raise Conflict(str(exc)) from None


# ------------------------------------------------------------------ changing


def _locked(session: Session, ticket_id: int, now: datetime) -> Ticket:
    """The ticket, read after taking the write lock: its checks and changes cannot
    interleave with another action's.

    The lock is a write (``updated_at``) before the read: on PostgreSQL the UPDATE locks
    the row as ``SELECT ... FOR UPDATE`` would; on SQLite, where FOR UPDATE does nothing,
    it takes the database's write lock, so a second agent's action waits and then reads
    the first one's result (without it, two concurrent pauses both saw "open").
    """
    if not 0 < ticket_id <= MAX_ID:
        raise NotFound(f"ticket {ticket_id} does not exist")
    touched = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], touched).rowcount == 0:
        raise NotFound(f"ticket {ticket_id} does not exist")
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:  # pragma: no cover - the UPDATE above found it
        raise NotFound(f"ticket {ticket_id} does not exist")
    return ticket


def _shown(instant: datetime) -> str:
    """A time in a message: Europe/Oslo with its offset, as the API writes times."""
    return instant.astimezone(OSLO).isoformat()


def _done(session: Session, ticket: Ticket, now: datetime) -> Ticket:
    ticket.updated_at = now
    session.commit()
    return ticket


def record_response(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    at: datetime | None = None,
) -> Ticket:
    """The vendor started work at ``at`` (default now): the ticket's response."""
    ticket = _locked(session, ticket_id, now)
    at = now if at is None else at
    if at < ticket.received_at:
        raise Invalid(
            f"the response cannot come before the ticket was received ({_shown(ticket.received_at)})",
            "at",
        )
    if at > now:
        raise Invalid("the response cannot be in the future", "at")
    if ticket.responded_at is not None:
        raise Conflict(f"the response was already recorded ({_shown(ticket.responded_at)})")
    ticket.responded_at = at
    add_event(session, ticket, "response_started", at, actor, recorded_at=now.isoformat())
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def confirm_vendor_response(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    event_id: int,
) -> Ticket:
    """An agent vouches that a vendor-looking message the desk could not trust (not a
    reply to its forward, or failing the relay's authentication) is the vendor's
    response: the response is its receipt time, and the event says who confirmed it."""
    ticket = _locked(session, ticket_id, now)
    reply = next((e for e in ticket.events if e.id == event_id), None)
    if reply is None or reply.kind != "vendor_replied":
        raise NotFound(f"ticket {ticket_id} has no vendor message {event_id}")
    if not (reply.data or {}).get("confirmable"):
        why = (reply.data or {}).get("not_counted_because") or "it already counted"
        raise Conflict(f"vendor message {event_id} cannot be confirmed: {why}")
    if ticket.responded_at is not None:
        raise Conflict(f"the response was already recorded ({_shown(ticket.responded_at)})")
    ticket.responded_at = reply.at
    add_event(
        session,
        ticket,
        "vendor_response_confirmed",
        now,
        actor,
        event=event_id,
        responded_at=reply.at.isoformat(),
        sender_email=(reply.data or {}).get("sender_email"),
    )
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


class Forbidden(ActionError):
    """The actor's role does not allow this change (a downgrade needs a manager)."""


def reclassify(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    severity: Severity,
    reason: str,
    wrong_reason: str | None = None,
    may_downgrade: bool = True,
) -> Ticket:
    """Correct the severity, with a reason; the deadline follows the contract's rule.

    A downgrade (critical -> non-critical) moves the deadline later, so it is accountable:
    an agent may downgrade a ticket the classifier was unsure of (``needs_confirmation``:
    it ran the critical clock only to be safe, and the agent reading it is the check the
    catalog asked for); any other downgrade needs ``may_downgrade`` (the manager role).
    Either way the event says ``downgrade`` with the actor and reason. ``wrong_reason``
    records which of the classifier's reasons the agent found wrong (a learning signal,
    ``triage classify learn``).
    """
    ticket = _locked(session, ticket_id, now)
    if ticket.severity == severity.value:
        raise Conflict(f"ticket {ticket_id} is already {severity.value}")
    downgrade = ticket.severity == Severity.CRITICAL.value
    if downgrade and not (ticket.needs_confirmation or may_downgrade):
        raise Forbidden(
            "a downgrade of a confirmed critical ticket moves its deadline later and needs "
            "the manager role",
            "severity",
        )
    data: dict[str, Any] = {"before": ticket.severity, "after": severity.value, "reason": reason}
    if downgrade:
        data["downgrade"] = True
    if ticket.needs_confirmation:
        data["was_unconfirmed"] = True
    if wrong_reason:
        data["wrong_reason"] = wrong_reason
    add_event(session, ticket, "reclassified", now, actor, **data)
    ticket.severity = severity.value
    ticket.needs_confirmation = False
    ticket.severity_reasons = [f"reclassified by {actor}: {reason}"]
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def confirm_classification(
    session: Session, catalog: Catalog, ticket_id: int, actor: str, now: datetime
) -> Ticket:
    """An agent confirms an unsure classification: the ticket stays critical (it already
    runs that clock) and leaves the needs-confirmation list. Confirming is a label too."""
    del catalog  # the clock does not change
    ticket = _locked(session, ticket_id, now)
    if not ticket.needs_confirmation:
        raise Conflict(f"ticket {ticket_id} does not need confirmation")
    add_event(session, ticket, "classification_confirmed", now, actor, severity=ticket.severity)
    ticket.needs_confirmation = False
    return _done(session, ticket, now)


def set_contract(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    contract_id: str,
    reason: str,
) -> Ticket:
    """Route an unrouted ticket, or move it to another contract (the clock follows)."""
    if contract_id not in catalog.contracts:
        raise Invalid(f"unknown contract {contract_id!r}", "contract")
    ticket = _locked(session, ticket_id, now)
    if ticket.contract_id == contract_id:
        raise Conflict(f"ticket {ticket_id} is already on {contract_id}")
    add_event(
        session,
        ticket,
        "routed",
        now,
        actor,
        contract=contract_id,
        before=ticket.contract_id,
        reasons=[reason],
    )
    ticket.contract_id = contract_id
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def assign(
    session: Session, ticket_id: int, actor: str, now: datetime, assignee: str | None
) -> Ticket:
    ticket = _locked(session, ticket_id, now)
    if ticket.assignee == assignee:
        raise Conflict(f"ticket {ticket_id} is already assigned to {assignee or 'nobody'}")
    add_event(session, ticket, "assigned", now, actor, before=ticket.assignee, after=assignee)
    ticket.assignee = assignee
    return _done(session, ticket, now)


def pause(
    session: Session, catalog: Catalog, ticket_id: int, actor: str, now: datetime, reason: str
) -> Ticket:
    """Stop the clock (e.g. waiting on the customer) until ``resume``."""
    ticket = _locked(session, ticket_id, now)
    if ticket.status == RESOLVED:
        raise Conflict(f"ticket {ticket_id} is resolved")
    if ticket.status == PAUSED:
        raise Conflict(f"ticket {ticket_id} is already paused")
    add_event(session, ticket, "paused", now, actor, reason=reason)
    ticket.status = PAUSED
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def resume(session: Session, catalog: Catalog, ticket_id: int, actor: str, now: datetime) -> Ticket:
    """Restart the clock; the deadline moves by the business time paused."""
    ticket = _locked(session, ticket_id, now)
    if ticket.status != PAUSED:
        raise Conflict(f"ticket {ticket_id} is not paused")
    add_event(session, ticket, "resumed", now, actor)
    ticket.status = OPEN
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def resolve(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> Ticket:
    """Close the ticket; a running pause ends here (else it would grow on every recompute)."""
    ticket = _locked(session, ticket_id, now)
    if ticket.status == RESOLVED:
        raise Conflict(f"ticket {ticket_id} is already resolved")
    if ticket.status == PAUSED:
        add_event(session, ticket, "resumed", now, actor, why="resolved")
    add_event(session, ticket, "resolved", now, actor, **({"note": note} if note else {}))
    ticket.status = RESOLVED
    ticket.resolved_at = now
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def reopen(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    reason: str,
) -> Ticket:
    """Open a resolved ticket again (the fault came back, or it was closed by mistake).
    Its clock and deadline are the original ones: a ticket never answered is late from its
    first deadline, not from the reopening, and its escalation is planned again."""
    ticket = _locked(session, ticket_id, now)
    if ticket.status != RESOLVED:
        raise Conflict(f"ticket {ticket_id} is not resolved")
    add_event(session, ticket, "reopened", now, actor, reason=reason)
    ticket.status = OPEN
    ticket.resolved_at = None
    rederive_sla(session, catalog, ticket, now)
    return _done(session, ticket, now)


def add_note(session: Session, ticket_id: int, actor: str, now: datetime, text: str) -> Ticket:
    ticket = _locked(session, ticket_id, now)
    add_event(session, ticket, "note", now, actor, text=text)
    return _done(session, ticket, now)


# ------------------------------------------------------------------ quarantine (admin)


@dataclass(frozen=True)
class QuarantinedItem:
    id: int
    channel: str
    content_type: str
    received_at: datetime
    error: str | None
    size: int  # bytes of the payload; the payload itself is never read here


def count_quarantine(session: Session) -> int:
    query = select(func.count()).select_from(InboxItem).where(InboxItem.status == "quarantined")
    return int(session.execute(query).scalar_one())


def quarantined(session: Session, *, offset: int = 0, limit: int = 50) -> list[QuarantinedItem]:
    """Quarantined payloads, newest first, without loading a payload (they go to 25 MB)."""
    query = (
        select(
            InboxItem.id,
            InboxItem.channel,
            InboxItem.content_type,
            InboxItem.received_at,
            InboxItem.error,
            func.length(InboxItem.payload),
        )
        .where(InboxItem.status == "quarantined")
        .order_by(InboxItem.received_at.desc(), InboxItem.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        QuarantinedItem(int(i), str(ch), str(ct), at, err, int(size or 0))
        for i, ch, ct, at, err, size in session.execute(query)
    ]


@dataclass(frozen=True)
class ReprocessResult:
    item: int
    status: str  # "processed" or "quarantined" (still cannot be parsed)
    error: str | None
    ticket: int | None
    created: bool
    duplicate: bool


def reprocess_item(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    item_id: int,
    parsers: Mapping[str, Parser],
    now: datetime,
) -> ReprocessResult:
    """Parse a quarantined (or stuck "received") payload again and ingest it."""
    if not 0 < item_id <= MAX_ID:
        raise NotFound(f"inbox item {item_id} does not exist")
    with sessions() as session:
        item = session.get(InboxItem, item_id)
        if item is None:
            raise NotFound(f"inbox item {item_id} does not exist")
        if item.status == "processed":
            raise Conflict(f"inbox item {item_id} is already processed (ticket {item.ticket_id})")
        size = session.scalar(select(func.length(InboxItem.payload)).where(InboxItem.id == item_id))
        if not size:
            raise Emptied(
                f"inbox item {item_id} was emptied (erasure or retention); nothing to parse"
            )
    try:
        result = reprocess(sessions, catalog, item_id, parsers, now)
    except LookupError:
        raise NotFound(f"inbox item {item_id} does not exist") from None
    if result is None:
        with sessions() as session:
            error = session.scalar(select(InboxItem.error).where(InboxItem.id == item_id))
        return ReprocessResult(item_id, "quarantined", error, None, False, False)
    return ReprocessResult(
        item_id, "processed", None, result.ticket_id, result.created, result.duplicate
    )


def forward_to_vendor(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    actor: str,
    now: datetime,
    *,
    desk_address: str,
) -> VendorForward:
    """Queue the fault report for the vendor's support address (committed): the outbox
    row, the thread key and a ``forward_queued`` event; ``vendor_forwards.deliver`` sends
    it and records ``forwarded``.

    The report goes even when required contents are missing (the agent decided), but the
    events list what was missing and the desk's forward-by deadline, so a weakened claim
    can be traced. Our Message-ID is kept as a thread key, and the "[#id]" subject tag as
    well, so the vendor's reply threads back and records its first response. One forward
    at a time per ticket: a second click while one is queued is refused (409), not sent
    twice.
    """
    check = handoff(session, catalog, ticket_id)
    ticket = _locked(session, ticket_id, now)
    contract = catalog.get(str(ticket.contract_id))
    if not contract.support_email:
        raise Conflict(f"{contract.vendor} has no support e-mail address in the catalog")
    waiting = vendor_forwards.active_for(session, ticket.id)
    if waiting is not None:
        raise Conflict(
            f"the report to {waiting.to_address} is already {waiting.status} "
            f"(queued {_shown(waiting.requested_at)})"
        )
    message = forward_message(
        ticket_id=ticket.id,
        contract=contract,
        desk_address=desk_address,
        subject=ticket.subject,
        text=ticket.body,
        received=ticket.received_at,
        now=now,
    )
    row = vendor_forwards.add(
        session,
        ticket,
        message,
        missing=check.missing,
        forward_by=check.forward_by,
        actor=actor,
        now=now,
    )
    _done(session, ticket, now)
    return row


def retry_forward(
    session: Session, ticket_id: int, actor: str, now: datetime, *, forward_id: int
) -> VendorForward:
    """Queue a failed forward again (committed): same message and Message-ID, fresh
    attempts. 404 for no such forward on this ticket, 409 unless it failed."""
    ticket = _locked(session, ticket_id, now)
    row = session.get(VendorForward, forward_id) if 0 < forward_id <= MAX_ID else None
    if row is None or row.ticket_id != ticket.id:
        raise NotFound(f"forward {forward_id} of ticket {ticket_id} does not exist")
    if not vendor_forwards.requeue(session, ticket, forward_id, actor, now):
        raise Conflict(f"forward {forward_id} is {row.status}, not failed")
    _done(session, ticket, now)
    session.refresh(row)
    return row
