"""The statistical model over the evidence: logistic regression, weights in a JSON file.

Why logistic regression: it gives a probability (the confidence the desk acts on), each
weight can be read and shown next to its feature, it trains in seconds in pure Python
(``training``), and it runs in microseconds. The shipped weights are package data
(``model.json``), made by ``triage classify train`` from the labelled sets in the
repository; nothing is fetched at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

MODEL_FILE = "model.json"


@dataclass(frozen=True)
class Model:
    """Weights by feature name, a bias, and what the model was trained on."""

    weights: Mapping[str, float]
    bias: float
    about: Mapping[str, Any] = field(default_factory=dict)

    def logit(self, values: Mapping[str, float]) -> float:
        weights = self.weights
        return self.bias + sum(weights.get(name, 0.0) * v for name, v in values.items())

    def probability(self, values: Mapping[str, float]) -> float:
        """P(critical) for one ticket's feature values."""
        z = self.logit(values)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def to_json(self) -> str:
        """The model as the JSON ``from_json`` reads (weights sorted, 4 decimals)."""
        return json.dumps(
            {
                "about": dict(self.about),
                "bias": round(self.bias, 4),
                "weights": {k: round(v, 4) for k, v in sorted(self.weights.items())},
            },
            ensure_ascii=False,
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> Model:
        data = json.loads(text)
        return cls(
            weights={str(k): float(v) for k, v in data["weights"].items()},
            bias=float(data["bias"]),
            about=data.get("about", {}),
        )


#: Where the shipped model lives in a source checkout (``triage classify train`` writes it).
def shipped_model_path() -> str:
    return str(resources.files("triage.classify").joinpath(MODEL_FILE))


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    """The model shipped with the package, read once per process."""
    text = resources.files("triage.classify").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return Model.from_json(text)
