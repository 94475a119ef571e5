"""The vendor-forward outbox: the fault report to the vendor's support address, written
as a row before it is sent, sent once, retried, and shown with its state.

The agent's request (``ticket_actions.forward_to_vendor``) writes the row, the thread key
and a ``forward_queued`` event in one transaction (``add``) and leaves; the notify queue
(``workers.jobs.vendor_forward``), or the request itself when there is no Redis, calls
``deliver``: ``claim`` marks the row "sending" with a conditional UPDATE that it commits
before the e-mail leaves, so a second job, a retry or the sweeper never sends it again.
The outcome is a ``forwarded`` event (the vendor has the report: what the vendor-reply
check of issue 15 and the forward-by obligation read), a next attempt after ``BACKOFF``,
or ``failed`` with a ``forward_failed`` event and the error, which an agent may queue
again (``requeue``).

A worker that stops between the claim and the outcome leaves the row "sending": whether
the mail server took the message cannot be asked afterwards, so the sweeper marks it
failed saying so (``abandon``) and never sends it by itself; the agent decides.

Events: "forward_queued" when asked, "forwarded" when the mail server accepted it. The
old single "forwarded" event written in the request would now claim a hand-off that has
not happened (and may never: the server can be down for the whole retry period).
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.local_time import OSLO
from triage.handoff import forward_message
from triage.store import outbox
from triage.store.models import ChannelMessage, Ticket, VendorForward
from triage.store.tickets import add_event

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
#: ``deliver``'s answer when its attempt failed and the row waits for the next one.
RETRY = "retry"
ACTIVE = (QUEUED, SENDING)
#: Waits before attempt 2, 3, ...: a blip first, then a mail server being restarted or
#: moved. The job's RQ ``Retry`` is built from the same waits (``workers.enqueue``).
BACKOFF = (
    timedelta(seconds=15),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: RQ's scheduler may run a job up to a second early (DESIGN.md): a retry that early is
#: still its attempt.
EARLY = timedelta(seconds=2)
ABANDONED = (
    "the worker stopped while sending: the vendor may or may not have received it; "
    "check before sending it again"
)


def _shown(instant: datetime | None) -> str | None:
    """A time in an event: Europe/Oslo with its offset, as the API writes times."""
    return instant.astimezone(OSLO).isoformat() if instant is not None else None


def active_for(session: Session, ticket_id: int) -> VendorForward | None:
    """The ticket's forward that is queued or being sent, if any."""
    return session.scalars(
        select(VendorForward)
        .where(VendorForward.ticket_id == ticket_id, VendorForward.status.in_(ACTIVE))
        .limit(1)
    ).one_or_none()


def get_forward(session: Session, forward_id: int) -> VendorForward | None:
    return session.get(VendorForward, forward_id, populate_existing=True)


def of_ticket(session: Session, ticket_id: int) -> list[VendorForward]:
    """The ticket's forwards, oldest first (the page and the API show their state)."""
    return list(
        session.scalars(
            select(VendorForward)
            .where(VendorForward.ticket_id == ticket_id)
            .order_by(VendorForward.id)
        )
    )


def add(
    session: Session,
    ticket: Ticket,
    message: EmailMessage,
    *,
    missing: Sequence[str],
    forward_by: datetime | None,
    actor: str,
    now: datetime,
) -> VendorForward:
    """Queue ``message`` (as ``forward_message`` built it) for sending: the row, its
    Message-ID as the ticket's thread key, and a ``forward_queued`` event. The caller
    commits, so all three exist or none does."""
    message_id = str(message["Message-ID"])
    row = VendorForward(
        ticket_id=ticket.id,
        message_id=message_id,
        to_address=str(message["To"]),
        from_address=str(message["From"]),
        status=QUEUED,
        attempts=0,
        missing=list(missing),
        forward_by=forward_by,
        requested_by=actor,
        requested_at=now,
        next_attempt_at=now,
        updated_at=now,
    )
    session.add(row)
    # The thread key now, not when sent: a reply to a send whose outcome was lost (a
    # worker stopped while sending) still threads into the ticket.
    session.add(
        ChannelMessage(channel="email", key=message_id, ticket_id=ticket.id, created_at=now)
    )
    session.flush()
    _queued_event(session, ticket, row, actor, now, missing=list(missing))
    return row


def requeue(session: Session, ticket: Ticket, forward_id: int, actor: str, now: datetime) -> bool:
    """Queue a failed forward again (an agent's "try again"), with the same Message-ID and
    a fresh set of attempts; False when it is not this ticket's failed forward. The caller
    commits."""
    result = session.execute(
        update(VendorForward)
        .where(
            VendorForward.id == forward_id,
            VendorForward.ticket_id == ticket.id,
            VendorForward.status == FAILED,
        )
        .values(status=QUEUED, attempts=0, next_attempt_at=now, requested_by=actor, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    row = session.get(VendorForward, forward_id, populate_existing=True)
    assert row is not None
    _queued_event(session, ticket, row, actor, now, again=True, last_error=row.error)
    return True


def _queued_event(
    session: Session, ticket: Ticket, row: VendorForward, actor: str, now: datetime, **extra: Any
) -> None:
    add_event(
        session,
        ticket,
        "forward_queued",
        now,
        actor,
        forward=row.id,
        to=row.to_address,
        message_id=row.message_id,
        forward_by=_shown(row.forward_by),
        **extra,
    )


def claim(session: Session, forward_id: int, now: datetime) -> VendorForward | None:
    """Own one attempt at sending this forward (``outbox.claim``), or None if it is not
    due or another sender has it; committed before anything leaves."""
    return outbox.claim(session, VendorForward, forward_id, now, EARLY)


def deliver(
    session: Session,
    catalog: Catalog,
    forward_id: int,
    now: datetime,
    *,
    send: Callable[[EmailMessage], None],
    retry: bool = True,
) -> str:
    """One attempt at sending a queued forward: ``sent``, ``retry`` (this attempt failed;
    the row is queued for the next at ``next_attempt_at``), ``failed``; or, when there
    was nothing to attempt, the row's status (queued but not due, or another sender's
    outcome; ``missing`` for no such row).

    ``retry=False`` (the request without a queue, whose agent is waiting for the answer):
    a failure is final at once, and the agent may queue it again.
    """
    row = claim(session, forward_id, now)
    if row is None:
        current = session.get(VendorForward, forward_id, populate_existing=True)
        return current.status if current is not None else "missing"
    ticket = session.get(Ticket, row.ticket_id)
    assert ticket is not None  # the row goes with its ticket (ON DELETE CASCADE)
    contract = catalog.contracts.get(ticket.contract_id or "")
    if contract is None or not contract.support_email:
        return _fail(session, row, ticket, "the ticket's contract has no support e-mail", now)
    message = forward_message(
        ticket_id=ticket.id,
        contract=contract,
        desk_address=row.from_address,
        subject=ticket.subject,
        text=ticket.body,
        received=ticket.received_at,
        now=now,
        message_id=row.message_id,
    )
    try:
        send(message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if not retry or _permanent(exc) or row.attempts >= MAX_ATTEMPTS:
            return _fail(session, row, ticket, error, now)
        row.status, row.error, row.updated_at = QUEUED, error, now
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]
        session.commit()
        return RETRY
    row.status, row.sent_at, row.updated_at = SENT, now, now
    row.to_address, row.error = contract.support_email, None
    add_event(
        session,
        ticket,
        "forwarded",
        now,
        row.requested_by,
        forward=row.id,
        to=row.to_address,
        message_id=row.message_id,
        missing=list(row.missing or ()),
        forward_by=_shown(row.forward_by),
        late=row.forward_by is not None and now > row.forward_by,
        attempts=row.attempts,
    )
    session.commit()
    return SENT


def _permanent(exc: Exception) -> bool:
    """No later attempt can succeed: a malformed ``SMTP_URL`` (the operator's to mend),
    or the server's 5xx refusal of the message."""
    if isinstance(exc, ValueError):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _fail(session: Session, row: VendorForward, ticket: Ticket, error: str, now: datetime) -> str:
    row.status, row.error, row.updated_at = FAILED, error, now
    add_event(
        session,
        ticket,
        "forward_failed",
        now,
        forward=row.id,
        to=row.to_address,
        message_id=row.message_id,
        attempts=row.attempts,
        error=error,
    )
    session.commit()
    return FAILED


# ------------------------------------------------------------------ the sweeper's view


def due_again(session: Session, now: datetime, late_by: timedelta) -> list[int]:
    """Queued forwards whose attempt is overdue by ``late_by``: their job was lost (a
    flushed Redis, a request that ended before it enqueued)."""
    return list(
        session.scalars(
            select(VendorForward.id)
            .where(
                VendorForward.status == QUEUED,
                VendorForward.next_attempt_at < now - late_by,
            )
            .order_by(VendorForward.next_attempt_at)
        )
    )


def abandon_stuck(session: Session, now: datetime, older_than: timedelta) -> list[int]:
    """Forwards left "sending" longer than any attempt takes: failed, saying the vendor
    may have it (``ABANDONED``), each with a conditional UPDATE (a sender finishing at
    that moment keeps its outcome). Commits; the ids failed."""
    stuck = session.scalars(
        select(VendorForward.id).where(
            VendorForward.status == SENDING, VendorForward.claimed_at < now - older_than
        )
    ).all()
    failed = []
    for forward_id in stuck:
        result = session.execute(
            update(VendorForward)
            .where(VendorForward.id == forward_id, VendorForward.status == SENDING)
            .values(status=FAILED, error=ABANDONED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            continue
        row = session.get(VendorForward, forward_id, populate_existing=True)
        assert row is not None
        ticket = session.get(Ticket, row.ticket_id)
        assert ticket is not None
        _fail(session, row, ticket, ABANDONED, now)
        failed.append(forward_id)
    return failed
