"""Train the logistic model, measure it, and estimate how it does on writers it never saw.

Pure Python on purpose (no numpy): a few thousand tickets with a few hundred active
features each train in seconds with AdaGrad steps, and the desk installs nothing more.

Missing a critical costs more than a false alarm, so critical examples weigh more in the
loss (``CRITICAL_WEIGHT``). Only features seen in at least ``MIN_COUNT`` tickets are kept
(and every evidence feature), so one writer's pet word cannot carry a decision; L2 keeps
the weights small.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from triage.classify.model import Model

CRITICAL_WEIGHT = 2.0
MIN_COUNT = 2
L2 = 3e-3
EPOCHS = 25
RATE = 0.3

Sample = tuple[Mapping[str, float], bool]


def _vocabulary(samples: Sequence[Sample], min_count: int) -> set[str]:
    counts: Counter[str] = Counter()
    for values, _label in samples:
        counts.update(values)
    return {name for name, n in counts.items() if n >= min_count or name[:2] in ("k:", "x:", "s:")}


def train(
    samples: Sequence[Sample],
    *,
    epochs: int = EPOCHS,
    l2: float = L2,
    min_count: int = MIN_COUNT,
    critical_weight: float = CRITICAL_WEIGHT,
    seed: int = 14,
    about: Mapping[str, object] | None = None,
) -> Model:
    """A logistic model fitted to ``samples`` (feature values, is critical)."""
    vocabulary = _vocabulary(samples, min_count)
    data = [({k: v for k, v in values.items() if k in vocabulary}, y) for values, y in samples]
    weights: dict[str, float] = dict.fromkeys(vocabulary, 0.0)
    grad_sq: dict[str, float] = dict.fromkeys(vocabulary, 1e-8)
    bias, bias_sq = 0.0, 1e-8
    order = list(range(len(data)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            values, y = data[i]
            z = bias + sum(weights[k] * v for k, v in values.items())
            p = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
            g = (p - (1.0 if y else 0.0)) * (critical_weight if y else 1.0)
            for k, v in values.items():
                gk = g * v + l2 * weights[k]
                grad_sq[k] += gk * gk
                weights[k] -= RATE * gk / math.sqrt(grad_sq[k])
            bias_sq += g * g
            bias -= RATE * g / math.sqrt(bias_sq)
    kept = {k: w for k, w in weights.items() if abs(w) >= 0.005}
    return Model(weights=kept, bias=bias, about=dict(about or {}))


@dataclass(frozen=True)
class Confusion:
    """Counts for the critical class and the rates derived from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def add(self, predicted: bool, actual: bool) -> Confusion:
        return Confusion(
            self.tp + (predicted and actual),
            self.fp + (predicted and not actual),
            self.fn + (actual and not predicted),
            self.tn + (not predicted and not actual),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "tickets": self.total,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "confusion": {
                "critical": {"critical": self.tp, "non-critical": self.fn},
                "non-critical": {"critical": self.fp, "non-critical": self.tn},
            },
        }


def confusion(pairs: Iterable[tuple[bool, bool]]) -> Confusion:
    """The confusion of (predicted critical, actually critical) pairs."""
    result = Confusion()
    for predicted, actual in pairs:
        result = result.add(predicted, actual)
    return result


def leave_group_out(
    groups: Mapping[str, Sequence[Sample]],
    decide: Callable[[Model, Mapping[str, float]], bool],
    **options: object,
) -> dict[str, Confusion]:
    """Train on every group but one, test on that one, for each group: an honest estimate
    of how the model does on a writer it never saw."""
    out: dict[str, Confusion] = {}
    for held in groups:
        rest = [s for name, items in groups.items() if name != held for s in items]
        model = train(rest, **options)  # type: ignore[arg-type]
        out[held] = confusion((decide(model, values), y) for values, y in groups[held])
    return out
