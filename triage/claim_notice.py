"""Notices of breach (reklamasjon): what the desk drafts the day a guarantee is missed.

A claim is lost unless it is made in writing *without undue delay* (004 overarching
agreement §8.1), and Nettsoft's general terms give complaints about services at most
10 working days. Waiting for the quarter's claim letter wastes most of that time, so a
notice for the one ticket is drafted as soon as its deadline passes without response, on
every contract whose terms attach money to a missed promise (a penalty, or an
availability credit). This module decides which tickets get one, by when it must be sent
(the catalog's prompt-claim rule), what sanction it names, and writes the e-mail; the
store keeps the notices and the web and workers send them. Pure: no I/O, "now" is an
argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sla.claims import ClaimFrom, PromptClaim
from sla.contract import Contract, Terms
from sla.local_time import OSLO
from sla.periods import Period
from sla.targets import Outcome, judge
from triage.shown_text import neutralise_line

PENALTY, CREDIT = "penalty", "credit"
_SECTION = re.compile(r"§\s*([0-9][0-9.]*[0-9]|[0-9])")


def sanction_kind(terms: Terms) -> str | None:
    """``penalty`` when the terms deduct from the fee, ``credit`` when they credit the
    monthly fee for lost availability, None when a miss costs the vendor nothing (then
    no notice is drafted: Pindena §18 reports a miss without a price)."""
    if terms.penalty is not None:
        return PENALTY
    if terms.availability is not None and terms.availability.credit_tiers:
        return CREDIT
    return None


def claimable_contracts(contracts: Iterable[Contract]) -> list[str]:
    """Contracts with a penalty or a credit in some terms version: the ones to watch."""
    return sorted(c.id for c in contracts if any(sanction_kind(t) for t in c.terms))


def prompt_rule(terms: Terms) -> PromptClaim | None:
    """The prompt-claim rule a notice follows: the penalty's, else the credit's."""
    if terms.penalty is not None:
        return terms.penalty.prompt_claim
    if terms.availability is not None:
        return terms.availability.prompt_claim
    return None


def claim_promptly_by(terms: Terms, breach_day: date) -> date | None:
    """The date to send the notice by. A rule counted from the breach (Nettsoft §2: 10
    working days) counts from ``breach_day``; one counted from the period's end (the
    month's credit) from the last day of the breach's month."""
    rule = prompt_rule(terms)
    if rule is None:
        return None
    if rule.counts_from is ClaimFrom.PERIOD_END:
        return rule.due(Period.containing(breach_day, 1).last_day)
    return rule.due(breach_day)


@dataclass(frozen=True)
class Draft:
    """What the store records when a notice is drafted."""

    ticket_id: int
    contract_id: str
    kind: str
    breach_on: date
    due_at: datetime
    claim_promptly_by: date | None


def draft_for(
    contract: Contract,
    ticket_id: int,
    received_at: datetime,
    due_at: datetime | None,
    responded_at: datetime | None,
    now: datetime,
) -> Draft | None:
    """A notice for the ticket when its deadline has passed without response (or the
    response came late) under terms with a sanction; None otherwise."""
    if due_at is None or judge(due_at, responded_at, now) is not Outcome.BREACHED:
        return None
    terms = contract.terms_at(received_at)
    kind = sanction_kind(terms)
    if kind is None:
        return None
    breach_on = due_at.astimezone(terms.calendar.zone).date()
    return Draft(
        ticket_id, contract.id, kind, breach_on, due_at, claim_promptly_by(terms, breach_on)
    )


def section_number(source: str) -> str | None:
    """``"004 overarching agreement §8.5"`` → ``"8.5"``; None when it names no section."""
    match = _SECTION.search(source)
    return match.group(1) if match else None


def section_of(source: str) -> str:
    """``"004 overarching agreement §8.5"`` → ``"punkt 8.5"``; the source itself when it
    names no section."""
    section = section_number(source)
    return f"punkt {section}" if section else source


#: The catalog's English names of the agreements' parts, as a Norwegian letter cites them.
_SOURCE_WORDS_NB = (
    # the prompt-claim clause the catalog paraphrases (CONTRACTS.md, Nettsoft's terms)
    (
        "complaints about services in writing as soon as possible and no later than "
        "10 working days after the work",
        "reklamasjon på tjenester skriftlig snarest mulig og senest 10 virkedager etter arbeidet",
    ),
    ("without undue delay", "uten ugrunnet opphold"),
    ("overarching agreement", "overordnet avtale"),
    ("overarching", "overordnet avtale"),
    ("general terms", "generelle vilkår"),
)


def source_nb(source: str) -> str:
    """A catalog source as a letter to the vendor cites it: ``"004 overarching agreement
    §8.5"`` → ``"004 overordnet avtale §8.5"`` (the catalog writes its sources in English)."""
    for english, norwegian in _SOURCE_WORDS_NB:
        source = source.replace(english, norwegian)
    return source


def exclusive_remedy_nb(terms: Terms) -> str | None:
    """The catalog's exclusive-remedy clause, in the vendor's language."""
    availability = terms.availability
    if availability is None or not availability.exclusive_remedy:
        return None
    return (
        "Kreditten på månedsavgiften er eneste sanksjon for redusert tjenestenivå, "
        f"jf. overordnet avtale {section_of(availability.exclusive_remedy)}."
    )


def sanction_nb(terms: Terms) -> str:
    """The sanction the notice names, in Norwegian (a preliminary statement: the amount is
    settled by the quarter's or the month's claim)."""
    if terms.penalty is not None:
        rule = terms.penalty
        pct = rule.deduction_pct.normalize()
        return (
            f"Etter avtalen ({rule.source}) gir brudd på garantien {pct:f} % fratrekk på "
            "kostnaden ved avtalen ved neste faktureringspunkt. Vi krever dette fratrekket; "
            "beløpet fremgår av kravet for perioden."
        )
    availability = terms.availability
    assert availability is not None
    text = (
        f"Etter avtalen ({availability.source}) gir oppetid under "
        f"{availability.guarantee_pct.normalize():f} % i måneden kreditt på månedsavgiften. "
        "Vi forbeholder oss kreditt for måneden; beløpet fremgår av månedens krav."
    )
    remedy = exclusive_remedy_nb(terms)
    return f"{text} {remedy}" if remedy else text


@dataclass(frozen=True)
class NoticeText:
    """The notice as the vendor reads it: subject and plain-text body."""

    subject: str
    body: str


def _when(instant: datetime | None) -> str:
    return "–" if instant is None else instant.astimezone(OSLO).strftime("%d.%m.%Y kl. %H:%M")


def notice_text(
    *,
    number: str,
    contract: Contract,
    ticket_id: int,
    subject: str,
    received_at: datetime,
    due_at: datetime,
    responded_at: datetime | None,
    claim_by: date | None,
    customer: Mapping[str, str],
    today: date,
    signer: str,
) -> NoticeText:
    """The notice in Norwegian, the same words on paper and in the e-mail."""
    terms = contract.terms_at(received_at)
    response = (
        _when(responded_at)
        if responded_at is not None
        else f"ingen respons per {today.strftime('%d.%m.%Y')}"
    )
    sender = [customer.get("customer_name") or "[Kundens navn: sett TRIAGE_CUSTOMER_NAME]"]
    if customer.get("customer_orgnr"):
        sender.append(f"Org.nr. {customer['customer_orgnr']}")
    if customer.get("customer_address"):
        sender.append(customer["customer_address"])
    if customer.get("customer_contact"):
        sender.append(f"Kontaktperson: {customer['customer_contact']}")
    deadline = f" innen {claim_by.strftime('%d.%m.%Y')}" if claim_by else ""
    lines = [
        *sender,
        "",
        f"Til: {contract.vendor}",
        f"Dato: {today.strftime('%d.%m.%Y')}",
        f"Reklamasjon nr. {number}",
        "",
        f"Reklamasjon – brudd på responstidsgaranti, {contract.service}, sak #{ticket_id}",
        "",
        f"Vi viser til avtalen «{contract.service}», avtalereferanse {contract.source}, og "
        "reklamerer med dette skriftlig over mislighold av avtalens responstidsgaranti.",
        "",
        f"Sak: #{ticket_id} {neutralise_line(subject)}".rstrip(),
        f"Mottatt: {_when(received_at)}",
        f"Frist etter avtalen: {_when(due_at)}",
        f"Respons: {response}",
        "",
        f"Sanksjon: {sanction_nb(terms)}",
        "",
        f"Reklamasjonen fremsettes skriftlig uten ugrunnet opphold{deadline}, "
        "jf. overordnet avtale punkt 8.1.",
        "",
        "Med vennlig hilsen",
        signer,
        *([customer["customer_name"]] if customer.get("customer_name") else []),
    ]
    return NoticeText(
        subject=f"Reklamasjon nr. {number}: {contract.service}, sak #{ticket_id}",
        body="\n".join(lines) + "\n",
    )


def notice_email(
    text: NoticeText, *, to: str, sender: str, now: datetime, ticket_id: int
) -> EmailMessage:
    """The notice as an e-mail to the vendor's support address; the "[#id]" tag lets the
    vendor's answer thread back to the ticket like any reply."""
    message = EmailMessage()
    message["Subject"] = f"[#{ticket_id}] {text.subject}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text.body)
    return message


def notice_number(notice_id: int, drafted_at: datetime) -> str:
    """``R-2026-0042``: the number a claim letter cites (the year it was drafted, in
    Norway)."""
    return f"R-{drafted_at.astimezone(OSLO).year}-{notice_id:04d}"


@dataclass(frozen=True)
class CapLine:
    """What was claimed from a contract in a year against the most it lets us claim."""

    year: int
    claimed: Decimal
    cap: Decimal | None  # None = the catalog does not know the figure ("ukjent")
    source: str

    @property
    def over(self) -> bool:
        return self.cap is not None and self.claimed > self.cap


def cap_lines(contract: Contract, claimed: Mapping[int, Decimal]) -> list[CapLine]:
    """Per year, the total claimed and the contract's liability cap. A cap in months of
    the fee uses the fee in force at the year's end at the catalog's active users
    (the annual fee, §8.5); a contract without a fee or amount in the catalog says
    None, shown as "ukjent"."""
    cap = contract.liability_cap
    lines = []
    for year in sorted(claimed):
        limit: Decimal | None = None
        if cap is not None:
            fee = None
            try:
                fee = contract.terms_at_date(date(year, 12, 31)).fee
            except ValueError:
                fee = None
            monthly = fee.base_monthly + fee.per_user_monthly * fee.default_users if fee else None
            limit = cap.limit(monthly)
        lines.append(CapLine(year, claimed[year], limit, cap.source if cap else ""))
    return lines
