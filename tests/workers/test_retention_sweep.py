"""The sweeper's daily retention pass empties only payloads past the retention period."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from config.catalog import load_catalog
from tests.workers.escalation_support import Clock, installed, oslo, settings_for
from triage.store.intake import store_raw
from triage.store.models import InboxItem
from workers.sweeper import purge_old_payloads


def test_old_payloads_are_emptied_and_recent_ones_kept(
    sessions, database_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    now = oslo("2026-11-21T12:00")
    with sessions() as session:
        old = store_raw(
            session, "chat", "application/json", b'{"text": "gammel"}', now - timedelta(days=91)
        )
        new = store_raw(
            session, "chat", "application/json", b'{"text": "ny"}', now - timedelta(days=89)
        )
    settings = settings_for(database_url, tmp_path)
    with installed(settings, load_catalog(), Clock(now)) as ctx:
        assert purge_old_payloads(ctx) == 1
        assert purge_old_payloads(ctx) == 0
        ctx.settings = dataclasses.replace(settings, retention_days=0)
        assert purge_old_payloads(ctx) == 0  # 0 = keep for ever
    with sessions() as session:
        payloads = dict(session.execute(select(InboxItem.id, InboxItem.payload)).all())
    assert payloads[new] == b'{"text": "ny"}'
    assert b"gammel" not in payloads[old]
