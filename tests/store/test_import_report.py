"""CSV import and the breach report against a real database, with hand-computed answers.

The scenario (Europe/Oslo, Q1 2026), worked out by hand from CONTRACTS.md:

MBN (60 business minutes, Mon-Fri 08-16, holidays closed):
  m1  Mon 2026-01-05 09:00, responded 09:30        due 10:00      met       30 min
  m2  Fri 2026-01-09 15:30, responded Mon 08:45    due Mon 08:30  breached  30+45 = 75 min
  m3  Tue 2026-02-03 10:00, responded 11:30        due 11:00      breached  90 min
  m4  Tue 2026-03-31 15:30, no response            due Wed 04-01 08:30 -> breached once "now" is later
  m5  Thu 2026-04-02 (Maundy Thursday) - outside Q1, not in the Q1 report
Pindena (end of next working day, 16:00):
  p1  Fri 2026-02-06 12:00, responded Mon 15:00    due Mon 02-09 16:00  met  240+420 = 660 min
Sensio (no target):
  s1  Tue 2026-02-10 10:00, responded 10:20        counts in tickets only; 20 min

MBN: tickets 4, met 1, breached 3, open 0, breach rate 0.75, median(30, 75, 90) = 75.
Penalty 2026Q1: 50 % of (199 + 40 x 29) x 3 = 4077.00 -> 2038.50, applies to 2026Q2;
first missed deadline 2026-01-12 -> claim by 2027-01-12.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from config.catalog import load_catalog
from sla.severity import Severity
from triage.classify import classify
from triage.report import build_report
from triage.store.importer import import_csv
from triage.store.models import Ticket, TicketEvent
from triage.store.tickets import report_facts

OSLO = ZoneInfo("Europe/Oslo")
HEADER = "external_id,contract,received_at,responded_at,severity,channel,subject,body\n"
ROWS = [
    "m1,nettsoft-mbn,2026-01-05T09:00,2026-01-05T09:30,non-critical,email,MBN,Svarer ikke\n",
    "m2,nettsoft-mbn,2026-01-09T15:30,2026-01-12T08:45,critical,phone,MBN,Sentralbord nede\n",
    "m3,nettsoft-mbn,2026-02-03T09:00Z,2026-02-03T10:30Z,critical,chat,MBN,Nede\n",
    "m4,nettsoft-mbn,2026-03-31T15:30,,non-critical,email,MBN,Treg\n",
    "m5,nettsoft-mbn,2026-04-02T10:00,,non-critical,email,MBN,Holiday ticket\n",
    'p1,pindena,2026-02-06T12:00,2026-02-09T15:00,non-critical,email,Pindena,"Påmelding feiler,\nactivity id 7"\n',
    "s1,sensio-velferd,2026-02-10T10:00,2026-02-10T10:20,,chat,Sensio,Hele sykehjemmet mangler alarmer\n",
    "bad1,no-such-contract,2026-02-10T10:00,,,email,x,y\n",
    "bad2,nettsoft-mbn,yesterday,,,email,x,y\n",
    "bad3,nettsoft-mbn,2026-02-10T10:00,2026-02-10T09:00,,email,x,y\n",
    ",nettsoft-mbn,2026-02-10T10:00,,,email,x,y\n",
    "bad5,nettsoft-mbn,2026-03-29T02:30,,,email,x,y\n",
]
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _classify(subject: str, body: str, channel: str) -> tuple[Severity, tuple[str, ...]]:
    result = classify(body, subject, channel)
    return result.severity, result.reasons


def _import(sessions, text: str):  # type: ignore[no-untyped-def]
    return import_csv(sessions, load_catalog(), text.encode(), _classify, NOW)


def _q1_report(sessions, now: datetime = NOW):  # type: ignore[no-untyped-def]
    start = datetime.combine(date(2026, 1, 1), time(0), OSLO)
    end = datetime.combine(date(2026, 4, 1), time(0), OSLO)
    with sessions() as session:
        return build_report(
            date(2026, 1, 1),
            date(2026, 3, 31),
            report_facts(session, start, end),
            load_catalog().contracts,
            now,
        )


def test_import_reports_bad_rows_by_line_and_keeps_the_rest(sessions) -> None:  # type: ignore[no-untyped-def]
    result = _import(sessions, HEADER + "".join(ROWS))
    assert result.imported == 7
    assert result.updated == 0
    # p1's body spans two physical lines, so the rows after it start one line later.
    assert [r["line"] for r in result.rejected] == [10, 11, 12, 13, 14]
    errors = [r["error"] for r in result.rejected]
    assert "no-such-contract" in errors[0]
    assert errors[1].startswith("received_at:")
    assert "before received_at" in errors[2]
    assert "external_id is empty" in errors[3]
    assert "does not exist in Europe/Oslo" in errors[4]


def test_stored_deadlines_and_response_minutes(sessions) -> None:  # type: ignore[no-untyped-def]
    _import(sessions, HEADER + "".join(ROWS))
    with sessions() as session:
        tickets = {t.external_id: t for t in session.scalars(select(Ticket))}
    assert tickets["m2"].due_at == datetime(2026, 1, 12, 8, 30, tzinfo=OSLO)
    assert tickets["m2"].response_seconds == 75 * 60
    assert tickets["m4"].due_at == datetime(2026, 4, 1, 8, 30, tzinfo=OSLO)
    assert tickets["p1"].due_at == datetime(2026, 2, 9, 16, 0, tzinfo=OSLO)
    assert tickets["p1"].response_seconds == 660 * 60
    assert tickets["p1"].body == "Påmelding feiler,\nactivity id 7"
    assert tickets["s1"].due_at is None
    assert tickets["s1"].severity in ("critical", "non-critical")
    assert tickets["s1"].severity_reasons != ["severity given in the import file"]
    assert tickets["m3"].received_at == datetime(2026, 2, 3, 9, 0, tzinfo=UTC)


def test_report_matches_the_hand_computed_figures(sessions) -> None:  # type: ignore[no-untyped-def]
    _import(sessions, HEADER + "".join(ROWS))
    report = _q1_report(sessions)
    assert report["from"] == "2026-01-01" and report["to"] == "2026-03-31"
    rows = {row["contract"]: row for row in report["contracts"]}
    assert set(rows) == {"nettsoft-mbn", "pindena", "sensio-velferd"}
    mbn = rows["nettsoft-mbn"]
    assert (mbn["tickets"], mbn["met"], mbn["breached"], mbn["open"]) == (4, 1, 3, 0)
    assert mbn["breach_rate"] == 0.75
    assert mbn["median_response_business_minutes"] == 75.0
    assert mbn["penalties"] == [
        {
            "period": "2026Q1",
            "breaches": 3,
            "deduction_pct": 50,
            "amount_nok": "2038.50",
            "applies_to": "2026Q2",
            "claim_by": "2027-01-12",
            # 10 working days after the first missed deadline, Monday 2026-01-12
            "claim_promptly_by": "2026-01-26",
            # breached on Monday–Friday and on the Saturday reading of "virkedag" alike
            "solid": True,
            "solid_breaches": 3,
            "depends_on_reading": [],
        }
    ]
    pindena = rows["pindena"]
    assert (pindena["tickets"], pindena["met"], pindena["breached"], pindena["open"]) == (
        1,
        1,
        0,
        0,
    )
    assert pindena["median_response_business_minutes"] == 660.0
    assert pindena["penalties"] == []
    sensio = rows["sensio-velferd"]
    assert (sensio["tickets"], sensio["met"], sensio["breached"], sensio["open"]) == (1, 0, 0, 0)
    assert sensio["breach_rate"] is None
    assert sensio["median_response_business_minutes"] == 20.0


def test_unanswered_ticket_is_open_until_its_deadline_passes(sessions) -> None:  # type: ignore[no-untyped-def]
    _import(sessions, HEADER + "".join(ROWS))
    before = datetime(2026, 4, 1, 8, 29, tzinfo=OSLO)
    after = before + timedelta(minutes=2)
    mbn_before = _q1_report(sessions, before)["contracts"][0]
    mbn_after = _q1_report(sessions, after)["contracts"][0]
    assert (mbn_before["breached"], mbn_before["open"]) == (2, 1)
    assert (mbn_after["breached"], mbn_after["open"]) == (3, 0)
    assert round(2 / 3, 4) == mbn_before["breach_rate"]


def test_reimport_updates_by_external_id_and_records_the_change(sessions) -> None:  # type: ignore[no-untyped-def]
    _import(sessions, HEADER + "".join(ROWS))
    again = _import(
        sessions,
        HEADER + "m4,nettsoft-mbn,2026-03-31T15:30,2026-04-01T08:15,non-critical,email,MBN,Treg\n",
    )
    assert (again.imported, again.updated, again.rejected) == (0, 1, [])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 7
        m4 = session.scalars(select(Ticket).where(Ticket.external_id == "m4")).one()
        kinds = [
            e.kind
            for e in session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == m4.id).order_by(TicketEvent.id)
            )
        ]
    assert kinds[-1] == "imported_update"
    assert m4.responded_at == datetime(2026, 4, 1, 8, 15, tzinfo=OSLO)
    mbn = _q1_report(sessions)["contracts"][0]
    assert (mbn["met"], mbn["breached"]) == (2, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"external_id,contract\nx,y\n", "lacks column(s) received_at"),
    ],
)
def test_a_file_without_the_header_is_refused_whole(sessions, data: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    from triage.csv_import import BadFile

    with pytest.raises(BadFile, match=re.escape(message)):
        import_csv(sessions, load_catalog(), data, _classify, NOW)


def test_a_row_with_invalid_utf8_is_rejected_alone(sessions) -> None:  # type: ignore[no-untyped-def]
    data = (HEADER + ROWS[0]).encode() + b"x1,nettsoft-mbn,2026-01-05T09:00,,,email,\xff\xfe,body\n"
    result = import_csv(sessions, load_catalog(), data, _classify, NOW)
    assert result.imported == 1
    assert result.rejected == [{"line": 3, "error": "is not valid UTF-8"}]


def test_recompute_follows_a_catalog_change(sessions) -> None:  # type: ignore[no-untyped-def]
    from importlib import resources

    from config.catalog import parse_catalog
    from triage.store.recompute import recompute_all

    _import(sessions, HEADER + ROWS[0])
    shipped = resources.files("config").joinpath("catalog.toml").read_text(encoding="utf-8")
    faster = parse_catalog(
        shipped.replace(
            'response.non-critical = { target = "PT60M"',
            'response.non-critical = { target = "PT20M"',
            1,
        )
    )
    assert recompute_all(sessions, load_catalog(), NOW) == {
        "changed": 0,
        "unchanged": 1,
        "skipped": 0,
    }
    assert recompute_all(sessions, faster, NOW) == {"changed": 1, "unchanged": 0, "skipped": 0}
    with sessions() as session:
        m1 = session.scalars(select(Ticket)).one()
        kinds = [
            e.kind
            for e in session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == m1.id).order_by(TicketEvent.id)
            )
        ]
    assert m1.due_at == datetime(2026, 1, 5, 9, 20, tzinfo=OSLO)
    assert kinds[-1] == "sla_recomputed"


def test_a_managers_fee_change_prices_the_penalty_of_the_invoice_it_applies_to(sessions) -> None:  # type: ignore[no-untyped-def]
    """55 active users from 1 April: 50 % of (199 + 55 x 29) x 3 = 5382.00 -> 2691.00 on the
    2026Q2 invoice; a change from 1 July (after that invoice) changes nothing."""
    from triage.store.fees import effective_catalog, record_fee_change

    _import(sessions, HEADER + "".join(ROWS))
    start = datetime.combine(date(2026, 1, 1), time(0), OSLO)
    end = datetime.combine(date(2026, 4, 1), time(0), OSLO)
    for valid_from, expected in ((date(2026, 7, 1), "2038.50"), (date(2026, 4, 1), "2691.00")):
        with sessions() as session:
            record_fee_change(
                session, load_catalog(), "nettsoft-mbn", valid_from, 55, "manager", NOW
            )
            catalog = effective_catalog(session, load_catalog())
            report = build_report(
                date(2026, 1, 1),
                date(2026, 3, 31),
                report_facts(session, start, end),
                catalog.contracts,
                NOW,
            )
        (mbn,) = [row for row in report["contracts"] if row["contract"] == "nettsoft-mbn"]
        assert mbn["penalties"][0]["amount_nok"] == expected
