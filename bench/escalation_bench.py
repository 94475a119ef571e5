"""Escalation SMS end to end: how late pages reach Twilio, and how fast SMS leave.

    python bench/escalation_bench.py [--database-url URL] [--open 10000] [--measured 600]
                                     [--workers 2] [--window 60] [--burst 2000]
                                     [--per-rung]

``--window 0`` puts every measured point in the same second (issue 18's 600 rungs).
``--per-rung`` schedules as before issue 18 (one RQ job per rung, ``escalate-<ticket>-
<point>``, running the compatible ``fire_escalation``) instead of one job per due second:
run both in turn for a before/after under the same load.

Everything runs as in production except Twilio: a scratch database (SQLite in a temporary
directory, or a scratch PostgreSQL database created next to the one ``--database-url``
names and dropped afterwards; the named database itself is not touched), the embedded
Redis, ``--workers`` RQ worker processes started with ``worker_argv`` (the Procfile's
command: SimpleWorker with the scheduler), the real ``twilio`` client pointed at the fake
Twilio API (``tests/fakes/twilio_api.py``) in this process, and grouping window 0.

1. Load ``--open`` open tickets through ``rederive_sla`` with scheduling wired
   (``wire_scheduling``), so every pending ladder point becomes an RQ ``enqueue_at`` job:
   ``--open - --measured`` background tickets whose points all lie hours or days ahead
   (MBN received on a weekend, office-hours clock), and ``--measured`` VPS-Terminal
   critical tickets whose "due" point (received + 15 min) falls evenly in a ``--window``
   second window starting ``--lead`` seconds after loading ends. Their "received" rung
   is in the past; they are planned with a "now" past the 1-hour lookback, so that rung
   is recorded as skipped and never scheduled (only the measured point can page).
2. Lateness = arrival of the SMS carrying the ticket at the fake Twilio - the point's
   ``fire_at``; with a cumulative stage breakdown (RQ scheduler, fire job, compose, send)
   and checks for duplicates, missing pages and pages for unmeasured tickets.
3. Baseline, same process, workers and window: ``--baseline`` no-op jobs
   (``bench/bench_jobs.py``) scheduled with ``enqueue_at`` on the same queue, interleaved
   with the measured points; their lateness is RQ's scheduler and queue alone. (A phase
   of its own would not do: RQ's scheduler polls with a period a little over 1 s, and its
   phase decides where in (-1 s, +1 s) a job lands.)
4. Throughput: ``--burst`` queued outbox rows, one ``send_sms`` job each (the real send
   path), with 1 and with ``--workers`` workers; SMS/s from the first enqueue to the last
   arrival at the fake, next to the same workers' rate on no-op jobs.

Workers are warmed up (one job each that builds the worker context) before each phase;
``--cold`` skips that. The fake Twilio gets TCP_NODELAY (see ``_NoDelayHandler``);
``--fake-nagle`` keeps its stock ~40 ms stall per request.

Percentiles, not means: the machine is shared and noisy. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.bench_jobs import BASELINE_KEY
from config.catalog import Catalog, load_catalog
from config.settings import Settings
from sla.escalation import escalation_schedule
from sla.severity import Severity
from tests.fakes.twilio_api import FakeTwilio, _Handler
from triage.store import db
from triage.store.escalations import LOOKBACK, Planned
from triage.store.models import EscalationPoint, SmsOutbox, SmsPage, Ticket
from triage.store.roster import add_staff, set_rotation
from triage.store.sla_columns import rederive_sla
from triage.store.tickets import add_event
from web.cli.desk_commands import worker_argv
from workers import enqueue
from workers.embedded_redis import EmbeddedRedis
from workers.processes import descendants, die_with_parent, kill_tree
from workers.queues import NOTIFY, QUEUES, SLA, connection, queue

REPO = Path(__file__).resolve().parent.parent
OSLO = ZoneInfo("Europe/Oslo")
ONCALL = ("Bench Vakt", "+4791000001")
MANAGER = ("Bench Leder", "+4791000003")
TWILIO_FROM = "+4759440000"
MEASURED_CONTRACT, MEASURED_SEVERITY, MEASURED_POINT = "nettsoft-vps-terminal", "critical", "due"
BACKGROUND_SEVERITY = "non-critical"
BASELINE_FUNC = "bench.bench_jobs.record"
WARM_FUNC = "bench.bench_jobs.warm"
SENT_STATES = ("sent", "delivered")
GOAL_P99_MS = 2000.0


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ statistics


def pct(values: Sequence[float], q: float) -> float:
    """Percentile ``q`` (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def row(label: str, values: Sequence[float], width: int = 38) -> str:
    if not values:
        return f"{label:{width}} {0:>6}  (none)"
    return (
        f"{label:{width}} {len(values):>6} {pct(values, 50):>8.0f} {pct(values, 90):>8.0f} "
        f"{pct(values, 99):>8.0f} {max(values):>8.0f} {min(values):>8.0f}"
    )


def header(width: int = 38) -> str:
    return f"{'(ms)':{width}} {'count':>6} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'min':>8}"


def ts(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # RQ hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# ------------------------------------------------------------------ the fake's socket


class _NoDelayHandler(_Handler):
    """The fake's handler with TCP_NODELAY. The stock handler answers in two writes
    (headers, then body) on a kept-alive connection, so Nagle holds the body until the
    client's delayed ACK: ~40 ms per request on loopback that real Twilio does not add
    and that would otherwise dominate the send path being measured."""

    disable_nagle_algorithm = True


def no_delay(fake: FakeTwilio) -> None:
    assert fake._server is not None
    fake._server.RequestHandlerClass = _NoDelayHandler


# ------------------------------------------------------------------ scratch database


@contextlib.contextmanager
def scratch_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A fresh SQLite file in ``tmp``, or a fresh PostgreSQL database on the server of
    ``url`` (same credentials), dropped on the way out."""
    if url is None:
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    url = Settings.from_env({"DATABASE_URL": url}).database_url
    base = make_url(url)
    if not base.drivername.startswith("postgresql"):
        raise SystemExit(f"--database-url: only PostgreSQL is supported, got {base.drivername}")
    name = f"escalation_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = base.set(database=name).render_as_string(hide_password=False)
    log(f"scratch PostgreSQL database {name} created")
    try:
        yield scratch
    finally:
        db.engine_for(scratch).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        log(f"scratch PostgreSQL database {name} dropped")


# ------------------------------------------------------------------ worker processes


class Workers:
    """RQ worker subprocesses with exactly ``worker_argv``; each in its own session (so a
    Ctrl-C reaches the bench only), dying with the bench even on SIGKILL."""

    def __init__(self, redis_url: str, env: dict[str, str], log_dir: Path) -> None:
        self.redis_url = redis_url
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[IO[bytes]] = []
        self.started = 0
        self.warm = True
        self.first_job_seconds: list[float] = []

    def start(self, count: int, label: str, timeout: float = 60.0) -> float:
        """Start ``count`` workers and wait until all have registered; returns seconds."""
        began = time.monotonic()
        for n in range(count):
            self.started += 1
            handle = (self.log_dir / f"worker-{label}-{n}.log").open("ab")
            self.logs.append(handle)
            self.processes.append(
                subprocess.Popen(
                    worker_argv(self.redis_url),
                    env=self.env,
                    cwd=REPO,
                    stdin=subprocess.DEVNULL,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509
                )
            )
        pids = {p.pid for p in self.processes}
        conn = connection(self.redis_url)
        while True:
            registered = {w.pid for w in Worker.all(connection=conn)} & pids
            if len(registered) == len(pids):
                break
            dead = [p for p in self.processes if p.poll() is not None]
            if dead:
                raise RuntimeError(
                    f"RQ worker exited with {dead[0].returncode}; see {self.log_dir}"
                )
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"RQ workers did not register within {timeout} s")
            time.sleep(0.1)
        if self.warm:
            self.warm_up(pids)
        return time.monotonic() - began

    def warm_up(self, pids: set[int], rounds: int = 6) -> None:
        """One ``bench_jobs.warm`` per worker, until every worker has run one: a freshly
        started worker builds its context on its first job, which is not steady state
        (its cost is reported separately)."""
        sla = queue(SLA, self.redis_url)
        warmed: set[int] = set()
        for _ in range(rounds):
            jobs = [sla.enqueue(WARM_FUNC, 0.5, result_ttl=300) for _ in pids - warmed]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                statuses = [job.get_status(refresh=True) for job in jobs]
                if all(s in ("finished", "failed") for s in statuses):
                    break
                time.sleep(0.1)
            for job in jobs:
                value = job.return_value(refresh=True)
                if value is not None and int(value[0]) not in warmed:
                    warmed.add(int(value[0]))
                    self.first_job_seconds.append(float(value[1]))
            if warmed >= pids:
                return
        raise RuntimeError(f"could not warm every worker ({len(warmed)}/{len(pids)})")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (RQ's warm shutdown: the running job finishes, the scheduler stops),
        then SIGKILL to whatever is left of each process tree."""
        processes, self.processes = self.processes, []
        trees = {p.pid: descendants(p.pid) for p in processes if p.poll() is None}
        for p in processes:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(max(0.1, deadline - time.monotonic()))
        for p in processes:
            if p.poll() is None:
                log(f"worker {p.pid} ignored SIGTERM for {timeout} s: killing it")
                kill_tree(p.pid)
                p.wait()
            for child in trees.get(p.pid, []):  # the scheduler a worker forked
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(child, signal.SIGKILL)
        for handle in self.logs:
            handle.close()
        self.logs = []


# ------------------------------------------------------------------ tickets


def ladder(
    catalog: Catalog, contract_id: str, severity: str, received: datetime
) -> dict[str, datetime]:
    contract = catalog.contracts[contract_id]
    sev = Severity(severity)
    rungs = contract.terms_at(received).ladder_for(sev)
    if rungs is None:
        return {}
    deadline = contract.deadline(sev, received, ())
    return {p.point.name: p.at for p in escalation_schedule(rungs, deadline)}


def background_receipt(catalog: Catalog, now: datetime, horizon: timedelta) -> tuple[str, datetime]:
    """A contract and receipt instant whose whole ladder lies beyond ``now + horizon``:
    received now if the office is closed long enough (a weekend), else next Saturday
    evening (an MBN ticket then waits for Monday's office hours)."""
    local = now.astimezone(OSLO)
    saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7 or 7)
    candidates = [
        ("nettsoft-mbn", now),
        ("pindena", now),
        ("nettsoft-mbn", datetime.combine(saturday, wall_time(20, 0), OSLO)),
    ]
    for contract_id, received in candidates:
        instants = ladder(catalog, contract_id, BACKGROUND_SEVERITY, received)
        if instants and min(instants.values()) > now + horizon:
            return contract_id, received
    raise SystemExit("no background ticket shape keeps its ladder out of the run")


@dataclass(frozen=True)
class Spec:
    contract_id: str
    severity: str
    received: datetime
    plan_now: datetime  # the "now" rederive_sla plans with
    subject: str


def load(
    sessions: sessionmaker[Session], catalog: Catalog, specs: Sequence[Spec], batch: int
) -> list[int]:
    """Tickets as intake makes them (received event, SLA columns, ladder planned), ``batch``
    per transaction; the commit hook schedules their pending points in RQ."""
    ids: list[int] = []
    for start in range(0, len(specs), batch):
        made = []
        created = datetime.now(UTC)
        with sessions() as session:
            for spec in specs[start : start + batch]:
                ticket = Ticket(
                    channel="email",
                    subject=spec.subject,
                    body=spec.subject,
                    contract_id=spec.contract_id,
                    severity=spec.severity,
                    severity_reasons=[],
                    status="open",
                    received_at=spec.received,
                    created_at=created,
                    updated_at=created,
                )
                session.add(ticket)
                add_event(session, ticket, "received", spec.received)
                rederive_sla(session, catalog, ticket, spec.plan_now)
                made.append(ticket)
            session.commit()
        ids.extend(t.id for t in made)
    return ids


def staff_roster(sessions: sessionmaker[Session], now: datetime) -> None:
    """One on-call person at level 1 and a manager at level 2, both "always"."""
    with sessions() as session:
        oncall = add_staff(session, *ONCALL, now)
        set_rotation(session, 1, "always", now - timedelta(days=7), [oncall], now)
        manager = add_staff(session, *MANAGER, now)
        set_rotation(session, 2, "always", now - timedelta(days=7), [manager], now)


# ------------------------------------------------------------------ phases


@dataclass
class Loaded:
    background_ids: list[int]
    measured_ids: list[int]
    seconds: float
    redis_seconds: float
    scheduled_calls: int
    window_start: float
    window_end: float
    loaded_at: float
    background_contract: str


def phase_load(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    total: int,
    measured: int,
    window: float,
    lead: float,
    batch: int,
) -> Loaded:
    now = datetime.now(UTC)
    contract_id, received = background_receipt(catalog, now, timedelta(hours=2))
    background = [
        Spec(contract_id, BACKGROUND_SEVERITY, received, now, f"Bench background #{n}")
        for n in range(total - measured)
    ]
    probe = ladder(catalog, MEASURED_CONTRACT, MEASURED_SEVERITY, now)
    offset = probe[MEASURED_POINT] - now  # "due" = received + 15 min for "immediately"

    # Time the Redis side of loading (the commit hook's schedule_escalations), in this
    # process only: wire_scheduling's hook looks the function up at call time.
    original = enqueue.schedule_escalations
    scheduling = schedule_per_rung if PER_RUNG else original
    spent = [0.0, 0.0]

    def timed(url: str, changes: Iterable[Any]) -> None:
        started = time.perf_counter()
        scheduling(url, changes)
        spent[0] += time.perf_counter() - started
        spent[1] += 1.0

    enqueue.schedule_escalations = timed
    try:
        started = time.perf_counter()
        background_ids = load(sessions, catalog, background, batch)
        bg_seconds = time.perf_counter() - started
        rate = len(background_ids) / bg_seconds if bg_seconds else 1000.0
        # The window opens ``lead`` s after the measured tickets are loaded too.
        window_start = time.time() + measured / rate * 1.5 + 1 + lead
        specs = []
        for n in range(measured):
            fire_at = datetime.fromtimestamp(window_start + n * window / measured, UTC)
            got = fire_at - offset
            specs.append(
                Spec(
                    MEASURED_CONTRACT,
                    MEASURED_SEVERITY,
                    got,
                    got + LOOKBACK + timedelta(minutes=1),  # the "received" rung is stale
                    f"Bench measured #{n}",
                )
            )
        measured_ids = load(sessions, catalog, specs, batch)
        seconds = time.perf_counter() - started
    finally:
        enqueue.schedule_escalations = original
    return Loaded(
        background_ids,
        measured_ids,
        seconds,
        spent[0],
        int(spent[1]),
        window_start,
        window_start + window,
        time.time(),
        contract_id,
    )


def check_plan(sessions: sessionmaker[Session], loaded: Loaded, until: datetime) -> dict[str, int]:
    """What loading planned; the pending points due before ``until`` must be exactly the
    measured ones."""
    measured = set(loaded.measured_ids)
    with sessions() as session:
        by_status = dict(
            session.execute(
                select(EscalationPoint.status, func.count()).group_by(EscalationPoint.status)
            ).all()
        )
        early = session.execute(
            select(EscalationPoint.ticket_id, EscalationPoint.point).where(
                EscalationPoint.status == "pending", EscalationPoint.fire_at <= until
            )
        ).all()
    stray = [(t, p) for t, p in early if t not in measured or p != MEASURED_POINT]
    in_window = len(early) - len(stray)
    if stray or in_window != len(measured):
        raise SystemExit(
            f"planning went wrong: {in_window} measured points in the run "
            f"(want {len(measured)}), {len(stray)} other points due during it, e.g. {stray[:3]}"
        )
    return {str(k): int(v) for k, v in by_status.items()}


@dataclass
class Lateness:
    lateness_ms: list[float]
    stages: dict[str, list[float]]
    steps: dict[str, list[float]]
    sms_count: int
    tickets_per_sms: Counter[int]
    duplicates: int
    missing: int
    outside_sms: int
    outside_fired: int
    fake_messages: int
    outbox_rows: int
    outbox_sent: int
    unknown_sids: int
    failed_jobs: int
    not_sent_states: Counter[str]


def wait_for_pages(
    sessions: sessionmaker[Session],
    measured: set[int],
    window_end: float,
    drain: float,
    baseline_done: Callable[[], bool],
) -> None:
    """Until every measured ticket is in a sent SMS and every baseline job has run (after
    the window), or the drain ends."""
    last_report = 0.0
    while True:
        now = time.time()
        done = len(paged_tickets(sessions) & measured)
        if now - last_report >= 10:
            log(f"  {done}/{len(measured)} measured tickets paged")
            last_report = now
        if now >= window_end and done >= len(measured) and baseline_done():
            return
        if now >= window_end + drain:
            log(f"  drain of {drain:.0f} s over with {done}/{len(measured)} paged")
            return
        time.sleep(0.5)


def stage_times(
    redis_url: str,
    loaded: Loaded,
    due: dict[int, tuple[float, float | None]],
    carried: dict[int, list[tuple[float, float, float | None]]],
) -> tuple[list[float], dict[str, list[float]], dict[str, list[float]]]:
    """Lateness per measured ticket, and when each step of its page happened (ms after
    the point's fire_at): the fire job's RQ timestamps, the database's, the fake's."""
    jobs = Job.fetch_many(
        [job_of(t, due[t][0]) if t in due else "" for t in loaded.measured_ids],
        connection=connection(redis_url),
    )
    job_by_ticket = dict(zip(loaded.measured_ids, jobs, strict=True))
    lateness: list[float] = []
    stages: dict[str, list[float]] = {
        "RQ scheduler put fire job on queue": [],
        "fire job started": [],
        "SMS composed (outbox row)": [],
        "send claimed (claimed_at)": [],
        "arrived at fake Twilio": [],
    }
    steps: dict[str, list[float]] = {
        "scheduler tick (fire_at -> queued)": [],
        "queue wait of the fire job": [],
        "fire job + flush job (-> outbox row)": [],
        "outbox row -> send claimed": [],
        "send claimed -> at Twilio": [],
    }
    for ticket_id in loaded.measured_ids:
        if ticket_id not in carried or ticket_id not in due:
            continue
        fire_at, _fired_at = due[ticket_id]
        arrival, composed, claimed = min(carried[ticket_id])
        lateness.append((arrival - fire_at) * 1000)
        job = job_by_ticket[ticket_id]
        moments = (
            ts(job.enqueued_at) if job else None,
            ts(job.started_at) if job else None,
            composed,
            claimed,
            arrival,
        )
        previous: float | None = fire_at
        for name, step, moment in zip(stages, steps, moments, strict=True):
            if moment is not None:
                stages[name].append((moment - fire_at) * 1000)
                if previous is not None:
                    steps[step].append((moment - previous) * 1000)
            previous = moment
    return lateness, stages, steps


PER_RUNG = False  # --per-rung


def job_of(ticket_id: int, fire_at: float) -> str:
    """The RQ job that fired the ticket's measured point."""
    if PER_RUNG:
        return f"escalate-{ticket_id}-{MEASURED_POINT}"
    return enqueue.escalation_job_id(math.ceil(fire_at))


def schedule_per_rung(url: str, changes: Iterable[Planned]) -> None:
    """Scheduling as before issue 18, for ``--per-rung``: one job per pending rung within
    the horizon, at its (rounded-up) instant."""
    now = datetime.now(UTC)
    near = [c for c in changes if c.pending and c.fire_at <= now + enqueue.SCHEDULE_AHEAD]
    if not near:
        return
    sla = queue(SLA, url)
    with connection(url).pipeline() as pipe:
        for change in near:
            kwargs: dict[str, Any] = {
                "job_id": f"escalate-{change.ticket_id}-{change.point}",
                "job_timeout": enqueue.JOB_TIMEOUT,
                "result_ttl": enqueue.RESULT_TTL,
                "retry": enqueue.RETRY,
                "pipeline": pipe,
            }
            args = (change.ticket_id, change.point)
            func = "workers.jobs.escalation.fire_escalation"
            if change.fire_at <= now:
                sla.enqueue(func, *args, **kwargs)
            else:
                sla.enqueue_at(enqueue._when(change.fire_at), func, *args, **kwargs)
        pipe.execute()


def analyse_lateness(
    sessions: sessionmaker[Session], redis_url: str, loaded: Loaded, fake: FakeTwilio
) -> Lateness:
    measured = set(loaded.measured_ids)
    with sessions() as session:
        points = session.execute(
            select(
                EscalationPoint.ticket_id,
                EscalationPoint.point,
                EscalationPoint.fire_at,
                EscalationPoint.status,
                EscalationPoint.fired_at,
            ).where(EscalationPoint.status != "pending")
        ).all()
        outbox = session.execute(
            select(
                SmsOutbox.id,
                SmsOutbox.ticket_ids,
                SmsOutbox.status,
                SmsOutbox.provider_sid,
                SmsOutbox.created_at,
                SmsOutbox.claimed_at,
            ).order_by(SmsOutbox.id)
        ).all()
        page_rows = session.execute(
            select(SmsPage.ticket_id, SmsPage.escalation_id, SmsPage.status)
        ).all()
    due: dict[int, tuple[float, float | None]] = {}
    outside_fired = 0
    for ticket_id, point, fire_at, status, fired_at in points:
        if ticket_id in measured and point == MEASURED_POINT:
            due[ticket_id] = (fire_at.timestamp(), ts(fired_at))
        elif status == "fired":
            outside_fired += 1
    messages = fake.sent()
    by_sid: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        by_sid.setdefault(message["sid"], []).append(message)
    outbox_sids = {sid for _i, _t, _s, sid, _c, _cl in outbox if sid}
    unknown_sids = sum(len(v) for sid, v in by_sid.items() if sid not in outbox_sids)

    carried: dict[int, list[tuple[float, float, float | None]]] = {}
    tickets_per_sms: Counter[int] = Counter()
    not_sent: Counter[str] = Counter()
    outside_sms = 0
    for _id, ticket_ids, status, sid, created_at, claimed_at in outbox:
        if status not in SENT_STATES or sid not in by_sid:
            not_sent[status] += 1
            continue
        tickets_per_sms[len(ticket_ids)] += 1
        for arrival in by_sid[sid]:
            for ticket_id in ticket_ids:
                if ticket_id not in measured:
                    outside_sms += 1
                    continue
                carried.setdefault(ticket_id, []).append(
                    (arrival["received_at"], created_at.timestamp(), ts(claimed_at))
                )
    duplicates = sum(len(v) - 1 for v in carried.values() if len(v) > 1)
    pages_per_point = Counter(e for _t, e, _s in page_rows)
    duplicates += sum(n - 1 for n in pages_per_point.values() if n > 1)

    lateness, stages, steps = stage_times(redis_url, loaded, due, carried)
    conn = connection(redis_url)
    failed = sum(len(FailedJobRegistry(name, connection=conn)) for name in QUEUES)
    return Lateness(
        lateness_ms=lateness,
        stages=stages,
        steps=steps,
        sms_count=sum(tickets_per_sms.values()),
        tickets_per_sms=tickets_per_sms,
        duplicates=duplicates,
        missing=len(measured - set(carried)),
        outside_sms=outside_sms,
        outside_fired=outside_fired,
        fake_messages=len(messages),
        outbox_rows=len(outbox),
        outbox_sent=sum(1 for r in outbox if r[2] in SENT_STATES),
        unknown_sids=unknown_sids,
        failed_jobs=failed,
        not_sent_states=not_sent,
    )


def schedule_baseline(redis_url: str, count: int, window_start: float, window: float) -> None:
    """No-op jobs at known instants in the measured window, on the same queue, scheduler and
    workers. Interleaved rather than in a phase of their own because RQ's scheduler polls
    once a second with a period slightly over 1 s: its phase against the instants decides
    where in (-1 s, +1 s) a job lands, and only the same scheduler at the same time shares
    it. Their ids sort before "escalate-" ones, so of the jobs due in one scheduler tick
    they are queued first and do not wait for the fire jobs of that tick."""
    connection(redis_url).delete(BASELINE_KEY)
    sla = queue(SLA, redis_url)
    for n in range(count):
        due = window_start + n * window / count  # on the measured points' grid
        sla.enqueue_at(
            datetime.fromtimestamp(due, UTC),
            BASELINE_FUNC,
            due,
            job_id=f"bench-baseline-{n}",
            job_timeout=enqueue.JOB_TIMEOUT,
            result_ttl=enqueue.RESULT_TTL,
        )


@dataclass
class Baseline:
    lateness_ms: list[float]
    tick_ms: list[float]  # when RQ's scheduler put the job on the queue


def baseline_result(redis_url: str, count: int) -> Baseline:
    conn = connection(redis_url)
    records = [json.loads(raw) for raw in conn.lrange(BASELINE_KEY, 0, -1)]
    jobs = Job.fetch_many([f"bench-baseline-{n}" for n in range(count)], connection=conn)
    ticks = []
    for job in jobs:
        if job is not None and job.enqueued_at is not None and job.args:
            ticks.append((ts(job.enqueued_at) - float(job.args[0])) * 1000)  # type: ignore[operator]
    return Baseline([(ran - due) * 1000 for due, ran in records], ticks)


@dataclass
class Burst:
    workers: int
    count: int
    enqueue_seconds: float
    wall_seconds: float
    arrived: int
    requests: int
    duplicates: int
    outbox_sent: int
    unknown_sids: int
    latency_ms: list[float]
    noop_count: int
    noop_rate: float


def phase_burst(
    sessions: sessionmaker[Session],
    redis_url: str,
    workers: Workers,
    fake: FakeTwilio,
    count: int,
    workers_n: int,
    ticket_ids: Sequence[int],
    timeout: float,
) -> Burst:
    """``count`` queued outbox rows to distinct numbers, one ``send_sms`` job each."""
    now = datetime.now(UTC)
    with sessions() as session:
        rows = [
            SmsOutbox(
                recipient=f"+47{93 + workers_n}{n:06d}",
                body=(
                    f"KRITISK VPS-Term #{ticket_ids[n % len(ticket_ids)]}: Terminalserver nede "
                    f"for alle brukere. Frist passert 14:05. Svar ACK for å bekrefte."
                ),
                ticket_ids=[ticket_ids[n % len(ticket_ids)]],
                status="queued",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.commit()
        ids = [r.id for r in rows]
    took = workers.start(workers_n, f"burst{workers_n}")
    noop_count = max(1, count // 4)
    log(f"  {workers_n} worker(s) registered in {took:.1f} s; {noop_count} no-op jobs first")
    noop_rate = noop_burst(redis_url, noop_count, timeout)
    log(f"  enqueueing {count} send_sms jobs")
    base_messages = len(fake.sent())
    base_requests = fake.requests
    started = time.time()
    for outbox_id in ids:
        enqueue.send_sms(redis_url, outbox_id)
    enqueued = time.time() - started
    deadline = started + timeout
    while time.time() < deadline and len(fake.messages) - base_messages < count:
        time.sleep(0.2)
    settle = time.time() + 10  # mark_sent commits after the fake answered
    while time.time() < settle:
        with sessions() as session:
            sent = session.scalar(
                select(func.count())
                .select_from(SmsOutbox)
                .where(SmsOutbox.id.in_(ids), SmsOutbox.status.in_(SENT_STATES))
            )
        if sent == count:
            break
        time.sleep(0.2)
    workers.stop()
    messages = fake.sent()[base_messages:]
    with sessions() as session:
        sids = set(session.scalars(select(SmsOutbox.provider_sid).where(SmsOutbox.id.in_(ids))))
        sent = session.scalar(
            select(func.count())
            .select_from(SmsOutbox)
            .where(SmsOutbox.id.in_(ids), SmsOutbox.status.in_(SENT_STATES))
        )
    per_number = Counter(m["to"] for m in messages)
    last = max((m["received_at"] for m in messages), default=started)
    return Burst(
        workers=workers_n,
        count=count,
        enqueue_seconds=enqueued,
        wall_seconds=last - started,
        arrived=len(messages),
        requests=fake.requests - base_requests,
        duplicates=sum(n - 1 for n in per_number.values() if n > 1),
        outbox_sent=int(sent or 0),
        unknown_sids=sum(1 for m in messages if m["sid"] not in sids),
        latency_ms=[(m["received_at"] - started) * 1000 for m in messages],
        noop_count=noop_count,
        noop_rate=noop_rate,
    )


def noop_burst(redis_url: str, count: int, timeout: float) -> float:
    """Jobs/s of the same workers on no-op jobs enqueued like ``send_sms`` (notify queue,
    same options): what RQ alone costs per job here."""
    conn = connection(redis_url)
    conn.delete(BASELINE_KEY)
    notify = queue(NOTIFY, redis_url)
    started = time.time()
    for n in range(count):
        notify.enqueue(
            BASELINE_FUNC,
            started,
            job_id=f"bench-noop-{uuid.uuid4().hex[:8]}-{n}",
            job_timeout=enqueue.JOB_TIMEOUT,
            result_ttl=enqueue.RESULT_TTL,
            failure_ttl=86400,
        )
    deadline = started + timeout
    while time.time() < deadline and conn.llen(BASELINE_KEY) < count:
        time.sleep(0.1)
    records = [json.loads(raw) for raw in conn.lrange(BASELINE_KEY, 0, -1)]
    last = max((ran for _due, ran in records), default=started)
    return len(records) / (last - started) if last > started else math.nan


# ------------------------------------------------------------------ main


def report(
    args: argparse.Namespace,
    kind: str,
    loaded: Loaded,
    statuses: dict[str, int],
    scheduled: int,
    queued_now: int,
    result: Lateness,
    baseline: Baseline,
    bursts: list[Burst],
) -> None:
    total = len(loaded.background_ids) + len(loaded.measured_ids)
    print()
    print(
        f"database: {kind}; open tickets: {total} ({len(loaded.background_ids)} background "
        f"{loaded.background_contract} {BACKGROUND_SEVERITY}, {len(loaded.measured_ids)} measured "
        f"{MEASURED_CONTRACT} {MEASURED_SEVERITY}); workers: {args.workers}; grouping window 0 s"
    )
    print(
        "scheduling: "
        + ("one RQ job per rung (before issue 18)" if PER_RUNG else "one RQ job per due second")
    )
    print(
        f"loading: {total} tickets in {loaded.seconds:.1f} s = {total / loaded.seconds:,.0f} "
        f"tickets/s ({args.batch} per transaction); of which RQ scheduling in the commit hook "
        f"{loaded.redis_seconds:.1f} s ({loaded.scheduled_calls} calls)"
    )
    print(
        f"  escalation points: {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}; "
        f"RQ: {scheduled} scheduled, {queued_now} queued at once"
    )
    print(
        f"  measured window: {args.measured} '{MEASURED_POINT}' points over {args.window:.0f} s, "
        f"opening {loaded.window_start - loaded.loaded_at:.1f} s after loading ended"
    )
    print()
    print("lateness (arrival at Twilio, or baseline job run, minus the scheduled instant)")
    print(header())
    print(row("escalation SMS", result.lateness_ms))
    print(row("baseline no-op RQ job", baseline.lateness_ms))
    b50, b99 = pct(baseline.lateness_ms, 50), pct(baseline.lateness_ms, 99)
    e50, e99 = pct(result.lateness_ms, 50), pct(result.lateness_ms, 99)
    e90, b90 = pct(result.lateness_ms, 90), pct(baseline.lateness_ms, 90)
    print(
        f"{'SMS minus baseline':38} {'':>6} {e50 - b50:>8.0f} {e90 - b90:>8.0f} {e99 - b99:>8.0f}"
    )
    print(
        f"ratio SMS/baseline: p90 {e90 / b90 if b90 > 0 else math.nan:.2f}x, "
        f"p99 {e99 / b99 if b99 > 0 else math.nan:.2f}x; no p50 ratio: where the scheduler's "
        f"1 s poll falls decides both p50s, and either can be below 0 (see min)"
    )
    print()
    print("stages of the measured SMS, cumulative from the point's fire_at")
    print(header())
    for name, values in result.stages.items():
        print(row(name, values))
    print("the same, per stage (time spent in each step)")
    print(header())
    for name, values in result.steps.items():
        print(row(name, values))
    print(row("baseline jobs' scheduler tick", baseline.tick_ms))
    print()
    per_sms = ", ".join(f"{k} ticket(s): {v}" for k, v in sorted(result.tickets_per_sms.items()))
    print(f"SMS sent for the measured points: {result.sms_count} ({per_sms})")
    print(
        f"checks: duplicates {result.duplicates}, missing {result.missing}, SMS for "
        f"unmeasured tickets {result.outside_sms}, other points fired {result.outside_fired}, "
        f"fake messages {result.fake_messages} vs outbox rows {result.outbox_rows} "
        f"(sent {result.outbox_sent}), fake SIDs not in the outbox {result.unknown_sids}, "
        f"failed RQ jobs {result.failed_jobs}"
        + (
            f", outbox rows not sent: {dict(result.not_sent_states)}"
            if result.not_sent_states
            else ""
        )
    )
    clean = not (result.duplicates or result.missing or result.outside_sms or result.unknown_sids)
    held = e99 <= GOAL_P99_MS and clean
    print(
        f"goal (p99 <= {GOAL_P99_MS / 1000:.0f} s late, no duplicates, none missing): "
        f"{'MET' if held else 'NOT MET'} (p99 {e99 / 1000:.2f} s)"
    )
    print()
    print("throughput: a burst of queued outbox rows, one send_sms job each (real twilio client)")
    print(
        f"{'workers':>7} {'SMS':>6} {'arrived':>8} {'wall s':>8} {'SMS/s':>8} {'enqueue s':>10} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'dups':>5} {'sent rows':>10} "
        f"{'no-op jobs/s':>13} {'SMS/no-op':>10}"
    )
    for b in bursts:
        rate = b.arrived / b.wall_seconds if b.wall_seconds else math.nan
        print(
            f"{b.workers:>7} {b.count:>6} {b.arrived:>8} {b.wall_seconds:>8.2f} {rate:>8.1f} "
            f"{b.enqueue_seconds:>10.2f} {pct(b.latency_ms, 50):>8.0f} {pct(b.latency_ms, 99):>8.0f} "
            f"{b.requests:>9} {b.duplicates + b.unknown_sids:>5} {b.outbox_sent:>10} "
            f"{b.noop_rate:>13.1f} {rate / b.noop_rate:>9.2f}x"
        )
    print(
        "(wall: first enqueue to last arrival at the fake; p50/p99 ms: arrival after the first "
        "enqueue; no-op jobs/s: the same workers on a burst of no-op jobs, enqueued alike)"
    )


def desk_env(url: str, redis_url: str, fake: Mapping[str, str], tmp: Path) -> dict[str, str]:
    """The environment of the desk's processes in a bench: ours, less what would reach real
    services, with the scratch database, the bench's Redis and the fake Twilio
    (``account_sid``, ``auth_token``, ``base_url``); SMS leave at once (no grouping)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TRIAGE_PUBLIC_URL", "IMAP_URL", "SMTP_URL", "TRIAGE_LOG_LEVEL")
    }
    env.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "TRIAGE_DATA_DIR": str(tmp),
            "TWILIO_ACCOUNT_SID": fake["account_sid"],
            "TWILIO_AUTH_TOKEN": fake["auth_token"],
            "TWILIO_FROM": TWILIO_FROM,
            "TWILIO_API_BASE": fake["base_url"],
            "TRIAGE_SMS_GROUP_SECONDS": "0",
            "TRIAGE_ROSTER_CALENDAR": "office-hours",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
    )
    return env


def paged_tickets(sessions: sessionmaker[Session]) -> set[int]:
    """Tickets in an SMS that reached the provider."""
    covered: set[int] = set()
    with sessions() as session:
        for (ids,) in session.execute(
            select(SmsOutbox.ticket_ids).where(SmsOutbox.status.in_(SENT_STATES))
        ):
            covered.update(ids or [])
    return covered


def run(args: argparse.Namespace, tmp: Path, stack: contextlib.ExitStack) -> None:
    began = time.monotonic()
    load_at_start = os.getloadavg()[0]
    url = stack.enter_context(scratch_database(args.database_url, tmp))
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    db.upgrade(url)
    settings = Settings.from_env({**os.environ, "DATABASE_URL": url, "TRIAGE_DATA_DIR": str(tmp)})
    catalog = load_catalog(settings.catalog_path)
    redis_server = stack.enter_context(EmbeddedRedis(tmp / "redis"))
    fake = stack.enter_context(FakeTwilio())
    if not args.fake_nagle:
        no_delay(fake)
    env = desk_env(
        url,
        redis_server.url,
        {"account_sid": fake.account_sid, "auth_token": fake.auth_token, "base_url": fake.base_url},
        tmp,
    )
    workers = Workers(redis_server.url, env, tmp)
    workers.warm = not args.cold
    stack.callback(workers.stop)

    sessions = db.session_factory(url)
    enqueue.wire_scheduling(sessions, redis_server.url)
    reads = sessionmaker(db.engine_for(url), expire_on_commit=False)  # no scheduling hook
    staff_roster(sessions, datetime.now(UTC))

    # 1. load
    log(
        f"{kind}: loading {args.open} open tickets ({args.measured} measured), batches of {args.batch}"
    )
    loaded = phase_load(
        sessions, catalog, args.open, args.measured, args.window, args.lead, args.batch
    )
    scheduled = ScheduledJobRegistry(queue=queue(SLA, redis_server.url)).count  # type: ignore[no-untyped-call]
    queued_now = len(queue(SLA, redis_server.url))
    run_end = datetime.fromtimestamp(loaded.window_end, UTC) + timedelta(minutes=10)
    statuses = check_plan(reads, loaded, run_end)
    gap = loaded.window_start - loaded.loaded_at
    log(
        f"  loaded in {loaded.seconds:.1f} s; {scheduled} jobs scheduled; window opens in "
        f"{gap:.1f} s"
    )

    # 2. measured escalations, with the baseline's no-op jobs in the same window
    schedule_baseline(redis_server.url, args.baseline, loaded.window_start, args.window)
    took = workers.start(args.workers, "measured")
    log(f"  {args.workers} worker(s) registered in {took:.1f} s; waiting for the window")
    conn = connection(redis_server.url)
    wait_for_pages(
        reads,
        set(loaded.measured_ids),
        loaded.window_end,
        args.drain,
        lambda: conn.llen(BASELINE_KEY) >= args.baseline,
    )
    workers.stop()
    result = analyse_lateness(reads, redis_server.url, loaded, fake)
    baseline = baseline_result(redis_server.url, args.baseline)

    # 3. throughput
    bursts = []
    for n in sorted({1, args.workers}):
        log(f"throughput: {args.burst} SMS with {n} worker(s)")
        bursts.append(
            phase_burst(
                reads,
                redis_server.url,
                workers,
                fake,
                args.burst,
                n,
                loaded.background_ids,
                args.burst_timeout,
            )
        )

    report(args, kind, loaded, statuses, scheduled, queued_now, result, baseline, bursts)
    print(
        f"load average (1 min) at start {load_at_start:.1f}, at end {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    if workers.first_job_seconds:
        cold = workers.first_job_seconds
        print(
            f"first job of a fresh worker (imports, context, DB connection), run as a warm-up "
            f"before each phase: median {pct(cold, 50) * 1000:.0f} ms, "
            f"max {max(cold) * 1000:.0f} ms over {len(cold)} worker starts"
        )
    else:
        print("workers were not warmed up (--cold): each worker's first job built its context")
    print(
        "fake Twilio: "
        + ("stock handler (~40 ms Nagle stall per request)" if args.fake_nagle else "TCP_NODELAY")
    )
    print(f"total bench time {time.monotonic() - began:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server to make a scratch database on")
    parser.add_argument("--open", type=int, default=10_000, help="open tickets in all")
    parser.add_argument("--measured", type=int, default=600, help="tickets paged in the window")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=float, default=60.0, help="seconds the pages spread over")
    parser.add_argument("--lead", type=float, default=20.0, help="seconds from loaded to window")
    parser.add_argument("--drain", type=float, default=20.0, help="max seconds after the window")
    parser.add_argument("--batch", type=int, default=100, help="tickets per transaction")
    parser.add_argument("--baseline", type=int, default=200, help="no-op jobs in the window")
    parser.add_argument("--burst", type=int, default=2000, help="SMS per throughput run")
    parser.add_argument("--burst-timeout", type=float, default=90.0)
    parser.add_argument(
        "--per-rung", action="store_true", help="one RQ job per rung, as before issue 18"
    )
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up job before each phase's measurement"
    )
    parser.add_argument(
        "--fake-nagle",
        action="store_true",
        help="leave the fake Twilio's ~40 ms Nagle/delayed-ACK stall per request in place",
    )
    args = parser.parse_args()
    global PER_RUNG  # noqa: PLW0603 (a run-wide mode of this script, set once)
    PER_RUNG = args.per_rung
    if not 1 <= args.measured < args.open:
        parser.error("--measured must be at least 1 and below --open")
    if args.window < 0:
        parser.error("--window must not be negative (0: every point in the same second)")
    if args.workers < 1 or args.burst < 1 or args.baseline < 1 or args.batch < 1:
        parser.error("--workers, --burst, --baseline and --batch must be positive")

    run_cleanly(lambda tmp, stack: run(args, tmp, stack), "escbench-", "worker-*.log")


def run_cleanly(body: Callable[[Path, contextlib.ExitStack], None], prefix: str, logs: str) -> None:
    """Run a bench in a scratch directory: SIGTERM and Ctrl-C stop every child it started
    (the ExitStack) and remove scratch data; a failure prints the tail of its children's
    logs (``logs``, a glob in the scratch directory)."""

    def terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, contextlib.ExitStack() as stack:
        try:
            body(Path(tmp), stack)
        except KeyboardInterrupt:
            log("interrupted: stopping the children, removing scratch data")
            stack.close()
            sys.exit(130)
        except BaseException:
            for path in sorted(Path(tmp).glob(logs)):
                tail = path.read_text(errors="replace").splitlines()[-15:]
                log(f"failed; {path.name} ends with:\n" + "\n".join(tail))
            raise


if __name__ == "__main__":
    main()
