"""Classify a ticket as critical or non-critical by the Nettsoft support agreements' rule.

"Kritiske feil betyr alvorlige feil som hindrer bruk av intern infrastruktur, og som har
konsekvens for hele bedriften. På PC'er er det kritisk om to eller flere maskiner ikke kan
logge seg på nettverket og få tilgang til interne og eksterne ressurser." Everything else is
non-critical (CONTRACTS.md §1, Nettsoft §2).

The pipeline, each step explainable: normalise the text (``normalise``), collect evidence
of scope, impact and state with phrase rules (``rules``, ``impact``, ``evidence``), weigh
it by hand (``scoring``, the older rules) and by a logistic model trained on labelled
tickets (``features``, ``model``), which gives the probability the ticket is critical.

The desk acts on a confidence: the probability of the label chosen. A ticket whose
confidence is below the catalog's ``classification.confirm_below`` *needs confirmation*:
it runs the critical clock and pages as critical until an agent confirms or downgrades it,
because a missed critical costs more than a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from sla.severity import Severity
from triage.classify.evidence import Evidence, collect_masked, is_shouting
from triage.classify.features import features
from triage.classify.kinds import EXPLANATION, NETTSOFT_CRITICAL, NETTSOFT_ONLY, Kind
from triage.classify.model import Model, shipped_model
from triage.classify.normalise import MAX_CHARS, normalise
from triage.classify.scoring import reasons as rule_reasons
from triage.classify.scoring import score

#: Confidence below which a ticket needs an agent's confirmation, when no catalog says.
DEFAULT_CONFIRM_BELOW = 0.8
_SHOWN_REASONS = 6
_FAULTS = frozenset({Kind.FAULT_STRONG, Kind.FAULT_WEAK, Kind.FAULT_DEGRADED, Kind.OUTAGE})


@dataclass(frozen=True)
class Classification:
    """A severity with the reasons behind it, the confidence, and the scores it came from.

    ``severity`` is what the desk runs: critical when the model leans critical *or* the
    ticket needs confirmation. ``leaning`` is the model's own label.
    """

    severity: Severity
    reasons: tuple[str, ...]
    score: float
    probability: float = 1.0
    confidence: float = 1.0
    needs_confirmation: bool = False
    leaning: Severity = Severity.NON_CRITICAL
    #: The hand-set scorer's own reasons (``scoring``), for comparison and the tests.
    rule_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What the classifier read in a ticket, before any model weighs it."""

    evidence: tuple[Evidence, ...]
    rule_score: float
    rule_reasons: tuple[str, ...]
    values: dict[str, float]


def read(text: str, subject: str = "", *, after_hours: bool = False) -> Reading:
    """Normalise, collect the evidence, score it by hand, and name the model's features."""
    raw = f"{subject}\n{text}" if subject else text
    raw = raw[:MAX_CHARS]
    norm = normalise(raw)
    evidence, masked = collect_masked(norm)
    shouting = is_shouting(raw)
    value, terms = score(evidence, after_hours=after_hours, shouting=shouting)
    if after_hours:
        evidence.append(Evidence(Kind.AFTER_HOURS, "channel.after-hours", ""))
    if shouting:
        evidence.append(Evidence(Kind.SHOUTING, "all-caps", ""))
    return Reading(
        evidence=tuple(evidence),
        rule_score=value,
        rule_reasons=rule_reasons(value >= 1.5, terms),
        values=features(evidence, value, masked),
    )


def decide(
    probability: float, confirm_below: float = DEFAULT_CONFIRM_BELOW
) -> tuple[Severity, float, bool]:
    """(desk severity, confidence, needs confirmation) from P(critical)."""
    leaning_critical = probability >= 0.5
    confidence = probability if leaning_critical else 1.0 - probability
    needs = confidence < confirm_below
    critical = leaning_critical or needs
    return (Severity.CRITICAL if critical else Severity.NON_CRITICAL), confidence, needs


def classify(
    text: str,
    subject: str = "",
    channel: str | None = None,
    *,
    after_hours: bool = False,
    confirm_below: float = DEFAULT_CONFIRM_BELOW,
    model: Model | None = None,
) -> Classification:
    """Classify a ticket from its subject and body.

    ``channel`` ("email", "chat", "phone" or None) is accepted for the callers' sake but
    does not weigh: nothing in the contract makes one ordinary channel more critical than
    another. ``after_hours`` (the call came to the on-call phone) is a weak signal.
    ``confirm_below`` is the catalog's confidence threshold; ``model`` replaces the shipped
    weights (``triage classify learn`` compares two). Only the first ``MAX_CHARS``
    characters are read. Never raises on any string.
    """
    del channel  # documented above: no weight by channel
    reading = read(text, subject, after_hours=after_hours)
    chosen = model or shipped_model()
    probability = chosen.probability(reading.values)
    severity, confidence, needs = decide(probability, confirm_below)
    leaning = Severity.CRITICAL if probability >= 0.5 else Severity.NON_CRITICAL
    return Classification(
        severity=severity,
        reasons=explain(reading, chosen, leaning, confidence, needs, confirm_below),
        score=reading.rule_score,
        probability=round(probability, 4),
        confidence=round(confidence, 4),
        needs_confirmation=needs,
        leaning=leaning,
        rule_reasons=reading.rule_reasons,
    )


def explain(
    reading: Reading,
    model: Model,
    leaning: Severity,
    confidence: float,
    needs: bool,
    confirm_below: float,
) -> tuple[str, ...]:
    """Reasons a person can check: the verdict with its confidence, then the evidence that
    weighed most for it (words quoted, the kind and the contract clause), then against."""
    critical = leaning is Severity.CRITICAL
    head = f"{leaning.value} with confidence {confidence:.2f}"
    if needs:
        head += (
            f", below {confirm_below:.2f} (catalog classification.confirm_below): needs "
            "confirmation by an agent; runs the critical clock and pages as critical until "
            "then (a missed critical costs more than a false alarm)"
        )
    out = [head]
    quotes: dict[Kind, list[str]] = {}
    for item in reading.evidence:
        bucket = quotes.setdefault(item.kind, [])
        if item.quote and item.quote not in bucket:
            bucket.append(item.quote)
    weighed = sorted(
        ((model.weights.get(f"k:{kind.value}", 0.0), kind) for kind in quotes),
        key=lambda pair: -abs(pair[0]),
    )
    for weight, kind in weighed:
        if weight == 0.0 or kind not in EXPLANATION:
            continue
        side = "critical" if weight > 0 else "non-critical"
        label = side if (weight > 0) == critical else f"outweighed ({side})"
        found = quotes[kind]
        words = ", ".join(f"'{q}'" for q in found[:2])
        count = f" ({len(found)} found)" if len(found) > 2 else ""
        out.append(
            f"{label}: {words}{count} — {EXPLANATION[kind]}"
            if words
            else f"{label}: {EXPLANATION[kind]}"
        )
        if len(out) > _SHOWN_REASONS:
            break
    if len(out) == 1:
        faults = any(item.kind in _FAULTS for item in reading.evidence)
        out.append(
            f"{leaning.value}: "
            + ("a fault is reported, " if faults else "no fault is reported, ")
            + f"and no evidence of scope weighs either way ({NETTSOFT_ONLY})"
        )
    words = _weighty_words(reading, model, critical)
    if words:
        out.append(f"{leaning.value}: words that weigh this way: {words} ({NETTSOFT_CRITICAL})")
    return tuple(out)


def _weighty_words(reading: Reading, model: Model, critical: bool) -> str:
    pairs = [
        (model.weights.get(name, 0.0), name[2:]) for name in reading.values if name.startswith("w:")
    ]
    chosen = sorted(
        (p for p in pairs if (p[0] > 0) == critical and abs(p[0]) > 0.2), key=lambda p: -abs(p[0])
    )
    return ", ".join(f"'{stem}…'" for _w, stem in chosen[:4])
