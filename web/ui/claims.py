"""Managers' notices of breach (reklamasjoner): the list, the printable notice, sending.

The sweeper drafts a notice the minute a deadline on a contract with a penalty or credit
passes without response; the list drafts any that are missing as well when it is read, so
the page never waits for the sweeper. Sending goes to the vendor's support address over
``SMTP_URL``: from the notify queue when Redis is configured, else at once in the request;
without ``SMTP_URL`` the page answers 503 and says to print the notice instead.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from sla.local_time import OSLO
from triage.claim_notice import sanction_nb
from triage.store import claim_notices
from triage.store.ticket_actions import MAX_ID
from web.auth import role_required
from web.desk import desk
from web.i18n import vendor_document
from web.ui.blueprint import bp
from workers import enqueue
from workers.channels.smtp import send_email

#: A notice's state in the reader's language (the store keeps the codes).
STATUS_WORDS = {
    claim_notices.DRAFTED: _l("utkast"),
    claim_notices.QUEUED: _l("i kø for sending"),
    claim_notices.SENDING: _l("sendes"),
    claim_notices.SENT: _l("sendt"),
    claim_notices.FAILED: _l("sending feilet"),
}


def status_word(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def _list_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    app = desk()
    now = app.clock()
    with app.sessions() as session:
        claim_notices.draft_due(session, app.catalog, now)
        session.commit()
        notices = claim_notices.list_notices(session)
    today = now.astimezone(OSLO).date()
    rows = [
        (n, (n.claim_promptly_by - today).days if n.claim_promptly_by else None) for n in notices
    ]
    contracts = app.catalog.contracts
    page = render_template(
        "claims/notices.html",
        rows=rows,
        contracts=contracts,
        error=error,
        smtp=app.settings.smtp_url is not None,
        today=today,
        status_word=status_word,
    )
    return page, status


@bp.get("/claims")
@role_required("manager")
def claim_notices_page() -> Any:
    return _list_page()


@bp.get("/claims/<int:notice_id>")
@role_required("manager")
def claim_notice(notice_id: int) -> Any:
    app = desk()
    if not 0 < notice_id <= MAX_ID:
        abort(404, description=_("reklamasjon %(id)s finnes ikke", id=notice_id))
    with app.sessions() as session:
        notice = claim_notices.get_notice(session, notice_id)
    if notice is None:
        abort(404, description=_("reklamasjon %(id)s finnes ikke", id=notice_id))
    contract = app.catalog.get(notice.contract_id)
    terms = contract.terms_at(notice.received_at)
    now = app.clock()
    letter = vendor_document(
        "claims/_notice_body.html",
        notice=notice,
        contract=contract,
        sanction=sanction_nb(terms),
        customer=app.settings,
        today=now.astimezone(OSLO).date(),
        now=now,
    )
    return render_template(
        "claims/notice.html", notice=notice, letter_body=letter, status_word=status_word
    )


def _refusal(session: Session, notice_id: int, status: int) -> str:
    """Why ``request_send`` refused, in the reader's language: no such notice (404), or it
    is queued or sent already (409: the vendor gets one notice per breach)."""
    notice = claim_notices.get_notice(session, notice_id) if status == 409 else None
    if notice is None:
        return _("Reklamasjon %(id)s finnes ikke.", id=notice_id)
    return _(
        "Reklamasjon %(number)s er allerede %(status)s.",
        number=notice.number,
        status=status_word(notice.status),
    )


@bp.post("/claims/<int:notice_id>/send")
@role_required("manager")
def send_claim_notice(notice_id: int) -> Any:
    """Queue the notice for the notify queue, or send it now when there is no Redis."""
    app = desk()
    if not 0 < notice_id <= MAX_ID:
        abort(404, description=_("reklamasjon %(id)s finnes ikke", id=notice_id))
    smtp_url = app.settings.smtp_url
    if smtp_url is None:
        return _list_page(
            _(
                "Ikke sendt: SMTP_URL er ikke satt opp. Skriv ut reklamasjonen og send den på "
                "annen måte, eller sett SMTP_URL."
            ),
            503,
        )
    now = app.clock()
    with app.sessions() as session:
        try:
            claim_notices.request_send(session, notice_id, current_user.name, now)
        except claim_notices.NoticeError as exc:
            return _list_page(_refusal(session, notice_id, exc.status), exc.status)
        session.commit()
    redis_url = app.settings.redis_url
    if redis_url is not None:
        enqueue.send_claim_notice(redis_url, notice_id)
        flash(_("Reklamasjonen er lagt i kø og sendes til leverandøren straks."), "ok")
        return redirect(url_for("ui.claim_notices_page"), 303)

    def send(message: EmailMessage) -> None:
        try:
            send_email(smtp_url, message)
        except ValueError as exc:  # a malformed SMTP_URL
            raise smtplib.SMTPException(str(exc)) from None

    with app.sessions() as session:
        status = claim_notices.deliver(
            session,
            app.catalog,
            notice_id,
            now,
            customer=app.settings.customer,
            sender=app.settings.desk_address,
            send=send,
        )
        notice = claim_notices.get_notice(session, notice_id)
    if status != claim_notices.SENT:
        error = notice.error if notice is not None else None
        return _list_page(
            _(
                "Ikke sendt: %(error)s. Prøv igjen, eller skriv den ut.",
                error=error or status_word(status),
            ),
            503,
        )
    if notice is not None and notice.sent_to:
        flash(_("Reklamasjonen er sendt til %(to)s.", to=notice.sent_to), "ok")
    else:
        flash(_("Reklamasjonen er sendt til leverandøren."), "ok")
    return redirect(url_for("ui.claim_notices_page"), 303)
