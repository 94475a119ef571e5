"""``triage sla deadline | uptime | penalty``: the contract arithmetic from the command line.

Fixed interface (DESIGN.md): the JSON keys and their formats are relied on by other checks;
extra keys and options are compatible extensions.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from config.catalog import Catalog, CatalogError, load_catalog
from config.settings import Settings
from sla.availability import Outage, month_availability
from sla.contract import Contract
from sla.explain import explain_deadline
from sla.instants import parse_instant
from sla.local_time import OSLO
from sla.penalty import period_penalty
from sla.periods import Period
from sla.ranges import MAX_COUNT, MAX_USERS
from sla.severity import Severity
from web.cli.errors import BadArgument
from web.cli.output import emit_csv, emit_json
from web.formats import iso, nok, number

DEADLINE_COLUMNS = (
    "contract",
    "severity",
    "received",
    "clock_starts",
    "deadline",
    "target",
    "notes",
)


def _catalog() -> Catalog:
    try:
        return load_catalog()
    except CatalogError as exc:
        raise click.ClickException(f"contract catalog rejected: {exc}") from None


def _contract(catalog: Catalog, contract_id: str) -> Contract:
    try:
        return catalog.get(contract_id)
    except KeyError as exc:
        raise BadArgument(f"--contract: {exc.args[0]}") from None


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise BadArgument(f"--severity: {exc}") from None


@click.group()
def sla() -> None:
    """Deadlines, availability credits and penalties from the contract catalog."""


def _deadline_row(contract: Contract, severity: Severity, received_text: str) -> dict[str, Any]:
    received = parse_instant(received_text, OSLO)
    explained = explain_deadline(contract, severity, received)
    return {
        "contract": contract.id,
        "severity": severity.value,
        "received": iso(received),
        "clock_starts": iso(explained.deadline.clock_starts),
        "deadline": iso(explained.deadline.due),
        "target": explained.target,
        "notes": list(explained.notes),
    }


def _timestamp_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise BadArgument(f"--received-file: cannot read {path}: {exc.strerror}") from None
    with handle:
        for number_, line in enumerate(handle, start=1):
            text = line.strip()
            if text and not text.startswith("#"):
                yield number_, text


@sla.command()
@click.option("--contract", "contract_id", required=True, help="Contract id from the catalog.")
@click.option(
    "--received", help="When the ticket was received (ISO 8601; no offset = Europe/Oslo)."
)
@click.option(
    "--received-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file with one timestamp per line; prints one JSON object per line.",
)
@click.option(
    "--severity", default="non-critical", show_default=True, help="critical or non-critical."
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
def deadline(
    contract_id: str, received: str | None, received_file: Path | None, severity: str, fmt: str
) -> int:
    """When response is due for a ticket on CONTRACT received at RECEIVED."""
    if (received is None) == (received_file is None):
        raise BadArgument("give exactly one of --received or --received-file")
    contract = _contract(_catalog(), contract_id)
    level = _severity(severity)
    if received is not None:
        try:
            row = _deadline_row(contract, level, received)
        except ValueError as exc:
            raise BadArgument(f"--received: {exc}") from None
        emit_csv([row], DEADLINE_COLUMNS) if fmt == "csv" else emit_json(row)
        return 0
    assert received_file is not None
    rows: list[dict[str, Any]] = []
    rejected = 0
    for line_no, text in _timestamp_lines(received_file):
        try:
            row = _deadline_row(contract, level, text)
        except ValueError as exc:
            rejected += 1
            row = {"line": line_no, "received": text, "error": str(exc)}
            print(f"triage: --received-file line {line_no}: {exc}", file=sys.stderr)
        if fmt == "json":
            emit_json(row)
        else:
            rows.append(row)
    if fmt == "csv":
        emit_csv([r for r in rows if "error" not in r], DEADLINE_COLUMNS)
    return 1 if rejected else 0


_OUTAGE = re.compile(r"^(?P<start>[^/]+)/(?P<end>[^@]+)@(?P<affected>[^@:]+)(?::(?P<rest>.*))?$")
_OUTAGE_STAMPS = ("announced", "accepted", "objected")


def _outage(text: str, known_causes: tuple[str, ...]) -> Outage:
    """``START/END@AFFECTED[:CAUSE[,announced=TS][,accepted=TS][,objected=TS]]``.

    A cause word must be one the contract knows (an unknown word is refused with the
    list, never counted silently as unplanned downtime); the stamps record when planned
    maintenance was announced to, accepted by or objected to by the customer.
    """
    match = _OUTAGE.match(text.strip())
    if not match:
        raise BadArgument(
            f"--outage {text!r}: expected START/END@AFFECTED[:CAUSE[,announced=TS]"
            "[,accepted=TS][,objected=TS]], e.g. 2026-03-10T09:00/2026-03-10T13:00@12"
        )
    try:
        start = parse_instant(match["start"], OSLO)
        end = parse_instant(match["end"], OSLO)
    except ValueError as exc:
        raise BadArgument(f"--outage {text!r}: {exc}") from None
    if not match["affected"].strip().isdigit():
        raise BadArgument(
            f"--outage {text!r}: affected users {match['affected']!r} is not a whole number"
        )
    cause: str | None = None
    stamps: dict[str, datetime] = {}
    parts = [p.strip() for p in (match["rest"] or "").split(",")] if match["rest"] else []
    for position, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if not sep:
            if position != 0:
                raise BadArgument(
                    f"--outage {text!r}: {part!r} is not KEY=TIMESTAMP "
                    f"({', '.join(_OUTAGE_STAMPS)}); the cause comes first"
                )
            cause = part or None
            continue
        if key not in _OUTAGE_STAMPS:
            raise BadArgument(
                f"--outage {text!r}: unknown key {key!r}; use {', '.join(_OUTAGE_STAMPS)}"
            )
        if key in stamps:
            raise BadArgument(f"--outage {text!r}: {key} is given twice")
        try:
            stamps[key] = parse_instant(value, OSLO)
        except ValueError as exc:
            raise BadArgument(f"--outage {text!r}: {key}: {exc}") from None
    if cause is not None and cause not in known_causes:
        raise BadArgument(
            f"--outage {text!r}: unknown cause {cause!r}; known causes: {', '.join(known_causes)}"
        )
    try:
        return Outage(
            start,
            end,
            int(match["affected"]),
            cause=cause,
            announced_at=stamps.get("announced"),
            accepted_at=stamps.get("accepted"),
            objected_at=stamps.get("objected"),
        )
    except ValueError as exc:
        raise BadArgument(f"--outage {text!r}: {exc}") from None


@sla.command()
@click.option("--contract", "contract_id", required=True)
@click.option("--month", required=True, help="YYYY-MM")
@click.option(
    "--users",
    type=click.IntRange(1, MAX_USERS),
    required=True,
    help="Users of the service.",
)
@click.option(
    "--outage",
    "outages",
    multiple=True,
    help="START/END@AFFECTED[:CAUSE[,announced=TS][,accepted=TS][,objected=TS]], repeatable.",
)
def uptime(contract_id: str, month: str, users: int, outages: tuple[str, ...]) -> int:
    """Monthly availability in core time, and the credit tier it earns."""
    try:
        period = Period.month(month)
    except ValueError as exc:
        raise BadArgument(f"--month: {exc}") from None
    contract = _contract(_catalog(), contract_id)
    terms = contract.terms_at_date(period.first_day)
    if terms.availability is None:
        raise BadArgument(f"--contract: {contract.id!r} has no availability guarantee")
    parsed = [_outage(text, terms.availability.known_causes) for text in outages]
    try:
        result = month_availability(terms.availability, period.year, period.index, users, parsed)
    except ValueError as exc:
        raise BadArgument(f"--outage: {exc}") from None
    availability = terms.availability
    extra: dict[str, Any] = {}
    if availability.prompt_claim is not None and not result.guarantee_met:
        extra["claim_promptly_by"] = availability.prompt_claim.due(period.last_day).isoformat()
    remedy = [availability.exclusive_remedy] if availability.exclusive_remedy else []
    emit_json(
        {
            "contract": contract.id,
            "month": period.label,
            "core_hours": number(result.core_hours),
            "downtime_hours": number(result.downtime_hours),
            "uptime_pct": number(result.uptime_pct_display()),
            "reduction_pct": result.reduction_pct,
            "guarantee_pct": number(terms.availability.guarantee_pct),
            "guarantee_met": result.guarantee_met,
            "notes": [*result.notes, *remedy, *terms.notes_about("availability")],
            **extra,
        }
    )
    return 0


@sla.command()
@click.option("--contract", "contract_id", required=True)
@click.option("--quarter", required=True, help="YYYYQn, the quarter the breaches happened in.")
@click.option(
    "--users",
    type=click.IntRange(0, MAX_USERS),
    help="Active users (default: the catalog's figure).",
)
@click.option(
    "--breaches",
    type=click.IntRange(0, MAX_COUNT),
    required=True,
    help="Missed guarantees in the quarter.",
)
@click.option(
    "--first-breach", "first_breach", help="Date of the first breach (YYYY-MM-DD), for claim_by."
)
def penalty(
    contract_id: str, quarter: str, users: int | None, breaches: int, first_breach: str | None
) -> int:
    """The fee deduction that missed guarantees in a quarter trigger."""
    try:
        period = Period.quarter(quarter)
    except ValueError as exc:
        raise BadArgument(f"--quarter: {exc}") from None
    first = None
    if first_breach is not None:
        try:
            first = date.fromisoformat(first_breach)
        except ValueError:
            raise BadArgument(
                f"--first-breach: {first_breach!r} is not a date (YYYY-MM-DD)"
            ) from None
        if not period.first_day <= first <= period.last_day:
            raise BadArgument(f"--first-breach: {first} is not in {period}")
    contract = _contract(_catalog(), contract_id)
    terms = contract.terms_at_date(period.first_day)
    if terms.penalty is None:
        raise BadArgument(f"--contract: {contract.id!r} has no penalty rule")
    invoice_terms = contract.terms_at_date(terms.penalty.applies_to(period).first_day)
    fee = invoice_terms.fee
    if fee is None:
        raise BadArgument(f"--contract: {contract.id!r} has no fee to deduct from")
    count = fee.default_users if users is None else users
    result = period_penalty(terms.penalty, fee, period, count, breaches, first)
    notes = list(result.notes)
    if users is None:
        notes.insert(0, f"active users not given: using the catalog's figure of {count}")
    out: dict[str, Any] = {
        "contract": contract.id,
        "quarter": period.label,
        "deduction_pct": number(result.deduction_pct),
        "base_nok": nok(result.base),
        "amount_nok": nok(result.amount),
        "applies_to": result.applies_to.label,
        "notes": [*notes, *terms.notes_about("penalty", "claim")],
    }
    if result.claim_by is not None:
        out["claim_by"] = result.claim_by.isoformat()
        out["claim_promptly_by"] = (result.claim_promptly_by or result.claim_by).isoformat()
    emit_json(out)
    return 0


@sla.command()
def recompute() -> int:
    """Derive every stored ticket's deadline again (after a catalog change)."""
    from triage.store import db  # noqa: PLC0415 - the arithmetic commands need no database
    from triage.store.recompute import recompute_all  # noqa: PLC0415

    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    catalog = load_catalog(settings.catalog_path)
    emit_json(recompute_all(db.session_factory(settings.database_url), catalog, datetime.now(UTC)))
    return 0
