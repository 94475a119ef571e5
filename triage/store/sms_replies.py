"""Answers by SMS from on-call staff: ``ACK 123`` stops paging, ``START 123`` is the response.

Only rostered numbers are heard: an SMS from anyone else changes nothing and gets no
answer (the webhook logs it, masked). Every SMS from staff that names a ticket is an
``sms_received`` event on it, whatever it said.

ACK and START stop a clock, so they count only from someone entitled to them for that
ticket: a number paged for it, or the person on call now at one of its ladder's levels
(an engineer who saw it in the queue). Anyone else on the roster gets a short refusal,
and the attempt is an ``sms_refused`` event on the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.calendar import Calendar
from triage.oncall import recipients
from triage.phone import mask_phone
from triage.sms_text import (
    HELP_TEXT,
    ack_confirmation,
    not_entitled_reply,
    parse_reply,
    start_confirmation,
    unknown_ticket_reply,
)
from triage.store.escalations import acknowledge
from triage.store.intake import quarantine, settle, store_raw
from triage.store.models import EscalationPoint, SmsInbound, SmsOutbox, SmsPage, Staff, Ticket
from triage.store.roster import load_roster, staff_by_phone
from triage.store.sms_outbox import last_sent_to
from triage.store.ticket_actions import ActionError, Conflict, record_response
from triage.store.tickets import add_event


@dataclass(frozen=True)
class Answer:
    """What to text back (None: say nothing) and what was done, for the log."""

    reply: str | None
    outcome: str


def handle_reply(
    session: Session,
    catalog: Catalog,
    staff: Staff | None,
    text: str,
    now: datetime,
    office_hours: Calendar | None = None,
) -> Answer:
    """``office_hours``: the roster's calendar (``TRIAGE_ROSTER_CALENDAR``); it says who
    is on call now. Default: the catalog's "office-hours"."""
    if staff is None:
        return Answer(None, "unknown sender")
    reply = parse_reply(text)
    if reply.command in ("help", "unknown"):
        return Answer(HELP_TEXT, reply.command)
    ids = list(reply.ticket_ids)
    if not ids:  # a bare ACK: everything in the last SMS this number got
        last = last_sent_to(session, staff.phone)
        ids = list(last.ticket_ids) if last is not None else []
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all()}
    missing = [i for i in ids if i not in tickets]
    if missing:
        session.rollback()
        return Answer(unknown_ticket_reply(missing[0]), "unknown ticket")
    for ticket in tickets.values():
        add_event(
            session,
            ticket,
            "sms_received",
            now,
            staff.name,
            text=text[:160],
            **{"from": mask_phone(staff.phone)},
        )
    return _answer(session, catalog, staff, reply.command, tickets, ids, now, office_hours)


def _answer(
    session: Session,
    catalog: Catalog,
    staff: Staff,
    command: str,
    tickets: dict[int, Ticket],
    ids: list[int],
    now: datetime,
    office_hours: Calendar | None,
) -> Answer:
    """ACK or START from this person, however it came (an SMS, the ticket page's buttons):
    the same entitlement rule, the same events. ``ids`` as the person named them."""
    calendar = office_hours or catalog.calendars["office-hours"]
    levels = {i: _entitled_levels(session, calendar, i, staff, now) for i in ids}
    refused = [i for i in ids if not levels[i]]
    for ticket_id in refused:
        add_event(
            session,
            tickets[ticket_id],
            "sms_refused",
            now,
            staff.name,
            command=command,
            reason="not paged for this ticket and not on call for its levels",
            **{"from": mask_phone(staff.phone)},
        )
    if refused:
        ids = [i for i in ids if levels[i]]
        if not ids:
            session.commit()
            return Answer(not_entitled_reply(refused), "not entitled")
    if command == "ack":
        for ticket_id in ids:
            acknowledge(session, tickets[ticket_id], levels[ticket_id], staff.name, now)
        session.commit()
        return Answer(ack_confirmation(ids), "ack")
    session.commit()  # the received event stands even if the response is refused
    (ticket_id,) = ids
    try:
        record_response(session, catalog, ticket_id, staff.name, now)
    except ActionError as exc:
        session.rollback()
        why = (
            "svar er allerede registrert"
            if isinstance(exc, Conflict)
            else "start ble ikke registrert"
        )
        return Answer(f"#{ticket_id}: {why}.", "start refused")
    return Answer(start_confirmation(ticket_id), "start")


def is_desk_user(staff: Staff, email: str | None, name: str) -> bool:
    """Whether a desk user (``email``, ``name``) is this rostered person: by e-mail when
    both have one (two different addresses are two people, whatever their names), else by
    name. ACK and START stop a clock, so a desk user answers only as themselves."""
    if email and staff.email:
        return staff.email.strip().lower() == email.strip().lower()
    return staff.name.strip().lower() == name.strip().lower()


def paged_staff(session: Session, ticket_id: int, email: str | None, name: str) -> Staff | None:
    """The rostered person a desk user is (``is_desk_user``), if they were paged about this
    ticket. None: not paged, so the ticket page offers no "Kvitter"/"Start arbeid"."""
    paged = session.scalars(
        select(Staff)
        .join(SmsPage, SmsPage.staff_id == Staff.id)
        .where(SmsPage.ticket_id == ticket_id, Staff.active.is_(True))
        .distinct()
    ).all()
    return next((staff for staff in paged if is_desk_user(staff, email, name)), None)


def answer_from_web(
    session: Session,
    catalog: Catalog,
    staff: Staff,
    command: str,
    ticket_id: int,
    now: datetime,
    office_hours: Calendar | None = None,
) -> Answer:
    """``ACK n`` or ``START n`` given on the ticket page by the person paged (``command``:
    "ack" or "start"): the SMS answer's rules and events, without an SMS."""
    if command not in ("ack", "start"):
        raise ValueError(f"unknown answer {command!r}")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return Answer(unknown_ticket_reply(ticket_id), "unknown ticket")
    return _answer(
        session, catalog, staff, command, {ticket_id: ticket}, [ticket_id], now, office_hours
    )


def _entitled_levels(
    session: Session, office_hours: Calendar, ticket_id: int, staff: Staff, now: datetime
) -> set[int]:
    """The levels at which this person may answer for the ticket: those they were paged
    at (by staff id or by number), else those of the ticket's ladder (level 1 without
    one) for which a page now would reach them. Empty: not entitled."""
    paged = set(
        session.scalars(
            select(SmsPage.level).where(
                SmsPage.ticket_id == ticket_id,
                (SmsPage.staff_id == staff.id) | (SmsPage.recipient == staff.phone),
            )
        )
    )
    if paged:
        return paged
    ladder = set(
        session.scalars(select(EscalationPoint.level).where(EscalationPoint.ticket_id == ticket_id))
    ) or {1}
    roster = load_roster(session, office_hours, now)
    return {
        level
        for level in ladder
        if any(person.id == staff.id for person in recipients(roster, level, now))
    }


#: A delivery still "handling" after this long died half-way (the request is long over):
#: the next delivery of the same SID redoes it. A younger one is still running.
STALE_AFTER = timedelta(minutes=2)
IN_HAND = ("received", "handling")  # "received": rows written before the claim existed


def take_inbound(
    session: Session,
    catalog: Catalog,
    sid: str,
    sender: str,
    text: str,
    now: datetime,
    office_hours: Calendar | None = None,
) -> Answer:
    """One inbound SMS, once per provider SID: a webhook Twilio delivers again gets the
    same answer and changes nothing twice.

    The first delivery claims the SID by inserting its row as "handling". A copy that
    arrives while it is handled answers nothing (the first one answers); a copy that
    finds a claim older than ``STALE_AFTER`` redoes the reply (ACK and START are safe
    to repeat), after winning a conditional UPDATE so only one copy redoes it.
    """
    known = session.scalars(select(SmsInbound).where(SmsInbound.provider_sid == sid)).first()
    if known is not None and known.outcome not in IN_HAND:
        return Answer(known.reply, "duplicate")  # answered: no lookup, no change
    staff = staff_by_phone(session, sender)
    if known is not None:
        if not _reclaim(session, known.id, known.outcome, now):
            return Answer(None, "duplicate")  # the first delivery is still on it
        known_id = known.id
    else:
        row = SmsInbound(
            provider_sid=sid,
            sender=sender,
            body=text,
            staff_id=staff.id if staff else None,
            outcome="handling",
            received_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # the same SID at the same moment: the other one answers
            session.rollback()
            return Answer(None, "duplicate")
        session.commit()
        known_id = row.id
    answer = handle_reply(session, catalog, staff, text, now, office_hours)
    done = session.get(SmsInbound, known_id)
    assert done is not None
    done.outcome, done.reply = answer.outcome, answer.reply
    session.commit()
    return answer


class IncompleteSms(ValueError):
    """An inbound SMS without the fields that identify it (its SID, its sender); the raw
    payload was kept and quarantined with this reason."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"an SMS needs MessageSid and From (missing: {', '.join(missing)})")
        self.missing = missing


def receive_sms(
    session: Session,
    catalog: Catalog,
    raw: bytes,
    content_type: str,
    sid: str,
    sender: str,
    text: str,
    now: datetime,
    office_hours: Calendar | None = None,
) -> Answer:
    """An SMS to the desk's number, whichever way it came (Twilio's webhook, ``triage sms
    reply``): the raw payload is kept first, then ``take_inbound`` answers it.

    Raises ``IncompleteSms`` (after quarantining the payload) when ``sid`` or ``sender``
    is empty: the SID makes a redelivery harmless and the sender decides who is heard.
    """
    item_id = store_raw(session, "sms", content_type, raw, now)
    missing = [name for name, value in (("MessageSid", sid), ("From", sender)) if not value]
    if missing:
        error = IncompleteSms(missing)
        quarantine(session, item_id, str(error))
        raise error
    answer = take_inbound(session, catalog, sid[:64], sender[:32], text, now, office_hours)
    settle(session, item_id, None)
    session.commit()
    return answer


def _reclaim(session: Session, row_id: int, outcome: str, now: datetime) -> bool:
    """Take over a claim left by a delivery that died; False while it may still run."""
    claimed = session.execute(
        update(SmsInbound)
        .where(
            SmsInbound.id == row_id,
            SmsInbound.outcome == outcome,
            SmsInbound.received_at < now - STALE_AFTER,
        )
        .values(outcome="handling", received_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def replies_to(session: Session, sent: list[SmsOutbox]) -> dict[int, list[SmsInbound]]:
    """The answers to these SMS, for the on-call page: an inbound SMS answers the latest SMS
    the desk sent to its sender before it arrived (as a bare ``ACK`` is read)."""
    numbers = {m.recipient for m in sent}
    if not numbers:
        return {}
    oldest = min(m.sent_at or m.created_at for m in sent)
    inbound = session.scalars(
        select(SmsInbound)
        .where(SmsInbound.sender.in_(numbers), SmsInbound.received_at >= oldest)
        .order_by(SmsInbound.received_at, SmsInbound.id)
    ).all()
    out: dict[int, list[SmsInbound]] = {}
    by_number: dict[str, list[SmsOutbox]] = {}
    for m in sorted(sent, key=lambda m: m.sent_at or m.created_at):
        by_number.setdefault(m.recipient, []).append(m)
    for answer in inbound:
        earlier = [
            m
            for m in by_number.get(answer.sender, [])
            if (m.sent_at or m.created_at) <= answer.received_at
        ]
        if earlier:
            out.setdefault(earlier[-1].id, []).append(answer)
    return out
