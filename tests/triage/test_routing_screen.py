"""Routing's keyword screen (``routing._any_keyword``) changes no route: ``route`` gives
what it gave before the screen, which ran every keyword's pattern on every text (kept
here as the reference), on texts built from the catalog's own keywords in any case,
inflected, hyphenated, glued together and mixed with letters whose case folding is
unusual."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.catalog import load_catalog
from sla.contract import Contract
from triage import routing
from triage.routing import Route, route

CONTRACTS = load_catalog().contracts
KEYWORDS = sorted({kw for c in CONTRACTS.values() for kw in c.recognition.keywords})
DOMAINS = sorted({d for c in CONTRACTS.values() for d in c.recognition.sender_domains})
ODD = ["ſ", "K", "İ", "ı", "ß", "ẞ", "Å", "æ", "Ø", "-", "_", " ", "\n", "é", "ﬀ", "Σ", "ς"]


def _reference_hits(keywords: Iterable[str], text: str) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), kw)
        for kw in keywords
        for m in routing._keyword_pattern(kw).finditer(text)
    ]


def _reference_route(
    contracts: Mapping[str, Contract], *, subject: str, body: str, sender: str | None
) -> Route:
    """``route`` as it was before the screen (no recipients: the screen does not touch them)."""
    sender_domain = sender.rsplit("@", 1)[-1].strip().lower() if sender and "@" in sender else None
    scores: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}

    def credit(cid: str, points: int, why: str) -> None:
        scores[cid] = scores.get(cid, 0) + points
        evidence.setdefault(cid, []).append(why)

    for cid, contract in contracts.items():
        if sender_domain and sender_domain in contract.recognition.sender_domains:
            credit(cid, routing.DOMAIN_SCORE, f"sender domain {sender_domain}")
    for text, points, where in (
        (subject[: routing.MAX_TEXT], routing.SUBJECT_KEYWORD_SCORE, "subject"),
        (body[: routing.MAX_TEXT], routing.BODY_KEYWORD_SCORE, "text"),
    ):
        hits = [
            (start, end, kw, cid)
            for cid, contract in contracts.items()
            for start, end, kw in _reference_hits(contract.recognition.keywords, text)
        ]
        seen: set[tuple[str, str]] = set()
        for _start, _end, kw, cid in routing._drop_contained(hits):
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


_CASES = st.sampled_from([str, str.upper, str.title, str.swapcase, str.capitalize])
_KEYWORD = st.builds(
    lambda kw, case, suffix: case(kw) + suffix,
    st.sampled_from(KEYWORDS),
    _CASES,
    st.sampled_from(["", "", "et", "ene", "s", "-", "x", "erne", "12345", "ſ"]),
)
_PIECE = st.one_of(
    _KEYWORD,
    st.sampled_from(ODD),
    st.sampled_from([" ", "  ", ", ", ". ", "\n", "-", "/", "(", ")"]),
    st.text(max_size=6),
)
_TEXT = st.lists(_PIECE, max_size=14).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=_TEXT,
    body=_TEXT,
    sender=st.one_of(st.none(), st.sampled_from(DOMAINS).map(lambda d: f"ola@{d}")),
)
def test_the_screen_changes_no_route(subject: str, body: str, sender: str | None) -> None:
    expected = _reference_route(CONTRACTS, subject=subject, body=body, sender=sender)
    assert route(CONTRACTS, subject=subject, body=body, sender=sender) == expected


@given(text=_TEXT)
def test_a_text_the_screen_passes_over_has_no_keyword(text: str) -> None:
    for contract in CONTRACTS.values():
        keywords = contract.recognition.keywords
        if keywords and routing._any_keyword(keywords).search(text) is None:
            assert _reference_hits(keywords, text) == []


def test_the_screen_does_not_hide_a_keyword_the_contract_names() -> None:
    """Fixed cases: an inflected keyword, a hyphenated and a capitalised one."""
    for text in ("Sentralbordet er nede", "TERMINALSERVER henger", "vps-access feiler"):
        expected = _reference_route(CONTRACTS, subject="", body=text, sender=None)
        assert expected.contract_id is not None
        assert route(CONTRACTS, body=text) == expected
