"""Settings from the environment, read when asked (never at import time).

Unset means the embedded default: SQLite and a Redis child process under the data
directory, SMS to the outbox. Each field's meaning is documented in the README.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    catalog_path: str | None
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_from: str | None
    smtp_url: str | None
    imap_url: str | None
    secret_key: str | None
    # Inbound webhooks (web/inbound.py). Defaults keep ``Settings(...)`` calls that predate
    # them valid.
    inbound_secret: str | None = None  # HMAC-SHA256 key of the e-mail, chat and CTI hooks
    oncall_number: str | None = None  # the after-hours on-call line, as Twilio/CTI send "To"
    trust_proxy: bool = False  # honour X-Forwarded-Proto/Host (only behind our own proxy)
    desk_address: str = "helpdesk@localhost"  # From of e-mail the desk sends (vendor hand-off)
    # Escalation by SMS (workers/, triage/store/escalations.py).
    public_url: str | None = None  # the desk's public base URL: Twilio status callbacks
    twilio_api_base: str | None = None  # another Twilio API host (a local fake in tests/bench)
    sms_group_seconds: int = 60  # at most one SMS per number per this many seconds
    roster_calendar: str = "office-hours"  # catalog calendar that splits office/after-hours
    # The web desk.
    secure_cookies: bool = True  # session cookie only over HTTPS (triage up: plain loopback)
    retention_days: int = 90  # raw inbound payloads older than this are purged
    session_idle_minutes: int = 30  # a login session unused this long has ended
    session_max_hours: int = 12  # a login session ends this long after the login, used or not
    # Rate limits per client address (web/security.py), "N per second|minute|hour" joined
    # by ";", or "off". Counted in Redis when REDIS_URL is set, so every web worker shares.
    rate_limit_login: str = "20 per minute"  # POSTs to /login (besides the per-user lock)
    rate_limit_auth_failures: str = "30 per minute"  # bad webhook signatures / API tokens
    # The customer's organisation, named in claim letters and notices of breach.
    customer_name: str = ""
    customer_orgnr: str = ""
    customer_address: str = ""
    customer_contact: str = ""
    rate_limit_webhooks: str = "1000 per second"  # signed webhooks, per web process: a loop
    # Monitoring (web/inbound_monitoring.py, workers/jobs/monitoring.py).
    alertmanager_token: str | None = None  # bearer token of /inbound/alertmanager, /monitoring
    heartbeat_limit_seconds: int = 120  # a part silent this long pages level 2 directly
    # Slow clients (web/body_deadline.py): the longest wait for the next bytes of a request
    # body (and of each send of the answer), and for the whole body; 0 = no limit.
    body_read_timeout: int = 10
    body_deadline: int = 60
    # ``triage up``'s supervisor state file (workers/supervisor.py): /readyz reports the
    # parts that are down; unset (the Procfile) = not supervised here.
    supervisor_state: Path | None = None

    @property
    def customer(self) -> dict[str, str]:
        """The customer's organisation as letters and notices name it."""
        return {
            "customer_name": self.customer_name,
            "customer_orgnr": self.customer_orgnr,
            "customer_address": self.customer_address,
            "customer_contact": self.customer_contact,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(name, "").strip()
            return value or None

        data_dir = Path(get("TRIAGE_DATA_DIR") or "data").expanduser().resolve()
        database_url = get("DATABASE_URL") or f"sqlite:///{data_dir / 'triage.sqlite3'}"
        if database_url.startswith("postgres://"):  # the scheme Heroku-style hosts hand out
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=get("REDIS_URL"),
            catalog_path=get("TRIAGE_CATALOG"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_from=get("TWILIO_FROM"),
            smtp_url=get("SMTP_URL"),
            imap_url=get("IMAP_URL"),
            secret_key=get("SECRET_KEY"),
            inbound_secret=get("TRIAGE_INBOUND_SECRET"),
            oncall_number=get("TRIAGE_ONCALL_NUMBER"),
            trust_proxy=(get("TRIAGE_TRUST_PROXY") or "").lower() in ("1", "true", "yes"),
            desk_address=get("TRIAGE_DESK_ADDRESS") or "helpdesk@localhost",
            public_url=(get("TRIAGE_PUBLIC_URL") or "").rstrip("/") or None,
            twilio_api_base=get("TWILIO_API_BASE"),
            sms_group_seconds=_whole(
                get("TRIAGE_SMS_GROUP_SECONDS"), "TRIAGE_SMS_GROUP_SECONDS", 60
            ),
            roster_calendar=get("TRIAGE_ROSTER_CALENDAR") or "office-hours",
            secure_cookies=(get("TRIAGE_SECURE_COOKIES") or "1").lower()
            not in ("0", "false", "no"),
            retention_days=_whole(get("TRIAGE_RETENTION_DAYS"), "TRIAGE_RETENTION_DAYS", 90),
            session_idle_minutes=_positive(
                get("TRIAGE_SESSION_IDLE_MINUTES"), "TRIAGE_SESSION_IDLE_MINUTES", 30
            ),
            session_max_hours=_positive(
                get("TRIAGE_SESSION_MAX_HOURS"), "TRIAGE_SESSION_MAX_HOURS", 12
            ),
            rate_limit_login=_rate(
                get("TRIAGE_RATE_LIMIT_LOGIN"), "TRIAGE_RATE_LIMIT_LOGIN", "20 per minute"
            ),
            rate_limit_auth_failures=_rate(
                get("TRIAGE_RATE_LIMIT_AUTH_FAILURES"),
                "TRIAGE_RATE_LIMIT_AUTH_FAILURES",
                "30 per minute",
            ),
            customer_name=get("TRIAGE_CUSTOMER_NAME") or "",
            customer_orgnr=get("TRIAGE_CUSTOMER_ORGNR") or "",
            customer_address=get("TRIAGE_CUSTOMER_ADDRESS") or "",
            customer_contact=get("TRIAGE_CUSTOMER_CONTACT") or "",
            rate_limit_webhooks=_rate(
                get("TRIAGE_RATE_LIMIT_WEBHOOKS"), "TRIAGE_RATE_LIMIT_WEBHOOKS", "1000 per second"
            ),
            body_read_timeout=_whole(
                get("TRIAGE_BODY_READ_TIMEOUT"), "TRIAGE_BODY_READ_TIMEOUT", 10
            ),
            body_deadline=_whole(get("TRIAGE_BODY_DEADLINE"), "TRIAGE_BODY_DEADLINE", 60),
            supervisor_state=Path(state) if (state := get("TRIAGE_SUPERVISOR_STATE")) else None,
            alertmanager_token=get("TRIAGE_ALERTMANAGER_TOKEN"),
            heartbeat_limit_seconds=_whole(
                get("TRIAGE_HEARTBEAT_LIMIT_SECONDS"), "TRIAGE_HEARTBEAT_LIMIT_SECONDS", 120
            ),
        )

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _whole(value: str | None, name: str, default: int) -> int:
    """A non-negative whole number setting; a typo stops the start with the name in it."""
    if value is None:
        return default
    if not value.isdigit():
        raise ValueError(f"{name}: {value!r} is not a whole number of 0 or more")
    return int(value)


def _positive(value: str | None, name: str, default: int) -> int:
    """A whole number of 1 or more: a session that may last 0 minutes is a typo."""
    number = _whole(value, name, default)
    if number < 1:
        raise ValueError(f"{name}: {value!r} must be 1 or more")
    return number


def _rate(value: str | None, name: str, default: str) -> str:
    """A rate-limit setting, checked at start so a typo is not a limit silently missing."""
    if value is None:
        return default
    if value.lower() == "off":
        return "off"
    from limits import parse_many  # noqa: PLC0415 - only when the setting is given

    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"{name}: {value!r} is not a rate limit like '20 per minute' (or 'off')"
        ) from None
    return value
