"""``triage db upgrade``, ``triage import``, ``triage report`` (``triage classify``: see
``classify_commands``).

Adapters only: they read settings and the clock, then hand values to the domain and the
store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from config.catalog import load_catalog
from config.settings import Settings
from sla.local_time import OSLO
from triage.csv_import import BadFile, classify_row
from triage.report import (
    REPORT_CSV_COLUMNS,
    alternative_breaches,
    build_report,
    day_bounds,
    report_csv_rows,
)
from triage.store import db
from triage.store.fees import effective_catalog
from triage.store.importer import import_csv
from triage.store.tickets import report_facts
from web.cli.errors import BadArgument
from web.cli.output import emit_csv, emit_json
from workers.enqueue import wire_scheduling


def _ready_sessions(settings: Settings):  # type: ignore[no-untyped-def]
    """Migrated sessions whose escalation plans reach RQ when ``REDIS_URL`` is set (an
    import of open tickets pages on time; without Redis the sweeper picks them up)."""
    db.upgrade(settings.database_url)
    sessions = db.session_factory(settings.database_url)
    wire_scheduling(sessions, settings.redis_url)
    return sessions


@click.group(name="db")
def db_group() -> None:
    """Database schema."""


@db_group.command()
def upgrade() -> None:
    """Apply every migration (safe to run on each release)."""
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    emit_json({"database": settings.database_url.split("@")[-1], "schema": "up to date"})


@click.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def import_command(file: Path) -> int:
    """Import historic tickets from FILE.csv (re-import updates by external_id)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise BadArgument(f"FILE: cannot read {file}: {exc.strerror}") from None
    settings = Settings.from_env()
    catalog = load_catalog(settings.catalog_path)
    try:
        result = import_csv(
            _ready_sessions(settings), catalog, data, classify_row, datetime.now(UTC)
        )
    except BadFile as exc:
        raise BadArgument(f"FILE: {exc}") from None
    emit_json(result.as_json())
    return 0


#: Report periods outside these years are a typo, and the databases' date arithmetic
#: (and Python's at the year 9999) would fail on them.
REPORT_YEARS = (1900, 9998)


def _date(option: str, text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadArgument(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None
    if not REPORT_YEARS[0] <= day.year <= REPORT_YEARS[1]:
        raise BadArgument(
            f"{option}: {text!r} is outside the years {'-'.join(map(str, REPORT_YEARS))}"
        )
    return day


@click.command()
@click.option("--from", "first_text", required=True, help="First day (YYYY-MM-DD, Europe/Oslo).")
@click.option("--to", "last_text", required=True, help="Last day, inclusive.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option(
    "--readings",
    is_flag=True,
    help="Add, per contract with alternative readings, the tickets that would be breaches "
    "under an alternative that favours the customer.",
)
def report(first_text: str, last_text: str, fmt: str, readings: bool = False) -> int:
    """Breach report per contract for tickets received FROM..TO."""
    first, last = _date("--from", first_text), _date("--to", last_text)
    if last < first:
        raise BadArgument("--to: the period ends before it starts")
    settings = Settings.from_env()
    catalog = load_catalog(settings.catalog_path)
    start, end = day_bounds(first, last, OSLO)
    with _ready_sessions(settings)() as session:
        catalog = effective_catalog(session, catalog)  # with the managers' fee changes
        now = datetime.now(UTC)
        facts = list(report_facts(session, start, end))
        result = build_report(first, last, facts, catalog.contracts, now)
    for row in result["contracts"] if readings else []:
        contract = catalog.contracts.get(row["contract"])
        if contract is not None and any(t.alternatives for t in contract.terms):
            mine = [f for f in facts if f.contract_id == contract.id]
            row["breaches_under_alternative"] = alternative_breaches(contract, mine, now)
    if fmt == "json":
        emit_json(result)
        return 0
    emit_csv(report_csv_rows(result), REPORT_CSV_COLUMNS)
    return 0
