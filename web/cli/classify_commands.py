"""``triage classify``: classify a text, evaluate on a labelled file, train, learn from the desk.

Imports only the pure classifier and the catalog loader at module level: ``triage classify
--text`` is called once per ticket from scripts, and must not pay for the web stack or the
database driver (``learn`` imports the store inside the command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from config.catalog import Catalog, CatalogError, load_catalog
from triage.classify import classify as classify_text
from triage.classify.corpus import BadCorpus, Example, parse
from triage.classify.model import Model, shipped_model, shipped_model_path
from triage.routing import route
from web.cli.errors import BadArgument
from web.cli.output import emit_json

#: The labelled sets in a source checkout: the writers' corpus and the older CSV sets.
REPO_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


def _catalog() -> Catalog:
    try:
        return load_catalog()
    except CatalogError as exc:
        raise click.ClickException(f"contract catalog rejected: {exc}") from None


@click.group(name="classify", invoke_without_command=True)
@click.option("--text", default=None, help="The ticket text.")
@click.option("--subject", default="", help="The subject line, if any.")
@click.option("--channel", type=click.Choice(["email", "chat", "phone"]), default=None)
@click.option("--after-hours", is_flag=True, help="Arrived on the after-hours on-call phone.")
@click.pass_context
def classify(
    ctx: click.Context, text: str | None, subject: str, channel: str | None, after_hours: bool
) -> int:
    """Severity with reasons and confidence, and the contract the ticket would be routed to.

    Subcommands: eval FILE, train, learn."""
    if ctx.invoked_subcommand is not None:
        return 0
    if text is None:
        raise BadArgument(
            "--text: the ticket text is required (or a subcommand: eval, train, learn)"
        )
    catalog = _catalog()
    result = classify_text(
        text,
        subject,
        channel,
        after_hours=after_hours,
        confirm_below=catalog.classification.confirm_below,
    )
    routed = route(catalog.contracts, subject=subject, body=text)
    emit_json(
        {
            "severity": result.severity.value,
            "reasons": [*result.reasons, *routed.reasons],
            "contract": routed.contract_id,
            "confidence": result.confidence,
            "needs_confirmation": result.needs_confirmation,
            "probability_critical": result.probability,
        }
    )
    return 0


def _read_examples(path: Path, group: str | None = None) -> list[Example]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadArgument(f"FILE: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadArgument(f"FILE: {path} is not UTF-8") from None
    try:
        return parse(text, path.name, group)
    except BadCorpus as exc:
        raise BadArgument(f"FILE: {path}: {exc}") from None


def training_sets(data: Path) -> dict[str, list[Example]]:
    """The labelled sets under ``data``, grouped by who wrote them: each ``corpus/*.jsonl``
    file is one writer; the older ``classification*.csv`` sets are one group."""
    groups: dict[str, list[Example]] = {}
    for path in sorted((data / "corpus").glob("*.jsonl")):
        groups[path.stem] = _read_examples(path, path.stem)
    older = [e for p in sorted(data.glob("classification*.csv")) for e in _read_examples(p, "csv")]
    if older:
        groups["csv"] = older
    if not groups:
        raise BadArgument(f"--data: no labelled sets under {data} (corpus/*.jsonl, *.csv)")
    return groups


def _model(path: Path | None) -> Model:
    if path is None:
        return shipped_model()
    try:
        return Model.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise BadArgument(f"--model: cannot use {path}: {exc}") from None


@classify.command(name="eval")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A model JSON instead of the shipped one.",
)
def eval_command(file: Path, model_path: Path | None) -> int:
    """Precision, recall and the confusion table on a labelled FILE.csv or FILE.jsonl
    (column/field `label`: critical or non-critical)."""
    from triage.classify.learning import evaluate  # noqa: PLC0415

    examples = _read_examples(file)
    below = _catalog().classification.confirm_below
    result = evaluate(_model(model_path), examples, below)
    emit_json({"file": str(file), "confirm_below": below, **result.as_json()})
    return 0


@classify.command(name="train")
@click.option(
    "--data",
    type=click.Path(path_type=Path, file_okay=False),
    default=REPO_DATA,
    show_default=True,
    help="Directory with corpus/*.jsonl and classification*.csv.",
)
@click.option(
    "--write",
    "write_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the model JSON here (the shipped one: --write-shipped).",
)
@click.option("--write-shipped", is_flag=True, help="Replace the shipped model.json.")
@click.option(
    "--cross-validate",
    "cv",
    is_flag=True,
    help="Also train without each writer and test on it (the honest figure).",
)
def train_command(data: Path, write_path: Path | None, write_shipped: bool, cv: bool) -> int:
    """Train the model on the labelled sets in the repository and print its figures."""
    from triage.classify.learning import cross_validate, evaluate, fit  # noqa: PLC0415

    groups = training_sets(data)
    below = _catalog().classification.confirm_below
    examples = [e for items in groups.values() for e in items]
    model = fit(examples)
    out: dict[str, Any] = {
        "trained_on": {name: len(items) for name, items in groups.items()},
        "features": len(model.weights),
        "training_fit": evaluate(model, examples, below).desk.as_json(),
    }
    if cv:
        folds = cross_validate(groups, list(groups), below)
        out["held_out"] = {name: ev.as_json() for name, ev in folds.items()}
    target = Path(shipped_model_path()) if write_shipped else write_path
    if target is not None:
        target.write_text(model.to_json() + "\n", encoding="utf-8")
        out["written"] = str(target)
    emit_json(out)
    return 0


@classify.command(name="learn")
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Labelled file the before/after figures are measured on.",
)
@click.option(
    "--data", type=click.Path(path_type=Path, file_okay=False), default=REPO_DATA, show_default=True
)
@click.option(
    "--write",
    "write_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the retrained model here; nothing is applied without it.",
)
def learn_command(eval_file: Path, data: Path, write_path: Path | None) -> int:
    """Fold the desk's reclassifications (from the database) into training; print the
    figures on --eval before and after. Applied only with --write (never silently)."""
    from config.settings import Settings  # noqa: PLC0415
    from triage.classify.learning import evaluate, fit  # noqa: PLC0415
    from triage.store import db  # noqa: PLC0415
    from triage.store.corrections import desk_corrections  # noqa: PLC0415

    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    with db.session_factory(settings.database_url)() as session:
        corrections = desk_corrections(session)
    groups = training_sets(data)
    examples = [e for items in groups.values() for e in items]
    held = _read_examples(eval_file)
    below = _catalog().classification.confirm_below
    before = evaluate(shipped_model(), held, below)
    model = fit(examples, corrections)
    after = evaluate(model, held, below)
    out: dict[str, Any] = {
        "corrections": len(corrections),
        "eval": str(eval_file),
        "before": before.as_json(),
        "after": after.as_json(),
        "applied": False,
    }
    if write_path is not None:
        write_path.write_text(model.to_json() + "\n", encoding="utf-8")
        out["written"] = str(write_path)
        out["applied"] = f"written to {write_path}; the shipped model is {shipped_model_path()}"
    emit_json(out)
    return 0
