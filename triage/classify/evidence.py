"""Find the evidence in a normalised ticket: which rules fire, where, and on what words.

Masking rules run first and blank out their span (with a character no rule matches), so
the words inside "ikke lenger nede" or "everyone else is fine" cannot also count as an
outage or as company-wide scope. Counts come next; a count of one ("en av maskinene") is
blanked too. Everything else runs on the masked text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.classify.impact import IMPACT_RULES
from triage.classify.kinds import Kind
from triage.classify.normalise import Normalised
from triage.classify.numbers import find_counts
from triage.classify.rules import BASE_DETECTION_RULES, MASKING_RULES, Rule

_MASK = "#"
_SHOUT_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True)
class Evidence:
    """One kind of evidence found by one rule at one span of the folded text."""

    kind: Kind
    rule: str
    quote: str


def _matches(rule: Rule, text: str) -> list[re.Match[str]]:
    return [
        m
        for m in rule.pattern.finditer(text)
        if m.end() > m.start() and (rule.guard is None or rule.guard(text, m))
    ]


def _found(rule: Rule, m: re.Match[str], norm: Normalised) -> list[Evidence]:
    quote = norm.quote(m.start(), m.end())
    return [Evidence(kind, rule.name, quote) for kind in rule.kinds]


DETECTION_RULES: tuple[Rule, ...] = BASE_DETECTION_RULES + IMPACT_RULES


def collect(norm: Normalised) -> list[Evidence]:
    """All evidence in ``norm``, masking phrases first (see module docstring)."""
    return collect_masked(norm)[0]


def collect_masked(norm: Normalised) -> tuple[list[Evidence], str]:
    """All evidence in ``norm`` and the text left after masking (the words the model reads:
    no quoted earlier message, no signature, no "ikke lenger nede")."""
    text = norm.text
    found: list[Evidence] = []
    for rule in MASKING_RULES:
        for m in _matches(rule, text):
            found.extend(_found(rule, m, norm))
            text = text[: m.start()] + _MASK * (m.end() - m.start()) + text[m.end() :]
    for count in find_counts(text):
        kind = Kind.SCOPE_MULTI if count.value >= 2 else Kind.SCOPE_SINGLE
        found.append(Evidence(kind, "count", norm.quote(count.start, count.end)))
        if count.value == 1:
            # "en av maskinene": the plural noun must not read as several machines.
            text = text[: count.start] + _MASK * (count.end - count.start) + text[count.end :]
    for rule in DETECTION_RULES:
        for m in _matches(rule, text):
            found.extend(_found(rule, m, norm))
    return found, text


def is_shouting(raw: str) -> bool:
    """Mostly capitals over at least three words: a weak urgency signal.

    Acronyms (VPN, MBN, PC) are short and few, so they alone do not trigger it.
    """
    words = _SHOUT_WORD.findall(raw[:2000])
    caps = [w for w in words if w.isupper()]
    return len(caps) >= 3 and len(caps) >= 0.6 * len(words)
