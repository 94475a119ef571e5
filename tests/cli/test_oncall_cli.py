"""``triage oncall ...``: the roster from the command line, run in-process through
``web.cli.main`` on a SQLite database of its own.

Dates: Monday 2026-11-23 08:00 Oslo (+01:00) is the first handover of the test rotations,
so Kari has the week to Monday 2026-11-30 08:00, Ola the week after, then Kari again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from web.cli import main

OSLO = ZoneInfo("Europe/Oslo")
KARI = ("Kari Nordmann", "912 34 567", "+4791234567")
OLA = ("Ola Hansen", "+47 413 00 002", "+4741300002")
METTE = ("Mette Berg", "0047 98765432", "+4798765432")


@dataclass
class Result:
    code: int
    out: list[dict]
    err: str


Run = Callable[..., Result]


@pytest.fixture
def triage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """``triage ARGS`` on a fresh SQLite database: exit code, stdout JSON lines, stderr."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'roster.sqlite3'}")
    for name in ("TRIAGE_CATALOG", "TRIAGE_ROSTER_CALENDAR", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    capsys.readouterr()

    def run(*args: str) -> Result:
        code = main(list(args))
        captured = capsys.readouterr()
        lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
        return Result(code, lines, captured.err)

    return run


def ok(result: Result) -> list[dict]:
    assert result.code == 0, result.err
    return result.out


def refused(result: Result) -> str:
    """The one stderr line of a client mistake (exit 2, nothing on stdout)."""
    assert result.code == 2, (result.out, result.err)
    assert result.out == []
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("triage: ")
    return lines[0]


def add(triage: Run, person: tuple[str, str, str]) -> dict:
    [staff] = ok(triage("oncall", "staff", "add", "--name", person[0], "--phone", person[1]))
    return staff


def who(triage: Run, at: str) -> dict[int, str | None]:
    rows = ok(triage("oncall", "who", "--at", at))
    assert [r["level"] for r in rows] == [1, 2]
    return {r["level"]: r["staff"] for r in rows}


def set_rotation(triage: Run, level: int, first_handover: str, members: str) -> Result:
    """``triage oncall rotation set`` for ``level`` from ``first_handover`` (all shifts)."""
    return triage(
        "oncall",
        "rotation",
        "set",
        "--level",
        str(level),
        "--first-handover",
        first_handover,
        "--members",
        members,
    )


# ------------------------------------------------------------------ staff


def test_staff_add_normalises_the_phone_to_e164(triage: Run) -> None:
    kari = add(triage, KARI)
    assert kari["name"] == KARI[0]
    assert kari["phone"] == "+4791234567"
    assert kari["active"] is True
    assert isinstance(kari["id"], int)
    assert add(triage, OLA)["phone"] == OLA[2]
    assert add(triage, METTE)["phone"] == METTE[2]

    listed = ok(triage("oncall", "staff", "list"))
    assert [(s["name"], s["phone"]) for s in listed] == [
        (KARI[0], KARI[2]),
        (OLA[0], OLA[2]),
        (METTE[0], METTE[2]),
    ]


@pytest.mark.parametrize(
    "phone",
    ["12345", "912 34 56", "9123456789", "+47 912 34 567 ext. 12", "kari", "", "+999 1234567"],
)
def test_an_invalid_phone_exits_2_naming_the_phone_option(triage: Run, phone: str) -> None:
    line = refused(triage("oncall", "staff", "add", "--name", "Kari", "--phone", phone))
    assert "--phone" in line
    assert "Traceback" not in line
    assert ok(triage("oncall", "staff", "list")) == []


def test_a_phone_that_is_already_on_the_list_is_refused(triage: Run) -> None:
    add(triage, KARI)
    # the same number spelt differently is the same number
    line = refused(triage("oncall", "staff", "add", "--name", "Kari 2", "--phone", "+47 91234567"))
    assert "--phone" in line
    assert "+4791234567" in line and "already" in line
    assert [s["name"] for s in ok(triage("oncall", "staff", "list"))] == [KARI[0]]


def test_an_empty_name_is_refused_naming_the_name(triage: Run) -> None:
    line = refused(triage("oncall", "staff", "add", "--name", "  ", "--phone", KARI[1]))
    assert "--name" in line
    assert ok(triage("oncall", "staff", "list")) == []


# ------------------------------------------------------------------ rotation and who


@pytest.fixture
def rotation(triage: Run) -> Run:
    """Kari and Ola take turns at level 1 from Monday 2026-11-23 08:00; Mette is level 2."""
    add(triage, KARI)
    add(triage, OLA)
    add(triage, METTE)
    [level1] = ok(
        set_rotation(triage, 1, "2026-11-23T08:00", f"{KARI[0]},{OLA[2]}")  # by name and by phone
    )
    assert level1 == {
        "level": 1,
        "shift": "always",
        "first_handover": "2026-11-23T08:00:00+01:00",
        "members": [KARI[0], OLA[0]],
    }
    ok(set_rotation(triage, 2, "2026-11-23T08:00", METTE[0]))
    return triage


@pytest.mark.parametrize(
    ("at", "level1"),
    [
        ("2026-11-23T07:59", None),  # before the rotation starts
        ("2026-11-23T08:00", KARI[0]),
        ("2026-11-25T12:00", KARI[0]),
        ("2026-11-29T23:00", KARI[0]),  # Sunday night: still her week
        ("2026-11-30T07:59", KARI[0]),
        ("2026-11-30T08:01", OLA[0]),  # after the weekly handover
        ("2026-12-03T03:00", OLA[0]),
        ("2026-12-07T09:00", KARI[0]),  # and back
        ("2026-12-14T09:00", OLA[0]),
        ("2026-11-30T07:01:00Z", OLA[0]),  # 08:01 Oslo, given in UTC
    ],
)
def test_who_names_whose_week_it_is(rotation: Run, at: str, level1: str | None) -> None:
    rows = ok(rotation("oncall", "who", "--at", at))
    assert rows[0]["level"] == 1 and rows[0]["staff"] == level1
    assert rows[0]["phone"] == {KARI[0]: KARI[2], OLA[0]: OLA[2], None: None}[level1]
    if level1 is not None:
        assert rows[1]["staff"] == METTE[0]


def test_the_handover_instant_belongs_to_the_new_member(rotation: Run) -> None:
    """At 08:00 sharp the new week has begun (``triage.oncall.rotation_member``)."""
    assert who(rotation, "2026-11-30T08:00") == {1: OLA[0], 2: METTE[0]}
    assert who(rotation, "2026-12-07T08:00") == {1: KARI[0], 2: METTE[0]}


def test_who_prints_the_instant_and_the_shift(rotation: Run) -> None:
    office, evening = (
        ok(rotation("oncall", "who", "--at", "2026-11-25T10:00"))[0],
        ok(rotation("oncall", "who", "--at", "2026-11-25T20:00"))[0],
    )
    assert office["at"] == "2026-11-25T10:00:00+01:00"
    assert office["shift"] == "office"
    assert evening["shift"] == "after-hours"


def test_the_handover_stays_at_0800_local_across_the_autumn_clock_change(triage: Run) -> None:
    add(triage, KARI)
    add(triage, OLA)
    ok(
        set_rotation(
            triage, 1, "2026-10-19T08:00", f"{KARI[0]},{OLA[0]}"
        )  # +02:00; the clocks go back on Sunday 2026-10-25
    )
    assert who(triage, "2026-10-26T07:30")[1] == KARI[0]  # 169 real hours: still Kari
    assert who(triage, "2026-10-26T08:01")[1] == OLA[0]


def test_rotation_set_refuses_unknown_members_and_bad_times(triage: Run) -> None:
    add(triage, KARI)
    line = refused(set_rotation(triage, 1, "2026-11-23T08:00", f"{KARI[0]},Nobody"))
    assert "--staff" in line and "Nobody" in line
    line = refused(set_rotation(triage, 1, "next monday", KARI[0]))
    assert "--first-handover" in line
    assert ok(triage("oncall", "who", "--at", "2026-11-25T12:00"))[0]["staff"] is None
    assert "--at" in refused(triage("oncall", "who", "--at", "yesterday"))


def test_a_shift_rotation_comes_before_the_always_rotation(triage: Run) -> None:
    """Kari is on call "always", Ola only after hours: after hours it is Ola, in office
    hours the "always" rotation fills in."""
    for person in (KARI, OLA):
        add(triage, person)
    for shift, member in (("always", KARI[0]), ("after-hours", OLA[0])):
        ok(
            triage(
                "oncall",
                "rotation",
                "set",
                "--level",
                "1",
                "--shift",
                shift,
                "--first-handover",
                "2026-11-23T08:00",
                "--members",
                member,
            )
        )
    assert who(triage, "2026-11-25T10:00")[1] == KARI[0]  # Wednesday, office hours
    assert who(triage, "2026-11-25T20:00")[1] == OLA[0]  # Wednesday evening
    assert who(triage, "2026-11-28T12:00")[1] == OLA[0]  # Saturday


# ------------------------------------------------------------------ overrides


def test_an_override_beats_the_rotation_while_it_lasts(rotation: Run) -> None:
    [override] = ok(
        rotation(
            "oncall",
            "override",
            "add",
            "--level",
            "1",
            "--staff",
            METTE[0],
            "--from",
            "2026-11-25T16:00",
            "--to",
            "2026-11-26T08:00",
            "--reason",
            "bytte",
        )
    )
    assert override["staff"] == METTE[0]
    assert (override["from"], override["to"]) == (
        "2026-11-25T16:00:00+01:00",
        "2026-11-26T08:00:00+01:00",
    )

    assert who(rotation, "2026-11-25T15:59")[1] == KARI[0]
    assert who(rotation, "2026-11-25T16:00")[1] == METTE[0]
    assert who(rotation, "2026-11-26T03:00") == {1: METTE[0], 2: METTE[0]}
    assert who(rotation, "2026-11-26T08:00")[1] == KARI[0]  # the end is not covered


def test_a_shift_override_covers_only_that_shift(rotation: Run) -> None:
    ok(
        rotation(
            "oncall",
            "override",
            "add",
            "--level",
            "1",
            "--staff",
            OLA[2],
            "--from",
            "2026-11-24T00:00",
            "--to",
            "2026-11-27T00:00",
            "--shift",
            "after-hours",
        )
    )
    assert who(rotation, "2026-11-25T10:00")[1] == KARI[0]  # office hours: the rotation
    assert who(rotation, "2026-11-25T20:00")[1] == OLA[0]


def test_override_add_refuses_an_end_before_the_start(rotation: Run) -> None:
    line = refused(
        rotation(
            "oncall",
            "override",
            "add",
            "--level",
            "1",
            "--staff",
            METTE[0],
            "--from",
            "2026-11-26T08:00",
            "--to",
            "2026-11-25T16:00",
        )
    )
    assert "--to" in line
    assert who(rotation, "2026-11-25T20:00")[1] == KARI[0]


# ------------------------------------------------------------------ gaps


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.utcoffset() is not None
    return value


def test_gaps_lists_the_time_before_a_rotation_starts(triage: Run) -> None:
    add(triage, KARI)
    before = datetime.now(UTC)
    starts = (before + timedelta(days=3)).astimezone(OSLO).replace(second=0, microsecond=0)
    ok(
        triage(
            "oncall",
            "rotation",
            "set",
            "--level",
            "1",
            "--first-handover",
            starts.isoformat(),
            "--members",
            KARI[0],
        )
    )

    level1 = ok(triage("oncall", "gaps", "--level", "1", "--days", "7"))
    after = datetime.now(UTC)

    [gap] = level1
    assert gap["level"] == 1
    assert before - timedelta(seconds=1) <= _instant(gap["from"]) <= after
    assert _instant(gap["to"]) == starts
    assert gap["to"] == starts.isoformat()  # printed in Oslo time with its offset

    # nobody at level 2 at all: the whole window is one gap
    [whole] = ok(triage("oncall", "gaps", "--level", "2", "--days", "2"))
    span = _instant(whole["to"]) - _instant(whole["from"])
    assert span == timedelta(days=2)


def test_gaps_of_an_office_only_rotation_are_the_evenings(triage: Run) -> None:
    add(triage, KARI)
    ok(
        triage(
            "oncall",
            "rotation",
            "set",
            "--level",
            "1",
            "--shift",
            "office",
            "--first-handover",
            "2026-01-05T08:00",
            "--members",
            KARI[0],
        )
    )
    gaps = ok(triage("oncall", "gaps", "--days", "7"))
    assert len(gaps) >= 2  # at least one evening or weekend in any week
    for gap in gaps:
        start, end = _instant(gap["from"]), _instant(gap["to"])
        assert end > start
    for gap in gaps[:-1]:  # the last one may be cut by the end of the window
        end = _instant(gap["to"]).astimezone(OSLO)
        assert (end.hour, end.minute) == (8, 0) and end.weekday() < 5


def test_a_roster_with_full_cover_has_no_gaps(triage: Run) -> None:
    add(triage, KARI)
    ok(set_rotation(triage, 1, "2025-01-06T08:00", KARI[0]))
    assert ok(triage("oncall", "gaps", "--level", "1")) == []
