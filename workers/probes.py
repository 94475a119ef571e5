"""The desk's own probes of hosted services (catalog ``monitoring.probe``).

Each due probe runs once (HTTP(S): the expected status and, when given, a keyword in the
body; TCP: a connect), within its timeout. ``triage.monitoring.observe`` turns the result
into the probe's state; only a transition is stored, and it goes through the same use-case
as an Alertmanager alert (``record_signals``): the outage starts at the first failed probe
of the run that crossed the threshold and ends at the first success.

Who runs them: the sweeper, between its minute passes, every second (``run_due``), so a
probe's interval may be shorter than a minute. The database row of each probe says when it
is next due, so several sweepers probe no more often than one (the row is re-checked under
a lock before a run is recorded).
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

import requests

from triage.monitoring import MonitoredService, ProbeSpec, observe, probe_signal
from triage.store.monitoring import load_probe, probe_due, record_signals, save_probe
from workers.context import WorkerContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeRun:
    contract_id: str
    ok: bool
    error: str | None
    transition: str | None  # "down" | "up" | None


def check(spec: ProbeSpec) -> str | None:
    """Run the probe once; None when the service answered as expected, else why not."""
    timeout = spec.timeout.total_seconds()
    try:
        if spec.kind == "tcp":
            host, _, port = spec.target.rpartition(":")
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return None
        response = requests.get(spec.target, timeout=timeout, allow_redirects=False)
    except (OSError, requests.RequestException) as exc:
        return f"{type(exc).__name__}"
    if response.status_code != spec.expect_status:
        return f"HTTP {response.status_code}, expected {spec.expect_status}"
    if spec.keyword is not None and spec.keyword not in response.text:
        return f"keyword {spec.keyword!r} not in the response"
    return None


def run_due(ctx: WorkerContext) -> list[ProbeRun]:
    """Run every probe that is due now; returns what each did."""
    probed = {cid: s for cid, s in ctx.catalog.monitoring.items() if s.probe is not None}
    if not probed:
        return []
    with ctx.sessions() as session:
        due = probe_due(session, probed, ctx.clock())
    return [run_one(ctx, probed[cid]) for cid in due]


def run_one(ctx: WorkerContext, service: MonitoredService) -> ProbeRun:
    """Probe ``service`` once and record the result."""
    spec = service.probe
    assert spec is not None
    at = ctx.clock()  # the probe's instant: an outage starts at a failed probe's
    error = check(spec)
    cid = service.contract_id
    with ctx.sessions() as session:
        before, fingerprint = load_probe(session, cid)
        state, transition = observe(before, error is None, at, spec.failures)
        signal = None
        if transition is not None and transition.status == "down":
            signal = probe_signal(cid, transition, transition.at)
            fingerprint = signal.fingerprint
        elif transition is not None:
            signal = probe_signal(cid, transition, before.first_failed_at or transition.at)
            fingerprint = None
        save_probe(session, cid, state, fingerprint, at, at + spec.interval, error, transition)
        session.commit()
    if signal is not None:
        record_signals(ctx.sessions, ctx.catalog, None, [signal], ctx.clock(), contract_id=cid)
        log.info("probe %s: %s at %s", cid, transition and transition.status, signal.starts_at)
    return ProbeRun(cid, error is None, error, transition.status if transition else None)
