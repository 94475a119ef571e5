"""How well the severity classifier does on the labelled ticket sets, and how fast it is.

    python bench/classifier_eval.py [FILE.csv ...]

For each file (default: the development set ``tests/data/classification.csv``, the
holdout set ``tests/data/classification_holdout.csv`` and the blind set
``tests/data/classification_blind.csv``, written before its author read the rules) prints
the counts, precision, recall and F1 for *critical*, the confusion matrix and every
misclassified row (id, label, score, first reason); then the median microseconds per
``classify()`` call over the development set (median over repeated passes, because this
machine is shared and noisy).

The blind set scored precision 0.968 / recall 0.871 before the rules were generalised
from its misses; since then it has been used for tuning too, so it is no longer blind.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sla.severity import Severity  # noqa: E402
from triage.classify import Classification, classify  # noqa: E402

DEV = ROOT / "tests" / "data" / "classification.csv"
HOLDOUT = ROOT / "tests" / "data" / "classification_holdout.csv"
BLIND = ROOT / "tests" / "data" / "classification_blind.csv"


@dataclass(frozen=True)
class Row:
    """One labelled ticket."""

    id: str
    channel: str
    after_hours: bool
    lang: str
    subject: str
    body: str
    label: Severity


def load(path: Path) -> list[Row]:
    """Read a labelled CSV (columns id,channel,after_hours,lang,subject,body,label)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Row(
                id=r["id"],
                channel=r["channel"],
                after_hours=r["after_hours"] == "1",
                lang=r["lang"],
                subject=r["subject"],
                body=r["body"],
                label=Severity.parse(r["label"]),
            )
            for r in csv.DictReader(f)
        ]


def run(row: Row) -> Classification:
    """Classify one labelled row the way the product would."""
    return classify(row.body, row.subject, row.channel, after_hours=row.after_hours)


@dataclass(frozen=True)
class Metrics:
    """Confusion counts for the critical class, and the rates derived from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(rows: list[Row]) -> tuple[Metrics, list[tuple[Row, Classification]]]:
    """Metrics over ``rows`` and the misclassified rows with their results."""
    tp = fp = fn = tn = 0
    wrong: list[tuple[Row, Classification]] = []
    for row in rows:
        result = run(row)
        predicted = result.severity is Severity.CRITICAL
        actual = row.label is Severity.CRITICAL
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        tn += not predicted and not actual
        if predicted != actual:
            wrong.append((row, result))
    return Metrics(tp, fp, fn, tn), wrong


def report(path: Path) -> Metrics:
    """Print the evaluation of one file and return its metrics."""
    rows = load(path)
    metrics, wrong = evaluate(rows)
    critical = sum(r.label is Severity.CRITICAL for r in rows)
    norwegian = sum(r.lang == "no" for r in rows)
    print(f"== {path.relative_to(ROOT)}")
    print(
        f"rows {len(rows)}: critical {critical}, non-critical {len(rows) - critical}; "
        f"no {norwegian}, en {len(rows) - norwegian}"
    )
    print(
        f"critical: precision {metrics.precision:.3f}  recall {metrics.recall:.3f}  "
        f"F1 {metrics.f1:.3f}"
    )
    print("confusion (rows = label, columns = predicted):")
    print(f"  {'':>14} {'critical':>9} {'non-crit':>9}")
    print(f"  {'critical':>14} {metrics.tp:>9} {metrics.fn:>9}")
    print(f"  {'non-critical':>14} {metrics.fp:>9} {metrics.tn:>9}")
    print(f"misclassified ({len(wrong)}):")
    for row, result in wrong:
        first = result.reasons[0] if result.reasons else ""
        print(f"  {row.id} label={row.label} score={result.score:+.2f} :: {first}")
    print()
    return metrics


def timing(path: Path, passes: int) -> float:
    """Median microseconds per classify() call over ``path``, median of ``passes`` passes."""
    rows = load(path)
    per_call: list[float] = []
    for _ in range(passes):
        for row in rows:
            start = time.perf_counter_ns()
            run(row)
            per_call.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(per_call)


def main(argv: list[str] | None = None) -> int:
    """Evaluate the given (or default) files and time the development set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEV, HOLDOUT, BLIND])
    parser.add_argument("--passes", type=int, default=5, help="timing passes over the dev set")
    args = parser.parse_args(argv)
    for path in args.files:
        report(path.resolve())
    print(f"median {timing(DEV, args.passes):.1f} µs per classify() over {DEV.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
