"""From labelled tickets to a model and back to figures: train, evaluate, cross-validate.

The commands ``triage classify train | eval | learn`` are thin adapters over this module.
Every figure is computed the way the desk decides (:func:`~triage.classify.decide`), with
the catalog's confidence threshold, so an evaluation measures what the desk would do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sla.severity import Severity
from triage.classify.classifier import decide, read
from triage.classify.corpus import Example
from triage.classify.model import Model
from triage.classify.training import Confusion, Sample, confusion, train

#: A desk correction counts as this many examples: it is the customer's own judgement, on
#: the customer's own kind of ticket.
CORRECTION_WEIGHT = 3


def samples(examples: Iterable[Example]) -> list[Sample]:
    """The feature values and label of each example."""
    return [
        (read(e.text, e.subject, after_hours=e.after_hours).values, e.critical) for e in examples
    ]


def fit(examples: Sequence[Example], corrections: Sequence[Example] = (), **options: Any) -> Model:
    """A model trained on ``examples`` and the desk's ``corrections`` (weighted)."""
    data = samples(examples) + samples(corrections) * CORRECTION_WEIGHT
    groups = sorted({e.group for e in examples})
    about = {
        "trained_on": len(examples),
        "corrections": len(corrections),
        "critical": sum(e.critical for e in examples),
        "sets": groups,
    }
    return train(data, about=about, **options)


@dataclass(frozen=True)
class Evaluation:
    """How a model does on a labelled set: as the desk runs it, and the model's own lean."""

    desk: Confusion
    leaning: Confusion
    needs_confirmation: int
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.desk.as_json(),
            "needs_confirmation": self.needs_confirmation,
            "leaning": {
                "precision": round(self.leaning.precision, 3),
                "recall": round(self.leaning.recall, 3),
            },
            "missed_critical": list(self.missed),
            "false_alarms": list(self.false_alarms),
        }


def evaluate(model: Model, examples: Sequence[Example], confirm_below: float) -> Evaluation:
    """Evaluate ``model`` on ``examples`` with the desk's threshold."""
    return evaluate_samples(model, samples(examples), [e.id for e in examples], confirm_below)


def evaluate_samples(
    model: Model, data: Sequence[Sample], ids: Sequence[str], confirm_below: float
) -> Evaluation:
    desk: list[tuple[bool, bool]] = []
    lean: list[tuple[bool, bool]] = []
    needs = 0
    missed: list[str] = []
    false_alarms: list[str] = []
    for (values, actual), ident in zip(data, ids, strict=True):
        probability = model.probability(values)
        severity, _confidence, flagged = decide(probability, confirm_below)
        predicted = severity is Severity.CRITICAL
        desk.append((predicted, actual))
        lean.append((probability >= 0.5, actual))
        needs += flagged
        if actual and not predicted:
            missed.append(ident)
        if predicted and not actual:
            false_alarms.append(ident)
    return Evaluation(confusion(desk), confusion(lean), needs, tuple(missed), tuple(false_alarms))


def cross_validate(
    groups: Mapping[str, Sequence[Example]],
    held_out: Sequence[str],
    confirm_below: float,
    **options: Any,
) -> dict[str, Evaluation]:
    """For each group in ``held_out``: train on every other group, evaluate on it. Groups are
    writers (or the older sets), so the figure is for text by someone the model never read."""
    data = {name: samples(items) for name, items in groups.items()}
    out: dict[str, Evaluation] = {}
    for held in held_out:
        rest = [s for name, items in data.items() if name != held for s in items]
        model = train(rest, **options)
        ids = [e.id for e in groups[held]]
        out[held] = evaluate_samples(model, data[held], ids, confirm_below)
    return out
