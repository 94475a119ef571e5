"""The features the statistical model reads: the evidence, the rule score, and the words.

Three families, each named by a prefix so that a weight can be read back:

* ``k:<kind>``: a kind of evidence was found (``kinds``), and ``x:<a>&<b>`` for the pairs
  the contract joins (a fault *and* a scope of several; a fault *and* shared
  infrastructure), since a linear model cannot multiply on its own;
* ``s:rule``: the hand-set score of ``scoring`` (clipped and scaled), the older rules'
  whole judgement as one number;
* ``w:<stem>`` and ``b:<stem>_<stem>``: the words left after masking (no quoted earlier
  message, no signature), cut to their first six letters so that inflections and
  compounds of one stem meet ("alarmene", "alarmer"), and their pairs.

Channel is not a feature: nothing in the contract makes one ordinary channel more critical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from triage.classify.evidence import Evidence
from triage.classify.kinds import Kind
from triage.classify.scoring import THRESHOLD

#: Letters kept of each word: enough to tell words apart, few enough to join inflections.
STEM = 6
_WORD = re.compile(r"[a-zæøå0-9]+")
_STOP = frozenset(
    [
        "og",
        "i",
        "på",
        "er",
        "det",
        "at",
        "en",
        "et",
        "til",
        "av",
        "for",
        "med",
        "som",
        "har",
        "de",
        "vi",
        "jeg",
        "du",
        "den",
        "ikke",
        "the",
        "a",
        "an",
        "and",
        "to",
        "of",
        "in",
        "on",
        "is",
        "it",
        "for",
        "we",
        "i",
        "you",
        "at",
        "be",
        "this",
        "that",
        "with",
        "are",
        "was",
    ]
)
#: Pairs of evidence kinds whose conjunction is the contract's rule.
PAIRS: tuple[tuple[Kind, Kind], ...] = (
    (Kind.FAULT_STRONG, Kind.SCOPE_COMPANY),
    (Kind.FAULT_STRONG, Kind.SCOPE_MULTI),
    (Kind.FAULT_STRONG, Kind.ASSET_CORE),
    (Kind.FAULT_STRONG, Kind.HOSTED),
    (Kind.FAULT_STRONG, Kind.AREA),
    (Kind.FAULT_STRONG, Kind.SCOPE_SINGLE),
    (Kind.FAULT_STRONG, Kind.SCOPE_FIRST_PERSON),
    (Kind.OUTAGE, Kind.ASSET_SERVICE),
    (Kind.HOSTED, Kind.SERVER_ERROR),
    (Kind.RESOLVED, Kind.FAULT_STRONG),
    (Kind.MONITOR_PROBLEM, Kind.THRESHOLD_WARNING),
)


def _stems(text: str) -> list[str]:
    return [w[:STEM] for w in _WORD.findall(text) if w not in _STOP and not w.isdigit()]


def features(evidence: Iterable[Evidence], rule_score: float, masked: str) -> dict[str, float]:
    """The named feature values of one ticket (absent = 0)."""
    kinds = {item.kind for item in evidence}
    out: dict[str, float] = {f"k:{kind.value}": 1.0 for kind in kinds}
    for a, b in PAIRS:
        if a in kinds and b in kinds:
            out[f"x:{a.value}&{b.value}"] = 1.0
    out["s:rule"] = max(-6.0, min(6.0, rule_score - THRESHOLD)) / 3.0
    stems = _stems(masked)
    for stem in stems:
        out[f"w:{stem}"] = 1.0
    for first, second in pairwise(stems):
        out[f"b:{first}_{second}"] = 1.0
    return out
