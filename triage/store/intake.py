"""Intake: the one place where channel messages become tickets or continue them.

The order of work, and why:

1. ``store_raw`` commits the payload before anything parses it, so a parser bug or a crash
   can delay a message (``reprocess``) but never lose it; ``quarantine`` keeps a payload
   that cannot become a message, with the reason, for an admin.
2. ``ingest`` decides in one transaction: a redelivery (same source and dedup key) answers
   with the ticket it made; a message whose thread keys, conversation or "[#id]" tag match
   continues that ticket; anything else opens one (received -> classified -> routed -> SLA
   clock, the clock only when routed: a clock on a guessed contract is worse than none).
3. The unique (channel, key) of ``ChannelMessage`` settles races: when two deliveries of
   one message (or the first two messages of one chat) are ingested at once, the loser's
   transaction fails with IntegrityError, is rolled back and run again, and then sees the
   winner's rows: it is a duplicate, or it continues the winner's ticket.

Writes: a new ticket (the common case, one per webhook) is inserted with Core statements,
not through the ORM's unit of work, whose per-object bookkeeping cost more CPU than all the
rest of the intake; nothing in the transaction reads those rows back. A message that
continues a ticket changes a loaded ``Ticket`` through the ORM like every other use-case.

Times: a ticket's ``received_at``, and a vendor response's time, is the server's receipt
time stored on the inbox row, never what the client claims (that is kept in the event
data); events are stamped with the processing time ``now``. Inbox ``status``: received ->
processed (ticket_id set; duplicates too) | quarantined (error set).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from triage.classify import classify
from triage.intake.message import KINDS, IncomingMessage
from triage.routing import route
from triage.store.escalations import plan_new_ladder
from triage.store.models import ChannelMessage, InboxItem, Staff, Ticket, User, table_of
from triage.store.row_inserts import RowInserts
from triage.store.sla_columns import rederive_sla, sla_state_or_why
from triage.store.tickets import NewEvent, add_event, insert_ticket, sla_values

#: A message is ingested at most this often when its transaction keeps losing races.
MAX_ATTEMPTS = 3
#: ``channel_messages.key`` is VARCHAR(500); longer keys (Message-IDs may have 998
#: characters) are stored as their SHA-256, which stays unique and is looked up the same way.
MAX_KEY_CHARS = 500
MAX_ERROR_CHARS = 4000
TITLE_CHARS = 120
EMAIL_CONTENT_TYPE = "message/rfc822"
#: Titles for tickets whose channel has no subject line.
CHANNEL_TITLES = {"phone": "Phone call", "chat": "Chat"}

#: Key prefixes for parents a message answers that the desk has not seen (yet): answered
#: from one ticket, and answered from more than one (see ``_parent_marks``).
REFERENCED = "answered-by:"
REFERENCED_OFTEN = "answered-by-several:"

Parser = Callable[[bytes, str], IncomingMessage]
"""Raw payload and its content type to a message; raises ValueError saying what is wrong."""


@dataclass(frozen=True)
class IntakeResult:
    ticket_id: int
    created: bool  # a new ticket was opened
    duplicate: bool  # a redelivery of a message already ingested; nothing changed


# ------------------------------------------------------------------ the inbox


INBOX = table_of(InboxItem)
MESSAGE_KEYS = table_of(ChannelMessage)
# Statements built once, run on the session's connection (no ORM layer): every webhook
# runs them. See tickets._INSERT_EVENTS for the RETURNING on the multi-row ones.
_STORE = insert(INBOX).returning(INBOX.c.id)
_QUARANTINE = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("item"))
    .values(status="quarantined", error=bindparam("why"), ticket_id=None)
)
_SETTLE = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("item"))
    .values(status="processed", ticket_id=bindparam("ticket"), error=None)
)
_SETTLE_ALL = text(
    "UPDATE inbox SET status = 'processed', ticket_id = settled.ticket, error = NULL"
    " FROM unnest(CAST(:items AS bigint[]), CAST(:tickets AS bigint[])) AS settled(item, ticket)"
    " WHERE inbox.id = settled.item"
)
_KNOWN = select(MESSAGE_KEYS.c.key, MESSAGE_KEYS.c.ticket_id).where(
    MESSAGE_KEYS.c.channel == bindparam("channel"),
    MESSAGE_KEYS.c.key.in_(bindparam("keys", expanding=True)),
)
#: ``_KNOWN`` on PostgreSQL, run on every message: the keys as one array parameter, one
#: statement text whatever their number (no IN list rendered per call, and psycopg
#: prepares it once), without SQLAlchemy's compiled-statement path (see row_inserts).
_KNOWN_ANY = (
    "SELECT key, ticket_id FROM channel_messages"
    " WHERE channel = %s::VARCHAR AND key = ANY(%s::VARCHAR[])"
)
_INSERT_KEYS = RowInserts(MESSAGE_KEYS)


def store_raw(
    session: Session, channel: str, content_type: str, payload: bytes, now: datetime
) -> int:
    """Keep the payload exactly as it arrived, committed before anyone parses it.

    Returns the inbox item's id. In a session with no transaction begun (every webhook's)
    the insert is a statement of its own (autocommit), which spares PostgreSQL's BEGIN and
    COMMIT round trips; the session's next transaction is an ordinary one again.
    """
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    item_id = (
        session.connection()
        .execute(
            _STORE,
            {
                "channel": channel,
                "content_type": content_type[:200],
                "payload": bytes(payload),
                "received_at": now,
                "status": "received",
            },
        )
        .scalar_one()
    )
    session.commit()
    return int(item_id)


def quarantine(session: Session, item_id: int, error: str) -> None:
    """Park a payload that cannot become a message; ``error`` is shown to the admin."""
    session.connection().execute(
        _QUARANTINE, {"item": item_id, "why": _clean(error)[:MAX_ERROR_CHARS]}
    )
    session.commit()


def quarantine_in(session: Session, item_id: int, error: str) -> None:
    """``quarantine`` inside the caller's transaction (the batch intake commits once)."""
    session.connection().execute(
        _QUARANTINE, {"item": item_id, "why": _clean(error)[:MAX_ERROR_CHARS]}
    )


def settle(session: Session, item_id: int | None, ticket_id: int | None) -> None:
    """The inbox item is processed (into ``ticket_id``, when it made or continued one);
    one statement, the row (payload and all) is never loaded."""
    if item_id is not None:
        session.connection().execute(_SETTLE, {"item": item_id, "ticket": ticket_id})


#: Items ``ingest_in`` ingested and the batch settles at its end: (item, ticket).
Settled = list[tuple[int, int]]


def settle_all(session: Session, settled: Settled) -> None:
    """``settle`` for many items in one statement, inside the caller's transaction (the
    batch intake's end): one UPDATE instead of one per item, which cost the worker and
    PostgreSQL as much as any other statement of a new ticket. Nothing in the batch's
    transaction reads an item's status after ``ingest_in`` took it, so settling at the
    end is the same as settling each at once."""
    if not settled:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        items, tickets = zip(*settled, strict=True)
        connection.execute(_SETTLE_ALL, {"items": list(items), "tickets": list(tickets)})
    else:  # SQLite: executemany, no round trips to save
        connection.execute(_SETTLE, [{"item": i, "ticket": t} for i, t in settled])


def reprocess(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    item_id: int,
    parsers: Mapping[str, Parser],
    now: datetime,
) -> IntakeResult | None:
    """Parse a stored payload again (after a parser fix) and ingest it.

    Returns None when it still cannot be parsed; the item is then quarantined with the
    new reason. A ticket opened here keeps the original receipt time, so a parser bug
    does not move the vendor's deadline. Raises LookupError for an unknown item.
    """
    with sessions() as session:
        item = session.get(InboxItem, item_id)
        if item is None:
            raise LookupError(f"inbox item {item_id} does not exist")
        received_at = item.received_at
        parser = parsers.get(item.channel)
        if parser is None:
            quarantine(session, item_id, f"no parser for channel {item.channel!r}")
            return None
        try:
            message = parser(item.payload, item.content_type)
        except ValueError as exc:
            quarantine(session, item_id, str(exc) or type(exc).__name__)
            return None
    return ingest(sessions, catalog, item_id, message, now, received_at)


# ------------------------------------------------------------------ ingest


def ingest(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    item_id: int | None,
    message: IncomingMessage,
    now: datetime,
    received_at: datetime | None = None,
) -> IntakeResult:
    """Make ``message`` (parsed from inbox item ``item_id``) part of exactly one ticket.

    Idempotent: the same message delivered again returns the same ticket with
    ``duplicate=True``, also when both deliveries race (see the module docstring).
    ``received_at``: the item's receipt time, when the caller has it at hand (it stored
    or loaded the item); else it is read from the item (else ``now``, without an item).
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with sessions() as session:
            try:
                result = _ingest(session, catalog, item_id, message, now, received_at)
                session.commit()
            except IntegrityError:
                session.rollback()
                if attempt == MAX_ATTEMPTS:
                    raise
                continue
            return result
    raise AssertionError("unreachable")  # the loop returns or raises


def ingest_in(
    session: Session,
    catalog: Catalog,
    item_id: int,
    message: IncomingMessage,
    now: datetime,
    received_at: datetime,
    settled: Settled | None = None,
) -> IntakeResult:
    """``ingest``'s work inside the caller's transaction, without commit or retry: the
    batch intake (``triage.store.intake_batch``) runs many of these in one transaction and
    handles a lost race itself. With ``settled``, the item is not settled here but added
    to it, for the caller's ``settle_all`` before its commit."""
    return _ingest(session, catalog, item_id, message, now, received_at, settled)


def _ingest(
    session: Session,
    catalog: Catalog,
    item_id: int | None,
    message: IncomingMessage,
    now: datetime,
    received_at: datetime | None,
    settled: Settled | None = None,
) -> IntakeResult:
    received = received_at
    if received is None and item_id is not None:
        received = session.scalar(select(InboxItem.received_at).where(InboxItem.id == item_id))
    received = received or now
    dedup = storage_key(message.dedup_key)
    lookup = [storage_key(k) for k in _lookup_keys(message)]
    parents = [
        storage_key(p + k) for k in message.thread_keys for p in (REFERENCED, REFERENCED_OFTEN)
    ]
    answered_by = [storage_key(p + message.dedup_key) for p in (REFERENCED, REFERENCED_OFTEN)]
    known = _known(session, message.source, [dedup, *lookup, *parents, *answered_by])
    if dedup in known:
        _settle(session, item_id, known[dedup], settled)
        return IntakeResult(known[dedup], created=False, duplicate=True)

    ticket = _thread_target(session, catalog, message, lookup, known) or _answered_by(
        session, answered_by, known
    )
    if ticket is None:
        ticket_id = _open(session, catalog, message, item_id, received, now)
        created = True
    else:
        _continue(session, catalog, ticket, message, item_id, received, now)
        session.flush()
        ticket_id, created = ticket.id, False
    own = [dedup] + ([storage_key(message.conversation_key)] if message.conversation_key else [])
    own += _parent_marks(message, ticket_id, known)
    new_keys = [key for key in dict.fromkeys(own) if key not in known]
    if new_keys:  # a lost race surfaces here as IntegrityError
        _INSERT_KEYS.execute(
            session.connection(),
            [
                {"channel": message.source, "key": key, "ticket_id": ticket_id, "created_at": now}
                for key in new_keys
            ],
        )
    _settle(session, item_id, ticket_id, settled)
    return IntakeResult(ticket_id, created=created, duplicate=False)


def _settle(session: Session, item_id: int | None, ticket_id: int, settled: Settled | None) -> None:
    if settled is not None and item_id is not None:
        settled.append((item_id, ticket_id))
    else:
        settle(session, item_id, ticket_id)


def _parent_marks(message: IncomingMessage, ticket_id: int, known: Mapping[str, int]) -> list[str]:
    """Keys recording that this ticket answers parents the desk has not seen.

    A reply can arrive before its original (mail servers, retries); the original, when
    it comes, continues the reply's ticket instead of opening a second one. A parent
    answered from two tickets (a desk announcement with replies from many people) is
    marked as such, and its original then opens a ticket of its own, as before.
    """
    marks = []
    for parent in message.thread_keys:
        if storage_key(parent) in known:
            continue  # a message the desk has: threading found (or will find) it
        first = storage_key(REFERENCED + parent)
        if first not in known:
            marks.append(first)
        elif known[first] != ticket_id:
            marks.append(storage_key(REFERENCED_OFTEN + parent))
    return marks


def _answered_by(
    session: Session, answered_by: list[str], known: Mapping[str, int]
) -> Ticket | None:
    """The one ticket whose messages answered this one before it arrived, if exactly one."""
    once, often = answered_by
    if once not in known or often in known:
        return None
    return session.get(Ticket, known[once], with_for_update=True)


def storage_key(key: str) -> str:
    """The key as stored: itself, or its SHA-256 when too long for the column."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _lookup_keys(message: IncomingMessage) -> list[str]:
    """Keys that point at an existing ticket, most specific first."""
    keys = [message.conversation_key] if message.conversation_key else []
    return keys + list(message.thread_keys)


def _known(session: Session, source: str, keys: Iterable[str]) -> dict[str, int]:
    wanted = list(dict.fromkeys(keys))
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # one array parameter: see _KNOWN_ANY
        rows = connection.exec_driver_sql(_KNOWN_ANY, (source, wanted))
    else:
        rows = connection.execute(_KNOWN, {"channel": source, "keys": wanted})
    return {str(key): int(ticket_id) for key, ticket_id in rows}


def _thread_target(
    session: Session,
    catalog: Catalog,
    message: IncomingMessage,
    lookup: list[str],
    known: Mapping[str, int],
) -> Ticket | None:
    """The ticket this message continues: by thread key first, then by "[#id]" tag.

    A "[#id]" tag is typed by anyone: it continues the ticket only when the sender is a
    party to it (``is_party``); anyone else's message opens a ticket of its own, which
    ``_open`` marks (``ref_refused``). Locked (on PostgreSQL) so two replies cannot both
    record the first response.
    """
    for key in lookup:
        if key in known:
            return session.get(Ticket, known[key], with_for_update=True)
    if message.ticket_ref is not None:
        ticket = session.get(Ticket, message.ticket_ref, with_for_update=True)
        if ticket is not None and is_party(session, catalog, ticket, message.sender_email):
            return ticket
    return None


#: Events of messages that are part of a ticket: their senders and addressees are parties.
_JOINED = frozenset({"received", "vendor_replied", *KINDS})


def is_party(session: Session, catalog: Catalog, ticket: Ticket, sender: str | None) -> bool:
    """Whether ``sender`` may add to ``ticket`` by naming it: its requester, an address
    its first message went to (To, Cc), someone whose message already joined it, staff
    of the desk (users and on-call staff with that e-mail), or the vendor of its
    contract."""
    address = (sender or "").strip().lower()
    if not address or "@" not in address:
        return False
    if address == (ticket.requester_email or "").strip().lower():
        return True
    if ticket.contract_id is not None and ticket.contract_id in vendor_contracts(catalog, address):
        return True
    for event in ticket.events:
        if event.kind not in _JOINED:  # e.g. an outsider's mention names them too
            continue
        data = event.data or {}
        seen = [data.get("sender_email") or "", *(data.get("recipients") or ())]
        if address in (str(a).strip().lower() for a in seen):
            return True
    staff = (
        select(User.id)
        .where(func.lower(User.email) == address)
        .union_all(
            select(Staff.id).where(func.lower(Staff.email) == address, Staff.active.is_(True))
        )
    )
    return session.execute(staff.limit(1)).first() is not None


# ------------------------------------------------------------------ a new ticket


def _open(
    session: Session,
    catalog: Catalog,
    message: IncomingMessage,
    item_id: int | None,
    received: datetime,
    now: datetime,
) -> int:
    """Open a ticket for ``message``: received -> classified -> routed -> SLA clock and
    ladder. Returns its id."""
    text = _clean(message.text)
    subject = _clean(message.subject)
    classification = classify(
        text,
        subject,
        message.channel,
        after_hours=message.after_hours,
        confirm_below=catalog.classification.confirm_below,
    )
    routed = route(
        catalog.contracts,
        subject=subject,
        body=text,
        recipients=message.recipients,
        sender=message.sender_email,
    )
    severity = classification.severity.value
    received_data = _message_data(message, item_id, with_text=False)
    received_data.update(
        channel=message.channel,
        after_hours=message.after_hours,
        recipients=list(message.recipients),
    )
    events = [NewEvent("received", received, message.source, received_data)]
    if message.kind not in ("message", "call"):  # e.g. a CTI "missed" before any new_call
        events.append(NewEvent(message.kind, received, message.source))
    events.append(
        NewEvent(
            "classified",
            now,
            data={
                "severity": severity,
                "reasons": list(classification.reasons),
                "score": classification.score,
                "confidence": classification.confidence,
                "needs_confirmation": classification.needs_confirmation,
            },
        )
    )
    events.append(_route_event(routed.contract_id, routed.reasons, now))
    refused = _refused_ref(session, message, received)
    if refused is not None:
        events.append(refused)
    state, why_not = sla_state_or_why(catalog, routed.contract_id, severity, received, None, ())
    if why_not is not None:
        events.append(NewEvent("sla_unavailable", now, data={"reason": why_not}))
    ticket_id = insert_ticket(
        session,
        {
            "channel": message.channel,
            "subject": subject or _title(message.channel, text),
            "body": text,
            "requester_name": _cut(message.sender_name, 200),
            "requester_email": _cut(message.sender_email, 320),
            "requester_phone": _cut(message.sender_phone, 32),
            "contract_id": routed.contract_id,
            "severity": severity,
            "severity_reasons": list(classification.reasons),
            "needs_confirmation": classification.needs_confirmation,
            "status": "open",
            "received_at": received,
            "created_at": now,
            "updated_at": now,
            **sla_values(state),
        },
        events,
    )
    if state is not None and state.due_at is not None:
        plan_new_ladder(
            session, catalog, ticket_id, routed.contract_id, severity, received, now, state.deadline
        )
    if refused is not None:
        _tell_named_ticket(session, refused, ticket_id, message, now)
    return ticket_id


def _refused_ref(session: Session, message: IncomingMessage, received: datetime) -> NewEvent | None:
    """The mark on a new ticket whose message named an existing ticket ("[#N]") it was
    not let into (its sender is no party to it, see ``is_party``): which and why."""
    if message.ticket_ref is None or session.get(Ticket, message.ticket_ref) is None:
        return None
    return NewEvent(
        "ref_refused",
        received,
        message.source,
        {
            "ticket": message.ticket_ref,
            "sender_email": _cut(message.sender_email, 320),
            "action": "opened as a new ticket",
            "why": (
                f"the subject names ticket #{message.ticket_ref}, but the sender is not a "
                "party to it (its requester, an addressee of its messages, staff or its "
                "vendor); an agent can merge it if it belongs there"
            ),
        },
    )


def _tell_named_ticket(
    session: Session, refused: NewEvent, ticket_id: int, message: IncomingMessage, now: datetime
) -> None:
    """The named ticket says so too: its agent sees that someone wrote about it."""
    named = session.get(Ticket, refused.data["ticket"])
    if named is not None:
        add_event(
            session,
            named,
            "mentioned_by_outsider",
            now,
            message.source,
            new_ticket=ticket_id,
            sender_email=_cut(message.sender_email, 320),
        )


def _route_event(contract_id: str | None, reasons: Iterable[str], now: datetime) -> NewEvent:
    if contract_id is None:
        return NewEvent("unrouted", now, data={"reasons": list(reasons)})
    return NewEvent("routed", now, data={"contract": contract_id, "reasons": list(reasons)})


def _record_route(
    session: Session, ticket: Ticket, contract_id: str | None, reasons: Iterable[str], now: datetime
) -> None:
    event = _route_event(contract_id, reasons, now)
    add_event(session, ticket, event.kind, event.at, event.actor, **event.data)


# ------------------------------------------------------------------ continuing a ticket


def _continue(
    session: Session,
    catalog: Catalog,
    ticket: Ticket,
    message: IncomingMessage,
    item_id: int | None,
    received: datetime,
    now: datetime,
) -> None:
    data = _message_data(message, item_id, with_text=True)
    vendor_of = vendor_contracts(catalog, message.sender_email)
    if vendor_of:
        _vendor_replied(session, catalog, ticket, message, vendor_of, data, received, now)
    else:
        add_event(session, ticket, message.kind, received, actor=message.source, **data)
        text = _clean(message.text)
        if not ticket.body and text.strip():
            _first_text(session, catalog, ticket, text, now)
    ticket.updated_at = now


def vendor_contracts(catalog: Catalog, sender_email: str | None) -> set[str]:
    """Contracts whose vendor writes from this address: its support address, or a sender
    domain the catalog names for it."""
    if not sender_email or "@" not in sender_email:
        return set()
    address = sender_email.strip().lower()
    domain = address.rsplit("@", 1)[1]
    return {
        cid
        for cid, contract in catalog.contracts.items()
        if (contract.support_email and contract.support_email.strip().lower() == address)
        or domain in contract.recognition.sender_domains
    }


def _vendor_replied(
    session: Session,
    catalog: Catalog,
    ticket: Ticket,
    message: IncomingMessage,
    vendor_of: set[str],
    data: dict[str, Any],
    received: datetime,
    now: datetime,
) -> None:
    """The vendor's first real reply on the ticket is the contract's response.

    A reply stops the clock (and cancels the escalation) only when the desk can trust
    it came from the vendor: it answers an e-mail the desk sent to that vendor (its
    In-Reply-To or References name a forward of this ticket), it comes from the
    vendor's catalog address or domain, and where the relay recorded
    Authentication-Results, DMARC or an aligned DKIM signature passed. A message that
    only *looks* like the vendor's is kept as a message with ``confirmable``: an agent
    who knows better confirms it (``ticket_actions.confirm_vendor_response``).
    """
    doubt = _vendor_doubt(catalog, ticket, message, vendor_of)
    not_counted: str | None
    if ticket.contract_id is None:
        not_counted = "the ticket is unrouted, so no contract's clock runs"
    elif ticket.contract_id not in vendor_of:
        not_counted = f"the sender is not the vendor of {ticket.contract_id}"
    elif message.auto_submitted:
        not_counted = "an automatic reply is not started troubleshooting"
    elif ticket.responded_at is not None:
        not_counted = "the response was already recorded"
    else:
        not_counted = doubt
    add_event(
        session,
        ticket,
        "vendor_replied",
        received,
        actor=message.source,
        vendor_of=sorted(vendor_of),
        counted_as_response=not_counted is None,
        not_counted_because=not_counted,
        confirmable=not_counted is not None and not_counted == doubt,
        sender_auth=message.sender_auth,
        **data,
    )
    if not_counted is None:
        ticket.responded_at = received
        rederive_sla(session, catalog, ticket, now)


def _vendor_doubt(
    catalog: Catalog, ticket: Ticket, message: IncomingMessage, vendor_of: set[str]
) -> str | None:
    """Why this vendor-looking message cannot be trusted as the vendor's, or None."""
    forwards = {
        str(e.data.get("message_id")): str(e.data.get("to") or "")
        for e in ticket.events
        if e.kind == "forwarded" and e.data
    }
    answers_forward = any(
        key in forwards and vendor_contracts(catalog, forwards[key]) & vendor_of
        for key in message.thread_keys
    )
    if not answers_forward:
        if not forwards:
            return "the desk has not forwarded this ticket to the vendor, so nothing was answered"
        return "not a reply to the desk's forward to the vendor (In-Reply-To/References)"
    if message.sender_auth == "fail":
        return (
            "the relay's Authentication-Results show neither DMARC nor an aligned DKIM "
            "signature passing for the sender's domain"
        )
    return None


def _first_text(
    session: Session, catalog: Catalog, ticket: Ticket, text: str, now: datetime
) -> None:
    """A ticket opened without any text (a phone call) gets its first words (a voicemail
    transcription): classify it again, and route it if it was unrouted."""
    ticket.body = text
    received_event = next((e for e in ticket.events if e.kind == "received"), None)
    facts = received_event.data if received_event is not None else {}
    # Chat and phone titles are made up here; only an e-mail subject is the sender's words.
    subject = ticket.subject if ticket.channel == "email" else ""
    classification = classify(
        text,
        subject,
        ticket.channel,
        after_hours=bool(facts.get("after_hours")),
        confirm_below=catalog.classification.confirm_below,
    )
    ticket.needs_confirmation = classification.needs_confirmation
    if classification.severity.value != ticket.severity:
        add_event(
            session,
            ticket,
            "reclassified",
            now,
            before=ticket.severity,
            after=classification.severity.value,
            reasons=list(classification.reasons),
            why="first text of a ticket that was classified without any",
        )
        ticket.severity = classification.severity.value
        ticket.severity_reasons = list(classification.reasons)
    if ticket.contract_id is None:
        routed = route(
            catalog.contracts,
            subject=subject,
            body=text,
            recipients=facts.get("recipients") or (),
            sender=ticket.requester_email,
        )
        if routed.contract_id is not None:
            ticket.contract_id = routed.contract_id
            _record_route(session, ticket, routed.contract_id, routed.reasons, now)
    rederive_sla(session, catalog, ticket, now)


# ------------------------------------------------------------------ helpers

_RESERVED = frozenset({"session", "ticket", "kind", "at", "actor"})
_NUL = re.compile("\x00")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Nothing a database text column refuses: no NUL (PostgreSQL), no lone surrogates."""
    text = _NUL.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def _cut(value: str | None, limit: int) -> str | None:
    return _clean(value)[:limit] if value else None


def _title(channel: str, text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return CHANNEL_TITLES.get(channel, "")
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def _message_data(
    message: IncomingMessage, item_id: int | None, *, with_text: bool
) -> dict[str, Any]:
    """The message's facts for an event (JSON-safe, empty values left out)."""
    data: dict[str, Any] = {
        "inbox_item": item_id,
        "key": message.dedup_key[:MAX_KEY_CHARS],
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "subject": _clean(message.subject) if with_text else None,
        "text": _clean(message.text) if with_text else None,
        "sender_name": _cut(message.sender_name, 200),
        "sender_email": _cut(message.sender_email, 320),
        "sender_phone": _cut(message.sender_phone, 32),
        "auto_submitted": message.auto_submitted or None,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments
        ],
    }
    for key, value in message.extra.items():  # never shadow add_event's own parameters
        data[f"extra_{key}" if key in _RESERVED else key] = value
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}
