"""The SMS outbox: compose waiting pages into one SMS per number, send once, record what
the provider said.

Every SMS is a row before it is a request: ``compose`` writes it (status "queued"),
``claim`` marks it "sending" with a conditional UPDATE so one worker owns the attempt, and
``mark_sent`` / ``mark_retry`` / ``mark_failed`` record the outcome. A worker killed
between the request and ``mark_sent`` leaves the row "sending"; the sweeper asks the
provider whether the message went out (``stuck``) before it tries again, so a crash
neither loses nor doubles an SMS.

Grouping: one SMS per number per window (``Settings.sms_group_seconds``). The first page
for a number goes at once; pages that arrive inside the window wait and leave together
as one grouped SMS when it ends. The ``sms_recipients`` row holds the window and is the
lock that serialises composing for one number across workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.local_time import OSLO
from triage.phone import mask_phone
from triage.sms_text import Page, grouped_message, page_message
from triage.store import outbox
from triage.store.models import EscalationPoint, SmsOutbox, SmsPage, SmsRecipient, Ticket
from triage.store.tickets import add_event

QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED, WITHDRAWN = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "withdrawn",  # not sent: by then every ticket in it was answered or closed
)
MAX_ATTEMPTS = 8
# Waits before attempt 2, 3, ...: quick at first (a blip), then patient (an outage).
BACKOFF = (
    timedelta(seconds=5),
    timedelta(seconds=15),
    timedelta(seconds=45),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=15),
)


@dataclass(frozen=True)
class Composed:
    """``outbox_id``: the SMS to send now; ``retry_at``: pages wait for the window."""

    outbox_id: int | None = None
    retry_at: datetime | None = None
    # with retry_at: a waiting page, whose id names the later flush job (a hint for the
    # caller, not part of what was composed)
    page_id: int | None = field(default=None, compare=False)


def _lock_recipient(session: Session, phone: str) -> SmsRecipient:
    """The number's row, write-locked (PostgreSQL row lock; SQLite database write lock)."""
    if session.get(SmsRecipient, phone) is None:
        try:
            with session.begin_nested():
                session.add(SmsRecipient(phone=phone))
        except IntegrityError:
            pass  # another worker created it first
    session.execute(
        update(SmsRecipient)
        .where(SmsRecipient.phone == phone)
        .values(phone=phone)
        .execution_options(synchronize_session=False)
    )
    row = session.get(SmsRecipient, phone, populate_existing=True)
    assert row is not None
    return row


def first_waiting_pages(session: Session, phones: Iterable[str]) -> dict[str, int]:
    """Each number's first waiting page: the id a flush job carries instead of the
    number (jobs carry ids, never personal data)."""
    wanted = list(phones)
    if not wanted:
        return {}
    rows = session.execute(
        select(SmsPage.recipient, func.min(SmsPage.id))
        .where(SmsPage.recipient.in_(wanted), SmsPage.status == "waiting")
        .group_by(SmsPage.recipient)
    ).all()
    return {row[0]: row[1] for row in rows}


def page_recipient(session: Session, page_id: int) -> str | None:
    """The number a page is for (None: no such page, or its number was erased, when the
    recipient is ``slettet:<id>`` instead of an E.164 number)."""
    if not 0 < page_id < 2**63:
        return None
    recipient = session.scalar(select(SmsPage.recipient).where(SmsPage.id == page_id))
    return recipient if recipient is not None and recipient.startswith("+") else None


def compose(
    session: Session, catalog: Catalog, phone: str, now: datetime, window: timedelta
) -> Composed:
    """Turn the number's waiting pages into one outbox row, unless its window is closed.

    Pages whose ticket was answered, paused, resolved or acknowledged meanwhile are
    dropped: the SMS says only what is still news. Commits.
    """
    recipient = _lock_recipient(session, phone)
    rows = session.execute(
        select(SmsPage, Ticket, EscalationPoint)
        .join(Ticket, Ticket.id == SmsPage.ticket_id)
        .join(EscalationPoint, EscalationPoint.id == SmsPage.escalation_id)
        .where(SmsPage.recipient == phone, SmsPage.status == "waiting")
        .order_by(SmsPage.id)
    ).all()
    live: list[tuple[SmsPage, Ticket, EscalationPoint]] = []
    for page, ticket, point in rows:
        if ticket.responded_at is not None or ticket.status != "open" or point.status != "fired":
            page.status = "dropped"
        else:
            live.append((page, ticket, point))
    if not live:
        session.commit()
        return Composed()
    if recipient.next_allowed_at is not None and recipient.next_allowed_at > now:
        retry_at = recipient.next_allowed_at
        session.commit()
        return Composed(retry_at=retry_at, page_id=live[0][0].id)
    body, ticket_ids = _message(catalog, live, now)
    sms = SmsOutbox(
        recipient=phone,
        body=body,
        ticket_ids=ticket_ids,
        status=QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(sms)
    session.flush()
    for page, _ticket, _point in live:
        page.status, page.outbox_id = "sent", sms.id
    recipient.next_allowed_at = now + window
    recipient.last_outbox_id = sms.id
    session.commit()
    return Composed(outbox_id=sms.id)


def _message(
    catalog: Catalog, live: Sequence[tuple[SmsPage, Ticket, EscalationPoint]], now: datetime
) -> tuple[str, list[int]]:
    """The SMS text; one line per ticket (its latest point), most urgent first."""
    latest: dict[int, Page] = {}
    for _page, ticket, point in live:
        contract = catalog.contracts.get(ticket.contract_id or "")
        label = contract.short_name if contract is not None else (ticket.contract_id or "?")
        latest[ticket.id] = Page(
            ticket_id=ticket.id,
            critical=ticket.severity == "critical",
            contract_label=label,
            due=ticket.due_at or point.fire_at,
            subject=ticket.subject,
            point=point.point,
        )
    pages = list(latest.values())
    text = (
        page_message(pages[0], now, OSLO) if len(pages) == 1 else grouped_message(pages, now, OSLO)
    )
    return text, sorted(latest)


def claim(session: Session, outbox_id: int, now: datetime, early: timedelta) -> SmsOutbox | None:
    """Own one attempt at sending this SMS, or None if it is not due or someone else has
    it. Commits, so the "sending" mark survives a crash during the request."""
    return outbox.claim(session, SmsOutbox, outbox_id, now, early)


def _tickets_of(session: Session, sms: SmsOutbox) -> list[Ticket]:
    if not sms.ticket_ids:
        return []
    return list(session.scalars(select(Ticket).where(Ticket.id.in_(sms.ticket_ids))))


def mark_sent(session: Session, outbox_id: int, provider: str, sid: str, now: datetime) -> None:
    """The provider accepted it: an ``sms_sent`` event on every ticket it is about.

    Idempotent for the same SID: a delivery report can get here first (see
    ``record_delivery``), and its outcome must survive the sender's own late answer.
    """
    sms = session.get(SmsOutbox, outbox_id, populate_existing=True)
    assert sms is not None
    if sms.provider_sid == sid and sms.status in (SENT, DELIVERED, UNDELIVERED):
        session.commit()
        return
    sms.status, sms.provider, sms.provider_sid = SENT, provider, sid
    sms.sent_at = sms.updated_at = now
    sms.error = sms.error_code = None
    for ticket in _tickets_of(session, sms):
        add_event(
            session,
            ticket,
            "sms_sent",
            now,
            outbox_id=sms.id,
            to=mask_phone(sms.recipient),
            provider=provider,
            body=sms.body,
        )
    session.commit()


def withdraw_if_answered(session: Session, outbox_id: int, now: datetime) -> bool:
    """Withdraw an SMS about to be sent when none of its tickets still waits for a
    response (answered, resolved or paused since it was composed): a page retried for half
    an hour through a Twilio outage must not wake someone for a ticket long handled.

    Call it only when the SMS has certainly not gone out (before the first attempt, or
    after the provider said an earlier attempt did not arrive).
    """
    sms = session.get(SmsOutbox, outbox_id, populate_existing=True)
    assert sms is not None
    tickets = _tickets_of(session, sms)
    if not tickets or any(t.responded_at is None and t.status == "open" for t in tickets):
        session.commit()
        return False
    sms.status, sms.error, sms.updated_at = WITHDRAWN, "its tickets no longer wait", now
    for ticket in tickets:
        add_event(
            session, ticket, "sms_withdrawn", now, outbox_id=sms.id, to=mask_phone(sms.recipient)
        )
    session.commit()
    return True


def mark_retry(session: Session, outbox_id: int, error: str, now: datetime) -> datetime | None:
    """A temporary failure: back off, or give up after ``MAX_ATTEMPTS``. Returns the next
    attempt's time, None when given up."""
    sms = session.get(SmsOutbox, outbox_id, populate_existing=True)
    assert sms is not None
    if sms.attempts >= MAX_ATTEMPTS:
        _fail(session, sms, None, f"gave up after {sms.attempts} attempts: {error}", now)
        return None
    wait = BACKOFF[min(sms.attempts, len(BACKOFF)) - 1]
    error = _scrubbed(error, sms.recipient)
    sms.status, sms.error, sms.next_attempt_at, sms.updated_at = QUEUED, error, now + wait, now
    session.commit()
    return sms.next_attempt_at


def mark_failed(
    session: Session, outbox_id: int, code: int | None, error: str, now: datetime
) -> None:
    """A permanent refusal (an invalid number, a blocked recipient)."""
    sms = session.get(SmsOutbox, outbox_id, populate_existing=True)
    assert sms is not None
    _fail(session, sms, code, error, now)


def _scrubbed(error: str, phone: str) -> str:
    """The provider's text with the recipient masked: Twilio's refusals quote the number
    ("The 'To' number +47... is not a valid phone number"), and the error is shown in the
    API, the CLI and the ticket's events, where numbers are masked."""
    return error.replace(phone, mask_phone(phone)) if phone and phone in error else error


def _fail(session: Session, sms: SmsOutbox, code: int | None, error: str, now: datetime) -> None:
    error = _scrubbed(error, sms.recipient)
    sms.status, sms.error_code, sms.error, sms.updated_at = FAILED, code, error, now
    for ticket in _tickets_of(session, sms):
        add_event(
            session,
            ticket,
            "sms_failed",
            now,
            outbox_id=sms.id,
            to=mask_phone(sms.recipient),
            error=error,
            code=code,
        )
    session.commit()


# Twilio's message statuses, as the delivery callback reports them, and ours.
_DELIVERY = {
    "delivered": DELIVERED,
    "undelivered": UNDELIVERED,
    "failed": UNDELIVERED,
    "sent": SENT,
    "queued": SENT,
    "accepted": SENT,
    "sending": SENT,
}


def record_delivery(
    session: Session,
    sid: str,
    status: str,
    error_code: int | None,
    now: datetime,
    recipient: str | None = None,
) -> bool:
    """A delivery status callback. Returns False for an unknown SID. Idempotent, and a
    late "sent" never overwrites "delivered".

    A report can overtake the answer to the send itself (a timeout, a dropped answer, a
    worker killed mid-request: the sender learns the SID minutes later by reconciling).
    The report proves the provider took the SMS, so when exactly one SMS to
    ``recipient`` awaits its SID, the report's SID is recorded on it here.
    """
    sms = session.scalars(select(SmsOutbox).where(SmsOutbox.provider_sid == sid)).one_or_none()
    if sms is None and recipient:
        sms = _awaiting_sid(session, recipient)
        if sms is not None:
            mark_sent(session, sms.id, "twilio", sid, now)  # only Twilio calls back
    if sms is None:
        return False
    ours = _DELIVERY.get(status.lower())
    if ours in (None, SENT, sms.status) or sms.status in (DELIVERED, UNDELIVERED):
        return True  # nothing new: an intermediate state, a repeat, or after the outcome
    sms.status, sms.updated_at = ours, now
    if ours == DELIVERED:
        sms.delivered_at = now
    else:
        sms.error_code = error_code
        sms.error = f"not delivered ({status})"
    for ticket in _tickets_of(session, sms):
        add_event(
            session,
            ticket,
            f"sms_{ours}",
            now,
            outbox_id=sms.id,
            to=mask_phone(sms.recipient),
            error_code=error_code,
        )
    session.commit()
    return True


def _awaiting_sid(session: Session, recipient: str) -> SmsOutbox | None:
    """The one SMS to ``recipient`` that was handed to the provider without its answer
    being recorded; None when there is none, or more than one (no guessing)."""
    found = session.scalars(
        select(SmsOutbox)
        .where(
            SmsOutbox.recipient == recipient,
            SmsOutbox.provider_sid.is_(None),
            SmsOutbox.status.in_((SENDING, QUEUED)),
            SmsOutbox.attempts >= 1,
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


# ------------------------------------------------------------------ the sweeper's view


def due_for_send(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    """Queued SMS whose attempt is due (lost jobs, retries)."""
    return list(
        session.scalars(
            select(SmsOutbox.id)
            .where(SmsOutbox.status == QUEUED, SmsOutbox.next_attempt_at <= now)
            .order_by(SmsOutbox.next_attempt_at)
            .limit(limit)
        )
    )


def stuck(session: Session, now: datetime, older_than: timedelta) -> list[SmsOutbox]:
    """SMS left "sending" by a worker that died during the request."""
    return list(
        session.scalars(
            select(SmsOutbox).where(
                SmsOutbox.status == SENDING, SmsOutbox.claimed_at < now - older_than
            )
        )
    )


def release(session: Session, outbox_id: int, now: datetime) -> None:
    """The provider has no trace of a stuck SMS: queue it again."""
    session.execute(
        update(SmsOutbox)
        .where(SmsOutbox.id == outbox_id, SmsOutbox.status == SENDING)
        .values(status=QUEUED, next_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def waiting_recipients(session: Session, now: datetime) -> list[str]:
    """Numbers with pages waiting whose window has opened (lost flush jobs)."""
    rows = session.execute(
        select(SmsPage.recipient)
        .outerjoin(SmsRecipient, SmsRecipient.phone == SmsPage.recipient)
        .where(
            SmsPage.status == "waiting",
            (SmsRecipient.next_allowed_at.is_(None)) | (SmsRecipient.next_allowed_at <= now),
        )
        .distinct()
    )
    return [str(phone) for (phone,) in rows]


def last_sent_to(session: Session, phone: str) -> SmsOutbox | None:
    """The latest SMS to this number: a bare "ACK" answers its tickets."""
    return session.scalars(
        select(SmsOutbox)
        .where(SmsOutbox.recipient == phone, SmsOutbox.status.in_((SENT, DELIVERED, SENDING)))
        .order_by(SmsOutbox.id.desc())
        .limit(1)
    ).one_or_none()


def listing(
    session: Session, *, status: str | None = None, offset: int = 0, limit: int = 50
) -> list[SmsOutbox]:
    query = select(SmsOutbox).order_by(SmsOutbox.id.desc()).offset(offset).limit(limit)
    if status is not None:
        query = query.where(SmsOutbox.status == status)
    return list(session.scalars(query))


def count(session: Session, *, status: str | None = None) -> int:
    """How many messages ``listing`` pages through."""
    query = select(func.count()).select_from(SmsOutbox)
    if status is not None:
        query = query.where(SmsOutbox.status == status)
    return int(session.scalar(query) or 0)


def queue_messages(
    session: Session, recipients: Iterable[str], body: str, now: datetime
) -> list[int]:
    """One message of ``body`` to each number, tied to no ticket, due now (committed): the
    desk's own alarms. Returns the outbox ids in the order of ``recipients``."""
    ids = []
    for phone in recipients:
        row = SmsOutbox(
            recipient=phone,
            body=body,
            ticket_ids=[],
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        ids.append(row.id)
    session.commit()
    return ids
