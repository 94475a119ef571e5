"""Personal data: see it, erase it on request, and empty raw payloads past the retention.

CONTRACTS.md §4 (Sensio privacy policy, whose duties the desk takes on because it stores
requesters' contact data and staff phone numbers): name, e-mail and phone are kept only
while used, and a person may see and delete their data. The readings chosen here:

Requesters (``export_requester`` / ``erase_requester``), found by e-mail (any case) or phone
(intake's compact spelling or E.164, a number without country code read as Norwegian):

- *Whose data*: tickets whose requester fields match; events on other tickets whose
  ``sender_email``/``sender_phone`` match (a reply the person sent on someone else's
  ticket); the raw inbox payloads of those tickets and events; unlinked inbox payloads
  (quarantined, stuck) whose text contains the e-mail or the number; inbound SMS from the
  number. The person's data inside another person's text is not found (nothing can be).
- *Erase keeps an anonymised trace*: the ticket row stays with its id, channel, contract,
  severity, status and SLA columns (the vendor's breach evidence, CONTRACTS.md §1-§3);
  requester fields become NULL, subject and body "[slettet]". Events stay with their kind,
  time and actor; their free-text and sender fields (``PERSONAL_KEYS``) become
  "[slettet]", attachment file names go, and any other string that mentions the e-mail,
  the number or the requester's name is "[slettet]" too. An escalation SMS about such a
  ticket keeps its text but not the quoted subject (the one part that came from the
  requester). Inbox payloads are emptied, not deleted: the row keeps its status and a note,
  so the audit trail (what arrived when, which ticket it made) stays. ``channel_messages``
  keys stay: they are the providers' message ids that make a redelivery idempotent and
  hold no contact data (a key that did would stay as well; none of ours do).
- A ``personal_data_erased`` event on every ticket touched records who and when, and
  which fields, never the values.

Staff (``export_staff`` / ``erase_staff``):

- The row stays (rotations and pages point to it) but is deactivated (never paged again),
  its name becomes "[slettet]", e-mail NULL, and the phone ``slettet:<id>``: unique, and
  no E.164 number, so no SMS can be sent to it and no inbound SMS matches it.
- SMS to and from the number keep their rows with the number masked (``+47******67``, as
  in logs). An outgoing body is the desk's own page (ticket tag, contract, deadline,
  ticket subject), none of it the staff member's data, so it is kept unless it mentions
  their name, number or e-mail. An incoming body is kept only if it is a command the desk
  understood (ACK / START / HELP with ticket numbers): anything else is free text the
  person typed and becomes "[slettet]". Waiting pages are dropped and queued SMS fail,
  so nothing is sent to a number that is gone.
- The events' actor (the name on ACK, START and SMS replies) becomes ``staff#<id>``, a
  pseudonym that points only to the erased row; "escalated" events list them the same way.
- Raw inbox payloads that hold their number or e-mail (each SMS they sent is kept raw,
  as every webhook's payload is) are emptied like a requester's, with a note (issue 15).
  The name is not searched for there: a raw e-mail from a requester that mentions "Kari"
  is the requester's evidence, not the staff member's data.

Files (SQLite): every connection runs with ``secure_delete`` (``triage.store.db``), so
what an erasure overwrites or deletes is zeroed in the database file, and an erasure ends
with a WAL checkpoint that truncates the write-ahead log, which still held the rows as
they were before (``_scrub_files``).

Retention (``purge_raw_payloads``): raw payloads older than ``Settings.retention_days``
(90) are emptied whatever their status; a quarantined one is no longer re-processable.
Tickets themselves are not purged by age: they are the SLA record the claims need.

Pure parts (``scrub_event_data``, ``redact_page``, ``mentions``, ``phone_forms``...) take
and return plain values; the rest reads and writes through the session and commits.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote_plus

import phonenumbers
from sqlalchemy import ColumnElement, func, literal, or_, select, text, update
from sqlalchemy.orm import Session

from triage.intake.message import normalise_phone as compact_phone
from triage.phone import mask_any, normalise_phone
from triage.sms_text import parse_reply
from triage.store.models import (
    InboxItem,
    RosterOverride,
    Rotation,
    RotationMember,
    SmsInbound,
    SmsOutbox,
    SmsPage,
    SmsRecipient,
    Staff,
    Ticket,
    TicketEvent,
)
from triage.store.tickets import add_event

ERASED = "[slettet]"
ERASED_EVENT = "personal_data_erased"
#: Event data keys that hold what a person wrote or who they are.
PERSONAL_KEYS = frozenset(
    {
        "text",
        "subject",
        "body",
        "note",
        "reason",
        "sender",
        "sender_name",
        "sender_email",
        "sender_phone",
        "from",
        "recording_url",
        "transcription_text",
    }
)
#: Event data keys kept as they are: the structure of the audit trail (contract ids,
#: severities, ladder points, our own row ids).
STRUCTURAL_KEYS = frozenset(
    {
        "contract",
        "severity",
        "before",
        "after",
        "channel",
        "point",
        "level",
        "levels",
        "provider",
        "outbox_id",
        "inbox_item",
    }
)
#: Commands an inbound staff SMS may be kept as (it says nothing about the person).
KEPT_COMMANDS = frozenset({"ack", "start", "help"})
MIN_NEEDLE = 3  # shorter names are not searched for inside other strings
MAX_EMAIL = 320
BATCH = 500

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_QUOTED = re.compile(r'"[^"]*"')

log = logging.getLogger(__name__)


class PersonalDataError(ValueError):
    """A request that cannot be served as asked; the message names the field."""


class UnknownStaff(LookupError):
    """No staff member with that id."""


@dataclass(frozen=True)
class ErasureCounts:
    """What an erasure changed (rows, not values)."""

    tickets: int = 0
    events: int = 0
    inbox_items: int = 0
    sms_outbox: int = 0
    sms_inbound: int = 0
    sms_pages: int = 0
    overrides: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


# ------------------------------------------------------------------ pure helpers


def check_email(text: str | None) -> str | None:
    """The address as searched (stripped, lower case); None when not given."""
    if text is None or not text.strip():
        return None
    email = text.strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise PersonalDataError("email: not an e-mail address")
    return email


def phone_forms(text: str | None) -> tuple[str, ...]:
    """The spellings a number may be stored in: intake's compact form (as the caller id
    came) and E.164 (a number without a country code read as Norwegian). Empty when not
    given."""
    if text is None or not text.strip():
        return ()
    compact = compact_phone(text)
    digits = re.sub(r"\D", "", compact)
    if len(digits) < 5 or not re.fullmatch(r"\+?\d+", compact):
        raise PersonalDataError("phone: not a phone number")
    forms = [compact]
    # Not valid in the numbering plan: only the spelling as typed is searched.
    with contextlib.suppress(ValueError):
        forms.append(normalise_phone(text))
    return tuple(dict.fromkeys(forms))


def needles_for(
    emails: Iterable[str | None] = (),
    phones: Iterable[str] = (),
    names: Iterable[str | None] = (),
) -> tuple[str, ...]:
    """Case-folded strings whose presence in a text means it holds the person's data:
    the e-mail (also URL-encoded, as a form body carries it), each number with and
    without "+" and its national digits, and names of at least ``MIN_NEEDLE`` letters."""
    found: list[str] = []
    for email in emails:
        if email:
            found += [email, quote(email, safe="")]
    for phone in phones:
        found += [phone, phone.lstrip("+")]
        if phone.startswith("+"):
            try:
                national = str(phonenumbers.parse(phone).national_number)
            except phonenumbers.NumberParseException:
                national = ""
            if len(national) >= 6:
                found.append(national)
    for name in names:
        if name and len(name.strip()) >= MIN_NEEDLE:
            found.append(name.strip())
    return tuple(dict.fromkeys(n.casefold() for n in found if n))


def mentions(text: str, needles: Sequence[str]) -> bool:
    folded = text.casefold()
    return any(needle in folded for needle in needles)


def _scrub_value(value: Any, needles: Sequence[str]) -> Any:
    if isinstance(value, str):
        return ERASED if mentions(value, needles) else value
    if isinstance(value, list):
        return [_scrub_value(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, needles) for k, v in value.items()}
    return value


def redact_page(body: str) -> str:
    """An escalation SMS without the ticket subject it quotes (``page_message`` puts it
    in double quotes and turns quotes inside it into apostrophes)."""
    return _QUOTED.sub(f'"{ERASED}"', body)


def scrub_event_data(kind: str, data: Mapping[str, Any], needles: Sequence[str]) -> dict[str, Any]:
    """An event's data without the requester's data (see the module docstring)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "body" and kind.startswith("sms_") and isinstance(value, str):
            page = redact_page(value)
            out[key] = ERASED if mentions(page, needles) else page
        elif key in PERSONAL_KEYS:
            out[key] = value if value in (None, "", [], {}) else ERASED
        elif key == "attachments" and isinstance(value, list):
            out[key] = [
                {k: v for k, v in item.items() if k != "filename"}
                if isinstance(item, Mapping)
                else ERASED
                for item in value
            ]
        elif key in STRUCTURAL_KEYS:
            out[key] = value
        else:
            out[key] = _scrub_value(value, needles)
    return out


def staff_command_kept(text: str) -> bool:
    """An inbound staff SMS that is only a command the desk understood."""
    return parse_reply(text).command in KEPT_COMMANDS


def pseudonym(staff_id: int) -> str:
    return f"staff#{staff_id}"


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _payload_text(payload: bytes) -> str:
    return bytes(payload).decode("utf-8", "replace")


def _payload_mentions(payload: bytes, needles: Sequence[str]) -> bool:
    text = _payload_text(payload)
    return mentions(text, needles) or mentions(unquote_plus(text), needles)


# ------------------------------------------------------------------ shapes of the export


def _event_dict(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "ticket_id": event.ticket_id,
        "kind": event.kind,
        "at": _iso(event.at),
        "actor": event.actor,
        "data": event.data,
    }


def _ticket_dict(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "channel": ticket.channel,
        "subject": ticket.subject,
        "body": ticket.body,
        "requester_name": ticket.requester_name,
        "requester_email": ticket.requester_email,
        "requester_phone": ticket.requester_phone,
        "contract_id": ticket.contract_id,
        "severity": ticket.severity,
        "status": ticket.status,
        "assignee": ticket.assignee,
        "received_at": _iso(ticket.received_at),
        "due_at": _iso(ticket.due_at),
        "responded_at": _iso(ticket.responded_at),
        "resolved_at": _iso(ticket.resolved_at),
        "events": [_event_dict(e) for e in ticket.events],
    }


def _inbox_dict(item: InboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "channel": item.channel,
        "content_type": item.content_type,
        "received_at": _iso(item.received_at),
        "status": item.status,
        "error": item.error,
        "ticket_id": item.ticket_id,
        "size": len(item.payload),
        "payload": _payload_text(item.payload),
    }


def _inbound_dict(row: SmsInbound) -> dict[str, Any]:
    return {
        "id": row.id,
        "sender": row.sender,
        "body": row.body,
        "outcome": row.outcome,
        "reply": row.reply,
        "received_at": _iso(row.received_at),
    }


def _outbox_dict(row: SmsOutbox) -> dict[str, Any]:
    return {
        "id": row.id,
        "recipient": row.recipient,
        "body": row.body,
        "ticket_ids": row.ticket_ids,
        "status": row.status,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
        "delivered_at": _iso(row.delivered_at),
    }


# ------------------------------------------------------------------ requesters


@dataclass
class _Found:
    tickets: list[Ticket]
    other_events: list[TicketEvent]  # on tickets of others, sent by this person
    inbox: list[InboxItem]
    inbound: list[SmsInbound]
    needles: tuple[str, ...]


def _find_requester(
    session: Session, email: str | None, phone: str | None, *, lock: bool = False
) -> _Found:
    address = check_email(email)
    phones = phone_forms(phone)
    if address is None and not phones:
        raise PersonalDataError("email or phone: give at least one")
    who: list[ColumnElement[bool]] = []
    sent_by: list[ColumnElement[bool]] = []
    if address is not None:
        who.append(func.lower(Ticket.requester_email) == address)
        sent_by.append(func.lower(TicketEvent.data["sender_email"].as_string()) == address)
    if phones:
        who.append(Ticket.requester_phone.in_(phones))
        sent_by.append(TicketEvent.data["sender_phone"].as_string().in_(phones))
    query = select(Ticket).where(or_(*who)).order_by(Ticket.id)
    if lock:
        query = query.with_for_update()
    tickets = list(session.scalars(query))
    ids = {t.id for t in tickets}
    other_events = [
        e
        for e in session.scalars(select(TicketEvent).where(or_(*sent_by)).order_by(TicketEvent.id))
        if e.ticket_id not in ids
    ]
    names = [t.requester_name for t in tickets]
    names += [e.data.get("sender_name") for e in other_events]
    needles = needles_for([address], phones, names)

    item_ids: set[int] = set()
    for event in [*(e for t in tickets for e in t.events), *other_events]:
        item = event.data.get("inbox_item")
        if isinstance(item, int):
            item_ids.add(item)
    linked: list[ColumnElement[bool]] = []
    if ids:
        linked.append(InboxItem.ticket_id.in_(ids))
    if item_ids:
        linked.append(InboxItem.id.in_(item_ids))
    inbox = list(session.scalars(select(InboxItem).where(or_(*linked)))) if linked else []
    seen = {i.id for i in inbox}
    # Payloads that never became a ticket: only a search of their text finds the person.
    for item in session.scalars(
        select(InboxItem)
        .where(InboxItem.ticket_id.is_(None), func.length(InboxItem.payload) > 0)
        .execution_options(yield_per=50)
    ):
        if item.id not in seen and _payload_mentions(item.payload, needles):
            inbox.append(item)
    inbox.sort(key=lambda i: i.id)
    inbound = (
        list(
            session.scalars(
                select(SmsInbound).where(SmsInbound.sender.in_(phones)).order_by(SmsInbound.id)
            )
        )
        if phones
        else []
    )
    return _Found(tickets, other_events, inbox, inbound, needles)


def export_requester(
    session: Session, email: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """Everything the desk holds about a requester, as JSON-ready data (payloads as text).

    Empty lists when nothing is held: that is the answer to the request as well.
    """
    found = _find_requester(session, email, phone)
    return {
        "kind": "requester",
        "query": {"email": check_email(email), "phone": list(phone_forms(phone))},
        "tickets": [_ticket_dict(t) for t in found.tickets],
        "events_on_other_tickets": [_event_dict(e) for e in found.other_events],
        "inbox": [_inbox_dict(i) for i in found.inbox],
        "sms_inbound": [_inbound_dict(r) for r in found.inbound],
    }


def _empty_payload(item: InboxItem, note: str, needles: Sequence[str]) -> None:
    """Keep the row (status, ticket, times) and say why it is empty; an earlier error is
    kept after the note unless it quotes the person."""
    error = item.error if item.error and not mentions(item.error, needles) else None
    item.payload = b""
    item.error = f"{note}; was: {error}" if error else note


def erase_requester(
    session: Session,
    email: str | None = None,
    phone: str | None = None,
    *,
    actor: str,
    now: datetime,
) -> ErasureCounts:
    """Erase a requester's data, leaving an anonymised trace (module docstring). Commits."""
    found = _find_requester(session, email, phone, lock=True)
    needles = found.needles
    scrubbed = 0
    for ticket in found.tickets:
        fields = [
            name
            for name in ("requester_name", "requester_email", "requester_phone")
            if getattr(ticket, name) is not None
        ]
        ticket.requester_name = ticket.requester_email = ticket.requester_phone = None
        ticket.subject, ticket.body = ERASED, ERASED
        ticket.severity_reasons = [_scrub_value(r, needles) for r in ticket.severity_reasons]
        for event in ticket.events:
            if event.kind == ERASED_EVENT:
                continue
            event.data = scrub_event_data(event.kind, event.data, needles)
            scrubbed += 1
        add_event(
            session,
            ticket,
            ERASED_EVENT,
            now,
            actor,
            fields=[*fields, "subject", "body", "events", "inbox"],
        )
        ticket.updated_at = now
    others: dict[int, list[int]] = {}
    for event in found.other_events:
        event.data = scrub_event_data(event.kind, event.data, needles)
        others.setdefault(event.ticket_id, []).append(event.id)
        scrubbed += 1
    for ticket_id, event_ids in others.items():
        other = session.get(Ticket, ticket_id)
        if other is not None:
            add_event(session, other, ERASED_EVENT, now, actor, fields=["events"], events=event_ids)
            other.updated_at = now
    note = f"payload emptied: personal data erased on request ({now.date().isoformat()})"
    for item in found.inbox:
        _empty_payload(item, note, needles)
    outbox = _outbox_about(session, [t.id for t in found.tickets])
    for row in outbox:
        page = redact_page(row.body)
        row.body = ERASED if mentions(page, needles) else page
    for inbound in found.inbound:
        inbound.sender = mask_any(inbound.sender)
        inbound.body = ERASED
        if inbound.reply and mentions(inbound.reply, needles):
            inbound.reply = ERASED
    session.commit()
    _scrub_files(session)
    return ErasureCounts(
        tickets=len(found.tickets),
        events=scrubbed,
        inbox_items=len(found.inbox),
        sms_outbox=len(outbox),
        sms_inbound=len(found.inbound),
    )


def _outbox_about(session: Session, ticket_ids: Sequence[int]) -> list[SmsOutbox]:
    """SMS about these tickets (through their pages: ``ticket_ids`` is a JSON list)."""
    if not ticket_ids:
        return []
    outbox_ids = select(SmsPage.outbox_id).where(
        SmsPage.ticket_id.in_(ticket_ids), SmsPage.outbox_id.is_not(None)
    )
    return list(session.scalars(select(SmsOutbox).where(SmsOutbox.id.in_(outbox_ids))))


# ------------------------------------------------------------------ staff


def _staff(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id) if 0 < staff_id < 2**63 else None
    if staff is None:
        raise UnknownStaff(f"staff {staff_id} does not exist")
    return staff


def _staff_rows(
    session: Session, staff: Staff
) -> tuple[list[SmsOutbox], list[SmsInbound], list[SmsPage], list[TicketEvent]]:
    outbox = list(
        session.scalars(
            select(SmsOutbox).where(SmsOutbox.recipient == staff.phone).order_by(SmsOutbox.id)
        )
    )
    inbound = list(
        session.scalars(
            select(SmsInbound)
            .where(or_(SmsInbound.sender == staff.phone, SmsInbound.staff_id == staff.id))
            .order_by(SmsInbound.id)
        )
    )
    pages = list(
        session.scalars(
            select(SmsPage)
            .where(or_(SmsPage.staff_id == staff.id, SmsPage.recipient == staff.phone))
            .order_by(SmsPage.id)
        )
    )
    paged = {p.ticket_id for p in pages}
    events = list(
        session.scalars(
            select(TicketEvent)
            .where(
                or_(
                    TicketEvent.actor == staff.name,
                    (TicketEvent.kind == "escalated") & TicketEvent.ticket_id.in_(paged),
                )
            )
            .order_by(TicketEvent.id)
        )
    )
    return outbox, inbound, pages, events


def _staff_needles(staff: Staff) -> tuple[str, ...]:
    return needles_for([staff.email], [staff.phone], [staff.name])


def _staff_payloads(session: Session, staff: Staff) -> list[InboxItem]:
    """Raw payloads that hold the staff member's number or e-mail: their SMS (the sender
    of an SMS payload, in any spelling), and any other payload that quotes the number in
    full (E.164, with or without "+") or the e-mail."""
    in_sms = needles_for([staff.email], [staff.phone])
    full = needles_for([staff.email], [])
    full += tuple(n for n in (staff.phone.casefold(), staff.phone.lstrip("+")) if len(n) >= 8)
    found = []
    for item in session.scalars(
        select(InboxItem)
        .where(func.length(InboxItem.payload) > 0)
        .order_by(InboxItem.id)
        .execution_options(yield_per=50)
    ):
        if _payload_mentions(item.payload, in_sms if item.channel == "sms" else full):
            found.append(item)
    return found


def _scrub_files(session: Session) -> None:
    """After an erasure on SQLite: copy the write-ahead log into the database and truncate
    it, so no earlier version of an erased row stays on disk there (``secure_delete`` is
    on for every connection: what was overwritten is zeroed). A reader still holding an
    old snapshot makes the checkpoint partial; it is logged, and the next one completes."""
    if session.get_bind().dialect.name != "sqlite":
        return
    busy = session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
    session.commit()
    if busy is not None and busy[0]:
        log.warning("erasure: WAL checkpoint was partial (a reader was busy); retrying later")


def _overrides_of(session: Session, staff: Staff, needles: Sequence[str]) -> list[RosterOverride]:
    """Their overrides, and anyone's whose reason names them ("Kari is ill"): the table
    is small, so every reason is read."""
    return [
        o
        for o in session.scalars(select(RosterOverride).order_by(RosterOverride.id))
        if o.staff_id == staff.id or (o.reason and mentions(o.reason, needles))
    ]


def export_staff(session: Session, staff_id: int) -> dict[str, Any]:
    """What the desk holds about one staff member: the row, where they are rostered,
    the SMS to and from them and the events that name them."""
    staff = _staff(session, staff_id)
    outbox, inbound, pages, events = _staff_rows(session, staff)
    rotations = session.execute(
        select(Rotation.level, Rotation.shift, RotationMember.position)
        .join(RotationMember, RotationMember.rotation_id == Rotation.id)
        .where(RotationMember.staff_id == staff.id)
        .order_by(Rotation.level, Rotation.shift)
    ).all()
    overrides = _overrides_of(session, staff, _staff_needles(staff))
    return {
        "kind": "staff",
        "staff": {
            "id": staff.id,
            "name": staff.name,
            "phone": staff.phone,
            "email": staff.email,
            "active": staff.active,
            "created_at": _iso(staff.created_at),
        },
        "rotations": [{"level": lv, "shift": sh, "position": pos} for lv, sh, pos in rotations],
        "overrides": [
            {
                "level": o.level,
                "shift": o.shift,
                "starts_at": _iso(o.starts_at),
                "ends_at": _iso(o.ends_at),
                "reason": o.reason,
            }
            for o in overrides
        ],
        "sms_pages": [
            {
                "ticket_id": p.ticket_id,
                "level": p.level,
                "status": p.status,
                "outbox_id": p.outbox_id,
            }
            for p in pages
        ],
        "sms_outbox": [_outbox_dict(r) for r in outbox],
        "sms_inbound": [_inbound_dict(r) for r in inbound],
        "events": [
            _event_dict(e) for e in events if e.actor == staff.name or staff.name in str(e.data)
        ],
    }


def _staff_data(value: Any, name: str, alias: str, needles: Sequence[str]) -> Any:
    """The name itself becomes the pseudonym; a text that mentions the person is erased."""
    if isinstance(value, str):
        if value == name:
            return alias
        return ERASED if mentions(value, needles) else value
    if isinstance(value, list):
        return [_staff_data(v, name, alias, needles) for v in value]
    if isinstance(value, dict):
        return {k: _staff_data(v, name, alias, needles) for k, v in value.items()}
    return value


def erase_staff(session: Session, staff_id: int, *, actor: str, now: datetime) -> ErasureCounts:
    """Erase a staff member's data (module docstring). Commits. There is no ticket to
    record it on: the staff row itself (inactive, "[slettet]") is the trace, and ``actor``
    is for the caller's log line."""
    del actor
    staff = _staff(session, staff_id)
    if staff.phone == f"slettet:{staff.id}":
        return ErasureCounts()  # erased before
    name, number = staff.name, staff.phone
    needles = _staff_needles(staff)
    alias = pseudonym(staff.id)
    masked = mask_any(number)
    outbox, inbound, pages, events = _staff_rows(session, staff)
    changed_events = 0
    for event in events:
        data = _staff_data(event.data, name, alias, needles)
        if event.kind == "sms_received" and isinstance(data.get("text"), str):
            data["text"] = data["text"] if staff_command_kept(data["text"]) else ERASED
        if data != event.data or event.actor == name:
            event.data = data
            event.actor = alias if event.actor == name else event.actor
            changed_events += 1
    for row in outbox:
        row.recipient = masked
        if mentions(row.body, needles):
            row.body = ERASED
        if row.error and mentions(row.error, needles):
            row.error = ERASED
        if row.status in ("queued", "sending"):
            row.status, row.error, row.updated_at = "failed", "not sent: recipient erased", now
    for message in inbound:
        message.sender = masked
        if not staff_command_kept(message.body):
            message.body = ERASED
        if message.reply and mentions(message.reply, needles):
            message.reply = ERASED
    for page in pages:
        page.recipient = f"slettet:{staff.id}"
        if page.status == "waiting":
            page.status = "dropped"
    changed_overrides = 0
    for override in _overrides_of(session, staff, needles):
        if override.reason and mentions(override.reason, needles):
            override.reason = ERASED
            changed_overrides += 1
    raw = _staff_payloads(session, staff)
    note = f"payload emptied: personal data erased on request ({now.date().isoformat()})"
    for item in raw:
        _empty_payload(item, note, needles)
    recipient = session.get(SmsRecipient, number)
    if recipient is not None:
        session.delete(recipient)
    staff.name, staff.email, staff.phone, staff.active = ERASED, None, f"slettet:{staff.id}", False
    session.commit()
    _scrub_files(session)
    return ErasureCounts(
        inbox_items=len(raw),
        events=changed_events,
        sms_outbox=len(outbox),
        sms_inbound=len(inbound),
        sms_pages=len(pages),
        overrides=changed_overrides,
    )


# ------------------------------------------------------------------ retention


def purge_raw_payloads(session: Session, older_than: datetime) -> int:
    """Empty inbox payloads received before ``older_than``; returns how many. The rows stay
    with their status and ticket, and a note (before any earlier error). Commits per batch;
    running it again finds nothing new."""
    note = f"payload emptied by the retention purge (received before {older_than.isoformat()})"
    total = 0
    while True:
        ids = list(
            session.scalars(
                select(InboxItem.id)
                .where(InboxItem.received_at < older_than, func.length(InboxItem.payload) > 0)
                .order_by(InboxItem.id)
                .limit(BATCH)
            )
        )
        if not ids:
            if total:
                _scrub_files(session)
            return total
        session.execute(
            update(InboxItem)
            .where(InboxItem.id.in_(ids))
            .values(
                payload=b"",
                error=func.coalesce(literal(note + "; was: ") + InboxItem.error, literal(note)),
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        total += len(ids)
