"""Web desk at scale: queue page and report page server time over a large PostgreSQL.

Issue "web desk": with 1,000,000 tickets (50,000 open) the agents' queue must answer with
p95 <= 150 ms and the managers' quarter report with p95 <= 1 s. This bench

1. creates a scratch database ``web_bench_<hex>`` on the local PostgreSQL, migrates it and
   loads the tickets with COPY (secondary indexes are dropped for the load and recreated
   from their own ``pg_indexes`` definitions, so the schema is the migrated one), then
   ``VACUUM (ANALYZE)`` (the steady state autovacuum reaches; also keeps autovacuum from
   starting in the middle of the measurements);
2. measures in-process, with the Flask test client logged in (a real session, HTTPS
   cookies): the queue (default filters and variants), its rows fragment, the report page
   for the last full quarter and the current one, and the report's core
   (``report_facts`` + ``build_report``) called directly. Each variant gets warm-up
   requests, then up to ``--requests`` timed ones; p50/p95/max are printed. The baseline is
   measured in the same process, before and after: ``GET /healthz`` on the same client and
   a ``SELECT 1`` round trip (on a held connection, and through a session checkout);
3. records every SQL statement per request (``before/after_cursor_execute``); for a variant
   over its goal it prints ``EXPLAIN (ANALYZE, BUFFERS)`` of its slowest statement and a
   short cProfile of one request (where the Python time goes);
4. drops the scratch database at the end unless ``--keep``.

Issue 18 (``--only million``): as a logged-in manager, ``GET /?status=alle`` (first,
second and last page), ``GET /reports/tickets.csv`` of the default period (this quarter)
read as the app streams it (time to the first chunk and to the full body), ``GET
/penalties``, and with ``--csv-all`` the ticket CSV of the whole span; one warm-up each,
then up to ``--requests``; a goal line "p95 <= 1 s: MET/NOT MET" per page. The issue's
data: ``--years 2`` (the penalties page reaches back to 1 January of last year).

    python bench/web_bench.py --tickets 1000000 --years 2 --keep --only million
    python bench/web_bench.py --reuse web_bench_<hex> --only million [--csv-all]

    python bench/web_bench.py [--tickets 1000000] [--open 50000] [--keep]
    python bench/web_bench.py --reuse web_bench_<hex> [--only reports] [--drop]

Loading a million tickets takes minutes: ``--keep`` leaves the loaded database in place
and ``--reuse NAME`` measures it again without loading (migrating it to head first, so a
new migration's indexes are built on the loaded data; it is kept unless ``--drop``). The
data was generated relative to the time of loading, so open tickets keep passing their
deadlines in a reused database (~0.6 % of the open ones per hour).

The data (seeded, reproducible): received over 3 years before now with growing volume,
weekday office hours mostly; the catalog's contracts with weights; 12 % critical; e-mail,
chat, phone; ~5 % with an assignee. Answered tickets are resolved, with due_at / responded_at
/ response_seconds consistent with each contract's kind of target (business minutes,
immediately, next working day, none): ~6 % breached. Open tickets (open or paused,
unanswered) have due_at spread from 2 days overdue to 5 days ahead, NULL when unrouted or the
contract has no target; each has a ``received`` event, a paused one a ``paused`` event, and
those with a deadline 3 escalation points (fired / acknowledged / pending / cancelled by the
clock). The SLA columns are plausible, not computed by the real calculator.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import create_engine, event, text

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from sla.periods import Period
from sla.severity import Severity
from sla.targets import BusinessDuration, EndOfNextWorkingDay, Immediately, NoTarget
from tests.web.ui_support import logged_in
from triage.report import build_report, day_bounds
from triage.store import db
from triage.store.tickets import report_facts
from web.app import create_app

try:  # the report page's aggregation in SQL (absent in trees before it)
    from triage.report_period import RESPONSE_BUCKETS, chart_buckets, report_period
    from triage.store.report_figures import aggregate_report, breach_facts
except ImportError:  # pragma: no cover
    aggregate_report = None  # type: ignore[assignment]

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OSLO = ZoneInfo("Europe/Oslo")
HTTPS = "https://localhost"
QUEUE_GOAL_MS = 150.0
REPORT_GOAL_MS = 1000.0
MILLION_GOAL_MS = 1000.0  # issue 18: status=alle, tickets.csv, penalties
SEARCH_WORD = "skriver"  # in ~3 % of the tickets
RARE_WORD = "Sigrid Moe"  # a requester's name: ~1 % (in the body's greeting)

# ------------------------------------------------------------------ the data

CONTRACT_WEIGHTS = {
    "nettsoft-ms365-bruker": 20,
    "nettsoft-teams": 10,
    "pindena": 10,
    "nettsoft-ms365-bedrift": 8,
    "nettsoft-mbn": 8,
    "nettsoft-network": 7,
    "nettsoft-server": 6,
    "sensio-velferd": 6,
    "mobile-worker": 6,
    "nettsoft-unifon-bn": 5,
    "nettsoft-vps-access": 4,
    "nettsoft-vps-terminal": 4,
    "nettsoft-calendar-push": 3,
    "nettsoft-tmpc": 3,
}
CHANNEL_WEIGHTS = {"email": 55, "chat": 25, "phone": 20}
CRITICAL_SHARE = 0.12
ASSIGNEE_SHARE = 0.05
BREACH_SHARE = 0.06
PAUSED_SHARE = 0.15
UNROUTED_OPEN_SHARE = 0.04
UNROUTED_ANSWERED_SHARE = 0.01
SEARCH_SHARE = 0.03  # tickets mentioning SEARCH_WORD
AGENTS = [f"agent{n:02d}" for n in range(1, 21)]
FIRST_NAMES = ("Kari", "Ola", "Ingrid", "Per", "Sigrid", "Lars", "Nora", "Jonas", "Hilde", "Erik")
LAST_NAMES = ("Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Dahl", "Lie", "Moe", "Bakke")
SUBJECTS = (
    "Outlook er treg på {who}",
    "Får ikke logget på Teams",
    "Sentralbordet svarer ikke",
    "Mobilsvar virker ikke for {who}",
    "Ingen på kontoret får logget på nettverket",
    "Påmelding i Pindena feiler for aktivitet {n}",
    "VPN kobler ned hvert {n}. minutt",
    "Terminalserveren henger",
    "Kalender synkroniserer ikke til mobil",
    "Ny bruker trenger lisens",
    "Passord må tilbakestilles for {who}",
    "Delt postkasse mangler for avdeling {n}",
    "Alarm fra velferdsteknologi uten varsel",
    "Mobile Worker-appen krasjer ved innlogging",
    "Server {n} svarer ikke på ping",
    "Viderekobling fungerer ikke",
)
SEARCH_SUBJECTS = (
    "Skriveren på {n}. etasje tar ikke utskrifter",
    "Skriver i resepsjonen er frakoblet",
)
SENTENCES = (
    "Det startet i morges rundt klokka åtte.",
    "Vi har prøvd å starte maskinen på nytt uten at det hjalp.",
    "Feilen gjelder flere brukere i samme avdeling.",
    "Det kommer en feilmelding om at tjenesten ikke er tilgjengelig.",
    "Kan dere se på dette så snart som mulig?",
    "Vi trenger dette løst før møtet i ettermiddag.",
    "Se vedlagt skjermbilde av feilmeldingen.",
    "Saken haster fordi kundene ikke kommer gjennom.",
    "Det fungerte fint i går.",
    "Jeg kan nås på mobil hele dagen.",
    "Andre tjenester ser ut til å virke som normalt.",
    "Dette har skjedd et par ganger tidligere denne måneden.",
)


@dataclass(frozen=True)
class TargetKind:
    kind: str  # "minutes" | "immediate" | "next-day" | "none"
    seconds: float  # the business time of the target (minutes), the grace (immediate)


def target_kinds(catalog: Catalog) -> dict[tuple[str, str], TargetKind]:
    """(contract, severity) -> what kind of response target the current terms set."""
    kinds: dict[tuple[str, str], TargetKind] = {}
    for contract_id, contract in catalog.contracts.items():
        terms = contract.terms[-1]
        for severity in Severity:
            target = terms.response[severity].target
            if isinstance(target, BusinessDuration):
                found = TargetKind("minutes", target.amount.total_seconds())
            elif isinstance(target, Immediately):
                found = TargetKind("immediate", target.grace.total_seconds())
            elif isinstance(target, EndOfNextWorkingDay):
                found = TargetKind("next-day", 8 * 3600.0)
            elif isinstance(target, NoTarget):
                found = TargetKind("none", 0.0)
            else:  # a kind this bench does not know: treat it as four business hours
                found = TargetKind("minutes", 4 * 3600.0)
            kinds[(contract_id, severity.value)] = found
    return kinds


def _copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return str(value)


def _line(values: tuple[Any, ...]) -> str:
    return "\t".join(_copy_text(v) for v in values) + "\n"


TICKET_COLUMNS = (
    "id, external_id, channel, subject, body, requester_name, requester_email, "
    "requester_phone, contract_id, severity, severity_reasons, status, assignee, received_at, "
    "terms_valid_from, clock_starts_at, due_at, responded_at, response_seconds, resolved_at, "
    "created_at, updated_at"
)
EVENT_COLUMNS = "id, ticket_id, kind, at, actor, data"
POINT_COLUMNS = "id, ticket_id, point, level, fire_at, status, fired_at, updated_at"
TERMS_FROM = date(2000, 1, 1)


class Generator:
    """Seeded rows for tickets, their events and escalation points."""

    def __init__(self, catalog: Catalog, now: datetime, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.kinds = target_kinds(catalog)
        known = [c for c in CONTRACT_WEIGHTS if c in catalog.contracts]
        extra = [c for c in catalog.contracts if c not in CONTRACT_WEIGHTS]
        self.contracts = known + extra
        self.contract_weights = [CONTRACT_WEIGHTS.get(c, 3) for c in self.contracts]
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = list(CHANNEL_WEIGHTS.values())
        self.event_id = 0
        self.point_id = 0
        self.breach_share = {c: BREACH_SHARE * self.rng.uniform(0.5, 1.6) for c in self.contracts}

    # -- pieces

    def _text(self, n: int) -> tuple[str, str]:
        rng = self.rng
        who = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        search = rng.random() < SEARCH_SHARE
        pattern = rng.choice(SEARCH_SUBJECTS if search else SUBJECTS)
        subject = pattern.format(who=who, n=rng.randint(1, 9))
        sentences = rng.sample(SENTENCES, rng.randint(2, 6))
        if search and rng.random() < 0.5:
            sentences.append("Skriveren viser feilkode 0x3F.")
        body = f"Hei,\n{subject}. " + " ".join(sentences) + f"\nHilsen {who} (sak {n})"
        return subject, body

    def _requester(self, channel: str) -> tuple[str, str | None, str | None]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.lower()}{rng.randint(1, 400)}@kunde.example"
        phone = f"+479{rng.randint(1000000, 9999999)}" if channel == "phone" else None
        return name, email if channel != "phone" else None, phone

    def _received_past(self, span_days: float) -> datetime:
        """A receipt instant in the last ``span_days`` (volume growing linearly with time),
        mostly on weekday office hours in Oslo."""
        rng = self.rng
        while True:
            # volume doubles over the span: density 1 + x on x in [0, 1] (x = 1 is now)
            x = math.sqrt(1 + 3 * rng.random()) - 1
            ago = span_days * (1 - x)
            day = (self.now - timedelta(days=ago)).astimezone(OSLO)
            if day.weekday() >= 5 and rng.random() < 0.8:
                continue
            if rng.random() < 0.85:
                seconds = rng.uniform(7.5 * 3600, 16.5 * 3600)
            else:
                seconds = rng.uniform(0, 24 * 3600)
            midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
            at = (midnight + timedelta(seconds=seconds)).astimezone(UTC)
            if at < self.now - timedelta(hours=1):
                return at

    def receipts(self, count: int, span_days: float) -> list[datetime]:
        """``count`` receipt instants in arrival order: ids follow receipt, as intake
        inserts them, so the heap is in receipt order (a quarter is a contiguous stretch)."""
        return sorted(self._received_past(span_days) for _ in range(count))

    def _wall(self, kind: TargetKind, business_seconds: float) -> float:
        """Wall-clock seconds that ``business_seconds`` of the target take (overnights)."""
        rng = self.rng
        if kind.kind == "immediate":
            return business_seconds
        if kind.kind == "next-day":
            return rng.uniform(20 * 3600, 40 * 3600) * business_seconds / kind.seconds
        if rng.random() < 0.65:
            return business_seconds
        gap = 63 * 3600 if rng.random() < 0.2 else 15 * 3600  # a weekend, a night
        return business_seconds + gap

    # -- rows

    def answered(self, ticket_id: int, received: datetime) -> tuple[Any, ...]:
        """A resolved ticket; drawn again until its response lies before now."""
        for _ in range(200):
            row = self._answered(ticket_id, received)
            if row[17] < self.now:  # responded_at
                return row
        # received minutes ago: answered just now, within a deadline moved to match
        responded = self.now - timedelta(seconds=1)
        due = None if row[16] is None else max(row[16], responded)
        return (*row[:16], due, responded, *row[18:19], self.now, *row[20:21], self.now)

    def _answered(self, ticket_id: int, received: datetime) -> tuple[Any, ...]:
        rng = self.rng
        channel = rng.choices(self.channels, self.channel_weights)[0]
        unrouted = rng.random() < UNROUTED_ANSWERED_SHARE
        contract = None if unrouted else rng.choices(self.contracts, self.contract_weights)[0]
        severity = "critical" if rng.random() < CRITICAL_SHARE else "non-critical"
        kind = self.kinds.get((contract or "", severity), TargetKind("none", 0.0))
        due = None
        if kind.kind == "none":
            business = rng.uniform(300, 8 * 3600) * rng.random()
            responded = received + timedelta(seconds=self._wall(TargetKind("minutes", 0), business))
        else:
            breached = rng.random() < self.breach_share[contract or ""]
            ratio = rng.uniform(1.05, 3.0) if breached else rng.betavariate(1.4, 3.0)
            target_wall = self._wall(kind, kind.seconds)
            due = received + timedelta(seconds=target_wall)
            business = kind.seconds * ratio
            responded = received + timedelta(seconds=max(30.0, target_wall * ratio))
            if breached and responded <= due:
                responded = due + timedelta(minutes=rng.uniform(1, 120))
        resolved = responded + timedelta(hours=rng.lognormvariate(1.5, 1.2))
        resolved = min(resolved, self.now)
        subject, body = self._text(ticket_id)
        name, email, phone = self._requester(channel)
        assignee = rng.choice(AGENTS) if rng.random() < ASSIGNEE_SHARE else None
        reasons = '["keyword"]' if severity == "critical" else "[]"
        return (
            ticket_id, None, channel, subject, body, name, email, phone, contract, severity,
            reasons, "resolved", assignee, received, TERMS_FROM if contract else None,
            received if contract else None, due, responded, business if contract else None,
            resolved, received, resolved,
        )  # fmt: skip

    def open(self, ticket_id: int) -> tuple[tuple[Any, ...], list[str], list[str]]:
        """(ticket row, event lines, escalation point lines)."""
        rng, now = self.rng, self.now
        channel = rng.choices(self.channels, self.channel_weights)[0]
        unrouted = rng.random() < UNROUTED_OPEN_SHARE
        contract = None if unrouted else rng.choices(self.contracts, self.contract_weights)[0]
        severity = "critical" if rng.random() < CRITICAL_SHARE else "non-critical"
        kind = self.kinds.get((contract or "", severity), TargetKind("none", 0.0))
        paused = rng.random() < PAUSED_SHARE
        status = "paused" if paused else "open"
        due = None
        if kind.kind == "none":
            received = now - timedelta(seconds=rng.uniform(60, 5 * 86400))
        else:
            due = now + timedelta(seconds=rng.uniform(-2 * 86400, 5 * 86400))
            target_wall = self._wall(kind, kind.seconds)
            received = min(
                due - timedelta(seconds=target_wall), now - timedelta(seconds=rng.uniform(60, 7200))
            )
        subject, body = self._text(ticket_id)
        name, email, phone = self._requester(channel)
        assignee = rng.choice(AGENTS) if rng.random() < ASSIGNEE_SHARE * 2 else None
        reasons = '["keyword"]' if severity == "critical" else "[]"
        events = []
        self.event_id += 1
        received_data = json.dumps({"channel": channel, "text": body[:200]}, ensure_ascii=False)
        events.append(
            _line((self.event_id, ticket_id, "received", received, channel, received_data))
        )
        updated = received
        if paused:
            latest = min(now, due) if due is not None and rng.random() < 0.8 else now
            pause_at = received + (latest - received) * rng.random()
            self.event_id += 1
            events.append(
                _line(
                    (
                        self.event_id,
                        ticket_id,
                        "paused",
                        pause_at,
                        rng.choice(AGENTS),
                        '{"reason": "venter på kunde"}',
                    )
                )
            )
            updated = pause_at
        points = []
        if due is not None:
            first = "received" if kind.kind == "immediate" else "half-budget"
            first_at = received if kind.kind == "immediate" else received + (due - received) / 2
            for name_, level, at in (
                (first, 1, first_at),
                ("due", 1, due),
                ("overdue", 2, due + timedelta(minutes=30)),
            ):
                fired_at = None
                if paused:
                    point_status = "cancelled"
                elif at <= now:
                    point_status = "acknowledged" if rng.random() < 0.4 else "fired"
                    fired_at = at + timedelta(seconds=rng.uniform(1, 40))
                else:
                    point_status = "pending"
                self.point_id += 1
                points.append(
                    _line(
                        (
                            self.point_id,
                            ticket_id,
                            name_,
                            level,
                            at,
                            point_status,
                            fired_at,
                            fired_at or received,
                        )
                    )
                )
        row = (
            ticket_id, None, channel, subject, body, name, email, phone, contract, severity,
            reasons, status, assignee, received, TERMS_FROM if contract else None,
            received if contract else None, due, None, None, None, received, updated,
        )  # fmt: skip
        return row, events, points


# ------------------------------------------------------------------ loading


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _secondary_indexes(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX ...) of the tables' indexes that no constraint owns."""
    return conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.indexname
        """,
        (list(tables),),
    ).fetchall()


def load(
    url: str,
    catalog: Catalog,
    tickets: int,
    open_count: int,
    now: datetime,
    seed: int,
    span_days: float = 3 * 365.0,
) -> None:
    gen = Generator(catalog, now, seed)
    answered = tickets - open_count
    tables = ("tickets", "ticket_events", "escalation_points")
    started = time.perf_counter()
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        indexes = _secondary_indexes(conn, tables)
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        events: list[str] = []
        points: list[str] = []
        with conn.cursor() as cur:
            with cur.copy(f"COPY tickets ({TICKET_COLUMNS}) FROM STDIN") as copy:
                chunk: list[str] = []
                # answered tickets get the low ids (they came first), open ones the high ids
                receipts = gen.receipts(answered, span_days)
                for ticket_id, received in enumerate(receipts, start=1):
                    chunk.append(_line(gen.answered(ticket_id, received)))
                    if len(chunk) >= 20_000:
                        copy.write("".join(chunk))
                        chunk.clear()
                for ticket_id in range(answered + 1, tickets + 1):
                    row, row_events, row_points = gen.open(ticket_id)
                    chunk.append(_line(row))
                    events.extend(row_events)
                    points.extend(row_points)
                    if len(chunk) >= 20_000:
                        copy.write("".join(chunk))
                        chunk.clear()
                copy.write("".join(chunk))
            copied = time.perf_counter()
            with cur.copy(f"COPY ticket_events ({EVENT_COLUMNS}) FROM STDIN") as copy:
                copy.write("".join(events))
            with cur.copy(f"COPY escalation_points ({POINT_COLUMNS}) FROM STDIN") as copy:
                copy.write("".join(points))
        for table in tables:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        rows_done = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        indexed = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) tickets, ticket_events, escalation_points")
        vacuumed = time.perf_counter()
        sizes = conn.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)), reltuples::bigint "
            "FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
            (list(tables),),
        ).fetchall()
    print(
        f"loaded {tickets:,} tickets ({open_count:,} open), {len(events):,} events, "
        f"{len(points):,} escalation points in {vacuumed - started:.1f} s: "
        f"generate+COPY tickets {copied - started:.1f} s, events/points "
        f"{rows_done - copied:.1f} s, {len(indexes)} indexes rebuilt {indexed - rows_done:.1f} s, "
        f"VACUUM ANALYZE {vacuumed - indexed:.1f} s"
    )
    print("indexes rebuilt: " + ", ".join(name for name, _ in indexes))
    print("sizes: " + ", ".join(f"{n} {s} (~{t:,} rows)" for n, s, t in sizes))


# ------------------------------------------------------------------ measuring


@dataclass
class Statement:
    sql: str
    params: Any
    seconds: float  # execute only: rows fetched later (a streamed result) are not in it
    streamed: bool = False  # a server-side cursor (``yield_per``): the rows come after


@dataclass
class SqlLog:
    """Statements of the current request, from the engine's cursor events."""

    active: bool = False
    current: list[Statement] = field(default_factory=list)
    _started: dict[int, float] = field(default_factory=dict)

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if self.active:
                took = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
                options = context.execution_options if context is not None else {}
                streamed = bool(options.get("stream_results") or options.get("yield_per"))
                self.current.append(Statement(statement, parameters, took, streamed))


@dataclass
class Result:
    name: str
    goal_ms: float | None
    samples: list[float] = field(default_factory=list)  # seconds
    first_byte: list[float] = field(default_factory=list)  # seconds, streamed bodies only
    sql: list[list[Statement]] = field(default_factory=list)
    status: set[int] = field(default_factory=set)
    size: int = 0
    note: str = ""
    issue: str = ""  # the issue whose goal line the summary prints ("18")

    def pct(self, p: float) -> float:
        return percentile(self.samples, p) * 1000

    @property
    def over(self) -> bool:
        return self.goal_ms is not None and bool(self.samples) and self.pct(95) > self.goal_ms


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def measure(
    name: str,
    step: Callable[[], tuple[int, int]],
    log: SqlLog,
    *,
    goal_ms: float | None,
    requests: int,
    warmup: int,
    budget_s: float,
    min_requests: int = 5,
) -> Result:
    """Warm up, then time ``step`` up to ``requests`` times or until ``budget_s`` is spent
    (never fewer than ``min_requests``)."""
    result = Result(name, goal_ms)
    for _ in range(warmup):
        status, _ = step()
        result.status.add(status)
    started = time.perf_counter()
    while len(result.samples) < requests:
        if len(result.samples) >= min_requests and time.perf_counter() - started > budget_s:
            result.note = f"time budget {budget_s:.0f} s reached"
            break
        log.current = []
        log.active = True
        t0 = time.perf_counter()
        status, size = step()
        took = time.perf_counter() - t0
        log.active = False
        result.samples.append(took)
        result.sql.append(log.current)
        result.status.add(status)
        result.size = size
    return result


def describe(result: Result) -> str:
    s = result.samples
    sql_totals = [sum(st.seconds for st in req) * 1000 for req in result.sql]
    counts = [len(req) for req in result.sql]
    goal = ""
    if result.goal_ms is not None:
        verdict = "OVER" if result.over else "ok"
        goal = f" goal p95<={result.goal_ms:.0f} ms: {verdict}"
    sql = ""
    if result.sql and any(counts):
        sql = (
            f" | SQL p50 {statistics.median(sql_totals):7.1f} ms "
            f"in {int(statistics.median(counts))} stmts"
        )
    status = ",".join(str(c) for c in sorted(result.status))
    note = f" [{result.note}]" if result.note else ""
    if result.first_byte:
        first = sorted(result.first_byte)
        note = (
            f" | first byte p50 {percentile(first, 50) * 1000:.1f}  "
            f"p95 {percentile(first, 95) * 1000:.1f} ms{note}"
        )
    return (
        f"{result.name:<38} n={len(s):>3} p50 {result.pct(50):8.1f}  p95 {result.pct(95):8.1f}  "
        f"max {max(s) * 1000:8.1f} ms | HTTP {status} {result.size / 1024:6.0f} KiB{sql}"
        f"{goal}{note}"
    )


def _label(sql: str) -> str:
    """A short name for a statement: its top-level table (the first table of a subquery
    it reads from), "count" for a count, and whether it groups or has a window."""
    head = " ".join(sql.split())
    depth, table = 0, ""
    tokens = [t for t in head.replace("(", " ( ").replace(")", " ) ").split(" ") if t]
    for i, token in enumerate(tokens):
        depth += (token == "(") - (token == ")")
        if depth == 0 and token == "FROM" and i + 1 < len(tokens):
            table = tokens[i + 1]
            break
    if table == "(":
        inner = [tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t == "FROM"]
        table = next((t for t in inner if t != "("), "")
    kind = "count" if head.startswith("SELECT count(*)") else head.split(" ", 1)[0].lower()
    extra = "".join(
        f" ({what})"
        for what, mark in (("window", " OVER ("), ("group", " GROUP BY "))
        if mark in head
    )
    return f"{kind} {table or head[:30]}{extra}"


def breakdown(result: Result) -> str:
    """Median execute time per kind of statement over the requests (ms)."""
    per: dict[str, list[float]] = {}
    for req in result.sql:
        seen: dict[str, float] = {}
        for st in req:
            key = _label(st.sql)
            seen[key] = seen.get(key, 0.0) + st.seconds * 1000
        for key, ms in seen.items():
            per.setdefault(key, []).append(ms)
    parts = sorted(((statistics.median(v), k) for k, v in per.items()), reverse=True)
    return ", ".join(f"{k} {ms:.1f}" for ms, k in parts)


def slowest(result: Result) -> Statement | None:
    """The slowest statement; a streamed one first (its execute time leaves out the
    fetching, which is where its time goes)."""
    found = [st for req in result.sql for st in req]
    streamed = [st for st in found if st.streamed]
    return max(streamed or found, key=lambda st: st.seconds) if found else None


def explain(url: str, statement: Statement) -> str:
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.params or None
        ).fetchall()
    return "\n".join(r[0] for r in rows)


def profile(step: Callable[[], Any], top: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    head = next((line for line in lines if "function calls" in line), "").strip()
    root = str(Path(__file__).resolve().parent.parent) + "/"
    ours = sorted(
        (
            (cumtime, f"{file.removeprefix(root)}:{line}({name})")
            for (file, line, name), (_, _, _, cumtime, _) in stats.stats.items()  # type: ignore[attr-defined]
            if file.startswith(root) and "/bench/" not in file and "/templates/" not in file
        ),
        reverse=True,
    )[:top]
    project = ["-- project functions by cumulative time (ms) --"]
    project += [f"{cumtime * 1000:9.1f}  {where}" for cumtime, where in ours]
    return "\n".join([head, *lines[start:], *project]).rstrip()


def _quarter_label(day: date) -> str:
    return Period.containing(day, 3).label


def run(args: argparse.Namespace) -> None:
    run_started = time.perf_counter()
    deadline = run_started + args.budget
    name = args.reuse or f"web_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if args.reuse:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                raise SystemExit(f"--reuse {name}: no such database")
        else:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        settings_rows = conn.execute(
            text(
                "SELECT name, setting, unit FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', "
                "'max_parallel_workers_per_gather', 'jit')"
            )
        ).all()
        version = conn.execute(text("SHOW server_version")).scalar()
    url = args.admin_url.rsplit("/", 1)[0] + f"/{name}"
    print(f"{'reused' if args.reuse else 'scratch'} database {name}; PostgreSQL {version}; "
          f"CPUs {os.cpu_count()}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print("settings: " + ", ".join(f"{n}={s}{u or ''}" for n, s, u in settings_rows))
    keep = args.keep or (args.reuse is not None and not args.drop)
    try:
        catalog = load_catalog(None)
        if args.reuse:
            migrate_reused(url)
        else:
            db.upgrade(url)
            load(url, catalog, args.tickets, args.open, datetime.now(UTC), args.seed,
                 args.years * 365.0)  # fmt: skip
        print_indexes(url)
        measure_all(url, catalog, args, deadline)
    finally:
        db.engine_for(url).dispose()
        if keep:
            print(f"kept: {url} (measure it again with --reuse {name}; drop it with --drop)")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"dropped {name}")
        admin.dispose()
        print(f"total run time {time.perf_counter() - run_started:.0f} s")


def migrate_reused(url: str) -> None:
    """Bring a kept database to head (timing any migration that runs on the loaded data)
    and say what it holds."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        before = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    started = time.perf_counter()
    db.upgrade(url)
    took = time.perf_counter() - started
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        after = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        counts = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('open', 'paused')), "
            "max(received_at) FROM tickets"
        ).fetchone()
        if before != after:  # new indexes: give them statistics, as after a load
            conn.execute("VACUUM (ANALYZE) tickets")
    assert counts is not None
    revisions = f"{before and before[0]} -> {after and after[0]}" if before != after else "none"
    print(f"reusing {counts[0]:,} tickets ({counts[1]:,} open or paused; latest receipt "
          f"{counts[2]:%Y-%m-%d %H:%M} UTC); migrations run: {revisions} in {took:.1f} s")  # fmt: skip


def print_indexes(url: str) -> None:
    """The size of every index on tickets (a new one's cost in space)."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'tickets'::regclass ORDER BY c.relname"
        ).fetchall()
    print("indexes on tickets: " + ", ".join(f"{n} {s}" for n, s in rows))


def baseline(client: Any, url: str, log: SqlLog, requests: int, label: str) -> list[Result]:
    engine = db.engine_for(url)
    sessions = db.session_factory(url)

    def health() -> tuple[int, int]:
        response = client.get("/healthz", base_url=HTTPS)
        return response.status_code, len(response.data)

    with engine.connect() as held:

        def select_one() -> tuple[int, int]:
            held.exec_driver_sql("SELECT 1").scalar()
            return 200, 0

        held_result = measure(
            f"baseline {label}: SELECT 1 (held conn)", select_one, log,
            goal_ms=None, requests=max(requests, 100), warmup=5, budget_s=10,
        )  # fmt: skip

    def session_select() -> tuple[int, int]:
        with sessions() as session:
            session.execute(text("SELECT 1")).scalar()
        return 200, 0

    return [
        measure(
            f"baseline {label}: GET /healthz", health, log,
            goal_ms=None, requests=max(requests, 100), warmup=5, budget_s=10,
        ),
        held_result,
        measure(
            f"baseline {label}: session + SELECT 1", session_select, log,
            goal_ms=None, requests=max(requests, 100), warmup=5, budget_s=10,
        ),
    ]  # fmt: skip


def _streamed(client: Any, path: str, first_bytes: list[float]) -> Callable[[], tuple[int, int]]:
    """A GET whose body is read as the app streams it: the time to its first non-empty
    chunk goes to ``first_bytes``, the step ends after the last chunk (the full body)."""

    def step() -> tuple[int, int]:
        t0 = time.perf_counter()
        response = client.get(path, base_url=HTTPS, buffered=False)
        size, first = 0, None
        try:
            for chunk in response.response:
                if chunk and first is None:
                    first = time.perf_counter() - t0
                size += len(chunk)
        finally:
            response.close()
        first_bytes.append(first if first is not None else time.perf_counter() - t0)
        return response.status_code, size

    return step


def _get(client: Any, path: str) -> Callable[[], tuple[int, int]]:
    def step() -> tuple[int, int]:
        response = client.get(path, base_url=HTTPS)
        return response.status_code, len(response.data)

    return step


class Bench:
    """The measurements over one loaded database, in one process."""

    def __init__(self, url: str, catalog: Catalog, args: argparse.Namespace, deadline: float):
        self.url, self.catalog, self.args, self.deadline = url, catalog, args, deadline
        settings = Settings.from_env(
            {
                "DATABASE_URL": url,
                "TRIAGE_DATA_DIR": tempfile.mkdtemp(prefix="web_bench_"),
                "SECRET_KEY": "web-bench-secret-key",
            }
        )
        self.app = create_app(settings, catalog=catalog)
        self.log = SqlLog()
        self.log.attach(db.engine_for(url))
        run = uuid.uuid4().hex[:6]  # a reused database keeps the users of earlier runs
        self.agent = logged_in(self.app, "agent", f"bench-agent-{run}")
        self.manager = logged_in(self.app, "manager", f"bench-manager-{run}")
        self.results: list[Result] = []
        self.steps: dict[str, Callable[[], Any]] = {}

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def keep(self, result: Result, step: Callable[[], Any] | None = None) -> None:
        print(describe(result), flush=True)
        if result.goal_ms is not None and any(result.sql):
            print(f"{'':>40}SQL p50 by statement (ms): {breakdown(result)}", flush=True)
        self.results.append(result)
        if step is not None:
            self.steps[result.name] = step

    def baseline(self, label: str) -> None:
        for result in baseline(self.agent, self.url, self.log, self.args.requests, label):
            self.keep(result)

    def pages(self, variants: list[tuple[str, str]], client: Any, goal_ms: float,
              cap_s: float, share: float, warmup: int, min_requests: int = 5) -> None:  # fmt: skip
        for label, path in variants:
            step = _get(client, path)
            budget = min(cap_s, max(5.0, self.remaining() * share))
            result = measure(label, step, self.log, goal_ms=goal_ms, requests=self.args.requests,
                             warmup=warmup, budget_s=budget, min_requests=min_requests)  # fmt: skip
            self.keep(result, step)

    def million(self, span_from: date, today: date) -> None:
        """Issue 18's three pages, as a logged-in manager: the queue with every status, the
        ticket CSV (streamed: first byte and full body) of the default period (this
        quarter) and of the whole span, and the penalties page."""
        for label, path, streamed, cap in (
            ("GET /?status=alle", "/?status=alle", False, 60.0),
            ("GET /?status=alle&page=2", "/?status=alle&page=2", False, 30.0),
            ("GET /?status=alle (last page)", "/?status=alle&page=20000", False, 30.0),
            ("GET /reports/tickets.csv (quarter)", "/reports/tickets.csv", True, 90.0),
            ("GET /penalties", "/penalties", False, 90.0),
            *(
                [
                    (
                        "GET /reports/tickets.csv (all)",
                        f"/reports/tickets.csv?from={span_from}&to={today}",
                        True,
                        120.0,
                    )
                ]
                if self.args.csv_all
                else []
            ),
        ):
            first_bytes: list[float] = []
            step = (
                _streamed(self.manager, path, first_bytes) if streamed else _get(self.manager, path)
            )
            whole = "(all)" in label  # ~all the tickets: a few requests say enough
            warmup = 1  # one: the slow variants take many seconds a request before the fixes
            budget = min(cap, max(10.0, self.remaining() / 4))
            result = measure(label, step, self.log, goal_ms=MILLION_GOAL_MS,
                             requests=min(5, self.args.requests) if whole else self.args.requests,
                             warmup=warmup, budget_s=budget, min_requests=3 if whole else 5)  # fmt: skip
            result.first_byte = first_bytes[warmup:]
            result.issue = "18"
            self.keep(result, step)

    def report_core(self, quarter: str) -> None:
        """``report_facts`` (the query and the rows as TicketFacts) and ``build_report``."""
        sessions = db.session_factory(self.url)
        period = Period.quarter(quarter)
        start, end = day_bounds(period.first_day, period.last_day, OSLO)
        facts: list[Any] = []

        def facts_step() -> tuple[int, int]:
            with sessions() as session:
                facts[:] = report_facts(session, start, end)
            return 200, 0

        def build_step() -> tuple[int, int]:
            build_report(period.first_day, period.last_day, facts, self.catalog.contracts,
                         datetime.now(UTC), percentiles=(90,))  # fmt: skip
            return 200, 0

        budget = min(60.0, max(5.0, self.remaining() / 8))
        result = measure(f"core {quarter}: report_facts", facts_step, self.log, goal_ms=None,
                         requests=self.args.requests, warmup=1, budget_s=budget)  # fmt: skip
        result.note = f"{len(facts):,} tickets"
        self.keep(result)
        result = measure(f"core {quarter}: build_report", build_step, self.log, goal_ms=None,
                         requests=self.args.requests, warmup=1, budget_s=budget / 2)  # fmt: skip
        self.keep(result)

    def report_aggregate(self, quarter: str) -> None:
        """What the report page asks of the database: ``aggregate_report`` (counts, ranked
        response times, chart buckets) and the latest breaches it lists."""
        sessions = db.session_factory(self.url)
        period = report_period(date.today(), quarter=quarter)
        start, end = day_bounds(period.first, period.last, OSLO)
        starts = [day_bounds(b.first, b.last, OSLO)[0] for b in chart_buckets(period)]
        vendors = {c.id: c.vendor for c in self.catalog.contracts.values()}
        found: list[Any] = []

        def step() -> tuple[int, int]:
            now = datetime.now(UTC)
            with sessions() as session:
                found[:] = [
                    aggregate_report(session, start, end, now, percentiles=(90,),
                                     group_of=lambda c: vendors.get(c, "?"),
                                     bucket_starts=starts, response_bounds=RESPONSE_BUCKETS),
                    breach_facts(session, start, end, now, latest=200),
                ]  # fmt: skip
            return 200, 0

        budget = min(60.0, max(5.0, self.remaining() / 8))
        result = measure(f"core {quarter}: aggregate_report", step, self.log, goal_ms=None,
                         requests=self.args.requests, warmup=1, budget_s=budget)  # fmt: skip
        aggregate = found[0]
        result.note = (
            f"{sum(c.tickets for c in aggregate.contracts.values()):,} tickets, "
            f"{aggregate.breaches:,} breaches"
        )
        self.keep(result)
        print(f"{'':>40}SQL p50 by statement (ms): {breakdown(result)}", flush=True)

    def summary(self) -> None:
        print("\n== summary vs goals ==")
        for r in self.results:
            if r.goal_ms is not None:
                print(f"{r.name:<38} p50 {r.pct(50):8.1f} ms  p95 {r.pct(95):8.1f} ms  "
                      f"(goal p95 <= {r.goal_ms:.0f} ms) {'OVER' if r.over else 'ok'}")  # fmt: skip
        million = [r for r in self.results if r.issue == "18" and r.samples]
        if million:
            print()
            for r in million:
                print(f"goal {r.name} p95 <= 1 s: {'NOT MET' if r.over else 'MET'} "
                      f"(p50 {r.pct(50):.0f} ms, p95 {r.pct(95):.0f} ms, n={len(r.samples)})")  # fmt: skip
        for r in self.results:
            if r.over:
                print(f"\n== {r.name}: over its goal (p95 {r.pct(95):.1f} ms) ==")
                self.explain_slowest(r)
                if r.name in self.steps and self.remaining() > 20:
                    print("-- cProfile of one request (by own time) --")
                    print(profile(self.steps[r.name]))
            elif self.args.explain_all and r.goal_ms is not None:
                print(f"\n== {r.name}: within its goal; its slowest statement ==")
                self.explain_slowest(r)

    def explain_slowest(self, result: Result) -> None:
        statement = slowest(result)
        if statement is None:
            return
        how = "streamed: execute time excludes the fetching" if statement.streamed else ""
        print(
            f"slowest statement: {statement.seconds * 1000:.1f} ms (execute only{how and '; ' + how})"
        )
        print(statement.sql)
        print(f"parameters: {statement.params!r}"[:600])
        try:
            print(explain(self.url, statement))
        except psycopg.Error as exc:
            print(f"EXPLAIN failed: {exc}")


def write_cost(url: str, catalog: Catalog, args: argparse.Namespace) -> None:
    """What the queue's search index costs an intake: single-row INSERTs of an open ticket
    (one transaction each, as intake commits a ticket), in alternating blocks with the
    index present and dropped (then built again from its own definition). The rows are
    deleted afterwards. Only the ticket row: intake writes the inbox item, events and
    message keys too, so its relative cost is smaller than the ratio here."""
    index = "ix_tickets_active_text"
    rounds = 4
    per_block = max(50, args.write_rows // (2 * rounds))
    gen = Generator(catalog, datetime.now(UTC), args.seed + 1)
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        found = conn.execute(
            "SELECT indexdef, pg_relation_size(indexname::regclass) FROM pg_indexes "
            "WHERE indexname = %s",
            (index,),
        ).fetchone()
        if found is None:
            print(f"writes: no {index} in this database; nothing to compare")
            return
        definition, size_before = found
        first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()
        assert first_id is not None
        next_id = int(first_id[0])
        columns = ", ".join(c.strip() for c in TICKET_COLUMNS.split(","))
        insert = f"INSERT INTO tickets ({columns}) VALUES ({', '.join(['%s'] * 22)})"
        times: dict[bool, list[float]] = {True: [], False: []}
        try:
            for round_ in range(rounds):
                for with_index in (True, False) if round_ % 2 == 0 else (False, True):
                    present = conn.execute(
                        "SELECT 1 FROM pg_indexes WHERE indexname = %s", (index,)
                    ).fetchone()
                    if with_index and not present:
                        conn.execute(definition)
                    elif not with_index and present:
                        conn.execute(f"DROP INDEX {index}")
                    for _ in range(per_block):
                        row, _, _ = gen.open(next_id)
                        next_id += 1
                        t0 = time.perf_counter()
                        conn.execute(insert, row)
                        times[with_index].append(time.perf_counter() - t0)
        finally:
            if not conn.execute(
                "SELECT 1 FROM pg_indexes WHERE indexname = %s", (index,)
            ).fetchone():
                conn.execute(definition)
            conn.execute("DELETE FROM tickets WHERE id >= %s", (int(first_id[0]),))
            conn.execute("VACUUM (ANALYZE) tickets")
    for with_index in (False, True):
        t = times[with_index]
        print(
            f"writes: INSERT open ticket {'with' if with_index else 'without'} {index}: "
            f"n={len(t)} mean {statistics.fmean(t) * 1000:.2f}  p50 {percentile(t, 50) * 1000:.2f}  "
            f"p95 {percentile(t, 95) * 1000:.2f}  p99 {percentile(t, 99) * 1000:.2f}  "
            f"max {max(t) * 1000:.1f} ms"
        )
    added = statistics.fmean(times[True]) - statistics.fmean(times[False])
    print(f"writes: the index adds {added * 1000:.2f} ms per insert on average "
          f"(its size before: {size_before / 2**20:.1f} MiB; GIN's pending list is merged "
          f"by the insert that fills it, hence the max)")  # fmt: skip


def measure_all(url: str, catalog: Catalog, args: argparse.Namespace, deadline: float) -> None:
    bench = Bench(url, catalog, args, deadline)
    today = datetime.now(UTC).astimezone(OSLO).date()
    current_q = _quarter_label(today)
    previous_q = _quarter_label(Period.containing(today, 3).first_day - timedelta(days=1))
    with psycopg.connect(_conninfo(url)) as conn:
        busiest = conn.execute(
            "SELECT contract_id FROM tickets WHERE status IN ('open', 'paused') "
            "AND responded_at IS NULL AND contract_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    contract = busiest[0] if busiest else next(iter(catalog.contracts))
    print(f"\nmeasuring: up to {args.requests} requests per variant after {args.warmup} "
          f"warm-up (issue 18's pages: 1); load average {os.getloadavg()[0]:.2f}; time left "
          f"{bench.remaining():.0f} s")  # fmt: skip
    bench.baseline("before")
    queue = [
        ("GET / (default: active)", "/"),
        ("GET /?severity=critical", "/?severity=critical"),
        (f"GET /?contract={contract}", f"/?contract={contract}"),
        (f"GET /?q={SEARCH_WORD}", f"/?q={SEARCH_WORD}"),
        (f"GET /?q={RARE_WORD}", f"/?q={RARE_WORD.replace(' ', '+')}"),
        ("GET /?page=50", "/?page=50"),
        ("GET /queue/rows", "/queue/rows"),
    ]
    if "queue" in args.only:
        bench.pages(queue, bench.agent, QUEUE_GOAL_MS, 40.0, 1 / 8, args.warmup)
    if "reports" in args.only:
        if "ui.reports" in bench.app.view_functions:
            reports = [
                (f"GET /reports?quarter={q}", f"/reports?quarter={q}")
                for q in (previous_q, current_q)
            ]
            bench.pages(reports, bench.manager, REPORT_GOAL_MS, 120.0, 1 / 5, args.warmup)
        else:
            print("GET /reports: not registered in this tree (web/ui/reports.py missing)")
        for quarter in (previous_q, current_q):
            bench.report_core(quarter)
            if aggregate_report is not None:
                bench.report_aggregate(quarter)
    if "extra" in args.only and bench.remaining() > 60:
        extra = [  # beyond the brief: every status, the whole table
            ("GET /?status=alle", "/?status=alle"),
            ("GET /?status=alle&sort=-received_at", "/?status=alle&sort=-received_at"),
        ]
        bench.pages(extra, bench.agent, QUEUE_GOAL_MS, 25.0, 1 / 6, 1)
    if "million" in args.only:
        with psycopg.connect(_conninfo(url)) as conn:
            oldest = conn.execute("SELECT min(received_at) FROM tickets").fetchone()
        span_from = oldest[0].astimezone(OSLO).date() if oldest and oldest[0] else today
        bench.million(max(span_from, today - timedelta(days=5 * 366 - 1)), today)
    if "writes" in args.only:
        write_cost(url, catalog, args)
    bench.baseline("after")
    print(f"load average {os.getloadavg()[0]:.2f}")
    bench.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per variant")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget", type=float, default=660, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--years", type=float, default=3.0,
                        help="the span the answered tickets were received over")  # fmt: skip
    parser.add_argument(
        "--admin-url", default=os.environ.get("TRIAGE_BENCH_POSTGRES_URL", ADMIN_URL)
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="NAME",
                        help="measure a database kept by --keep again, without loading")  # fmt: skip
    parser.add_argument("--drop", action="store_true",
                        help="with --reuse: drop the database at the end")  # fmt: skip
    parser.add_argument("--explain-all", action="store_true",
                        help="also EXPLAIN the slowest statement of variants within their goal")  # fmt: skip
    parser.add_argument("--only", default="queue,reports,extra",
                        help="what to measure: queue, reports, extra (status=alle), million "
                             "(issue 18: status=alle, tickets.csv, penalties as a manager), "
                             "writes (what the search index costs an insert; not by default)")  # fmt: skip
    parser.add_argument("--csv-all", action="store_true",
                        help="with --only million: also the ticket CSV of the whole span "
                             "(~all the tickets; minutes a request before the fixes)")  # fmt: skip
    parser.add_argument("--write-rows", type=int, default=4000,
                        help="with --only writes: inserts in all, half with the index")  # fmt: skip
    args = parser.parse_args()
    if not 0 < args.open <= args.tickets:
        parser.error("--open must be between 1 and --tickets")
    if args.drop and not args.reuse:
        parser.error("--drop goes with --reuse (a scratch database is dropped unless --keep)")
    run(args)


if __name__ == "__main__":
    main()
