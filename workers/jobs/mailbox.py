"""Poll the support mailbox (``IMAP_URL``) into tickets.

Each message is stored in the inbox before it is marked seen, so a crash between fetch
and store fetches it again next time, and intake's Message-ID dedup makes that harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from config.catalog import load_catalog
from config.settings import Settings
from triage.store import db
from triage.store.intake import ingest_raw_email
from workers.channels.imap import PollResult, poll_mailbox
from workers.channels.payloads import parse_email_payload

log = logging.getLogger(__name__)


def poll_support_mailbox(
    settings: Settings | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> PollResult | None:
    """One poll; None when no mailbox is configured."""
    settings = settings or Settings.from_env()
    if settings.imap_url is None:
        return None
    sessions = db.session_factory(settings.database_url)
    catalog = load_catalog(settings.catalog_path)

    def store(raw: bytes) -> None:
        ingest_raw_email(sessions, catalog, raw, clock(), parse_email_payload)

    result = poll_mailbox(settings.imap_url, store)
    log.info(
        "mailbox poll: fetched=%d stored=%d failed=%d", result.fetched, result.stored, result.failed
    )
    return result
