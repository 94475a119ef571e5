"""Classify a ticket as critical or non-critical by the Nettsoft support agreements' rule.

"Kritiske feil betyr alvorlige feil som hindrer bruk av intern infrastruktur, og som har
konsekvens for hele bedriften. På PC'er er det kritisk om to eller flere maskiner ikke kan
logge seg på nettverket og få tilgang til interne og eksterne ressurser." Everything else is
non-critical (CONTRACTS.md §1, Nettsoft §2).

The pipeline is small on purpose, so that each decision can be explained: normalise the
text (``normalise``), collect evidence with phrase rules (``rules``, ``evidence``), weigh
it (``scoring``). A missed critical costs more than a false alarm, so borderline tickets
about shared infrastructure lean critical.
"""

from __future__ import annotations

from dataclasses import dataclass

from sla.severity import Severity
from triage.classify.evidence import collect, is_shouting
from triage.classify.normalise import MAX_CHARS, normalise
from triage.classify.scoring import THRESHOLD, reasons, score


@dataclass(frozen=True)
class Classification:
    """A severity with the reasons behind it and the evidence score it came from."""

    severity: Severity
    reasons: tuple[str, ...]
    score: float


def classify(
    text: str, subject: str = "", channel: str | None = None, *, after_hours: bool = False
) -> Classification:
    """Classify a ticket from its subject and body.

    ``channel`` ("email", "chat", "phone" or None) is accepted for the callers' sake but
    does not weigh: nothing in the contract makes one ordinary channel more critical than
    another. ``after_hours`` (the call came to the on-call phone) is a weak signal that tips
    borderline tickets, because users pay extra to use that line. Only the first
    ``MAX_CHARS`` characters are read. Never raises on any string.
    """
    del channel  # documented above: no weight by channel
    raw = f"{subject}\n{text}" if subject else text
    raw = raw[:MAX_CHARS]
    norm = normalise(raw)
    value, terms = score(collect(norm), after_hours=after_hours, shouting=is_shouting(raw))
    critical = value >= THRESHOLD
    return Classification(
        severity=Severity.CRITICAL if critical else Severity.NON_CRITICAL,
        reasons=reasons(critical, terms),
        score=value,
    )
