"""End-to-end load test: signed chat and e-mail webhooks into a running desk, on loopback.

    python bench/load.py [--duration 60] [--rate 250] [--baseline-duration 10] [--drain 30]
                         [--web-workers N] [--workers 2] [--concurrency 64]
                         [--critical-share 0.04] [--email-share 0.5] [--duplicate-share 0.01]
                         [--database-url postgresql://postgres@127.0.0.1:5432/postgres | --sqlite]

The desk runs as ``triage up`` and the Procfile run it: a scratch PostgreSQL database
(created next to the one ``--database-url`` names, migrated, dropped at the end; ``--sqlite``
uses a file in a temporary directory instead), the embedded Redis, gunicorn on 127.0.0.1
with the desk's gunicorn settings (``config/gunicorn.py``; ``--web-workers`` gevent workers,
by default as many as the desk would start) serving ``web.app:create_app()``, ``--workers`` RQ
workers with exactly ``worker_argv`` (SimpleWorker with the scheduler), and the minute
sweeper. Twilio is the fake API (``tests/fakes/twilio_api.py``) in a child process of its
own, so its arrival stamps do not wait for this process's GIL; the real ``twilio`` client
reaches it through ``TWILIO_API_BASE``. One person is on call at level 1 and one at level
2 (``escalation_bench.staff_roster``), and the grouping window is 0 s.

Phases (figures are printed, never asserted; at the end each goal of issue 18 the run
speaks to is printed as MET or NOT MET):

1. Warm-up: a few intake requests, so the web workers have imported everything, and one
   job per RQ worker (``escalation_bench.Workers``).
2. Baseline: ``GET /healthz`` for ``--baseline-duration`` seconds at ``--rate`` with the same
   client: the bare web stack (accept, WSGI, Flask) at the same offered load.
3. Intake: for ``--duration`` seconds at ``--rate``, open loop (each request has its instant
   on a fixed grid, whether earlier ones were answered or not), from ``--concurrency``
   client threads with one connection per request (the old sync workers closed it after
   each answer anyway). Each message is distinct (message id, conversation, Message-ID),
   ``--email-share`` of them e-mail, the rest chat, all HMAC-signed; ``--duplicate-share``
   of the deliveries repeat an earlier message byte for byte, some within milliseconds of
   it (the race that intake settles with the unique key), some seconds later.
   ``--critical-share`` of the messages say a terminal server is down for the whole
   company: critical, routed to ``nettsoft-vps-terminal``, whose "immediate" ladder has a
   "received" rung at 0 % - fire_at is the receipt instant itself, so each of these pages
   the on-call person within the run. Every other text is non-critical (or unrouted), so
   no other rung falls inside the run; this is checked against the catalog before starting.
4. Drain (at most ``--drain`` seconds): until every measured ticket is in an SMS that
   reached the fake and the RQ queues are empty.
   The webhooks answer 202 with a receipt (issue 18); the RQ workers ingest in batches.
4a. Ingestion: until the inbox holds no payload still to ingest (at most ``--drain`` s);
   then each receipt is resolved to its ticket from the database. Receipt -> ticket =
   the ticket's ``created_at`` (the batch's clock) - its ``received_at`` (the store).
   Then the INSERT + COMMIT baseline: ``BARE_INSERTS`` of the run's payloads stored one
   by one through psycopg from this process (client + backend CPU), against which the
   accept path's CPU (the web processes and their own backends, told apart by
   ``application_name``) is compared.
5. Checks, from the client's records, the database and the fake:
   tickets - every distinct message answered 2xx is exactly one ticket, redeliveries'
   receipts lead to the same ticket, no ticket exists that no answered request accounts for;
   SMS - every fired point has one page per recipient, each page is in one SMS that
   reached the fake exactly once, no point whose instant has passed is still pending.
   Escalation lag = arrival at the fake of the first SMS carrying the ticket - the
   point's ``fire_at`` (from ``escalation_points``), with the stages in between.

Latency is from the moment a client thread sends to the end of the answer; the "from
schedule" figures also count the wait for a free client thread (coordinated omission).
Nothing is sent after the schedule's end (+2 s), so an overloaded desk shows as requests
"not sent" rather than as a run that never ends. The client's own send rate and CPU time
are printed, so a client bottleneck would show.

CPU seconds per part of the stack during the intake phase (web, RQ workers, the
PostgreSQL backends of the scratch database, Redis, ..., from ``/proc``) say where the
time went; their sum per answered webhook gives the most the desk could take on idle
CPUs. The machine is shared: the CPU of everything that is not ours and the load average
are printed too, so repeat runs and compare medians.

The desk's settings come from the environment as in production, over which the bench sets
what it must (database, Redis, Twilio, inbound secret, grouping window 0); e.g.
``TRIAGE_RATE_LIMIT_WEBHOOKS`` (per client address, and every request comes from
127.0.0.1 here) applies as set. The scratch database is named ``escalation_bench_<hex>``
(``escalation_bench.scratch_database``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rq.registry import StartedJobRegistry
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.escalation_bench import (
    Workers,
    desk_env,
    header,
    ladder,
    log,
    paged_tickets,
    pct,
    row,
    run_cleanly,
    scratch_database,
    staff_roster,
    ts,
)
from config import gunicorn as web_settings
from config.catalog import Catalog, load_catalog
from config.settings import Settings
from tests.fakes.twilio_api import FakeTwilio
from triage.classify import classify
from triage.routing import route
from triage.store import db
from triage.store.intake import storage_key
from triage.store.models import (
    ChannelMessage,
    EscalationPoint,
    InboxItem,
    SmsOutbox,
    SmsPage,
    Ticket,
    TicketEvent,
)
from web.cli.desk_commands import web_argv
from web.inbound import SIGNATURE_HEADER, signature
from workers import enqueue
from workers.channels.payloads import checks
from workers.embedded_redis import EmbeddedRedis
from workers.processes import descendants, die_with_parent, kill_tree, signal_group
from workers.queues import QUEUES, connection, queue

REPO = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
SECRET = "load-bench-secret"
MEASURED_CONTRACT, MEASURED_SEVERITY, MEASURED_POINT = (
    "nettsoft-vps-terminal",
    "critical",
    "received",
)
MEASURED_TEXT = (
    "Terminalserveren er nede",
    "Terminalserveren er nede for alle brukere, ingen i hele bedriften får logget på",
)
BACKGROUND_TEXTS = (
    ("Treg Outlook", "Outlook er litt treg på min maskin"),
    ("Mobilsvar", "Hei, mobilsvar på MBN virker ikke for meg"),
    ("Skriver", "Skriveren på 2. etasje tar ikke utskrifter"),
    ("Påmelding", "Påmelding i Pindena feiler for aktivitet 7"),
    ("Teams", "Teams-telefoni: en kollega hører ikke lyd i samtaler"),
    ("Ny bruker", "Kan dere legge til en ny bruker i Microsoft 365 for meg?"),
)
# Issue 18's goals (PostgreSQL, loopback, the client on the same machine).
GOAL_RATE = 1000.0  # webhooks accepted (202) per second
GOAL_P99_MS = 100.0  # webhook latency
GOAL_ACCEPT_CPU_RATIO = 3.0  # accept-path CPU per webhook vs a bare INSERT + COMMIT
GOAL_INGEST_RATE = 400.0  # tickets/s ingested, sustained
GOAL_INGEST_SECONDS = 60.0
GOAL_RECEIPT_P99_MS = 2000.0  # receipt -> ticket
GOAL_LAG_P99_MS = 2000.0  # escalation SMS lag
BARE_INSERTS = 2000  # the INSERT + COMMIT baseline's rows (channel "bench", deleted after)
WARM_UP_REQUESTS = 40
REQUEST_TIMEOUT = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
WEB, WORKERS, POSTGRES, POSTGRES_WEB, REDIS, CLIENT = (
    "web (gunicorn)",
    "RQ workers",
    "PostgreSQL, our database (workers, sweeper)",
    "PostgreSQL, the web's connections",
    "Redis",
    "bench client (this process)",
)
DESK_PARTS = (WEB, WORKERS, POSTGRES, POSTGRES_WEB, REDIS, "sweeper", "fake Twilio")
#: The web processes' PostgreSQL connections carry this application_name, so their
#: backends' CPU (the accept path's share of PostgreSQL) is told from the workers'.
WEB_APPLICATION = "triage-web"


# ------------------------------------------------------------------ messages


@dataclass(frozen=True)
class Message:
    """One distinct inbound message: the channel key intake stores it under, and whether
    it is one of the measured (paging) tickets."""

    channel: str  # "chat" | "email"
    key: str  # channel_messages.key of its dedup key
    measured: bool
    body: bytes


@dataclass(frozen=True)
class Request:
    """What a client thread sends; ``message`` is None for the /healthz baseline."""

    method: str
    path: str
    body: bytes
    headers: Mapping[str, str]
    message: Message | None = None
    redelivery: bool = False


def chat_message(run: str, n: int, text: str, measured: bool, now: datetime) -> Message:
    message_id = f"{run}-m{n}"
    body = json.dumps(
        {
            "conversation_id": f"{run}-c{n}",
            "message_id": message_id,
            "sender": {"name": "Load Bench", "email": f"user{n % 50}@kunde.example"},
            "text": f"{text} (ref {run}-{n})",
            "sent_at": now.isoformat(),
        }
    ).encode()
    return Message("chat", f"message:{message_id}", measured, body)


def email_message(
    run: str, n: int, subject: str, text: str, measured: bool, now: datetime
) -> Message:
    message_id = f"<{run}-{n}@kunde.example>"
    lines = (
        f"From: Load Bench <user{n % 50}@kunde.example>",
        "To: support@desk.example",
        f"Subject: {subject} (ref {run}-{n})",
        f"Date: {format_datetime(now)}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        f"{text}.",
        "",
        "Hilsen Load Bench",
        "",
    )
    return Message("email", message_id, measured, "\r\n".join(lines).encode())


def intake_request(message: Message, redelivery: bool = False) -> Request:
    path, content_type = (
        ("/inbound/chat", "application/json")
        if message.channel == "chat"
        else ("/inbound/email", "message/rfc822")
    )
    headers = {
        "Content-Type": content_type,
        SIGNATURE_HEADER: signature(SECRET, message.body),
        "Connection": "close",
    }
    return Request("POST", path, message.body, headers, message, redelivery)


def make_messages(
    run: str, count: int, critical_share: float, email_share: float, rng: random.Random
) -> list[Message]:
    """``count`` distinct messages, measured ones spread evenly through the sequence."""
    now = datetime.now(UTC)
    step = 1 / critical_share if critical_share > 0 else math.inf
    measured_at = {int(k * step) for k in range(int(count * critical_share))}
    messages = []
    for n in range(count):
        measured = n in measured_at
        subject, text = MEASURED_TEXT if measured else rng.choice(BACKGROUND_TEXTS)
        if rng.random() < email_share:
            messages.append(email_message(run, n, subject, text, measured, now))
        else:
            messages.append(chat_message(run, n, text, measured, now))
    return messages


def with_redeliveries(messages: Sequence[Message], total: int, rng: random.Random) -> list[Request]:
    """The messages as requests, plus ``total - len(messages)`` redeliveries of earlier
    ones: half 1-3 requests behind the original (likely in flight together), half 250-1250
    requests later (1-5 s at 250/s). The result has ``total`` requests in send order."""
    slots: list[tuple[float, Request]] = [
        (float(i), intake_request(m)) for i, m in enumerate(messages)
    ]
    for k in range(total - len(messages)):
        i = rng.randrange(len(messages))
        gap = rng.randint(1, 3) if k % 2 == 0 else rng.randint(250, 1250)
        slots.append((i + gap + 0.5, intake_request(messages[i], redelivery=True)))
    slots.sort(key=lambda slot: slot[0])
    return [request for _, request in slots]


def check_texts(catalog: Catalog, horizon: timedelta) -> None:
    """Stop before starting when the texts would not do what the bench assumes: the
    measured text is critical on the measured contract with a rung at receipt, and no
    background text has a rung within ``horizon``."""
    now = datetime.now(UTC)
    subject, text = MEASURED_TEXT
    for channel, subj in (("chat", ""), ("email", subject)):
        severity = classify(text, subj, channel).severity.value
        contract = route(catalog.contracts, subject=subj, body=text, recipients=(), sender=None)
        if (contract.contract_id, severity) != (MEASURED_CONTRACT, MEASURED_SEVERITY):
            raise SystemExit(f"measured text ({channel}) is {severity} {contract.contract_id}")
    rungs = ladder(catalog, MEASURED_CONTRACT, MEASURED_SEVERITY, now)
    if rungs.get(MEASURED_POINT) != now:
        raise SystemExit(f"the measured ladder has no {MEASURED_POINT!r} rung at receipt")
    for subj, body in BACKGROUND_TEXTS:
        for channel, s in (("chat", ""), ("email", subj)):
            severity = classify(body, s, channel).severity.value
            contract_id = route(
                catalog.contracts, subject=s, body=body, recipients=(), sender=None
            ).contract_id
            if contract_id is None:
                continue
            instants = ladder(catalog, contract_id, severity, now)
            if instants and min(instants.values()) <= now + horizon:
                raise SystemExit(
                    f"background text {body!r} ({channel}) would page within the run "
                    f"({contract_id} {severity})"
                )


# ------------------------------------------------------------------ the client


@dataclass
class Outcome:
    request: Request
    scheduled: float  # wall clock: the request's instant on the grid
    started: float  # wall clock: sent
    latency: float  # seconds, send to the end of the answer
    status: int | None  # None: no answer (connection error, timeout)
    error: str | None = None
    receipt: int | None = None  # the 202's receipt (the first delivery's, for a redelivery)
    ticket: int | None = None  # resolved from the receipt after ingestion
    created: bool = False  # this delivery's inbox item opened the ticket
    duplicate: bool = False  # answered as a redelivery of a delivery already seen

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def ended(self) -> float:
        return self.started + self.latency


@dataclass
class ClientRun:
    label: str
    rate: float
    offered: int
    outcomes: list[Outcome]  # the requests sent, in schedule order
    cpu_seconds: float  # this process, user + system
    wall_seconds: float

    @property
    def send_rate(self) -> float:
        """What the client achieved: requests sent per second, first to last send."""
        starts = [o.started for o in self.outcomes]
        span = max(starts) - min(starts) if len(starts) > 1 else 0.0
        return (len(starts) - 1) / span if span > 0 else math.nan


class LoadClient:
    """Open-loop HTTP client: request ``i`` is due at ``start + i / rate``; ``threads``
    threads take the next due request as soon as they are free. Nothing is sent after
    the schedule's end plus ``GRACE`` seconds, so a slow desk cannot stretch the run:
    what was not sent by then is counted as not sent."""

    GRACE = 2.0

    def __init__(self, port: int, threads: int, stop: threading.Event) -> None:
        self.port = port
        self.threads = threads
        self.stop = stop

    def run(self, label: str, requests: Sequence[Request], rate: float) -> ClientRun:
        outcomes: list[Outcome | None] = [None] * len(requests)
        lock = threading.Lock()
        cursor = iter(range(len(requests)))
        start_wall = time.time() + 0.2
        start_perf = time.perf_counter() + 0.2
        usage = resource.getrusage(resource.RUSAGE_SELF)
        deadline = start_perf + len(requests) / rate + self.GRACE

        def worker() -> None:
            while not self.stop.is_set():
                with lock:
                    i = next(cursor, None)
                if i is None or time.perf_counter() > deadline:
                    return
                delay = start_perf + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                outcomes[i] = self.send(requests[i], start_wall + i / rate)

        pool = [
            threading.Thread(target=worker, name=f"load-{n}", daemon=True)
            for n in range(min(self.threads, len(requests)))
        ]
        for thread in pool:
            thread.start()
        for thread in pool:
            while thread.is_alive():  # a timed join: Ctrl-C reaches the main thread
                thread.join(0.5)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
        done = [o for o in outcomes if o is not None]
        return ClientRun(label, rate, len(requests), done, cpu, time.perf_counter() - start_perf)

    def send(self, request: Request, scheduled: float) -> Outcome:
        started_wall = time.time()
        started = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(request.method, request.path, request.body or None, dict(request.headers))
            response = conn.getresponse()
            data = response.read()
            status: int | None = response.status
            error = None
        except (OSError, http.client.HTTPException) as exc:
            status, data, error = None, b"", type(exc).__name__
        finally:
            conn.close()
        outcome = Outcome(
            request, scheduled, started_wall, time.perf_counter() - started, status, error
        )
        if request.message is not None and outcome.ok:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                answer = json.loads(data)
                outcome.receipt = int(answer["receipt"])
                outcome.duplicate = bool(answer.get("duplicate"))
        return outcome


def resolve_receipts(reads: sessionmaker[Session], outcomes: Sequence[Outcome]) -> None:
    """What each accepted delivery became, from the database once the inbox is drained:
    the receipt's ticket, and whether its inbox item opened it (its "received" event)."""
    with reads() as session:
        ticket_of = {
            int(i): int(t)
            for i, t in session.execute(
                select(InboxItem.id, InboxItem.ticket_id).where(InboxItem.ticket_id.is_not(None))
            )
        }
        opened_by = {
            int(e.data["inbox_item"])
            for e in session.scalars(select(TicketEvent).where(TicketEvent.kind == "received"))
            if isinstance(e.data, dict) and e.data.get("inbox_item") is not None
        }
    for o in outcomes:
        if o.receipt is not None:
            o.ticket = ticket_of.get(o.receipt)
            o.created = not o.duplicate and o.receipt in opened_by


def healthz_requests(count: int) -> list[Request]:
    return [Request("GET", "/healthz", b"", {"Connection": "close"}) for _ in range(count)]


# ------------------------------------------------------------------ desk processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


CpuSnapshot = dict[str, dict[int, float]]  # part of the stack -> pid -> CPU seconds
MACHINE = "machine (all processes)"


def pid_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) ``pid`` has used, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def tree_pids(pid: int | None) -> list[int]:
    return [] if pid is None else [pid, *descendants(pid)]


def postgres_pids(database: str) -> tuple[list[int], list[int]]:
    """PostgreSQL backends serving ``database`` (by their process title), and every other
    PostgreSQL process (other databases, and the server's own: WAL writer, checkpointer)."""
    ours: list[int] = []
    others: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if Path(entry.path, "comm").read_text().strip() != "postgres":
                continue
            title = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
            (ours if f" {database} " in title else others).append(int(entry.name))
    return ours, others


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine (every core, every user) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLK_TCK


def snapshot(parts: Mapping[str, Sequence[int]]) -> CpuSnapshot:
    taken: CpuSnapshot = {MACHINE: {0: machine_cpu()}}
    for name, pids in parts.items():
        taken[name] = {p: c for p in pids if (c := pid_cpu(p)) is not None}
    return taken


def cpu_used(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds per part between two snapshots; a process that started in between
    counts with all it used, one that ended in between with nothing (a lower bound)."""
    return {
        name: sum(c - before.get(name, {}).get(p, 0.0) for p, c in pids.items())
        for name, pids in after.items()
    }


class Service:
    """A desk process as ``triage up``'s supervisor starts it (own session, PDEATHSIG),
    with its output in a log file; stopped with SIGTERM to its group, then SIGKILL."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_dir: Path):
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._spawn(stdin=subprocess.DEVNULL, stdout=None)

    def _spawn(self, *, stdin: int, stdout: int | None) -> None:
        """The child in a process group of its own, dying with us; its output (or only
        its stderr, when ``stdout`` is a pipe) goes to its log."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=REPO,
            stdin=stdin,
            stdout=self._log if stdout is None else stdout,
            stderr=subprocess.STDOUT if stdout is None else self._log,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        return tree_pids(self.process.pid if self.alive() and self.process else None)

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            signal_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
            if process.poll() is None:
                log(f"{self.name} ignored SIGTERM for {timeout:.0f} s: killing it")
                kill_tree(process.pid)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class FakeTwilioProcess(Service):
    """The fake Twilio API in a child process (``--serve-fake-twilio``): it prints its
    address and credentials, and the messages it holds each time it reads "dump"."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        argv = [sys.executable, str(Path(__file__).resolve()), "--serve-fake-twilio"]
        super().__init__("fake-twilio", argv, env, log_dir)
        self.info: dict[str, str] = {}

    def start(self) -> None:
        self._spawn(stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"fake Twilio ended: {self.tail()}")
        return dict(json.loads(line))

    def dump(self) -> tuple[list[dict[str, Any]], int]:
        """Every message the fake accepted, and its request count."""
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"dump\n")
        self.process.stdin.flush()
        answer = self._read()
        return list(answer["messages"]), int(answer["requests"])

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # EOF: the fake stops and exits
        super().stop(timeout)


def serve_fake_twilio() -> None:
    """Child-process mode: run the fake until stdin closes, answering "dump" requests."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with FakeTwilio() as fake:
        info = {"base_url": fake.base_url, "account_sid": fake.account_sid}
        print(json.dumps({**info, "auth_token": fake.auth_token}), flush=True)
        for line in sys.stdin:
            if line.strip() == "dump":
                print(json.dumps({"messages": fake.sent(), "requests": fake.requests}), flush=True)


def wait_ready(port: int, web: Service, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not web.alive():
            raise RuntimeError(f"gunicorn exited:\n{web.tail()}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"the desk was not ready within {timeout:.0f} s:\n{web.tail()}")


@dataclass
class Desk:
    url: str
    redis_url: str
    port: int
    web: Service
    sweeper: Service
    workers: Workers
    fake: FakeTwilioProcess
    redis: EmbeddedRedis
    reads: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.reads = db.session_factory(self.url)

    def web_backends(self) -> set[int]:
        with self.reads() as session:
            return {
                int(pid)
                for (pid,) in session.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": WEB_APPLICATION},
                )
            }

    def pending(self) -> int:
        """Inbox items not yet ingested."""
        with self.reads() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(InboxItem)
                    .where(InboxItem.status == "received")
                )
                or 0
            )

    def cpu(self) -> CpuSnapshot:
        """CPU seconds so far of each process of each part of the stack, of the
        PostgreSQL backends of its database, of this process and of the machine."""
        database = self.url.rsplit("/", 1)[-1].split("?")[0]
        pg_ours, pg_others = postgres_pids(database) if "postgresql" in self.url else ([], [])
        web_backends = self.web_backends() if pg_ours else set()
        return snapshot(
            {
                WEB: self.web.pids(),
                WORKERS: [q for p in self.workers.processes for q in tree_pids(p.pid)],
                POSTGRES: [p for p in pg_ours if p not in web_backends],
                POSTGRES_WEB: [p for p in pg_ours if p in web_backends],
                REDIS: tree_pids(self.redis.pid),
                "sweeper": self.sweeper.pids(),
                "fake Twilio": self.fake.pids(),
                CLIENT: [os.getpid()],
                "PostgreSQL, other databases and server": pg_others,
            }
        )


def start_desk(
    args: argparse.Namespace, tmp: Path, stack: contextlib.ExitStack, stop: threading.Event
) -> Desk:
    url = stack.enter_context(scratch_database(None if args.sqlite else args.database_url, tmp))
    db.upgrade(url)
    staff_roster(db.session_factory(url), datetime.now(UTC))
    redis_server = stack.enter_context(EmbeddedRedis(tmp / "redis"))
    fake = FakeTwilioProcess(os.environ | {"PYTHONPATH": str(REPO)}, tmp)
    stack.callback(fake.stop)
    fake.start()
    env = desk_env(url, redis_server.url, fake.info, tmp)
    env.update(TRIAGE_INBOUND_SECRET=SECRET, TRIAGE_SECURE_COOKIES="0")
    workers = Workers(redis_server.url, env, tmp)
    stack.callback(workers.stop)
    took = workers.start(args.workers, "load")
    log(f"{args.workers} RQ worker(s) registered and warmed in {took:.1f} s")
    sweeper = Service("sweeper", [sys.executable, "-m", "web.cli", "sweeper"], env, tmp)
    stack.callback(sweeper.stop)
    sweeper.start()
    port = free_port()
    web_env = dict(env)
    if url.startswith("postgresql"):  # tell the web's backends from the workers'
        web_env["DATABASE_URL"] = (
            f"{url}{'&' if '?' in url else '?'}application_name={WEB_APPLICATION}"
        )
    web = Service("web", web_argv(HOST, port, args.web_workers), web_env, tmp)
    stack.callback(web.stop)
    web.start()
    wait_ready(port, web)
    log(f"desk ready on http://{HOST}:{port}/ ({args.web_workers} gunicorn workers)")
    stack.callback(stop.set)  # first thing on the way out: client threads stop sending
    return Desk(url, redis_server.url, port, web, sweeper, workers, fake, redis_server)


# ------------------------------------------------------------------ drain


def queues_idle(redis_url: str) -> bool:
    conn = connection(redis_url)
    for name in QUEUES:
        q = queue(name, redis_url)
        if len(q) or StartedJobRegistry(name, connection=conn).count:
            return False
    return True


def drain_inbox(desk: Desk, seconds: float) -> float:
    """Until the batch intake has taken every stored payload; returns seconds."""
    started = time.monotonic()
    last = 0.0
    while (left := desk.pending()) and time.monotonic() - started < seconds:
        if time.monotonic() - started - last >= 5:
            log(f"drain: {left} payloads not yet ingested")
            last = time.monotonic() - started
        time.sleep(0.2)
    return time.monotonic() - started


def drain(desk: Desk, measured: set[int], seconds: float) -> float:
    """Until every measured ticket was paged and the queues are idle; returns seconds."""
    started = time.monotonic()
    last = 0.0
    while True:
        done = len(paged_tickets(desk.reads) & measured)
        idle = queues_idle(desk.redis_url)
        waited = time.monotonic() - started
        if done >= len(measured) and idle:
            return waited
        if waited >= seconds:
            log(f"drain: {seconds:.0f} s over, {done}/{len(measured)} paged, idle {idle}")
            return waited
        if waited - last >= 5:
            log(f"drain: {done}/{len(measured)} measured tickets paged")
            last = waited
        time.sleep(0.5)


# ------------------------------------------------------------------ checks


@dataclass
class TicketCheck:
    distinct_sent: int
    distinct_accepted: int
    redeliveries_ok: int
    tickets_in_db: int
    lost: int  # accepted, but no ticket holds the message
    wrong_ticket: int  # the database's ticket for the key is not the one answered
    merged: int  # two accepted messages answered with one ticket
    redelivery_mismatch: int  # a redelivery answered with another ticket than the first
    redelivery_created: int  # a redelivery said "created": a second ticket
    unanswered_tickets: int  # tickets for messages that got no 2xx (timeouts, errors)
    unknown_tickets: int  # tickets that no message of the run accounts for
    inbox: Counter[str]


def check_tickets(reads: sessionmaker[Session], outcomes: Sequence[Outcome]) -> TicketCheck:
    answered: dict[str, set[int]] = defaultdict(set)
    first: dict[str, int] = {}
    sent: set[str] = set()
    redelivery_created = 0
    for o in outcomes:
        message = o.request.message
        if message is None:
            continue
        sent.add(message.key)
        if o.ok and o.ticket is not None:
            answered[message.key].add(o.ticket)
            if o.created:
                if message.key in first:
                    redelivery_created += 1
                first.setdefault(message.key, o.ticket)
    with reads() as session:
        by_key = {
            str(k): int(t)
            for c, k, t in session.execute(
                select(ChannelMessage.channel, ChannelMessage.key, ChannelMessage.ticket_id)
            )
            if c in ("chat", "email")
        }
        tickets = set(session.scalars(select(Ticket.id)))
        inbox = Counter(
            str(s) for (s,) in session.execute(select(InboxItem.status)) if s is not None
        )
    ticket_of = {key: min(ids) for key, ids in answered.items()}
    lost = sum(1 for k, t in ticket_of.items() if k not in by_key or t not in tickets)
    wrong = sum(1 for k, t in ticket_of.items() if k in by_key and by_key[k] != t)
    owners = Counter(ticket_of.values())
    accounted = set(ticket_of.values())
    unanswered = {by_key[k] for k in sent - set(ticket_of) if k in by_key}
    return TicketCheck(
        distinct_sent=len(sent),
        distinct_accepted=len(ticket_of),
        redeliveries_ok=sum(1 for o in outcomes if o.ok and o.duplicate),
        tickets_in_db=len(tickets),
        lost=lost,
        wrong_ticket=wrong,
        merged=sum(n - 1 for n in owners.values() if n > 1),
        redelivery_mismatch=sum(1 for ids in answered.values() if len(ids) > 1),
        redelivery_created=redelivery_created,
        unanswered_tickets=len(unanswered - accounted),
        unknown_tickets=len(tickets - accounted - unanswered),
        inbox=inbox,
    )


@dataclass
class SmsCheck:
    points: Counter[str]  # escalation points by status
    fired: int
    fired_measured: int
    fired_other: int  # fired points that are not a measured ticket's rung
    measured_tickets: int
    measured_unfired: int  # measured ticket without a fired "received" point
    overdue_pending: int  # pending points whose instant has passed
    unstaffed: int  # fired points without a page
    duplicate_pages: int  # more than one page per point and recipient
    pages_unsent: Counter[str]  # pages that reached no SMS, by page and outbox status
    arrivals: int
    requests: int
    duplicate_arrivals: int  # an SMS that arrived twice, or a ticket in more SMS than pages
    missing_arrivals: int  # a page whose SMS never reached the fake
    unknown_arrivals: int  # messages at the fake that no outbox row sent
    outbox: Counter[str]
    tickets_per_sms: Counter[int]
    lag_ms: list[float]
    stages: dict[str, list[float]]


@dataclass(frozen=True)
class Escalations:
    """What the database says about escalation: points, pages and the outbox (rows)."""

    points: Sequence[Any]
    pages: Sequence[Any]
    outbox: Mapping[int, Any]


def read_escalations(reads: sessionmaker[Session]) -> Escalations:
    with reads() as session:
        points = session.execute(
            select(
                EscalationPoint.id,
                EscalationPoint.ticket_id,
                EscalationPoint.point,
                EscalationPoint.status,
                EscalationPoint.fire_at,
                EscalationPoint.fired_at,
            )
        ).all()
        pages = session.execute(
            select(
                SmsPage.escalation_id,
                SmsPage.ticket_id,
                SmsPage.recipient,
                SmsPage.status,
                SmsPage.outbox_id,
            )
        ).all()
        outbox = session.execute(
            select(
                SmsOutbox.id,
                SmsOutbox.ticket_ids,
                SmsOutbox.status,
                SmsOutbox.provider_sid,
                SmsOutbox.created_at,
                SmsOutbox.claimed_at,
            )
        ).all()
    return Escalations(points, pages, {r.id: r for r in outbox})


def deliveries(
    esc: Escalations, arrived: Mapping[str, list[float]]
) -> tuple[int, int, Counter[str]]:
    """Pages whose SMS never reached the fake, SMS that reached it more often than they
    should (one sid twice; a ticket in more arrived SMS than it has pages), and the pages
    that reached no sent SMS by (page status, outbox status)."""
    missing = 0
    unsent: Counter[str] = Counter()
    for page in esc.pages:
        sms = esc.outbox.get(page.outbox_id) if page.outbox_id is not None else None
        if sms is None or not sms.provider_sid:
            unsent[f"page {page.status}, outbox {sms.status if sms else 'none'}"] += 1
        if sms is None or sms.provider_sid not in arrived:
            missing += 1
    in_sms = Counter(
        t for r in esc.outbox.values() if r.provider_sid in arrived for t in r.ticket_ids or []
    )
    paged = Counter(page.ticket_id for page in esc.pages)
    duplicated = sum(len(v) - 1 for v in arrived.values() if len(v) > 1)
    duplicated += sum(max(0, n - paged[t]) for t, n in in_sms.items())
    return missing, duplicated, unsent


def lag_stages(
    esc: Escalations,
    arrived: Mapping[str, list[float]],
    measured: Mapping[int, Any],
    answered_at: Mapping[int, float],
) -> tuple[list[float], dict[str, list[float]]]:
    """Per measured point: arrival of the first SMS carrying its ticket - fire_at, and
    when each step between happened (ms after fire_at)."""
    first_sms: dict[int, Any] = {}
    for r in sorted(esc.outbox.values(), key=lambda r: r.id):
        if r.provider_sid in arrived:
            for t in r.ticket_ids or []:
                first_sms.setdefault(t, r)
    lag: list[float] = []
    stages: dict[str, list[float]] = {
        "webhook answered (client)": [],
        "point fired (fired_at)": [],
        "SMS composed (outbox row)": [],
        "send claimed (claimed_at)": [],
        "arrived at fake Twilio (= the lag)": [],
    }
    for ticket_id, point in measured.items():
        base, sms = ts(point.fire_at), first_sms.get(ticket_id)
        if base is None or sms is None:
            continue
        arrival = min(arrived[sms.provider_sid])
        lag.append((arrival - base) * 1000)
        moments = (
            answered_at.get(ticket_id),
            ts(point.fired_at),
            ts(sms.created_at),
            ts(sms.claimed_at),
            arrival,
        )
        for name, moment in zip(stages, moments, strict=True):
            if moment is not None:
                stages[name].append((moment - base) * 1000)
    return lag, stages


def check_sms(
    reads: sessionmaker[Session],
    outcomes: Sequence[Outcome],
    messages: Sequence[dict[str, Any]],
    requests: int,
    now: float,
) -> SmsCheck:
    measured_ids: set[int] = set()
    answered_at: dict[int, float] = {}
    for o in outcomes:
        if o.ok and o.ticket is not None and o.request.message and o.request.message.measured:
            measured_ids.add(o.ticket)
            answered_at[o.ticket] = min(answered_at.get(o.ticket, math.inf), o.ended)
    esc = read_escalations(reads)
    arrived: dict[str, list[float]] = defaultdict(list)
    for m in messages:
        arrived[str(m["sid"])].append(float(m["received_at"]))
    fired = [p for p in esc.points if p.status == "fired"]
    measured = {
        p.ticket_id: p for p in fired if p.ticket_id in measured_ids and p.point == MEASURED_POINT
    }
    per_point = Counter((page.escalation_id, page.recipient) for page in esc.pages)
    paged_points = {page.escalation_id for page in esc.pages}
    missing, duplicated, unsent = deliveries(esc, arrived)
    lag, stages = lag_stages(esc, arrived, measured, answered_at)
    sids = {r.provider_sid for r in esc.outbox.values() if r.provider_sid}
    return SmsCheck(
        points=Counter(str(p.status) for p in esc.points),
        fired=len(fired),
        fired_measured=len(measured),
        fired_other=len(fired) - len(measured),
        measured_tickets=len(measured_ids),
        measured_unfired=len(measured_ids - set(measured)),
        overdue_pending=sum(
            1 for p in esc.points if p.status == "pending" and (ts(p.fire_at) or 0) <= now
        ),
        unstaffed=sum(1 for p in fired if p.id not in paged_points),
        duplicate_pages=sum(n - 1 for n in per_point.values() if n > 1),
        pages_unsent=unsent,
        arrivals=len(messages),
        requests=requests,
        duplicate_arrivals=duplicated,
        missing_arrivals=missing,
        unknown_arrivals=sum(len(v) for sid, v in arrived.items() if sid not in sids),
        outbox=Counter(str(r.status) for r in esc.outbox.values()),
        tickets_per_sms=Counter(
            len(r.ticket_ids or []) for r in esc.outbox.values() if r.provider_sid in arrived
        ),
        lag_ms=lag,
        stages=stages,
    )


# ------------------------------------------------------------------ ingestion


@dataclass
class Ingestion:
    tickets: int  # opened during the intake phase (and its drain)
    span: float  # seconds from the first ticket's ingestion to the last
    rate: float  # tickets / span
    best_window: float  # the most tickets/s in any GOAL_INGEST_SECONDS window (or the span)
    receipt_ms: list[float]  # receipt (inbox received_at) -> ticket (created_at), ms


def read_ingestion(reads: sessionmaker[Session], since: datetime) -> Ingestion:
    """From the tickets themselves: ``received_at`` is the inbox row's store time, and
    ``created_at`` the batch's clock when it ingested it (read at the start of the batch,
    so a batch's own duration, tens of ms, is not in the latency)."""
    with reads() as session:
        rows = session.execute(
            select(Ticket.received_at, Ticket.created_at).where(Ticket.received_at >= since)
        ).all()
    created = sorted(c.timestamp() for _, c in rows)
    span = created[-1] - created[0] if len(created) > 1 else 0.0
    window = min(GOAL_INGEST_SECONDS, span) if span else 0.0
    best = 0.0
    if window:
        j = 0
        for i, start in enumerate(created):
            while j < len(created) and created[j] - start <= window:
                j += 1
            best = max(best, (j - i) / window)
    return Ingestion(
        tickets=len(created),
        span=span,
        rate=len(created) / span if span else math.nan,
        best_window=best,
        receipt_ms=[(c - r).total_seconds() * 1000 for r, c in rows],
    )


@dataclass
class BareInsert:
    rows: int
    client_cpu: float  # seconds, this process
    server_cpu: float  # seconds, the PostgreSQL backend (0 on SQLite: in-process)

    @property
    def ms_per_row(self) -> float:
        return 1000 * (self.client_cpu + self.server_cpu) / max(self.rows, 1)


def bare_insert(url: str, bodies: Sequence[bytes]) -> BareInsert:
    """The accept path's floor: each payload INSERTed into the inbox and COMMITted, one by
    one, through psycopg (sqlite3 for --sqlite) from this process; client and backend
    CPU. The rows (channel "bench", which nothing ingests) are deleted afterwards."""
    now = datetime.now(UTC)
    sql = (
        "INSERT INTO inbox (channel, content_type, payload, received_at, status) "
        "VALUES ({p}, {p}, {p}, {p}, {p}) RETURNING id"
    )
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        before = resource.getrusage(resource.RUSAGE_SELF)
        for body in bodies:
            conn.execute(
                sql.format(p="?"), ("bench", "application/json", body, now.isoformat(), "received")
            )
            conn.commit()
        after = resource.getrusage(resource.RUSAGE_SELF)
        conn.execute("DELETE FROM inbox WHERE channel = 'bench'")
        conn.commit()
        conn.close()
        return BareInsert(len(bodies), _rusage_cpu(before, after), 0.0)
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        conn.commit()
        server_before = pid_cpu(backend) or 0.0
        before = resource.getrusage(resource.RUSAGE_SELF)
        for body in bodies:
            conn.execute(sql.format(p="%s"), ("bench", "application/json", body, now, "received"))
            conn.commit()
        after = resource.getrusage(resource.RUSAGE_SELF)
        server = (pid_cpu(backend) or 0.0) - server_before
        conn.execute("DELETE FROM inbox WHERE channel = 'bench'")
        conn.commit()
    return BareInsert(len(bodies), _rusage_cpu(before, after), server)


def _rusage_cpu(before: Any, after: Any) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def accept_cpu_ms(cpu: Mapping[str, float], answered: int) -> float:
    """The accept path's CPU per answered webhook: the web processes and their own
    PostgreSQL backends (on SQLite the web processes alone: the database is in them)."""
    return 1000 * (cpu.get(WEB, 0.0) + cpu.get(POSTGRES_WEB, 0.0)) / max(answered, 1)


def print_ingestion(ingestion: Ingestion, drained_inbox: float) -> None:
    print(
        f"ingestion (batch intake): {ingestion.tickets} tickets over {ingestion.span:.1f} s = "
        f"{ingestion.rate:.1f} tickets/s; best {min(GOAL_INGEST_SECONDS, ingestion.span):.0f} s "
        f"window {ingestion.best_window:.1f}/s; inbox empty {drained_inbox:.1f} s after the "
        f"last request"
    )
    print(header())
    print(row("receipt -> ticket (ms)", ingestion.receipt_ms))


def print_accept_cpu(bare: BareInsert, accept_ms: float) -> None:
    print(
        f"accept path: {accept_ms:.2f} ms CPU per webhook (web + its PostgreSQL backends); "
        f"bare INSERT + COMMIT through {'sqlite3' if bare.server_cpu == 0 else 'psycopg'}: "
        f"{bare.ms_per_row:.3f} ms ({1000 * bare.client_cpu / bare.rows:.3f} client + "
        f"{1000 * bare.server_cpu / bare.rows:.3f} server) over {bare.rows} rows; ratio "
        f"{accept_ms / bare.ms_per_row:.1f}x"
    )


# ------------------------------------------------------------------ report


def latency_ms(outcomes: Sequence[Outcome], *, from_schedule: bool = False) -> list[float]:
    if from_schedule:
        return [(o.ended - o.scheduled) * 1000 for o in outcomes if o.status is not None]
    return [o.latency * 1000 for o in outcomes if o.status is not None]


def accepted_rate(outcomes: Sequence[Outcome]) -> float:
    """2xx answers per second, first send to last answer."""
    ok = [o for o in outcomes if o.ok]
    if len(ok) < 2:
        return math.nan
    return len(ok) / (max(o.ended for o in ok) - min(o.started for o in outcomes))


def statuses(outcomes: Sequence[Outcome]) -> str:
    counts = Counter(str(o.status) if o.status is not None else str(o.error) for o in outcomes)
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def print_client(run: ClientRun) -> None:
    behind = [(o.started - o.scheduled) * 1000 for o in run.outcomes]
    unsent = run.offered - len(run.outcomes)
    print(
        f"{run.label}: {run.offered} requests offered at {run.rate:.0f}/s, {len(run.outcomes)} "
        f"sent ({unsent} not sent by the end of the schedule + {LoadClient.GRACE:.0f} s); "
        f"client sent {run.send_rate:.1f}/s, behind schedule p50 {pct(behind, 50):.0f} ms, "
        f"p99 {pct(behind, 99):.0f} ms; client CPU {run.cpu_seconds:.1f} s = "
        f"{100 * run.cpu_seconds / run.wall_seconds:.0f} % of a core"
    )
    print(f"  answered 2xx per second: {accepted_rate(run.outcomes):.1f}; {statuses(run.outcomes)}")


def print_latency(baseline: ClientRun, intake: ClientRun) -> None:
    ok = [o for o in intake.outcomes if o.ok]

    def of(channel: str) -> list[Outcome]:
        return [
            o for o in intake.outcomes if o.request.message and o.request.message.channel == channel
        ]

    print("webhook latency, send to answer (ms); 'from schedule' adds the wait for a free thread")
    print(header())
    print(row("GET /healthz (baseline)", latency_ms(baseline.outcomes)))
    print(row("intake, all", latency_ms(intake.outcomes)))
    print(row("intake, chat", latency_ms(of("chat"))))
    print(row("intake, e-mail", latency_ms(of("email"))))
    print(row("intake, redeliveries", latency_ms([o for o in ok if o.request.redelivery])))
    measured = [o for o in ok if o.request.message and o.request.message.measured]
    print(row("intake, measured (critical)", latency_ms(measured)))
    print(row("GET /healthz from schedule", latency_ms(baseline.outcomes, from_schedule=True)))
    print(row("intake from schedule", latency_ms(intake.outcomes, from_schedule=True)))
    i50, i99 = pct(latency_ms(intake.outcomes), 50), pct(latency_ms(intake.outcomes), 99)
    h50, h99 = pct(latency_ms(baseline.outcomes), 50), pct(latency_ms(baseline.outcomes), 99)
    print(f"ratio intake/healthz: p50 {i50 / h50:.1f}x, p99 {i99 / h99:.1f}x")


def print_cpu(cpu: Mapping[str, float], span: float, answered: int) -> None:
    """Where the machine's CPU went during the intake phase, and what the desk's own use
    per answered webhook means for its throughput on idle CPUs."""
    cores = os.cpu_count() or 1
    print(f"CPU during the intake phase: {span:.0f} s wall on {cores} CPUs, {answered} answered")
    print(f"  {'':40} {'CPU s':>7} {'% core':>7} {'ms/answer':>10}")
    listed = 0.0
    for name, seconds in cpu.items():
        if name != MACHINE:
            listed += seconds
            print(
                f"  {name:40} {seconds:7.1f} {100 * seconds / span:7.0f} "
                f"{1000 * seconds / max(answered, 1):10.2f}"
            )
    print(
        f"  {'everything else (other users, kernel)':40} {cpu[MACHINE] - listed:7.1f} "
        f"{100 * (cpu[MACHINE] - listed) / span:7.0f}"
    )
    print(f"  {MACHINE:40} {cpu[MACHINE]:7.1f} {100 * cpu[MACHINE] / span:7.0f}")
    desk = sum(cpu.get(name, 0.0) for name in DESK_PARTS) / max(answered, 1)
    print(
        f"the desk (web, workers, Redis, its PostgreSQL backends, sweeper, fake) used "
        f"{1000 * desk:.1f} ms of CPU per answered webhook: {cores} idle CPUs could take at "
        f"most {cores / desk if desk else math.nan:.0f}/s (CPU bound, no waiting counted)"
    )


def print_lag(sms: SmsCheck) -> None:
    print("escalation lag: ms after the point's fire_at (the receipt instant, 'received' rung)")
    print(header())
    for name, values in sms.stages.items():
        print(row(name, values))
    per_sms = ", ".join(f"{k} ticket(s): {v}" for k, v in sorted(sms.tickets_per_sms.items()))
    print(f"SMS at the fake: {sms.arrivals} ({per_sms}); fake API requests {sms.requests}")


def print_checks(tickets: TicketCheck, sms: SmsCheck, drained: float) -> None:
    print(f"counting checks (after a drain of {drained:.1f} s)")
    print(
        f"  tickets: {tickets.distinct_sent} distinct messages sent, {tickets.distinct_accepted} "
        f"accepted (2xx), {tickets.redeliveries_ok} redeliveries answered as duplicates; "
        f"{tickets.tickets_in_db} tickets in the database"
    )
    print(
        f"  tickets lost {tickets.lost}, duplicated {tickets.redelivery_created + tickets.merged} "
        f"(a redelivery made a new ticket {tickets.redelivery_created}, two messages on one "
        f"ticket {tickets.merged}); answered with a ticket the database disagrees with "
        f"{tickets.wrong_ticket}; redeliveries answered with another ticket "
        f"{tickets.redelivery_mismatch}; tickets of requests without a 2xx answer "
        f"{tickets.unanswered_tickets}; tickets nothing accounts for {tickets.unknown_tickets}"
    )
    print(f"  inbox items by status: {dict(sorted(tickets.inbox.items()))}")
    print(
        f"  escalation points: {dict(sorted(sms.points.items()))}; fired {sms.fired} "
        f"({sms.fired_measured} measured, {sms.fired_other} other); measured tickets "
        f"{sms.measured_tickets}, of them not fired {sms.measured_unfired}; pending past "
        f"their instant {sms.overdue_pending}; fired without a page {sms.unstaffed}"
    )
    print(
        f"  SMS lost {sms.missing_arrivals}, duplicated "
        f"{sms.duplicate_arrivals + sms.duplicate_pages} (pages per point and recipient > 1: "
        f"{sms.duplicate_pages}); at the fake but not in the outbox {sms.unknown_arrivals}; "
        f"outbox {dict(sorted(sms.outbox.items()))}"
        + (f"; unsent pages {dict(sms.pages_unsent)}" if sms.pages_unsent else "")
    )


def report(
    args: argparse.Namespace,
    kind: str,
    runs: tuple[ClientRun, ClientRun],
    cpu: Mapping[str, float],
    tickets: TicketCheck,
    sms: SmsCheck,
    drained: float,
    ingestion: Ingestion,
    bare: BareInsert,
    drained_inbox: float,
) -> dict[str, bool]:
    baseline, intake = runs
    print()
    print(
        f"desk: {kind}, gunicorn {args.web_workers} workers ({os.environ.get('GUNICORN_CMD_ARGS') or 'gevent'}), {args.workers} RQ workers "
        f"(scheduler), sweeper, embedded Redis, fake Twilio (child process); client "
        f"{args.concurrency} threads; grouping window 0 s; {os.cpu_count()} CPUs"
    )
    print_client(baseline)
    print_client(intake)
    print()
    print_latency(baseline, intake)
    print()
    answered = sum(1 for o in intake.outcomes if o.ok)
    print_cpu(cpu, intake.wall_seconds, answered)
    print_accept_cpu(bare, accept_cpu_ms(cpu, answered))
    print()
    print_ingestion(ingestion, drained_inbox)
    print()
    print_lag(sms)
    print()
    print_checks(tickets, sms, drained)
    return goals(
        args, intake, tickets, sms, ingestion, accept_cpu_ms(cpu, answered) / bare.ms_per_row
    )


def goals(
    args: argparse.Namespace,
    intake: ClientRun,
    tickets: TicketCheck,
    sms: SmsCheck,
    ingestion: Ingestion,
    cpu_ratio: float,
) -> dict[str, bool]:
    """Each of issue 18's goals this run can speak to, MET or NOT MET. (600 rungs due in
    the same second are ``bench/escalation_bench.py``'s; SQLite is ``--sqlite``.)"""
    rate = accepted_rate(intake.outcomes)
    p99 = pct(latency_ms(intake.outcomes), 99)
    receipt99 = pct(ingestion.receipt_ms, 99)
    lag99 = pct(sms.lag_ms, 99)
    ticket_faults = (
        tickets.lost
        + tickets.merged
        + tickets.redelivery_created
        + tickets.wrong_ticket
        + tickets.redelivery_mismatch
        + tickets.unknown_tickets
    )
    sms_faults = (
        sms.missing_arrivals
        + sms.duplicate_arrivals
        + sms.duplicate_pages
        + sms.unknown_arrivals
        + sms.measured_unfired
        + sms.overdue_pending
        + sms.unstaffed
    )
    sustained = ingestion.span >= GOAL_INGEST_SECONDS and ingestion.best_window >= GOAL_INGEST_RATE
    met = {
        f"webhooks accepted >= {GOAL_RATE:.0f}/s ({rate:.1f}/s)": rate >= GOAL_RATE,
        f"webhook p99 <= {GOAL_P99_MS:.0f} ms ({p99:.0f} ms)": p99 <= GOAL_P99_MS,
        f"accept-path CPU per webhook <= {GOAL_ACCEPT_CPU_RATIO:.0f}x a bare INSERT + COMMIT "
        f"({cpu_ratio:.1f}x)": cpu_ratio <= GOAL_ACCEPT_CPU_RATIO,
        f"ingestion >= {GOAL_INGEST_RATE:.0f} tickets/s for {GOAL_INGEST_SECONDS:.0f} s "
        f"({ingestion.best_window:.1f}/s over {min(ingestion.span, GOAL_INGEST_SECONDS):.0f} s"
        f"{'' if ingestion.span >= GOAL_INGEST_SECONDS else ': the run is too short'})": sustained,
        f"receipt -> ticket p99 <= {GOAL_RECEIPT_P99_MS / 1000:.0f} s ({receipt99 / 1000:.2f} s"
        f" at {args.rate:.0f}/s offered)": receipt99 <= GOAL_RECEIPT_P99_MS,
        f"escalation lag p99 <= {GOAL_LAG_P99_MS / 1000:.0f} s ({lag99 / 1000:.2f} s)": (
            lag99 <= GOAL_LAG_P99_MS
        ),
        f"no lost or duplicated tickets ({ticket_faults} faults)": ticket_faults == 0,
        f"no lost or duplicated SMS ({sms_faults} faults)": sms_faults == 0,
    }
    if args.rate < GOAL_RATE:
        print(f"(offered rate {args.rate:.0f}/s is below the accept goal's {GOAL_RATE:.0f}/s)")
    print()
    for name, held in met.items():
        print(f"goal {name}: {'MET' if held else 'NOT MET'}")
    return met


# ------------------------------------------------------------------ ingestion capacity


def store_backlog(url: str, messages: Sequence[Message]) -> datetime:
    """Store ``messages`` in the inbox as the webhooks would have (status ``received``,
    their delivery keys), in one transaction, so the intake worker meets a storm that was
    already accepted. Returns the store instant (every item's ``received_at``)."""
    settings = Settings.from_env({"DATABASE_URL": url, "TRIAGE_INBOUND_SECRET": SECRET})
    key_of = checks(settings)
    now = datetime.now(UTC)
    rows = []
    for m in messages:
        content_type = "application/json" if m.channel == "chat" else "message/rfc822"
        key = key_of[m.channel](m.body, content_type)
        rows.append(
            {
                "channel": m.channel,
                "content_type": content_type,
                "payload": m.body,
                "received_at": now,
                "status": "received",
                "delivery_key": storage_key(key),
            }
        )
    with db.session_factory(url)() as session:
        session.execute(insert(InboxItem), rows)
        session.commit()
    return now


def run_backlog(args: argparse.Namespace, tmp: Path, stack: contextlib.ExitStack) -> None:
    """``--backlog N``: the ingestion goal on its own. N payloads (no paging ones) stored
    at once, one wake-up, then the intake workers drain them; tickets/s is read from the
    tickets' ``created_at`` (the best 60 s window), and every payload must become exactly
    one ticket. The accept side is not in it: that is the normal run's."""
    began = time.monotonic()
    load_at_start = os.getloadavg()[0]
    rng = random.Random(args.seed)
    messages = make_messages(uuid.uuid4().hex[:8], args.backlog, 0.0, args.email_share, rng)
    stop = threading.Event()
    desk = start_desk(args, tmp, stack, stop)
    kind = "postgresql" if desk.url.startswith("postgresql") else "sqlite"
    stored_at = store_backlog(desk.url, messages)
    log(f"backlog: {len(messages)} payloads stored; waking the intake")
    cpu_before = desk.cpu()
    wall = time.monotonic()
    enqueue.wake_intake(desk.redis_url)
    drained = drain_inbox(desk, args.drain)
    cpu = cpu_used(cpu_before, desk.cpu())
    wall = time.monotonic() - wall
    ingestion = read_ingestion(desk.reads, stored_at - timedelta(seconds=1))
    with desk.reads() as session:
        made = int(session.scalar(select(func.count()).select_from(Ticket)) or 0)
        keys = {
            str(k)
            for (k,) in session.execute(
                select(ChannelMessage.key).where(ChannelMessage.channel.in_(("chat", "email")))
            )
        }
        left = Counter(str(s) for (s,) in session.execute(select(InboxItem.status)))
    missing = sum(1 for m in messages if m.key not in keys)
    print()
    print(
        f"desk: {kind}, {args.workers} RQ workers, intake batches; backlog {len(messages)} "
        f"payloads ({args.email_share:.0%} e-mail); {os.cpu_count()} CPUs"
    )
    print_ingestion(ingestion, drained)
    busy = {k: v for k, v in cpu.items() if v >= 0.05}
    print(f"CPU while draining ({wall:.1f} s wall), ms per ticket:")
    for part, seconds in sorted(busy.items(), key=lambda kv: -kv[1]):
        print(f"  {part:<44} {seconds:7.1f} s {seconds * 1000 / max(made, 1):8.2f}")
    print(
        f"tickets {made} for {len(messages)} payloads; messages without a ticket {missing}; "
        f"inbox {dict(left)}"
    )
    sustained = ingestion.span >= GOAL_INGEST_SECONDS and ingestion.best_window >= GOAL_INGEST_RATE
    exact = made == len(messages) and missing == 0
    print()
    print(
        f"goal ingestion >= {GOAL_INGEST_RATE:.0f} tickets/s for {GOAL_INGEST_SECONDS:.0f} s "
        f"({ingestion.best_window:.1f}/s over {min(ingestion.span, GOAL_INGEST_SECONDS):.0f} s"
        f"{'' if ingestion.span >= GOAL_INGEST_SECONDS else ': the backlog is too small'}): "
        f"{'MET' if sustained else 'NOT MET'}"
    )
    print(f"goal every payload exactly one ticket: {'MET' if exact else 'NOT MET'}")
    print(
        f"load average (1 min) at start {load_at_start:.1f}, at end {os.getloadavg()[0]:.1f}; "
        f"total bench time {time.monotonic() - began:.0f} s (before teardown)"
    )


# ------------------------------------------------------------------ main


def run(args: argparse.Namespace, tmp: Path, stack: contextlib.ExitStack) -> None:
    began = time.monotonic()
    load_at_start = os.getloadavg()[0]
    catalog = load_catalog(Settings.from_env().catalog_path)
    check_texts(catalog, timedelta(seconds=args.duration + args.drain + 600))
    rng = random.Random(args.seed)
    run_id = uuid.uuid4().hex[:8]
    total = int(args.rate * args.duration)
    distinct = max(1, round(total / (1 + args.duplicate_share)))
    messages = make_messages(run_id, distinct, args.critical_share, args.email_share, rng)
    requests = with_redeliveries(messages, total, rng)
    warm = [intake_request(m) for m in make_messages(run_id + "w", WARM_UP_REQUESTS, 0, 0.5, rng)]

    stop = threading.Event()
    desk = start_desk(args, tmp, stack, stop)
    kind = "postgresql" if desk.url.startswith("postgresql") else "sqlite"
    client = LoadClient(desk.port, args.concurrency, stop)
    warmed = client.run("warm-up", warm, 20.0)
    log(f"warm-up: {statuses(warmed.outcomes)}")
    log(f"baseline: GET /healthz for {args.baseline_duration:.0f} s at {args.rate:.0f}/s")
    baseline = client.run(
        "baseline GET /healthz",
        healthz_requests(int(args.rate * args.baseline_duration)),
        args.rate,
    )
    log(f"intake: {len(requests)} requests over {args.duration:.0f} s at {args.rate:.0f}/s")
    intake_began = datetime.now(UTC)
    cpu_before = desk.cpu()
    intake = client.run("intake (chat + e-mail webhooks)", requests, args.rate)
    cpu = cpu_used(cpu_before, desk.cpu())
    log(f"intake done: {statuses(intake.outcomes)}")
    drained_inbox = drain_inbox(desk, args.drain)
    resolve_receipts(desk.reads, [*warmed.outcomes, *intake.outcomes])
    measured = {
        o.ticket
        for o in intake.outcomes
        if o.ok and o.ticket is not None and o.request.message and o.request.message.measured
    }
    drained = drain(desk, measured, args.drain)
    ingestion = read_ingestion(desk.reads, intake_began)
    bare = bare_insert(desk.url, [r.body for r in requests[:BARE_INSERTS]])
    desk.web.stop()
    desk.sweeper.stop()
    desk.workers.stop()
    fake_messages, fake_requests = desk.fake.dump()
    everything = [*warmed.outcomes, *intake.outcomes]
    tickets = check_tickets(desk.reads, everything)
    sms = check_sms(desk.reads, everything, fake_messages, fake_requests, time.time())
    report(
        args, kind, (baseline, intake), cpu, tickets, sms, drained, ingestion, bare, drained_inbox
    )
    print(
        f"load average (1 min) at start {load_at_start:.1f}, at end {os.getloadavg()[0]:.1f}; "
        f"total bench time {time.monotonic() - began:.0f} s (before teardown)"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of intake")
    parser.add_argument("--rate", type=float, default=250.0, help="requests per second offered")
    parser.add_argument("--baseline-duration", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=30.0, help="max seconds after intake")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=web_settings.workers,
        help="gunicorn worker processes (default: as the desk's, config/gunicorn.py)",
    )
    parser.add_argument("--workers", type=int, default=2, help="RQ workers (with scheduler)")
    parser.add_argument("--concurrency", type=int, default=64, help="client threads")
    parser.add_argument("--critical-share", type=float, default=0.04)
    parser.add_argument("--email-share", type=float, default=0.5)
    parser.add_argument("--duplicate-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default=ADMIN_URL, help="PostgreSQL server for the scratch database"
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument(
        "--backlog",
        type=int,
        default=0,
        help="ingestion capacity only: store N payloads at once, then time the drain",
    )
    parser.add_argument("--serve-fake-twilio", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake_twilio:
        return args
    if args.duration <= 0 or args.rate <= 0 or args.baseline_duration <= 0:
        parser.error("--duration, --rate and --baseline-duration must be positive")
    if min(args.web_workers, args.workers, args.concurrency) < 1:
        parser.error("--web-workers, --workers and --concurrency must be at least 1")
    for name in ("critical_share", "email_share", "duplicate_share"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} must be between 0 and 1")
    return args


def main() -> None:
    args = parse_args()
    if args.serve_fake_twilio:
        serve_fake_twilio()
        return

    work = run_backlog if args.backlog else run
    run_cleanly(lambda tmp, stack: work(args, tmp, stack), "loadbench-", "*.log")


if __name__ == "__main__":
    main()
