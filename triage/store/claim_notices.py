"""Notices of breach in the database: drafted when a deadline passes, sent on request.

``draft_due`` finds the tickets whose deadline passed without response (or whose response
came late) on contracts with a penalty or credit and that have no notice yet, and drafts
one each (``triage.claim_notice.draft_for``). The sweeper calls it every minute and the
managers' page on every read, so a notice exists the day of the breach whether or not
anyone looks; the unique ticket id makes a second drafter (two sweepers, a page read at
the same moment) a no-op.

Sending is two steps so it can leave from the notify queue: ``request_send`` marks the
notice queued (a conditional update: one request wins), ``deliver`` claims it, sends the
e-mail and records the message on the notice and an event on the ticket.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.local_time import OSLO
from triage.claim_notice import claimable_contracts, draft_for, notice_email, notice_number
from triage.claim_notice import notice_text as compose_text
from triage.store.models import ChannelMessage, ClaimNotice, Ticket
from triage.store.tickets import add_event

DRAFTED, QUEUED, SENDING, SENT, FAILED = "drafted", "queued", "sending", "sent", "failed"
LOOKBACK = timedelta(days=400)  # the outer claim limit (12 months) and a margin
STATUS_NB = {
    DRAFTED: "utkast",
    QUEUED: "i kø for sending",
    SENDING: "sendes",
    SENT: "sendt",
    FAILED: "sending feilet",
}


class NoticeError(Exception):
    """A notice cannot be sent as asked; the message says why (Norwegian, for the page)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class NoticeView:
    """A notice with the ticket facts a list or a letter shows."""

    id: int
    number: str
    ticket_id: int
    contract_id: str
    kind: str
    status: str
    breach_on: date
    claim_promptly_by: date | None
    drafted_at: datetime
    sent_at: datetime | None
    sent_to: str | None
    error: str | None
    message: str | None
    subject: str
    received_at: datetime
    due_at: datetime
    responded_at: datetime | None

    @property
    def status_nb(self) -> str:
        return STATUS_NB.get(self.status, self.status)


def draft_due(session: Session, catalog: Catalog, now: datetime) -> list[int]:
    """Draft the missing notices (the caller commits); the new notices' ids."""
    watched = claimable_contracts(catalog.contracts.values())
    if not watched:
        return []
    has_notice = exists().where(ClaimNotice.ticket_id == Ticket.id)
    rows = session.execute(
        select(
            Ticket.id, Ticket.contract_id, Ticket.received_at, Ticket.due_at, Ticket.responded_at
        )
        .where(
            Ticket.contract_id.in_(watched),
            Ticket.received_at >= now - LOOKBACK,
            Ticket.due_at.is_not(None),
            Ticket.due_at < now,
            or_(Ticket.responded_at.is_(None), Ticket.responded_at > Ticket.due_at),
            ~has_notice,
        )
        .order_by(Ticket.due_at, Ticket.id)
    ).all()
    drafted = []
    for ticket_id, contract_id, received_at, due_at, responded_at in rows:
        draft = draft_for(
            catalog.get(str(contract_id)), ticket_id, received_at, due_at, responded_at, now
        )
        if draft is None:
            continue
        try:
            with session.begin_nested():
                notice = ClaimNotice(
                    ticket_id=draft.ticket_id,
                    contract_id=draft.contract_id,
                    kind=draft.kind,
                    breach_on=draft.breach_on,
                    due_at=draft.due_at,
                    claim_promptly_by=draft.claim_promptly_by,
                    status=DRAFTED,
                    drafted_at=now,
                )
                session.add(notice)
                session.flush()
                ticket = session.get(Ticket, ticket_id)
                assert ticket is not None
                add_event(
                    session,
                    ticket,
                    "claim_notice_drafted",
                    now,
                    notice=notice_number(notice.id, now),
                    claim_promptly_by=draft.claim_promptly_by.isoformat()
                    if draft.claim_promptly_by
                    else None,
                )
                session.flush()
        except IntegrityError:  # another drafter was first
            continue
        drafted.append(notice.id)
    return drafted


def _views(session: Session, *where: object, limit: int | None = None) -> list[NoticeView]:
    query = (
        select(ClaimNotice, Ticket.subject, Ticket.received_at, Ticket.responded_at)
        .join(Ticket, Ticket.id == ClaimNotice.ticket_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(ClaimNotice.breach_on.desc(), ClaimNotice.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        NoticeView(
            id=n.id,
            number=notice_number(n.id, n.drafted_at),
            ticket_id=n.ticket_id,
            contract_id=n.contract_id,
            kind=n.kind,
            status=n.status,
            breach_on=n.breach_on,
            claim_promptly_by=n.claim_promptly_by,
            drafted_at=n.drafted_at,
            sent_at=n.sent_at,
            sent_to=n.sent_to,
            error=n.error,
            message=n.message,
            subject=subject,
            received_at=received_at,
            due_at=n.due_at,
            responded_at=responded_at,
        )
        for n, subject, received_at, responded_at in session.execute(query).all()
    ]


def list_notices(session: Session, limit: int = 500) -> list[NoticeView]:
    """The latest notices, newest breach first."""
    return _views(session, limit=limit)


def get_notice(session: Session, notice_id: int) -> NoticeView | None:
    found = _views(session, ClaimNotice.id == notice_id)
    return found[0] if found else None


def sent_for_tickets(session: Session, ticket_ids: Iterable[int]) -> list[NoticeView]:
    """The notices already sent about these tickets (the quarter's penalty claim)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    return sorted(
        _views(session, ClaimNotice.ticket_id.in_(ids), ClaimNotice.status == SENT),
        key=lambda n: n.id,
    )


def sent_between(session: Session, contract_id: str, first: date, last: date) -> list[NoticeView]:
    """The notices sent about the contract's breaches on ``first``..``last`` (the month's
    credit claim)."""
    return sorted(
        _views(
            session,
            ClaimNotice.contract_id == contract_id,
            ClaimNotice.breach_on >= first,
            ClaimNotice.breach_on <= last,
            ClaimNotice.status == SENT,
        ),
        key=lambda n: n.id,
    )


def request_send(session: Session, notice_id: int, actor: str, now: datetime) -> None:
    """Queue the notice for sending (the caller commits). Refused when it is already
    queued or sent: the vendor gets one notice per breach."""
    notice = session.get(ClaimNotice, notice_id)
    if notice is None:
        raise NoticeError(f"reklamasjon {notice_id} finnes ikke", 404)
    result = session.execute(
        update(ClaimNotice)
        .where(ClaimNotice.id == notice_id, ClaimNotice.status.in_((DRAFTED, FAILED)))
        .values(status=QUEUED, requested_by=actor, requested_at=now, error=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NoticeError(
            f"reklamasjon {notice_number(notice.id, notice.drafted_at)} er allerede "
            f"{STATUS_NB.get(notice.status, notice.status)}",
            409,
        )


def stuck_queued(session: Session, before: datetime) -> list[int]:
    """Queued notices whose job never ran (a lost Redis): the sweeper sends them."""
    return list(
        session.scalars(
            select(ClaimNotice.id).where(
                ClaimNotice.status == QUEUED, ClaimNotice.requested_at < before
            )
        )
    )


def deliver(
    session: Session,
    catalog: Catalog,
    notice_id: int,
    now: datetime,
    *,
    customer: Mapping[str, str],
    sender: str,
    send: Callable[[EmailMessage], None],
) -> str:
    """Send a queued notice and record it; returns the notice's status afterwards.

    The claim (queued -> sending) is committed before the e-mail leaves, so a second
    worker does not send it again; a failure is recorded as ``failed`` with the error, and
    a manager can send it again.
    """
    claimed = session.execute(
        update(ClaimNotice)
        .where(ClaimNotice.id == notice_id, ClaimNotice.status == QUEUED)
        .values(status=SENDING)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        notice = session.get(ClaimNotice, notice_id)
        return notice.status if notice is not None else "missing"
    notice = session.get(ClaimNotice, notice_id)
    assert notice is not None
    ticket = session.get(Ticket, notice.ticket_id)
    assert ticket is not None
    contract = catalog.get(notice.contract_id)
    number = notice_number(notice.id, notice.drafted_at)
    if not contract.support_email:
        return _failed(session, notice, f"{contract.vendor} har ingen e-postadresse i katalogen")
    text = compose_text(
        number=number,
        contract=contract,
        ticket_id=ticket.id,
        subject=ticket.subject,
        received_at=ticket.received_at,
        due_at=notice.due_at,
        responded_at=ticket.responded_at,
        claim_by=notice.claim_promptly_by,
        customer=customer,
        today=now.astimezone(OSLO).date(),
        signer=notice.requested_by or "",
    )
    message = notice_email(
        text, to=contract.support_email, sender=sender, now=now, ticket_id=ticket.id
    )
    try:
        send(message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        return _failed(session, notice, f"{type(exc).__name__}: {exc}")
    message_id = str(message["Message-ID"])
    notice.status, notice.sent_at, notice.sent_to = SENT, now, contract.support_email
    notice.message_id, notice.message, notice.error = message_id, message.as_string(), None
    session.add(
        ChannelMessage(channel="email", key=message_id, ticket_id=ticket.id, created_at=now)
    )
    add_event(
        session,
        ticket,
        "claim_notice_sent",
        now,
        notice.requested_by or "system",
        notice=number,
        to=contract.support_email,
        message_id=message_id,
    )
    session.commit()
    return SENT


def _failed(session: Session, notice: ClaimNotice, error: str) -> str:
    notice.status, notice.error = FAILED, error[:2000]
    session.commit()
    return FAILED


def numbers_of(notices: Sequence[NoticeView]) -> str:
    """``R-2026-0001 (sendt 03.02.2026), ...`` for a letter's reference line."""
    return ", ".join(
        f"{n.number} (sendt {n.sent_at.astimezone(OSLO).strftime('%d.%m.%Y')})"
        if n.sent_at
        else n.number
        for n in notices
    )
