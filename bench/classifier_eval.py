"""How well the severity classifier generalises to writers it never read, and how fast it is.

    python bench/classifier_eval.py [--passes 5] [FILE.csv|FILE.jsonl ...]

Prints, for the labelled sets in ``tests/data`` (``corpus/train_w*.jsonl``, one file per
independent writer, and the older ``classification*.csv`` sets as one group):

1. **Across writers**: for each writer, a model trained on the *other two writers only*,
   tested on the held-out writer and on the older CSV sets. This is the honest estimate
   for text by someone the model never read.
2. **Leave one group out**: the same with the CSV sets also in training (and the CSVs held
   out in turn), which is how the shipped model is trained (on everything).
3. The hand-set rules alone (``score >= THRESHOLD``) on each set, for comparison.
4. The shipped model on any FILE given (for a customer's own labelled history).
5. Median microseconds per ``classify()`` call (median over repeated passes, because this
   machine is shared and noisy).

Figures are as the desk decides: critical when the model leans critical *or* the
confidence is below the catalog's ``confirm_below`` (needs confirmation).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.catalog import load_catalog  # noqa: E402
from triage.classify import THRESHOLD, classify  # noqa: E402
from triage.classify.corpus import Example, parse  # noqa: E402
from triage.classify.learning import Evaluation, evaluate, evaluate_samples, samples  # noqa: E402
from triage.classify.model import shipped_model  # noqa: E402
from triage.classify.training import confusion, train  # noqa: E402

DATA = ROOT / "tests" / "data"


def load_groups() -> dict[str, list[Example]]:
    groups = {
        p.stem: parse(p.read_text(encoding="utf-8"), p.name, p.stem)
        for p in sorted((DATA / "corpus").glob("*.jsonl"))
    }
    groups["csv"] = [
        e
        for p in sorted(DATA.glob("classification*.csv"))
        for e in parse(p.read_text(encoding="utf-8"), p.name, "csv")
    ]
    return groups


def line(name: str, ev: Evaluation) -> str:
    c = ev.desk
    return (
        f"  {name:<28} n={c.total:<4} precision {c.precision:.3f}  recall {c.recall:.3f}  "
        f"(tp {c.tp} fn {c.fn} fp {c.fp} tn {c.tn}; needs confirmation {ev.needs_confirmation}; "
        f"model's lean P {ev.leaning.precision:.3f} R {ev.leaning.recall:.3f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--passes", type=int, default=5, help="timing passes")
    args = parser.parse_args(argv)
    below = load_catalog().classification.confirm_below
    groups = load_groups()
    data = {name: samples(items) for name, items in groups.items()}
    ids = {name: [e.id for e in items] for name, items in groups.items()}
    writers = [name for name in groups if name != "csv"]
    print(f"confirm_below {below}; sets: " + ", ".join(f"{k} {len(v)}" for k, v in groups.items()))

    print("\n1. trained on two writers only, tested on the third and on the older CSV sets")
    for held in writers:
        model = train([s for w in writers if w != held for s in data[w]])
        print(line(f"{held} (held out)", evaluate_samples(model, data[held], ids[held], below)))
        print(
            line(
                f"csv (model without {held})",
                evaluate_samples(model, data["csv"], ids["csv"], below),
            )
        )

    print("\n2. leave one group out (the other writers and the CSV sets in training)")
    for held in groups:
        model = train([s for g in groups if g != held for s in data[g]])
        print(line(f"{held} (held out)", evaluate_samples(model, data[held], ids[held], below)))

    print(f"\n3. the hand-set rules alone (score >= {THRESHOLD})")
    for name, items in groups.items():
        c = confusion((classify(e.text, e.subject).score >= THRESHOLD, e.critical) for e in items)
        print(f"  {name:<28} n={c.total:<4} precision {c.precision:.3f}  recall {c.recall:.3f}")

    for path in args.files:
        examples = parse(path.read_text(encoding="utf-8"), path.name)
        print(f"\n4. shipped model on {path}")
        print(line(path.name, evaluate(shipped_model(), examples, below)))

    every = [e for items in groups.values() for e in items]
    per_call: list[float] = []
    for _ in range(args.passes):
        for e in every:
            start = time.perf_counter_ns()
            classify(e.text, e.subject, e.channel, confirm_below=below)
            per_call.append((time.perf_counter_ns() - start) / 1000)
    print(
        f"\n5. median {statistics.median(per_call):.0f} µs per classify() "
        f"(p90 {statistics.quantiles(per_call, n=10)[-1]:.0f} µs) over {len(every)} tickets "
        f"x {args.passes} passes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
