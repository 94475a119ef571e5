"""``triage retention purge``: empty raw inbound payloads older than the retention.

CONTRACTS.md §4: personal data is kept only while used. A raw payload (the e-mail, chat
JSON or call webhook as it arrived) has served its purpose once it became a ticket or sat
in the quarantine for the retention period; its row stays, emptied, with a note
(``triage.store.personal_data.purge_raw_payloads``). Run it once a day (cron, a systemd
timer, or the platform's scheduler); running it more often or twice is harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from config.settings import Settings
from triage.store import db
from triage.store.personal_data import purge_raw_payloads
from web.cli.errors import BadArgument
from web.cli.output import emit_json
from web.formats import iso


@click.group(name="retention")
def retention() -> None:
    """Keep personal data only while it is used."""


@retention.command(name="purge")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Empty payloads received more than this many days ago (default TRIAGE_RETENTION_DAYS, 90).",
)
def purge(days: int | None) -> int:
    """Empty raw inbox payloads older than the retention; prints how many."""
    settings = Settings.from_env()
    keep = settings.retention_days if days is None else days
    if keep < 1:
        where = "--days" if days is not None else "TRIAGE_RETENTION_DAYS"
        raise BadArgument(f"{where}: must be 1 or more (0 would empty payloads not yet parsed)")
    db.upgrade(settings.database_url)
    cutoff = datetime.now(UTC) - timedelta(days=keep)
    with db.session_factory(settings.database_url)() as session:
        purged = purge_raw_payloads(session, cutoff)
    emit_json({"purged": purged, "days": keep, "older_than": iso(cutoff)})
    return 0
