"""Escalation points in the database: planned when a deadline changes, fired when due.

The database is the source of truth for escalation. Whenever a ticket's SLA columns are
derived again (``triage.store.sla_columns.rederive_sla``), its ladder is planned here into
``escalation_points`` rows; RQ jobs scheduled at those instants and the minute sweeper
only ever *fire* rows that are still pending, with a conditional UPDATE as the claim, so a
lost Redis, a second sweeper or a job that runs twice fires each point once.

Firing a point writes one ``sms_pages`` row per recipient (unique per point and
recipient: the idempotency key of escalation SMS); composing and sending the SMS is
``triage.store.sms_outbox``'s business.

Staleness: a ticket that enters the desk with ladder points long past (an import of last
month's tickets) pages nobody about them: points older than the lookback are "skipped".
Of several due points of one level (a worker was down, or a late e-mail), only the latest
fires: one SMS with today's news, not a replay of each rung.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, event, func, insert, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from sla.escalation import escalation_schedule
from sla.severity import Severity
from sla.targets import Deadline, Pause
from triage.oncall import Roster, recipients
from triage.store.models import EscalationPoint, SmsPage, Ticket, table_of
from triage.store.row_inserts import RowInserts
from triage.store.tickets import NewEvent, add_event, insert_events, pauses_from_events

PENDING, FIRED, ACKNOWLEDGED, CANCELLED, SKIPPED = (
    "pending",
    "fired",
    "acknowledged",
    "cancelled",
    "skipped",
)
LOOKBACK = timedelta(hours=1)
_PLANNED = "triage.escalations.planned"
POINTS = table_of(EscalationPoint)
_INSERT_POINTS = RowInserts(POINTS)  # one multi-row INSERT (see row_inserts)


@dataclass(frozen=True)
class Planned:
    """A change of one point's schedule, for the RQ scheduler after the commit: a job of
    ``fire_at``'s second when ``pending``; a point no longer pending needs none."""

    ticket_id: int
    point: str
    fire_at: datetime
    pending: bool


# ------------------------------------------------------------------ planning


def plan_escalations(
    session: Session,
    catalog: Catalog,
    ticket: Ticket,
    now: datetime,
    deadline: Deadline | None = None,
) -> None:
    """Bring the ticket's escalation rows in line with its current deadline.

    ``deadline``: the ticket's deadline as the caller just derived it (same contract,
    severity, receipt and pauses), so it is not computed a second time; None derives it.
    Fired and acknowledged rows are history and stay as they are: a point already paged is
    not paged again because the deadline moved.
    """
    new = ticket.id is None  # being inserted now: it has no rows yet (one query fewer)
    session.flush()  # a new ticket gets its id
    schedule = (
        _schedule(
            catalog,
            ticket.contract_id,
            ticket.severity,
            ticket.received_at,
            lambda: pauses_from_events(ticket.events, now),
            deadline,
        )
        if ticket.responded_at is None and ticket.status == "open" and ticket.due_at is not None
        else []
    )
    rows = (
        {}
        if new
        else {
            row.point: row
            for row in session.scalars(
                select(EscalationPoint).where(EscalationPoint.ticket_id == ticket.id)
            )
        }
    )
    changes: list[Planned] = []
    missing = []
    for point_name, level, at in schedule:
        row = rows.pop(point_name, None)
        if row is None:
            missing.append((point_name, level, at))
            continue
        if row.status not in (PENDING, CANCELLED, SKIPPED):
            continue
        status = _status(at, now)
        if (row.status, row.fire_at, row.level) == (status, at, level):
            continue
        row.status, row.fire_at, row.level, row.updated_at = status, at, level, now
        changes.append(Planned(ticket.id, point_name, at, status == PENDING))
    for row in rows.values():  # no longer on the ladder, or the ticket needs no paging
        if row.status == PENDING:
            row.status, row.updated_at = CANCELLED, now
            changes.append(Planned(ticket.id, row.point, row.fire_at, False))
    changes += _insert_points(session, ticket.id, missing, now)
    _record(session, changes)


def plan_new_ladder(
    session: Session,
    catalog: Catalog,
    ticket_id: int,
    contract_id: str | None,
    severity: str,
    received_at: datetime,
    now: datetime,
    deadline: Deadline | None = None,
) -> None:
    """The ladder of a ticket just inserted, open, unanswered, unpaused and with a
    deadline (intake's ``insert_ticket``): ``plan_escalations`` without loading anything;
    ``deadline`` as intake derived it for the SLA columns, if it did."""
    schedule = _schedule(catalog, contract_id, severity, received_at, lambda: (), deadline)
    _record(session, _insert_points(session, ticket_id, schedule, now))


def planned_in(session: Session) -> list[Planned]:
    """The plan changes of the session's open transaction, not yet handed to the
    scheduler: the batch intake fires the ones due on receipt itself, at once."""
    return list(session.info.get(_PLANNED, ()))


def _status(at: datetime, now: datetime) -> str:
    """Pending, or skipped when already older than the lookback (module docstring)."""
    return PENDING if at >= now - LOOKBACK else SKIPPED


def _insert_points(
    session: Session,
    ticket_id: int,
    points: list[tuple[str, int, datetime]],
    now: datetime,
) -> list[Planned]:
    """New rows for these (point, level, instant), in one statement (Core: no row of
    them is read back in the transaction)."""
    if not points:
        return []
    statuses = [_status(at, now) for _, _, at in points]
    _INSERT_POINTS.execute(
        session.connection(),
        [
            {
                "ticket_id": ticket_id,
                "point": name,
                "level": level,
                "fire_at": at,
                "status": status,
                "updated_at": now,
            }
            for (name, level, at), status in zip(points, statuses, strict=True)
        ],
    )
    return [
        Planned(ticket_id, name, at, status == PENDING)
        for (name, _, at), status in zip(points, statuses, strict=True)
    ]


def _record(session: Session, changes: list[Planned]) -> None:
    """Hand the changes to the RQ scheduler after the commit (``on_planned``)."""
    if changes:
        session.info.setdefault(_PLANNED, []).extend(changes)


def _schedule(
    catalog: Catalog,
    contract_id: str | None,
    severity: str,
    received_at: datetime,
    pauses: Callable[[], tuple[Pause, ...]],
    deadline: Deadline | None,
) -> list[tuple[str, int, datetime]]:
    """(point, level, instant) of the ladder of a ticket that waits for a response, on
    ``deadline`` if the caller has it (else derived, with ``pauses()``)."""
    contract = catalog.contracts.get(contract_id or "")
    if contract is None:
        return []
    try:
        ladder = contract.terms_at(received_at).ladder_for(Severity(severity))
        if ladder is None:
            return []
        if deadline is None:
            deadline = contract.deadline(Severity(severity), received_at, pauses())
    except ValueError:  # no terms in force: rederive_sla recorded it
        return []
    return [(p.point.name, p.point.level, p.at) for p in escalation_schedule(ladder, deadline)]


def on_planned(sessions: sessionmaker[Session], schedule: Callable[[list[Planned]], None]) -> None:
    """Call ``schedule`` with the plan changes of every committed transaction.

    The composition roots (web app, workers, CLI) wire this to the RQ enqueue module; the
    store never talks to Redis. A failure there is logged by the callee and repaired by
    the sweeper, so it must not undo the commit.
    """

    def after_commit(session: Session) -> None:
        changes = session.info.pop(_PLANNED, None)
        if changes:
            schedule(changes)

    def after_rollback(session: Session) -> None:
        session.info.pop(_PLANNED, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_soft_rollback", lambda s, _t: after_rollback(s))


# ------------------------------------------------------------------ firing


@dataclass(frozen=True)
class Fired:
    """What one call of ``fire_due`` did: recipients that now have pages waiting."""

    fired: int
    recipients: frozenset[str]


def due_points(
    session: Session,
    now: datetime,
    limit: int = 1000,
    *,
    ticket_id: int | None = None,
    point: str | None = None,
) -> list[tuple[int, str]]:
    """Pending points whose instant has come, oldest first; or just the one named, if it
    is pending and due (a job's cheap "anything to do?" before it loads the roster)."""
    query = select(EscalationPoint.ticket_id, EscalationPoint.point).where(
        EscalationPoint.status == PENDING, EscalationPoint.fire_at <= now
    )
    if ticket_id is not None:
        query = query.where(EscalationPoint.ticket_id == ticket_id, EscalationPoint.point == point)
    rows = session.execute(query.order_by(EscalationPoint.fire_at, EscalationPoint.id).limit(limit))
    return [(int(t), str(p)) for t, p in rows]


def pending_points(session: Session, after: datetime, until: datetime) -> list[Planned]:
    """Pending points in (after, until]: the sweeper re-schedules them in RQ, so jobs a
    Redis flush lost are back before they are due."""
    rows = session.execute(
        select(EscalationPoint.ticket_id, EscalationPoint.point, EscalationPoint.fire_at).where(
            EscalationPoint.status == PENDING,
            EscalationPoint.fire_at > after,
            EscalationPoint.fire_at <= until,
        )
    )
    return [Planned(int(t), str(p), at, True) for t, p, at in rows]


@dataclass(frozen=True)
class _Claimed:
    """A point this call moved from pending to fired (the RETURNING of the claim)."""

    id: int
    ticket_id: int
    point: str
    level: int
    fire_at: datetime


def fire_due(
    session: Session,
    roster: Roster,
    now: datetime,
    points: Iterable[tuple[int, str]],
    early: timedelta = timedelta(seconds=1),
) -> Fired:
    """Fire the given points if they are still pending and due (``early``: RQ may run a
    scheduled job up to a second before its time). Commits once at the end.

    A chunk of points costs a fixed number of statements, not a few per point: one
    ``UPDATE … RETURNING`` claims them all, one query reads their tickets, one finds the
    stale rungs, and the pages and events are one multi-row INSERT each. (Per point, the
    check, claim, refresh, ticket, staleness query and the lazy load of the ticket's
    events made 600 rungs due together take seconds.)
    """
    claimed = _claim(session, sorted(set(points)), now, early)
    if not claimed:
        session.commit()
        return Fired(0, frozenset())
    ticket_ids = sorted({row.ticket_id for row in claimed})
    open_ids = set(
        session.scalars(
            select(Ticket.id).where(
                Ticket.id.in_(ticket_ids), Ticket.responded_at.is_(None), Ticket.status == "open"
            )
        )
    )
    latest = _latest_due(session, ticket_ids, now)
    outcome: dict[str, list[int]] = {CANCELLED: [], SKIPPED: []}
    pages: list[dict[str, Any]] = []
    events: list[tuple[int, NewEvent]] = []
    for row in claimed:
        if row.ticket_id not in open_ids:
            outcome[CANCELLED].append(row.id)
        elif latest.get((row.ticket_id, row.level), row.fire_at) > row.fire_at:
            outcome[SKIPPED].append(row.id)  # a later rung of its level is due: newer news
        else:
            _page(roster, row, now, pages, events)
    for status, ids in outcome.items():
        if ids:
            session.execute(
                update(EscalationPoint)
                .where(EscalationPoint.id.in_(ids))
                .values(status=status)
                .execution_options(synchronize_session=False)
            )
    if pages:
        session.connection().execute(insert(table_of(SmsPage)), pages)
    insert_events(session, events)
    session.commit()
    fired = len(claimed) - len(outcome[CANCELLED]) - len(outcome[SKIPPED])
    return Fired(fired, frozenset(page["recipient"] for page in pages))


def _claim(
    session: Session, points: list[tuple[int, str]], now: datetime, early: timedelta
) -> list[_Claimed]:
    """Pending and due -> fired, for all the points at once, in one ``UPDATE …
    RETURNING`` (PostgreSQL; SQLite since 3.35). The conditional UPDATE is the claim: of
    two workers, one gets a row back. Its rows are locked in id order (the sub-select's
    ``FOR UPDATE``), one global order, so two jobs firing overlapping sets never deadlock
    on PostgreSQL; SQLite has one writer anyway."""
    if not points:
        return []
    due = (EscalationPoint.status == PENDING, EscalationPoint.fire_at <= now + early)
    ids = (
        select(EscalationPoint.id)
        .where(tuple_(EscalationPoint.ticket_id, EscalationPoint.point).in_(points), *due)
        .order_by(EscalationPoint.id)
        .with_for_update()
    )
    rows = session.execute(
        update(EscalationPoint)
        .where(EscalationPoint.id.in_(ids.scalar_subquery()), *due)
        .values(status=FIRED, fired_at=now, updated_at=now)
        .returning(
            EscalationPoint.id,
            EscalationPoint.ticket_id,
            EscalationPoint.point,
            EscalationPoint.level,
            EscalationPoint.fire_at,
        )
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((_Claimed(*row) for row in rows), key=lambda r: (r.ticket_id, r.point))


def _latest_due(
    session: Session, ticket_ids: list[int], now: datetime
) -> dict[tuple[int, int], datetime]:
    """The latest instant, per ticket and level, of a rung due by now and pending or
    fired: an earlier rung of that level is stale (module docstring)."""
    rows = session.execute(
        select(EscalationPoint.ticket_id, EscalationPoint.level, func.max(EscalationPoint.fire_at))
        .where(
            EscalationPoint.ticket_id.in_(ticket_ids),
            EscalationPoint.status.in_((PENDING, FIRED)),
            EscalationPoint.fire_at <= now,
        )
        .group_by(EscalationPoint.ticket_id, EscalationPoint.level)
    )
    return {(int(t), int(level)): at for t, level, at in rows}


def _page(
    roster: Roster,
    row: _Claimed,
    now: datetime,
    pages: list[dict[str, Any]],
    events: list[tuple[int, NewEvent]],
) -> None:
    """The point's pages (one per person on duty at its level then) and its event."""
    people = recipients(roster, row.level, row.fire_at)
    if not people:
        data = {"point": row.point, "level": row.level}
        events.append((row.ticket_id, NewEvent("escalation_unstaffed", now, data=data)))
        return
    for person in people:
        pages.append(
            {
                "ticket_id": row.ticket_id,
                "escalation_id": row.id,
                "recipient": person.phone,
                "staff_id": person.id,
                "level": row.level,
                "status": "waiting",
                "created_at": now,
                "outbox_id": None,
            }
        )
    data = {
        "point": row.point,
        "level": row.level,
        "due": row.fire_at.isoformat(),
        "staff": [person.name for person in people],
    }
    events.append((row.ticket_id, NewEvent("escalated", now, data=data)))


# ------------------------------------------------------------------ acknowledging


def acknowledge(
    session: Session, ticket: Ticket, levels: Iterable[int], actor: str, now: datetime
) -> int:
    """Stop paging the ticket at these levels (an ACK); higher levels still fire."""
    wanted = sorted(set(levels))
    stopped = session.execute(
        update(EscalationPoint)
        .where(
            EscalationPoint.ticket_id == ticket.id,
            EscalationPoint.status == PENDING,
            EscalationPoint.level.in_(wanted),
        )
        .values(status=ACKNOWLEDGED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    count = cast(CursorResult[Any], stopped).rowcount
    session.execute(  # pages held back for the grouping window are news no longer
        update(SmsPage)
        .where(
            SmsPage.ticket_id == ticket.id, SmsPage.status == "waiting", SmsPage.level.in_(wanted)
        )
        .values(status="dropped")
        .execution_options(synchronize_session=False)
    )
    add_event(session, ticket, "acknowledged", now, actor, levels=wanted, stopped=count)
    return count
