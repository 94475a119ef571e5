"""Tie a ticket to the contract that covers it, or leave it unrouted with the reason.

Evidence, strongest first: the address the ticket was sent to (a contract-specific
mailbox), the sender's domain (a vendor writing back), service keywords in the subject
and body. A tie or no evidence leaves the ticket *unrouted*: no SLA clock runs until an
agent picks a contract, because a clock on the wrong contract is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from sla.contract import Contract

ADDRESS_SCORE = 100
DOMAIN_SCORE = 50
SUBJECT_KEYWORD_SCORE = 4
BODY_KEYWORD_SCORE = 2
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Route:
    contract_id: str | None
    reasons: tuple[str, ...]


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Whole words; a keyword of five letters or more also matches its inflected forms
    ("sentralbord" in "sentralbordet", "server" in "serverne"), short ones ("mbn") do not."""
    suffix = r"\w{0,4}" if len(keyword) >= 5 else ""
    return re.compile(r"(?<![\w-])" + re.escape(keyword) + suffix + r"(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=1024)
def _any_keyword(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """A screen for ``keywords``: one search instead of one per keyword, for the common
    text that names none of a contract's services. Each keyword's own pattern matches only
    where the keyword itself does (same text, same case-insensitivity), and this
    alternation matches at every such place, so a text it finds nothing in has no hit:
    skipping the keywords then changes nothing."""
    return re.compile("|".join(re.escape(kw) for kw in keywords), re.IGNORECASE)


def _keyword_hits(keywords: tuple[str, ...], text: str) -> list[tuple[int, int, str]]:
    if not keywords or _any_keyword(keywords).search(text) is None:
        return []
    return [
        (m.start(), m.end(), kw) for kw in keywords for m in _keyword_pattern(kw).finditer(text)
    ]


def _drop_contained(hits: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """A keyword inside a longer matched keyword ("server" in "terminal server") is not
    evidence of its own: the longer, more specific phrase wins."""
    return [
        h
        for h in hits
        if not any(
            o is not h and o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
            for o in hits
        )
    ]


def route(
    contracts: Mapping[str, Contract],
    *,
    subject: str = "",
    body: str = "",
    recipients: Iterable[str] = (),
    sender: str | None = None,
) -> Route:
    recipient_set = {r.strip().lower() for r in recipients}
    sender_domain = sender.rsplit("@", 1)[-1].strip().lower() if sender and "@" in sender else None
    subject_text, body_text = subject[:MAX_TEXT], body[:MAX_TEXT]
    scores: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}

    def credit(cid: str, points: int, why: str) -> None:
        scores[cid] = scores.get(cid, 0) + points
        evidence.setdefault(cid, []).append(why)

    for cid, contract in contracts.items():
        for address in contract.recognition.addresses:
            if address in recipient_set:
                credit(cid, ADDRESS_SCORE, f"sent to {address}")
        if sender_domain and sender_domain in contract.recognition.sender_domains:
            credit(cid, DOMAIN_SCORE, f"sender domain {sender_domain}")
    for text, points, where in (
        (subject_text, SUBJECT_KEYWORD_SCORE, "subject"),
        (body_text, BODY_KEYWORD_SCORE, "text"),
    ):
        hits = [
            (start, end, kw, cid)
            for cid, contract in contracts.items()
            for start, end, kw in _keyword_hits(contract.recognition.keywords, text)
        ]
        seen: set[tuple[str, str]] = set()
        for _start, _end, kw, cid in _drop_contained(hits):
            if (cid, kw) not in seen:
                seen.add((cid, kw))
                credit(cid, points, f"'{kw}' in the {where}")
    if not scores:
        return Route(
            None, ("unrouted: no contract's addresses, domains or service keywords match",)
        )
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, best_score = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == best_score:
        tied = ", ".join(cid for cid, score in ranked if score == best_score)
        return Route(None, (f"unrouted: ambiguous between {tied}; an agent picks the contract",))
    return Route(best, (f"routed to {best}: " + "; ".join(evidence[best]),))
