"""Handing a ticket to the vendor: the forwarded fault report, what it still lacks, and
the desk's own deadline to send it.

Vendors only honour fault reports that carry what their contract asks for (Pindena:
activity id, screenshot, reproducible; Sensio: configuration, logs, screenshots), and
Pindena's claim weakens if the desk reports later than the end of the following working
day. So the hand-off says what is missing *before* it is sent, and the deadline is data
in the catalog (``forward_by``), not a rule here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sla.contract import Contract
from sla.targets import compute_deadline
from sla.text import Template
from triage.shown_text import neutralise, neutralise_line

_IMAGE_NAME = re.compile(r"\.(png|jpe?g|gif|bmp|webp|heic)$", re.IGNORECASE)
_LOG_NAME = re.compile(r"\.(log|txt|zip|gz|json|xml|evtx)$", re.IGNORECASE)

# How to recognise each kind of required content: words in the catalog's requirement
# text -> evidence in the ticket text or attachments.
_DETECTORS: tuple[tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str] | None], ...] = (
    (
        re.compile(r"activity id|aktivitets?-?id", re.I),
        re.compile(r"(activity|aktivitets?)[\s-]*id\s*[:#=]?\s*\w*\d", re.I),
        None,
    ),
    (
        re.compile(r"screenshot|skjermbilde", re.I),
        re.compile(r"screenshot|skjermbilde|skjermdump", re.I),
        _IMAGE_NAME,
    ),
    (
        re.compile(r"reproduc|reprodus", re.I),
        re.compile(
            r"reproduc|reprodus|steps to|steg for|slik gjenskaper|every time|hver gang|gjenskap",
            re.I,
        ),
        None,
    ),
    (
        re.compile(r"configuration|konfigurasjon", re.I),
        re.compile(r"configuration|konfigurasjon|config|versjon|version", re.I),
        None,
    ),
    (re.compile(r"\blogs?\b|logg", re.I), re.compile(r"\blogs?\b|logg(fil)?", re.I), _LOG_NAME),
)


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str
    content_type: str


_NO_SUPPORT_EMAIL = Template(
    "handoff.no-support-email",
    "{vendor} has no support e-mail address in the catalog; forward by another channel",
)
_LACKS = Template("handoff.lacks", "the fault report lacks: {missing}")


@dataclass(frozen=True)
class HandoffCheck:
    missing: tuple[str, ...]
    forward_by: datetime | None
    forward_by_source: str | None
    notes: tuple[str, ...]


def missing_contents(
    required: Sequence[str], text: str, attachments: Sequence[AttachmentInfo]
) -> list[str]:
    """The required items the ticket shows no sign of. An item no detector understands is
    reported as missing: better a needless reminder than a rejected claim."""
    missing = []
    for item in required:
        found = False
        understood = False
        for topic, in_text, in_name in _DETECTORS:
            if not topic.search(item):
                continue
            understood = True
            by_file = in_name is not None and any(
                in_name.search(a.filename)
                or (in_name is _IMAGE_NAME and a.content_type.startswith("image/"))
                for a in attachments
            )
            found = found or bool(in_text.search(text)) or by_file
        if not (understood and found):
            missing.append(item)
    return missing


def check_handoff(
    contract: Contract, received: datetime, text: str, attachments: Sequence[AttachmentInfo]
) -> HandoffCheck:
    terms = contract.terms_at(received)
    missing = missing_contents(contract.fault_report_contents, text, attachments)
    forward_by = None
    source = None
    if terms.forward_by is not None:
        forward_by = compute_deadline(terms.forward_by.target, terms.calendar, received).due
        source = terms.forward_by.source
    notes = []
    if not contract.support_email:
        notes.append(_NO_SUPPORT_EMAIL(vendor=contract.vendor))
    if missing:
        notes.append(_LACKS(missing=", ".join(missing)))
    return HandoffCheck(tuple(missing), forward_by, source, tuple(notes))


def forward_message(
    *,
    ticket_id: int,
    contract: Contract,
    desk_address: str,
    subject: str,
    text: str,
    received: datetime,
    now: datetime,
    domain: str = "triage.invalid",
    message_id: str | None = None,
) -> EmailMessage:
    """The e-mail to the vendor. The "[#id]" tag in the subject and our Message-ID make the
    vendor's reply thread back into the ticket and record its first response.

    ``message_id``: the one the forward was queued with (it is rebuilt when it is sent,
    and every attempt must carry the id the ticket's thread key names); None: a new one."""
    if not contract.support_email:
        raise ValueError(f"contract {contract.id!r} has no support e-mail address")
    message = EmailMessage()
    message["From"] = desk_address
    message["To"] = contract.support_email
    message["Subject"] = f"[#{ticket_id}] {neutralise_line(subject)}"[:250]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(f"ticket{ticket_id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    body = (
        f"Fault report for {contract.service} ({contract.source}).\n"
        f"Our case: #{ticket_id}, received {received.isoformat()}.\n\n"
        f"{neutralise(text).strip()}\n"
    )
    message.set_content(body)
    return message
