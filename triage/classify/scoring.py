"""Weigh the evidence into one score, and explain the score in reasons.

The score is additive, but the core of it is an interaction, because that is how the
contract reads: a fault alone is not critical and "hele bedriften" alone is not critical;
a fault *for* the whole company (or for two or more PCs) is. So::

    score = fault × (FAULT_BASE + scope lift + asset lift) + modifiers

where ``fault`` is 1 for a stopping fault, less for an error or slowness, 0 for none.
Scope has a precedence (company > several > one > "we" > the reporter alone > unknown),
so "min PC, og alle andre også" counts as several. A core service with no scope (the server,
the internet, the switchboard) lifts a fault close to critical on its own, because such an
outage almost always hits everyone. The modifiers (resolved, not urgent, a request, after
hours, ...) are small constants. The weights are tuned on the development set only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from triage.classify.evidence import Evidence
from triage.classify.kinds import EXPLANATION, NETTSOFT_ONLY, Kind

#: Score at or above which a ticket is critical.
THRESHOLD = 1.5

FAULT_FACTOR = {Kind.FAULT_STRONG: 1.0, Kind.FAULT_WEAK: 0.4, Kind.FAULT_DEGRADED: 0.3}
FAULT_BASE = 0.6
SCOPE_LIFT = {
    Kind.SCOPE_COMPANY: 2.4,
    Kind.SCOPE_MULTI: 2.0,
    Kind.SCOPE_WE: 0.4,
    Kind.SCOPE_SINGLE: -0.3,
}
ASSET_LIFT = {Kind.ASSET_CORE: 1.4, Kind.ASSET_SERVICE: 0.7}
#: A shared service reported *down* (not "not working for me") is read like infrastructure.
SERVICE_DOWN_LIFT = 1.2
PERIPHERAL_ONLY = -2.0
SINGLE_PENALTY = -1.5
FIRST_PERSON_PENALTY = -0.7
HOME_PENALTY = -1.0
REQUEST_PENALTY = -1.6
REQUEST_PENALTY_WITH_FAULT = -0.5
QUESTION_PENALTY = -0.4
RESOLVED_PENALTY = -3.5
RESOLVED_BUT_STILL_PENALTY = -1.0
MODIFIERS = {
    Kind.NOT_URGENT: -2.5,
    Kind.NOT_NOW: -2.5,
    Kind.BULLETIN: -3.0,
    Kind.PROVISIONING: -2.5,
    Kind.PLANNED: -1.5,
    Kind.PAST: -1.0,
    Kind.WORKAROUND: -1.0,
    Kind.INFO: -1.0,
    Kind.URGENCY: 0.4,
    Kind.SHOUTING: 0.3,
    Kind.AFTER_HOURS: 0.5,
}
INTERMITTENT_PENALTY = -0.8

_SCOPE_ORDER = (
    Kind.SCOPE_COMPANY,
    Kind.SCOPE_MULTI,
    Kind.SCOPE_SINGLE,
    Kind.SCOPE_WE,
    Kind.SCOPE_FIRST_PERSON,
)


@dataclass(frozen=True)
class Contribution:
    """One term of the score, with the words that caused it."""

    kind: Kind
    value: float
    quotes: tuple[str, ...]


class _Found:
    """Evidence grouped by kind, with the first quotes of each kept for the reasons."""

    def __init__(self, evidence: Iterable[Evidence]) -> None:
        self.quotes: dict[Kind, list[str]] = {}
        for item in evidence:
            quotes = self.quotes.setdefault(item.kind, [])
            if item.quote and item.quote not in quotes:
                quotes.append(item.quote)

    def has(self, kind: Kind) -> bool:
        return kind in self.quotes

    def first(self, kinds: Sequence[Kind]) -> Kind | None:
        return next((k for k in kinds if self.has(k)), None)

    def contribution(self, kind: Kind, value: float) -> Contribution:
        return Contribution(kind, value, tuple(self.quotes.get(kind, ())[:2]))


def _fault_terms(found: _Found) -> tuple[float, list[Contribution]]:
    """The fault × (base + scope + asset) term, split into its parts for the reasons."""
    fault_kind = found.first(tuple(FAULT_FACTOR))
    scope = found.first(_SCOPE_ORDER)
    factor = FAULT_FACTOR[fault_kind] if fault_kind else 0.0
    terms: list[Contribution] = []
    if fault_kind:
        terms.append(found.contribution(fault_kind, FAULT_BASE * factor))
    if scope in SCOPE_LIFT and (factor or scope is Kind.SCOPE_SINGLE):
        lift = SCOPE_LIFT[scope] * factor
        if scope is Kind.SCOPE_SINGLE:
            lift += SINGLE_PENALTY
        terms.append(found.contribution(scope, lift))
    if factor and scope is Kind.SCOPE_FIRST_PERSON:
        terms.append(found.contribution(scope, FIRST_PERSON_PENALTY))
    asset = found.first((Kind.ASSET_CORE, Kind.ASSET_SERVICE))
    if factor and asset:
        scale = 0.5 if scope is Kind.SCOPE_SINGLE else 1.0
        lift = ASSET_LIFT[asset]
        if asset is Kind.ASSET_SERVICE and found.has(Kind.OUTAGE):
            lift = SERVICE_DOWN_LIFT
        terms.append(found.contribution(asset, lift * factor * scale))
    elif factor and found.has(Kind.ASSET_PERIPHERAL):
        terms.append(found.contribution(Kind.ASSET_PERIPHERAL, PERIPHERAL_ONLY * factor))
    if factor and found.has(Kind.SCOPE_HOME) and scope not in SCOPE_LIFT:
        terms.append(found.contribution(Kind.SCOPE_HOME, HOME_PENALTY))
    if factor and found.has(Kind.INTERMITTENT):
        terms.append(found.contribution(Kind.INTERMITTENT, INTERMITTENT_PENALTY))
    return factor, terms


def _modifier_terms(found: _Found, factor: float) -> list[Contribution]:
    """Constants for everything that is not the fault itself."""
    stopping = factor >= 1.0
    terms: list[Contribution] = []
    if found.has(Kind.RESOLVED):
        still = stopping and found.has(Kind.STILL)
        value = RESOLVED_BUT_STILL_PENALTY if still else RESOLVED_PENALTY
        terms.append(found.contribution(Kind.RESOLVED, value))
    if found.has(Kind.REQUEST):
        value = REQUEST_PENALTY_WITH_FAULT if stopping else REQUEST_PENALTY
        terms.append(found.contribution(Kind.REQUEST, value))
    if found.has(Kind.QUESTION) and not stopping:
        terms.append(found.contribution(Kind.QUESTION, QUESTION_PENALTY))
    terms.extend(found.contribution(k, v) for k, v in MODIFIERS.items() if found.has(k))
    return terms


def score(
    evidence: Iterable[Evidence], *, after_hours: bool, shouting: bool
) -> tuple[float, list[Contribution]]:
    """The evidence score and the terms it is the sum of."""
    items = list(evidence)
    if after_hours:
        items.append(Evidence(Kind.AFTER_HOURS, "channel.after-hours", ""))
    if shouting:
        items.append(Evidence(Kind.SHOUTING, "all-caps", ""))
    found = _Found(items)
    factor, terms = _fault_terms(found)
    terms.extend(_modifier_terms(found, factor))
    return float(round(sum(t.value for t in terms), 4)), terms


def _format(term: Contribution, prefix: str) -> str:
    quotes = ", ".join(f"'{q}'" for q in term.quotes)
    head = f"{prefix}: {quotes} — " if quotes else f"{prefix}: "
    return head + EXPLANATION[term.kind]


def reasons(critical: bool, terms: Sequence[Contribution]) -> tuple[str, ...]:
    """Reasons for the decision first (strongest first), then what it outweighed."""
    label = "critical" if critical else "non-critical"
    for_ = sorted((t for t in terms if (t.value > 0) == critical and t.value), key=_weight)
    against = sorted((t for t in terms if (t.value > 0) != critical and t.value), key=_weight)
    out = [_format(t, label) for t in for_]
    if not out and any(t.kind in FAULT_FACTOR for t in terms):
        out.append(
            "non-critical: nothing says the fault stops shared infrastructure for the whole "
            f"company or for two or more PCs ({NETTSOFT_ONLY})"
        )
    elif not out:
        out.append(f"non-critical: no fault is reported ({NETTSOFT_ONLY})")
    other = "non-critical" if critical else "critical"
    out.extend(_format(t, f"outweighed ({other})") for t in against)
    return tuple(out)


def _weight(term: Contribution) -> float:
    return -abs(term.value)
