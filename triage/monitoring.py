"""Outages measured by monitoring: what an alert or a probe says, and which contract it is.

Why a module of its own: the outage register was typed by a manager; here it is fed by
Prometheus Alertmanager, by a generic up/down webhook and by the desk's own probes. All three
end in the same ``Signal`` (a service went down at a time, or came back), so the store has
one use-case (``triage.store.monitoring``) whatever told us.

The catalog decides which contract a signal concerns (``MonitoredService.labels``: every
named label must match), how many users it affects (a label, else the catalog's default)
and how a probe runs (``ProbeSpec``). Nothing here is a constant about a contract.

Pure: parsing JSON is stdlib; no clock, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from triage.intake.message import RejectedPayload

FIRING = "firing"
RESOLVED = "resolved"
#: Alertmanager's webhook payload version this parser reads (its documented format).
ALERTMANAGER_VERSION = "4"
#: Alertmanager writes this endsAt for an alert that has not ended (Go's zero time).
_ZERO_TIME_YEAR = 1


@dataclass(frozen=True)
class ProbeSpec:
    """The desk's own check of a service: HTTP(S) status (and keyword) or a TCP connect."""

    kind: str  # "http" | "tcp"
    target: str  # a URL for http, "host:port" for tcp
    interval: timedelta
    timeout: timedelta
    failures: int  # consecutive failed probes before the service is down
    expect_status: int = 200
    keyword: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("http", "tcp"):
            raise ValueError(f"kind: {self.kind!r} is not 'http' or 'tcp'")
        if self.failures < 1:
            raise ValueError("failures: must be at least 1")
        if self.interval <= timedelta(0) or self.timeout <= timedelta(0):
            raise ValueError("interval and timeout must be positive")
        if self.timeout > self.interval:
            raise ValueError("timeout: must not be longer than the interval")
        if self.kind == "http" and not self.target.startswith(("http://", "https://")):
            raise ValueError(f"target: {self.target!r} is not an http(s) URL")
        if self.kind == "tcp":
            host, _, port = self.target.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"target: {self.target!r} is not host:port")


@dataclass(frozen=True)
class MonitoredService:
    """How monitoring names a contract's hosted service (catalog ``monitoring`` section)."""

    contract_id: str
    labels: Mapping[str, str]  # every one must match an alert's labels
    default_users: int  # affected users when the alert carries no count
    users_label: str = "affected_users"
    probe: ProbeSpec | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        return bool(self.labels) and all(labels.get(k) == v for k, v in self.labels.items())

    def users_from(self, labels: Mapping[str, str]) -> int:
        """Affected users from the alert's label when it is a whole number, else the default."""
        given = labels.get(self.users_label, "").strip()
        return int(given) if given.isdigit() else self.default_users


def service_for(
    services: Iterable[MonitoredService], labels: Mapping[str, str]
) -> MonitoredService | None:
    """The one service whose labels all match; the most specific when several do."""
    found = [s for s in services if s.matches(labels)]
    return max(found, key=lambda s: len(s.labels)) if found else None


@dataclass(frozen=True)
class Signal:
    """A service went down (``firing``) or came back (``resolved``), by one alert."""

    source: str  # "alertmanager" | "webhook" | "probe"
    fingerprint: str  # the alert's identity: one outage and one ticket per fingerprint
    status: str  # FIRING | RESOLVED
    starts_at: datetime
    ends_at: datetime | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)
    generator_url: str | None = None

    @property
    def summary(self) -> str:
        """A one-line title: the alert's summary, else its name and service."""
        for key in ("summary", "description", "message"):
            if self.annotations.get(key, "").strip():
                return self.annotations[key].strip().splitlines()[0][:200]
        name = self.labels.get("alertname", "service down")
        service = self.labels.get("service", "")
        return f"{name} {service}".strip()

    def delivery_key(self) -> str:
        """One key per fact (this alert, this state, from this instant): a resend of the
        same notification (Alertmanager's repeat_interval, a retry) is a duplicate."""
        stamp = self.ends_at if self.status == RESOLVED and self.ends_at else self.starts_at
        return f"{self.fingerprint}|{self.status}|{stamp.astimezone(UTC).isoformat()}"


# ------------------------------------------------------------------ parsing


def parse_alertmanager(body: bytes) -> list[Signal]:
    """Alertmanager's webhook JSON (version 4) as signals, one per alert.

    Raises ``RejectedPayload`` naming every bad field (``alerts[2].startsAt``), so the
    sender's operator can see what to fix; nothing is half-accepted.
    """
    data = _json_object(body)
    problems: dict[str, list[str]] = {}
    version = data.get("version")
    if version is not None and str(version) != ALERTMANAGER_VERSION:
        problems["version"] = [f"must be {ALERTMANAGER_VERSION!r}"]
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        problems["alerts"] = ["must be a non-empty list"]
        raise _rejected(problems)
    common = _labels(data.get("commonLabels"), "commonLabels", problems)
    signals = []
    for i, raw in enumerate(alerts):
        where = f"alerts[{i}]"
        if not isinstance(raw, Mapping):
            problems[where] = ["must be an object"]
            continue
        labels = {**common, **_labels(raw.get("labels"), f"{where}.labels", problems)}
        annotations = _labels(raw.get("annotations"), f"{where}.annotations", problems)
        status = raw.get("status")
        if status not in (FIRING, RESOLVED):
            problems[f"{where}.status"] = ["must be 'firing' or 'resolved'"]
        starts = _time(raw.get("startsAt"), f"{where}.startsAt", problems, required=True)
        ends = _time(raw.get("endsAt"), f"{where}.endsAt", problems, required=False)
        if status == RESOLVED and ends is None:
            problems.setdefault(f"{where}.endsAt", ["a resolved alert needs its end time"])
        fingerprint = raw.get("fingerprint")
        if fingerprint is None:  # older senders: the labels identify the alert
            fingerprint = "labels:" + json.dumps(sorted(labels.items()))
        if not isinstance(fingerprint, str) or not fingerprint.strip():
            problems[f"{where}.fingerprint"] = ["must be a non-empty string"]
            continue
        if starts is None or status not in (FIRING, RESOLVED):
            continue
        if ends is not None and ends <= starts:
            if status == RESOLVED:
                problems[f"{where}.endsAt"] = ["must be after startsAt"]
                continue
            ends = None  # a firing alert's endsAt is Alertmanager's expected timeout
        url = raw.get("generatorURL")
        signals.append(
            Signal(
                source="alertmanager",
                fingerprint=fingerprint.strip()[:200],
                status=str(status),
                starts_at=starts,
                ends_at=ends if status == RESOLVED else None,
                labels=labels,
                annotations=annotations,
                generator_url=url if isinstance(url, str) else None,
            )
        )
    if problems:
        raise _rejected(problems)
    return signals


def parse_generic(body: bytes) -> Signal:
    """The generic monitoring webhook: ``{"service", "status": "down"|"up", "time"}``,
    optional ``"affected_users"``, ``"summary"`` and ``"labels"``. One outage per service
    at a time: the fingerprint is the service."""
    data = _json_object(body)
    problems: dict[str, list[str]] = {}
    service = data.get("service")
    if not isinstance(service, str) or not service.strip():
        problems["service"] = ["must be a non-empty string"]
    status = data.get("status")
    if status not in ("up", "down"):
        problems["status"] = ["must be 'up' or 'down'"]
    at = _time(data.get("time"), "time", problems, required=True)
    labels = _labels(data.get("labels"), "labels", problems)
    users = data.get("affected_users")
    if users is not None and (not isinstance(users, int) or isinstance(users, bool) or users < 0):
        problems["affected_users"] = ["must be a whole number, 0 or more"]
    summary = data.get("summary")
    if summary is not None and not isinstance(summary, str):
        problems["summary"] = ["must be a string"]
    if problems or at is None or not isinstance(service, str):
        raise _rejected(problems)
    labels = {**labels, "service": service.strip()}
    if users is not None:
        labels["affected_users"] = str(users)
    down = status == "down"
    return Signal(
        source="webhook",
        fingerprint=f"service:{service.strip()}"[:200],
        status=FIRING if down else RESOLVED,
        starts_at=at,
        ends_at=None if down else at,
        labels=labels,
        annotations={"summary": summary} if summary else {},
    )


def _json_object(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise RejectedPayload(
            "the body is not JSON", code="invalid_json", status=400, fields={"(body)": ["not JSON"]}
        ) from None
    if not isinstance(data, Mapping):
        raise RejectedPayload(
            "the body must be a JSON object", fields={"(body)": ["must be an object"]}
        )
    return data


def _labels(value: Any, where: str, problems: dict[str, list[str]]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems[where] = ["must be an object of strings"]
        return {}
    return {k: v.replace("\x00", "") for k, v in value.items()}


def _time(
    value: Any, where: str, problems: dict[str, list[str]], *, required: bool
) -> datetime | None:
    if value is None or value == "":
        if required:
            problems[where] = ["missing"]
        return None
    if not isinstance(value, str):
        problems[where] = ["must be an RFC 3339 time"]
        return None
    try:
        parsed = datetime.fromisoformat(_trim_fraction(value.strip()))
    except ValueError:
        problems[where] = ["must be an RFC 3339 time such as 2026-03-10T09:15:00Z"]
        return None
    if parsed.tzinfo is None:
        problems[where] = ["needs a UTC offset (Z or +01:00)"]
        return None
    if parsed.year == _ZERO_TIME_YEAR:
        return None  # "0001-01-01T00:00:00Z": no time
    return parsed.astimezone(UTC)


def _trim_fraction(text: str) -> str:
    """Go writes nanoseconds (``.123456789Z``); Python reads at most microseconds."""
    head, dot, rest = text.partition(".")
    if not dot:
        return text
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}" if digits else text


def _rejected(problems: Mapping[str, list[str]]) -> RejectedPayload:
    message = "; ".join(f"{name}: {' '.join(found)}" for name, found in problems.items())
    return RejectedPayload(message or "invalid payload", fields=problems)


# ------------------------------------------------------------------ probes


@dataclass(frozen=True)
class ProbeState:
    """What the desk remembers of a probe between runs: compact, not every sample."""

    down: bool = False
    failures: int = 0  # consecutive failed probes so far
    first_failed_at: datetime | None = None  # the first failure of the current run


@dataclass(frozen=True)
class Transition:
    """The service changed state: ``down`` at the first failure of the run that crossed
    the threshold, or ``up`` at the first success after it."""

    status: str  # "down" | "up"
    at: datetime


def observe(
    state: ProbeState, ok: bool, at: datetime, threshold: int
) -> tuple[ProbeState, Transition | None]:
    """One probe result ``ok`` at ``at`` applied to ``state``."""
    if ok:
        if state.down:
            return ProbeState(), Transition("up", at)
        return ProbeState(), None
    first = state.first_failed_at if state.failures else at
    failures = state.failures + 1
    if not state.down and failures >= threshold:
        assert first is not None
        return ProbeState(True, failures, first), Transition("down", first)
    return ProbeState(state.down, failures, first), None


def probe_signal(contract_id: str, transition: Transition, started_at: datetime) -> Signal:
    """A probe's transition as a signal. ``started_at`` is the outage's start (the first
    failure of the run that crossed the threshold); it names the outage, so a later
    outage of the same service is a new one while its "up" finds this one."""
    return Signal(
        source="probe",
        fingerprint=f"probe:{contract_id}:{started_at.astimezone(UTC).isoformat()}",
        status=FIRING if transition.status == "down" else RESOLVED,
        starts_at=started_at,
        ends_at=transition.at if transition.status == "up" else None,
        labels={"contract": contract_id},
        annotations={"summary": f"Tjenesten svarer ikke ({contract_id}, desk-probe)"},
    )
