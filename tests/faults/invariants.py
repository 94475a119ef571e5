"""The one check every fault test ends with: nothing accepted was lost, nothing due was
missed, nothing was paged twice.

``assert_nothing_lost(sessions, accepted=..., fake_twilio=..., now=...)`` reads the whole
database (and what the fake Twilio received) and fails with every violation it finds, not
only the first. What it holds the desk to:

Intake
  * every payload the desk answered 2xx (``Accepted``) is in the inbox, each copy of it
    ``processed`` and linked to one existing ticket (all copies of one payload to the same
    ticket, and to the ticket the answer named); with ``parsers``, the message's dedup key
    is registered (``channel_messages``) for that very ticket;
  * an SMS reply (``channel="sms"``) was taken once: one ``sms_inbound`` row per MessageSid;
  * no inbox item is left ``received`` (a request that died half-way and was never
    recovered), a quarantined one says why, a processed one of a ticket channel has its
    ticket;
  * no ticket is half-written: each has exactly one ``received`` event, and a webhook
    ticket its ``classified`` event and a routing decision.

Escalation (at ``now``)
  * no point is still ``pending`` with ``fire_at <= now`` (due but never fired);
  * each ``fired`` point fired once: exactly one ``escalated`` (or, with nobody on call,
    ``escalation_unstaffed``) event for it, and one ``sms_pages`` row per person it named;
  * a point that is not ``fired`` (skipped, cancelled, acknowledged, pending) paged nobody.

SMS
  * each page is settled: ``sent`` in an outbox row that lists its ticket, or ``dropped``
    (answered before it went out); none left ``waiting``;
  * each outbox row is settled (none ``queued``/``sending``): a sent one has its SID and
    that SID is exactly one message at the fake Twilio, and the fake holds exactly one
    message with its recipient and text (no second request got through); a failed one
    (only with ``allow_failed``) reached Twilio never and has an ``sms_failed`` event on
    each of its tickets;
  * every message the fake Twilio holds is one outbox row's: no SMS the desk does not
    know it sent.

So each (ticket, point, recipient) made exactly one page, in exactly one SMS request that
Twilio accepted once. The ``Report`` it returns has the counts, for the test's own
assertions (how many SMS, how many points skipped).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.store.intake import storage_key
from triage.store.models import (
    ChannelMessage,
    EscalationPoint,
    InboxItem,
    SmsInbound,
    SmsOutbox,
    SmsPage,
    Ticket,
    TicketEvent,
)

#: Inbox channels whose items become (part of) tickets; "sms" items are staff replies.
TICKET_CHANNELS = frozenset({"email", "chat", "cti", "twilio"})
SENT_STATES = frozenset({"sent", "delivered", "undelivered"})


@dataclass(frozen=True)
class Accepted:
    """A payload the desk answered 2xx: its inbox channel, the exact bytes posted, and the
    ticket the answer named (None when the answer names none, e.g. TwiML)."""

    channel: str
    payload: bytes
    ticket_id: int | None = None


@dataclass
class Report:
    tickets: int = 0
    inbox_items: int = 0
    quarantined: int = 0
    points: Counter[str] = field(default_factory=Counter)  # status -> count
    pages: int = 0
    sms_sent: int = 0
    sms_failed: int = 0
    sms_by_recipient: Counter[str] = field(default_factory=Counter)
    # (ticket, point, recipient) -> the Twilio SID of the one SMS that carried it
    paged: dict[tuple[int, str, str], str | None] = field(default_factory=dict)


def _sms_sid(payload: bytes) -> str:
    form = dict(parse_qsl(payload.decode("utf-8", "replace"), keep_blank_values=True))
    return form.get("MessageSid") or form.get("SmsSid") or ""


def assert_nothing_lost(
    session_or_sessions: Session | sessionmaker[Session],
    *,
    accepted: Iterable[Accepted] = (),
    fake_twilio: Any = None,
    now: datetime,
    parsers: Mapping[str, Any] | None = None,
    allow_failed: bool = False,
) -> Report:
    """Fail with every broken invariant (see the module docstring); return the counts.

    ``session_or_sessions``: an open session (read in its transaction, left open) or a
    session factory (a fresh session, closed afterwards).
    """
    problems: list[str] = []
    report = Report()
    twilio_messages = fake_twilio.sent() if fake_twilio is not None else None
    args = (list(accepted), twilio_messages, now, parsers, allow_failed, report, problems)
    if isinstance(session_or_sessions, Session):
        session_or_sessions.expire_all()
        _check(session_or_sessions, *args)
    else:
        with session_or_sessions() as session:
            _check(session, *args)
    if problems:
        shown = "\n  - ".join(problems[:60])
        more = f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else ""
        raise AssertionError(f"{len(problems)} invariant(s) broken:\n  - {shown}{more}")
    return report


def _check(
    session: Session,
    accepted: list[Accepted],
    twilio_messages: list[dict[str, Any]] | None,
    now: datetime,
    parsers: Mapping[str, Any] | None,
    allow_failed: bool,
    report: Report,
    problems: list[str],
) -> None:
    tickets = {t.id: t for t in session.scalars(select(Ticket))}
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    for ev in session.scalars(select(TicketEvent).order_by(TicketEvent.id)):
        events[ev.ticket_id].append(ev)
    items = list(session.scalars(select(InboxItem).order_by(InboxItem.id)))
    report.tickets += len(tickets)
    report.inbox_items += len(items)

    # ---------------------------------------------------------------- intake
    by_payload: dict[tuple[str, bytes], list[InboxItem]] = defaultdict(list)
    for item in items:
        by_payload[(item.channel, bytes(item.payload))].append(item)
        if item.status == "received":
            problems.append(f"inbox item {item.id} ({item.channel}) is still 'received'")
        elif item.status == "quarantined":
            report.quarantined += 1
            if not item.error:
                problems.append(f"inbox item {item.id} is quarantined without a reason")
        elif item.status == "processed":
            if item.channel in TICKET_CHANNELS and item.ticket_id not in tickets:
                problems.append(
                    f"inbox item {item.id} ({item.channel}) is processed but its ticket "
                    f"{item.ticket_id} does not exist"
                )
        else:
            problems.append(f"inbox item {item.id} has unknown status {item.status!r}")

    inbound = Counter(session.scalars(select(SmsInbound.provider_sid)))
    for sid, count in inbound.items():
        if count != 1:
            problems.append(f"SMS {sid} was taken {count} times")
    for n, acc in enumerate(accepted):
        copies = by_payload.get((acc.channel, acc.payload), [])
        label = f"accepted payload #{n} ({acc.channel})"
        if not copies:
            problems.append(f"{label} is not in the inbox")
            continue
        if acc.channel == "sms":
            sid = _sms_sid(acc.payload)
            if inbound.get(sid, 0) != 1:
                problems.append(f"{label}: SMS {sid} taken {inbound.get(sid, 0)} times")
            if any(c.status != "processed" for c in copies):
                problems.append(f"{label}: a copy is {[c.status for c in copies]}")
            continue
        ticket_ids = {c.ticket_id for c in copies}
        if any(c.status != "processed" for c in copies):
            problems.append(f"{label}: copies are {[c.status for c in copies]}, not processed")
        if len(ticket_ids) != 1 or None in ticket_ids:
            problems.append(f"{label}: copies link to tickets {sorted(map(str, ticket_ids))}")
            continue
        (ticket_id,) = ticket_ids
        if ticket_id not in tickets:
            problems.append(f"{label}: ticket {ticket_id} does not exist")
        if acc.ticket_id is not None and acc.ticket_id != ticket_id:
            problems.append(f"{label}: answered ticket {acc.ticket_id}, stored as {ticket_id}")
        if parsers is not None and acc.channel in parsers:
            message = parsers[acc.channel](acc.payload, copies[0].content_type)
            key = storage_key(message.dedup_key)
            owner = session.scalar(
                select(ChannelMessage.ticket_id).where(
                    ChannelMessage.channel == message.source, ChannelMessage.key == key
                )
            )
            if owner != ticket_id:
                problems.append(
                    f"{label}: key {message.dedup_key[:60]!r} belongs to ticket {owner}, "
                    f"not {ticket_id}"
                )

    from_intake = {i.ticket_id for i in items if i.channel in TICKET_CHANNELS}
    for ticket_id in tickets:
        kinds = [e.kind for e in events[ticket_id]]
        if kinds.count("received") != 1:
            problems.append(f"ticket {ticket_id} has {kinds.count('received')} 'received' events")
        if ticket_id in from_intake and (
            "classified" not in kinds or not ({"routed", "unrouted"} & set(kinds))
        ):
            problems.append(f"ticket {ticket_id} is half-written: events {kinds}")

    # ---------------------------------------------------------------- escalation
    points = list(session.scalars(select(EscalationPoint)))
    pages = list(session.scalars(select(SmsPage).order_by(SmsPage.id)))
    pages_of: dict[int, list[SmsPage]] = defaultdict(list)
    for page in pages:
        pages_of[page.escalation_id].append(page)
    report.pages += len(pages)
    for point in points:
        report.points[point.status] += 1
        where = f"point {point.point!r} of ticket {point.ticket_id}"
        said = [
            e
            for e in events[point.ticket_id]
            if e.kind in ("escalated", "escalation_unstaffed")
            and e.data.get("point") == point.point
        ]
        own = pages_of.get(point.id, [])
        if point.status == "pending" and point.fire_at <= now:
            problems.append(f"{where} was due at {point.fire_at.isoformat()} and never fired")
        if point.status != "fired":
            if said or own:
                problems.append(f"{where} is {point.status} but paged ({len(own)} pages)")
            continue
        if len(said) != 1:
            problems.append(f"{where} fired {len(said)} times ({[e.kind for e in said]})")
            continue
        staff = said[0].data.get("staff") or []
        if said[0].kind == "escalated" and len(own) != len(staff):
            problems.append(f"{where} named {len(staff)} people but made {len(own)} pages")
        recipients = Counter(p.recipient for p in own)
        for phone, count in recipients.items():
            if count != 1:
                problems.append(f"{where} paged {phone} {count} times")

    # ---------------------------------------------------------------- SMS
    outbox = {row.id: row for row in session.scalars(select(SmsOutbox))}
    by_sid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_text: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for message in twilio_messages or []:
        by_sid[message["sid"]].append(message)
        by_text[(message["to"], message["body"])].append(message)
    point_names = {p.id: p.point for p in points}
    for page in pages:
        where = f"page {page.id} (ticket {page.ticket_id}, {point_names.get(page.escalation_id)})"
        if page.status == "dropped":
            continue
        if page.status != "sent":
            problems.append(f"{where} is still {page.status!r}")
            continue
        sms = outbox.get(page.outbox_id or -1)
        if sms is None:
            problems.append(f"{where} is 'sent' without an outbox row")
            continue
        if page.ticket_id not in (sms.ticket_ids or []):
            problems.append(f"{where} went in SMS {sms.id}, which is about {sms.ticket_ids}")
        paged = (page.ticket_id, point_names.get(page.escalation_id, "?"), page.recipient)
        report.paged[paged] = sms.provider_sid
    sids = Counter(row.provider_sid for row in outbox.values() if row.provider_sid)
    for sid, count in sids.items():
        if count != 1:
            problems.append(f"Twilio SID {sid} is recorded on {count} outbox rows")
    for row in outbox.values():
        where = f"SMS {row.id} ({row.status}, {row.attempts} attempts)"
        sent_copies = by_text.get((row.recipient, row.body), [])
        if row.status in SENT_STATES:
            report.sms_sent += 1
            report.sms_by_recipient[row.recipient] += 1
            if not row.provider_sid:
                problems.append(f"{where} has no provider SID")
            if twilio_messages is not None:
                if len(by_sid.get(row.provider_sid or "", [])) != 1:
                    problems.append(f"{where}: SID {row.provider_sid} is not one Twilio message")
                if len(sent_copies) != 1:
                    problems.append(f"{where} reached Twilio {len(sent_copies)} times")
        elif row.status == "failed":
            report.sms_failed += 1
            if not allow_failed:
                problems.append(f"{where} failed: {row.error}")
            if twilio_messages is not None and sent_copies:
                problems.append(f"{where} is failed but Twilio has it {len(sent_copies)} times")
            for ticket_id in row.ticket_ids or []:
                failed = [
                    e
                    for e in events[ticket_id]
                    if e.kind == "sms_failed" and e.data.get("outbox_id") == row.id
                ]
                if len(failed) != 1:
                    problems.append(f"{where}: ticket {ticket_id} has {len(failed)} failure events")
        elif row.status == "withdrawn":  # not sent: its tickets were answered meanwhile
            if twilio_messages is not None and sent_copies:
                problems.append(f"{where} is withdrawn but Twilio has it {len(sent_copies)} times")
            waiting = [
                t
                for t in row.ticket_ids or []
                if t in tickets and tickets[t].responded_at is None and tickets[t].status == "open"
            ]
            if waiting:
                problems.append(f"{where} is withdrawn while tickets {waiting} still wait")
        else:
            problems.append(f"{where} is not settled")
        if row.status in SENT_STATES:
            for ticket_id in row.ticket_ids or []:
                told = [
                    e
                    for e in events[ticket_id]
                    if e.kind == "sms_sent" and e.data.get("outbox_id") == row.id
                ]
                if len(told) != 1:
                    problems.append(f"{where}: ticket {ticket_id} has {len(told)} sms_sent events")
    if twilio_messages is not None:
        known = {row.provider_sid for row in outbox.values()}
        for message in twilio_messages:
            if message["sid"] not in known:
                problems.append(
                    f"Twilio has SMS {message['sid']} to {message['to'][:5]}... that no outbox "
                    "row accounts for (a duplicate or unrecorded send)"
                )
