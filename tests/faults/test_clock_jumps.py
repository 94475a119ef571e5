"""Fault: time jumps. A backdated import brings tickets whose deadlines passed days ago; a
clock (a sweeper that was down, a host suspended) moves past several rungs at once, and
back again.

The product's rule (``triage/store/escalations.py``): a point already older than the
lookback (one hour) when it is planned is recorded ``skipped`` and pages nobody; of
several due points of one level only the latest fires (one SMS with today's news, not a
replay of each rung); a fired point is history and never fires again.

Deadlines are worked out by hand from the catalog:

- nettsoft-vps-terminal, critical: "immediately", any hour, met within 15 minutes; the
  "immediate" ladder: received (level 1, at receipt), due (level 1, +15 min), overdue
  (level 2, +30 min);
- nettsoft-mbn: 60 minutes of office hours (Mon-Fri 08-16 Oslo), the "standard" ladder:
  half-budget (30 business minutes), late (48), due (60), all level 1, and overdue
  (level 2, 30 real minutes after due).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from sla.targets import Outcome, judge
from tests.faults.invariants import assert_nothing_lost
from tests.faults.twilio import ScriptedTwilio
from tests.web.support import oslo
from tests.workers.escalation_support import (
    MANAGER,
    ONCALL,
    Clock,
    installed,
    new_ticket,
    roster,
    run_worker,
    settings_for,
)
from triage.csv_import import classify_row
from triage.store.importer import import_csv
from triage.store.models import EscalationPoint, Ticket
from workers.enqueue import wire_scheduling
from workers.queues import SLA, queue
from workers.sweeper import sweep

KARI, METTE = ONCALL[1], MANAGER[1]
VPS, MBN = "nettsoft-vps-terminal", "nettsoft-mbn"
NOW = oslo(2026, 3, 10, 10, 0)  # Tuesday, office hours

CSV = """external_id,contract,received_at,responded_at,severity,channel,subject,body
old-vps,nettsoft-vps-terminal,2026-03-07T10:00:00+01:00,,critical,email,Terminalserver nede,Ingen kommer inn
old-mbn,nettsoft-mbn,2026-03-06T15:45:00+01:00,,critical,phone,Sentralbordet nede,Hele bedriften
answered-late,nettsoft-vps-terminal,2026-03-08T12:00:00+01:00,2026-03-08T12:40:00+01:00,critical,email,RDS nede,Alle
answered-in-time,nettsoft-mbn,2026-03-09T09:00:00+01:00,2026-03-09T09:30:00+01:00,non-critical,email,Mobilsvar,En bruker
recent,nettsoft-vps-terminal,2026-03-10T09:10:00+01:00,,critical,email,Citrix nede,Alle brukere
edge,nettsoft-vps-terminal,2026-03-10T08:50:00+01:00,,critical,chat,Fjernskrivebord nede,Alle brukere
"""


def _tickets(sessions: sessionmaker[Session]) -> dict[str, Ticket]:
    with sessions() as session:
        return {t.external_id or str(t.id): t for t in session.scalars(select(Ticket))}


def _points(sessions: sessionmaker[Session]) -> dict[tuple[int, str], EscalationPoint]:
    with sessions() as session:
        return {(p.ticket_id, p.point): p for p in session.scalars(select(EscalationPoint))}


def test_a_backdated_import_pages_only_what_is_still_news_and_keeps_the_deadlines(
    sessions: sessionmaker[Session],
    database_url: str,
    redis_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    clock = Clock(NOW)
    roster(sessions, NOW - timedelta(days=30))
    wire_scheduling(sessions, redis_url)
    result = import_csv(sessions, catalog, CSV.encode(), classify_row, NOW)
    assert result.as_json() == {"imported": 6, "updated": 0, "rejected": []}
    tickets = _tickets(sessions)
    ids = {name: t.id for name, t in tickets.items()}

    # deadlines by hand, and the breach verdict at NOW
    expected_due = {
        "old-vps": oslo(2026, 3, 7, 10, 15),
        "old-mbn": oslo(2026, 3, 9, 8, 45),  # 15 min on Friday, 45 on Monday
        "answered-late": oslo(2026, 3, 8, 12, 15),
        "answered-in-time": oslo(2026, 3, 9, 10, 0),
        "recent": oslo(2026, 3, 10, 9, 25),
        "edge": oslo(2026, 3, 10, 9, 5),
    }
    verdicts = {name: judge(t.due_at, t.responded_at, NOW) for name, t in tickets.items()}
    assert {name: t.due_at for name, t in tickets.items()} == expected_due
    assert verdicts == {
        "old-vps": Outcome.BREACHED,
        "old-mbn": Outcome.BREACHED,
        "answered-late": Outcome.BREACHED,
        "answered-in-time": Outcome.MET,
        "recent": Outcome.BREACHED,
        "edge": Outcome.BREACHED,
    }

    # older than the lookback when planned: skipped; answered tickets: no ladder at all
    points = _points(sessions)
    names = {ticket_id: name for name, ticket_id in ids.items()}
    status = {(names[tid], point): row.status for (tid, point), row in points.items()}
    assert status == {
        ("old-vps", "received"): "skipped",
        ("old-vps", "due"): "skipped",
        ("old-vps", "overdue"): "skipped",
        ("old-mbn", "half-budget"): "skipped",
        ("old-mbn", "late"): "skipped",
        ("old-mbn", "due"): "skipped",
        ("old-mbn", "overdue"): "skipped",
        ("recent", "received"): "pending",
        ("recent", "due"): "pending",
        ("recent", "overdue"): "pending",
        ("edge", "received"): "skipped",  # 08:50, more than an hour before 10:00
        ("edge", "due"): "pending",
        ("edge", "overdue"): "pending",
    }
    assert points[(ids["old-mbn"], "half-budget")].fire_at == oslo(2026, 3, 9, 8, 15)
    # what is still news went to RQ as the job of the current second (one per commit at
    # most: the points are past on the real clock RQ runs on); stale rows are "skipped",
    # and a job fires only pending ones
    jobs = queue(SLA, redis_url).get_job_ids()
    assert jobs and all(job.startswith("escalate-at-") for job in jobs), jobs

    settings = settings_for(database_url, tmp_path, redis_url, twilio)
    with installed(settings, catalog, clock) as ctx:
        run_worker(redis_url)  # the first job fires every due point; the rest find nothing
        run_worker(redis_url)
        assert sweep(ctx).fired == 0
        # the same file again: updates, and nothing fires twice
        again = import_csv(ctx.sessions, catalog, CSV.encode(), classify_row, NOW)
        assert again.as_json() == {"imported": 0, "updated": 6, "rejected": []}
        run_worker(redis_url)
        clock.now += timedelta(minutes=2)
        assert sweep(ctx).fired == 0

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now)
    assert set(report.paged) == {
        (ids["recent"], "due", KARI),
        (ids["edge"], "due", KARI),
        (ids["recent"], "overdue", METTE),
        (ids["edge"], "overdue", METTE),
    }
    # two SMS, each about both tickets: no burst of a page per stale rung
    assert report.sms_by_recipient == {KARI: 1, METTE: 1}
    assert len(twilio.sent()) == 2
    assert status_after(sessions, ids["recent"], "received") == "skipped"  # superseded


def status_after(sessions: sessionmaker[Session], ticket_id: int, point: str) -> str:
    return _points(sessions)[(ticket_id, point)].status


def test_a_clock_jumping_past_several_rungs_fires_each_due_point_once(
    sessions: sessionmaker[Session],
    database_url: str,
    twilio: ScriptedTwilio,
    catalog: Catalog,
    tmp_path: Path,
) -> None:
    start = oslo(2026, 3, 10, 9, 0)
    clock = Clock(start)
    roster(sessions, start)
    vps = new_ticket(sessions, catalog, VPS, start, start, subject="Citrix nede")
    mbn = new_ticket(sessions, catalog, MBN, start, start, subject="Sentralbord nede")
    points = _points(sessions)
    assert {p: points[(mbn, p)].fire_at for p in ("half-budget", "late", "due", "overdue")} == {
        "half-budget": oslo(2026, 3, 10, 9, 30),
        "late": oslo(2026, 3, 10, 9, 48),
        "due": oslo(2026, 3, 10, 10, 0),
        "overdue": oslo(2026, 3, 10, 10, 30),
    }

    def sent_since(before: int) -> list[tuple[str, str]]:
        return [(m["to"], m["body"]) for m in twilio.sent()[before:]]

    settings = settings_for(database_url, tmp_path, None, twilio)
    with installed(settings, catalog, clock) as ctx:
        assert sweep(ctx).fired == 1  # 09:00: VPS received
        assert [to for to, _ in sent_since(0)] == [KARI]

        clock.now = oslo(2026, 3, 10, 9, 50)  # jumps past VPS due/overdue, MBN half/late
        assert sweep(ctx).fired == 3  # VPS due, VPS overdue, MBN late (half superseded)
        new = sent_since(1)
        assert sorted(to for to, _ in new) == [KARI, METTE]
        kari_body = next(body for to, body in new if to == KARI)
        assert f"#{vps}" in kari_body and f"#{mbn}" in kari_body  # one grouped SMS

        clock.now = oslo(2026, 3, 10, 9, 20)  # and back (a clock corrected backwards)
        assert sweep(ctx).fired == 0
        clock.now = oslo(2026, 3, 10, 11, 0)  # past MBN due and overdue
        assert sweep(ctx).fired == 2
        clock.now = oslo(2026, 3, 11, 11, 0)  # a day later: nothing is left
        assert sweep(ctx).fired == 0
        assert sweep(ctx).sent == 0

    report = assert_nothing_lost(sessions, fake_twilio=twilio, now=clock.now)
    assert set(report.paged) == {
        (vps, "received", KARI),
        (vps, "due", KARI),
        (vps, "overdue", METTE),
        (mbn, "late", KARI),
        (mbn, "due", KARI),
        (mbn, "overdue", METTE),
    }
    assert status_after(sessions, mbn, "half-budget") == "skipped"
    assert report.sms_by_recipient == {KARI: 3, METTE: 2}
