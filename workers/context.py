"""What jobs and the sweeper need, built once per process from the environment.

Jobs take ids and find everything else here (RQ's advice: pass references, not objects).
Tests install their own context (database, catalog, clock, Twilio fake) with ``install``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from sla.calendar import Calendar
from triage.store import db
from triage.store.intake import Parser
from workers.channels.payloads import parsers
from workers.channels.twilio_sms import SmsChannel, sms_channel
from workers.enqueue import wire_scheduling


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkerContext:
    settings: Settings
    catalog: Catalog
    sessions: sessionmaker[Session]
    channel: SmsChannel
    clock: Callable[[], datetime] = _utc_now
    #: Inbox channel -> parser, for re-ingesting payloads a dead request left behind: the
    #: one registry the web app parses with (``workers.channels.payloads``), built from the
    #: settings unless given (an empty registry would quarantine every stuck payload).
    parsers: Mapping[str, Parser] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.parsers:
            self.parsers = parsers(self.settings)

    @property
    def provider(self) -> str:
        return self.channel.name

    @property
    def office_hours(self) -> Calendar:
        try:
            return self.catalog.calendars[self.settings.roster_calendar]
        except KeyError:
            raise ValueError(
                f"TRIAGE_ROSTER_CALENDAR: the catalog has no calendar {self.settings.roster_calendar!r}"
            ) from None

    @property
    def group_window(self) -> timedelta:
        return timedelta(seconds=self.settings.sms_group_seconds)

    @property
    def redis_url(self) -> str | None:
        return self.settings.redis_url

    def status_callback(self) -> str | None:
        base = self.settings.public_url
        return f"{base}/inbound/twilio/sms-status" if base else None


_current: WorkerContext | None = None


def build(settings: Settings, **overrides: object) -> WorkerContext:
    """A context for ``settings``; its sessions schedule re-planned escalations in RQ."""
    catalog = overrides.pop("catalog", None) or load_catalog(settings.catalog_path)
    channel = overrides.pop("channel", None) or sms_channel(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from,
        settings.twilio_api_base,
    )
    sessions = db.session_factory(settings.database_url)
    ctx = WorkerContext(settings, catalog, sessions, channel, **overrides)  # type: ignore[arg-type]
    wire_scheduling(sessions, settings.redis_url)
    return ctx


def context(**overrides: object) -> WorkerContext:
    global _current  # noqa: PLW0603 - one context per process, made on first use
    if _current is None:
        _current = build(Settings.from_env(), **overrides)
    return _current


def install(ctx: WorkerContext | None) -> None:
    """Use ``ctx`` in this process (tests); None forgets it."""
    global _current  # noqa: PLW0603
    _current = ctx
