"""Who is on call: scenario tables, then properties against brute-force references.

The scenarios pin the rules a person on the rota would check by hand: turns of a week,
the handover instant belonging to the new member, 08:00 local staying 08:00 local across
both daylight-saving changes of 2026, handovers at a wall time the clocks skip or repeat,
overrides (shift-specific, nested, tied), office vs after-hours with a Norwegian public
holiday on a weekday, falling back to a lower level, and coverage gaps.

The references are written here without the module's shortcuts: handovers are found by
walking week after week from the first one, resolving each wall-clock time by trying the
zone's two offsets (and, in a spring gap, stepping minute by minute to where the clocks
land); the office shift is read off ``Calendar.windows_on`` and the local wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.catalog import load_catalog
from sla.calendar import Calendar
from triage.oncall import (
    Override,
    Person,
    Roster,
    Rotation,
    coverage_gaps,
    on_call,
    recipients,
    rotation_member,
    shift_at,
)

OSLO = ZoneInfo("Europe/Oslo")
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
OFFICE_HOURS: Calendar = load_catalog().calendars["office-hours"]

ALICE = Person(1, "Alice", "+4791000001")
BOB = Person(2, "Bob", "+4791000002")
CAROL = Person(3, "Carol", "+4791000003")
DAVE = Person(4, "Dave", "+4791000004")
ERIN = Person(5, "Erin", "+4791000005")
FRANK = Person(6, "Frank", "+4791000006")
GINA = Person(7, "Gina", "+4791000007")
MONA = Person(8, "Mona (manager)", "+4791000008")
PEOPLE = (ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GINA, MONA)

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def oslo(
    y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0, fold: int = 0
) -> datetime:
    return datetime(y, m, d, h, mi, s, us, tzinfo=OSLO, fold=fold)


def utc(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def roster(*rotations: Rotation, overrides: tuple[Override, ...] = ()) -> Roster:
    return Roster(rotations, overrides, OFFICE_HOURS)


# Alice, Bob, Carol, a week each from Monday 2026-01-05 08:00; week k starts 2026-01-05 + 7k.
ABC = Rotation(1, "always", (ALICE, BOB, CAROL), oslo(2026, 1, 5, 8), OSLO)


# ------------------------------------------------------------------ rotations


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (oslo(2026, 1, 5, 7, 59, 59, 999_999), None),  # before the rotation starts
        (oslo(2026, 1, 5, 8), ALICE),  # the first handover is the first member's
        (oslo(2026, 1, 10, 23), ALICE),
        (oslo(2026, 1, 12, 7, 59, 59, 999_999), ALICE),
        (oslo(2026, 1, 12, 8), BOB),  # a handover instant belongs to the new member
        (oslo(2026, 1, 19, 7, 59), BOB),
        (oslo(2026, 1, 19, 8), CAROL),
        (oslo(2026, 1, 26, 8), ALICE),  # and round again
        (oslo(2026, 2, 2, 8), BOB),
        # Spring: clocks jump on Sunday 2026-03-29; Monday 03-30 (week 12) still 08:00 local.
        (oslo(2026, 3, 23, 8), CAROL),
        (oslo(2026, 3, 29, 3), CAROL),
        (oslo(2026, 3, 30, 7, 59, 59, 999_999), CAROL),
        (oslo(2026, 3, 30, 8), ALICE),
        (utc(2026, 3, 30, 6), ALICE),  # 08:00 CEST is 06:00 UTC ...
        (utc(2026, 3, 30, 7) - US, ALICE),  # ... not 07:00 UTC as in winter
        # Autumn: clocks go back on Sunday 2026-10-25; Monday 10-26 (week 42) at 08:00 local.
        (oslo(2026, 10, 19, 8), CAROL),
        (oslo(2026, 10, 26, 7, 59, 59, 999_999), CAROL),
        (utc(2026, 10, 26, 6), CAROL),  # what was 08:00 last week is only 07:00 now
        (oslo(2026, 10, 26, 8), ALICE),
        (utc(2026, 10, 26, 7), ALICE),
        (oslo(2027, 1, 4, 8), BOB),  # 52 weeks on, and 52 % 3 == 1
    ],
)
def test_rotation_of_three_takes_weekly_turns(at: datetime, expected: Person | None) -> None:
    assert rotation_member(ABC, at) == expected


def test_the_weeks_around_the_clock_changes_are_167_and_169_real_hours() -> None:
    # Real-time arithmetic in UTC: adding hours to an Oslo datetime would move its wall clock.
    spring_start = oslo(2026, 3, 23, 8).astimezone(UTC)
    assert rotation_member(ABC, spring_start + 167 * HOUR - US) == CAROL
    assert rotation_member(ABC, spring_start + 167 * HOUR) == ALICE
    autumn_start = oslo(2026, 10, 19, 8).astimezone(UTC)
    assert rotation_member(ABC, autumn_start + 168 * HOUR) == CAROL
    assert rotation_member(ABC, autumn_start + 169 * HOUR - US) == CAROL
    assert rotation_member(ABC, autumn_start + 169 * HOUR) == ALICE


def test_a_first_handover_given_in_utc_hands_over_at_its_local_wall_time() -> None:
    rotation = Rotation(1, "always", (ALICE, BOB), utc(2026, 1, 5, 7), OSLO)  # 08:00 in Oslo
    assert rotation_member(rotation, oslo(2026, 3, 30, 8) - US) == BOB  # week 11
    assert rotation_member(rotation, oslo(2026, 3, 30, 8)) == ALICE  # week 12
    assert rotation_member(rotation, utc(2026, 3, 30, 6)) == ALICE  # not at 07:00 UTC


# A Sunday-02:30 rotation: 2026-03-29 02:30 never happens, 2026-10-25 02:30 happens twice.
SPRING_NIGHT = Rotation(1, "always", (ALICE, BOB), oslo(2026, 3, 22, 2, 30), OSLO)
AUTUMN_NIGHT = Rotation(1, "always", (ALICE, BOB), oslo(2026, 10, 18, 2, 30), OSLO)


@pytest.mark.parametrize(
    ("rotation", "at", "expected"),
    [
        (SPRING_NIGHT, utc(2026, 3, 22, 1, 30) - US, None),
        (SPRING_NIGHT, utc(2026, 3, 22, 1, 30), ALICE),  # 02:30 CET
        # 02:00-03:00 is skipped: the handover happens when the clocks land on 03:00 CEST.
        (SPRING_NIGHT, utc(2026, 3, 29, 1) - US, ALICE),  # 01:59:59.999999 CET
        (SPRING_NIGHT, utc(2026, 3, 29, 1), BOB),  # 03:00 CEST
        (SPRING_NIGHT, oslo(2026, 3, 29, 3, 30), BOB),
        (SPRING_NIGHT, oslo(2026, 4, 5, 2, 30) - US, BOB),  # and back to 02:30 the week after
        (SPRING_NIGHT, oslo(2026, 4, 5, 2, 30), ALICE),
        (SPRING_NIGHT, utc(2026, 4, 5, 0, 30), ALICE),
        (AUTUMN_NIGHT, utc(2026, 10, 18, 0, 30), ALICE),  # 02:30 CEST
        # 02:00-03:00 happens twice: the handover is at the first 02:30 (CEST) ...
        (AUTUMN_NIGHT, utc(2026, 10, 25, 0, 30) - US, ALICE),
        (AUTUMN_NIGHT, utc(2026, 10, 25, 0, 30), BOB),
        (AUTUMN_NIGHT, oslo(2026, 10, 25, 2, 15, fold=1), BOB),  # ... not again in the second
        (AUTUMN_NIGHT, oslo(2026, 10, 25, 2, 30, fold=1), BOB),
        (AUTUMN_NIGHT, oslo(2026, 10, 25, 2, 45, fold=1), BOB),
        (AUTUMN_NIGHT, utc(2026, 11, 1, 1, 30) - US, BOB),  # 169 hours after the last one
        (AUTUMN_NIGHT, utc(2026, 11, 1, 1, 30), ALICE),  # 02:30 CET
    ],
)
def test_night_handovers_at_wall_times_the_clocks_skip_or_repeat(
    rotation: Rotation, at: datetime, expected: Person | None
) -> None:
    assert rotation_member(rotation, at) == expected


def test_a_first_handover_in_the_second_pass_of_the_autumn_hour_is_kept_as_given() -> None:
    rotation = Rotation(1, "always", (ALICE, BOB), oslo(2026, 10, 25, 2, 30, fold=1), OSLO)
    assert rotation_member(rotation, oslo(2026, 10, 25, 2, 45)) is None  # first pass: too early
    assert rotation_member(rotation, utc(2026, 10, 25, 1, 30) - US) is None
    assert rotation_member(rotation, utc(2026, 10, 25, 1, 30)) == ALICE
    assert rotation_member(rotation, oslo(2026, 11, 1, 2, 30) - US) == ALICE
    assert rotation_member(rotation, oslo(2026, 11, 1, 2, 30)) == BOB


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Rotation(0, "always", (ALICE,), oslo(2026, 1, 5, 8), OSLO), "level must be 1"),
        (lambda: Rotation(1, "nights", (ALICE,), oslo(2026, 1, 5, 8), OSLO), "shift 'nights'"),
        (lambda: Rotation(1, "office", (), oslo(2026, 1, 5, 8), OSLO), "at least one member"),
        (
            lambda: Rotation(1, "office", (ALICE,), datetime(2026, 1, 5, 8), OSLO),
            "first_handover: 2026-01-05T08:00:00 has no time zone",
        ),
        (
            lambda: Rotation(1, "office", (ALICE,), oslo(2026, 3, 29, 2, 30), OSLO),
            "does not exist in Europe/Oslo",
        ),
        (
            lambda: Override(1, oslo(2026, 2, 2), oslo(2026, 2, 2), DAVE),
            "ends 2026-02-02T00:00:00\\+01:00 is not after starts",
        ),
        (lambda: Override(1, oslo(2026, 2, 3), oslo(2026, 2, 2), DAVE), "is not after starts"),
        (lambda: Override(0, oslo(2026, 2, 2), oslo(2026, 2, 3), DAVE), "level must be 1"),
        (
            lambda: Override(1, oslo(2026, 2, 2), oslo(2026, 2, 3), DAVE, shift="day"),
            "override for level 1 \\(Dave\\): shift 'day' is not one of",
        ),
        (
            lambda: Override(1, datetime(2026, 2, 2), oslo(2026, 2, 3), DAVE),
            "starts: .* has no time zone",
        ),
        (
            lambda: roster(ABC, Rotation(1, "always", (BOB,), oslo(2026, 1, 5), OSLO)),
            "two rotations for level 1, shift 'always'",
        ),
    ],
)
def test_invalid_rosters_are_refused_with_a_clear_message(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_questions_about_level_zero_or_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="level must be 1"):
        on_call(roster(ABC), 0, oslo(2026, 2, 2))
    with pytest.raises(ValueError, match="no UTC offset"):
        on_call(roster(ABC), 1, datetime(2026, 2, 2))


# ------------------------------------------------------------------ overrides

# Week of 2026-02-02 (week 4): Bob's week on the rotation.
HOLIDAY_COVER = Override(1, oslo(2026, 2, 2), oslo(2026, 2, 16), FRANK, reason="Bob's holiday")
SICK_DAY = Override(1, oslo(2026, 2, 4), oslo(2026, 2, 5), GINA, reason="Frank sick")
WEEKEND_SWAP = Override(1, oslo(2026, 2, 20, 16), oslo(2026, 2, 23, 8), DAVE, reason="swap")
OFFICE_ONLY = Override(1, oslo(2026, 2, 23), oslo(2026, 2, 28), ERIN, shift="office")
LEVEL_TWO = Override(2, oslo(2026, 2, 20), oslo(2026, 2, 27), MONA)


@pytest.mark.parametrize(
    ("overrides", "at", "expected"),
    [
        ((), oslo(2026, 2, 4, 12), BOB),
        ((HOLIDAY_COVER,), oslo(2026, 2, 2) - US, ALICE),
        ((HOLIDAY_COVER,), oslo(2026, 2, 2), FRANK),  # an override beats the rotation
        ((HOLIDAY_COVER,), oslo(2026, 2, 15, 23, 59), FRANK),
        ((HOLIDAY_COVER,), oslo(2026, 2, 16), CAROL),  # its end is not covered
        # Nested: the sick day starts later, so it wins inside, whatever the tuple order.
        ((HOLIDAY_COVER, SICK_DAY), oslo(2026, 2, 3, 12), FRANK),
        ((HOLIDAY_COVER, SICK_DAY), oslo(2026, 2, 4), GINA),
        ((HOLIDAY_COVER, SICK_DAY), oslo(2026, 2, 4, 23, 59), GINA),
        ((HOLIDAY_COVER, SICK_DAY), oslo(2026, 2, 5), FRANK),
        ((SICK_DAY, HOLIDAY_COVER), oslo(2026, 2, 4, 12), GINA),
        ((SICK_DAY, HOLIDAY_COVER), oslo(2026, 2, 5, 12), FRANK),
        # The same start: the one entered last wins.
        (
            (Override(1, oslo(2026, 2, 4), oslo(2026, 2, 6), DAVE), SICK_DAY),
            oslo(2026, 2, 4, 12),
            GINA,
        ),
        (
            (SICK_DAY, Override(1, oslo(2026, 2, 4), oslo(2026, 2, 6), DAVE)),
            oslo(2026, 2, 4, 12),
            DAVE,
        ),
        ((WEEKEND_SWAP,), oslo(2026, 2, 20, 15, 59), ALICE),  # week 6
        ((WEEKEND_SWAP,), oslo(2026, 2, 21, 12), DAVE),
        ((WEEKEND_SWAP,), oslo(2026, 2, 23, 8), BOB),  # and week 7 starts on time
        # Office-only: Erin covers the office shift, the rotation keeps the evenings.
        ((OFFICE_ONLY,), oslo(2026, 2, 24, 10), ERIN),
        ((OFFICE_ONLY,), oslo(2026, 2, 24, 16), BOB),
        ((OFFICE_ONLY,), oslo(2026, 2, 24, 7, 59), BOB),
        ((OFFICE_ONLY,), oslo(2026, 2, 24, 8), ERIN),
        ((OFFICE_ONLY,), oslo(2026, 2, 23, 7), ALICE),  # covered dates, but before opening
        # An override for another level changes nothing here.
        ((LEVEL_TWO,), oslo(2026, 2, 24, 10), BOB),
        # A later-starting override that does not cover the shift leaves the earlier one.
        (
            (HOLIDAY_COVER, Override(1, oslo(2026, 2, 9), oslo(2026, 2, 10), ERIN, "office")),
            oslo(2026, 2, 9, 20),
            FRANK,
        ),
        (
            (HOLIDAY_COVER, Override(1, oslo(2026, 2, 9), oslo(2026, 2, 10), ERIN, "office")),
            oslo(2026, 2, 9, 9),
            ERIN,
        ),
        (
            (Override(1, oslo(2026, 2, 9), oslo(2026, 2, 10), ERIN, "always"),),
            oslo(2026, 2, 9, 20),
            ERIN,
        ),
    ],
)
def test_overrides_beat_the_rotation(
    overrides: tuple[Override, ...], at: datetime, expected: Person
) -> None:
    assert on_call(roster(ABC, overrides=overrides), 1, at) == expected


# ------------------------------------------------------------------ shifts

OLGA = Person(11, "Olga (office)", "+4791000011")
HANS = Person(12, "Hans (evenings)", "+4791000012")
ADA = Person(13, "Ada (always)", "+4791000013")
OFFICE_ROT = Rotation(1, "office", (OLGA,), oslo(2026, 1, 5, 8), OSLO)
EVENING_ROT = Rotation(1, "after-hours", (HANS,), oslo(2026, 1, 5, 8), OSLO)
ALWAYS_ROT = Rotation(1, "always", (ADA,), oslo(2026, 1, 5, 8), OSLO)


@pytest.mark.parametrize(
    ("at", "shift"),
    [
        (oslo(2026, 5, 12, 10), "office"),  # Tuesday
        (oslo(2026, 5, 12, 8), "office"),  # opening belongs to the office
        (oslo(2026, 5, 12, 7, 59, 59, 999_999), "after-hours"),
        (oslo(2026, 5, 12, 16), "after-hours"),  # closing does not
        (oslo(2026, 5, 12, 15, 59, 59, 999_999), "office"),
        (oslo(2026, 5, 12, 22), "after-hours"),
        (oslo(2026, 5, 14, 10), "after-hours"),  # Thursday, Kristi himmelfartsdag
        (oslo(2026, 5, 15, 10), "office"),  # the Friday after is a working day
        (oslo(2026, 4, 6, 10), "after-hours"),  # Monday, Andre påskedag
        (oslo(2026, 5, 16, 10), "after-hours"),  # Saturday
        (oslo(2026, 12, 24, 10), "office"),  # the catalog keeps Christmas Eve a working day
        (utc(2026, 5, 12, 6), "office"),  # 08:00 CEST, asked in UTC
        (utc(2026, 1, 13, 6, 59), "after-hours"),  # 07:59 CET
    ],
)
def test_shift_follows_the_office_hours_calendar_and_its_holidays(at: datetime, shift: str) -> None:
    assert shift_at(roster(), at) == shift


@pytest.mark.parametrize(
    ("rotations", "at", "expected"),
    [
        ((OFFICE_ROT, EVENING_ROT), oslo(2026, 5, 12, 10), OLGA),
        ((OFFICE_ROT, EVENING_ROT), oslo(2026, 5, 12, 17), HANS),
        ((OFFICE_ROT, EVENING_ROT), oslo(2026, 5, 14, 10), HANS),  # a holiday on a Thursday
        ((OFFICE_ROT, EVENING_ROT), oslo(2026, 5, 16, 10), HANS),
        # A shift rotation beats an "always" one; "always" fills the other shift.
        ((ALWAYS_ROT, OFFICE_ROT), oslo(2026, 5, 12, 10), OLGA),
        ((ALWAYS_ROT, OFFICE_ROT), oslo(2026, 5, 12, 17), ADA),
        ((ALWAYS_ROT, OFFICE_ROT, EVENING_ROT), oslo(2026, 5, 12, 17), HANS),
        ((OFFICE_ROT,), oslo(2026, 5, 12, 17), None),
        ((OFFICE_ROT,), oslo(2026, 5, 14, 10), None),
        ((EVENING_ROT,), oslo(2026, 5, 14, 10), HANS),
        # Before a shift rotation starts, "always" still covers that shift.
        (
            (ALWAYS_ROT, Rotation(1, "office", (OLGA,), oslo(2026, 6, 1, 8), OSLO)),
            oslo(2026, 5, 12, 10),
            ADA,
        ),
        (
            (ALWAYS_ROT, Rotation(1, "office", (OLGA,), oslo(2026, 6, 1, 8), OSLO)),
            oslo(2026, 6, 2, 10),
            OLGA,
        ),
    ],
)
def test_the_rotation_for_the_current_shift_is_on_call(
    rotations: tuple[Rotation, ...], at: datetime, expected: Person | None
) -> None:
    assert on_call(roster(*rotations), 1, at) == expected


# ------------------------------------------------------------------ recipients

MANAGER_OFFICE = Rotation(2, "office", (MONA,), oslo(2026, 1, 5, 8), OSLO)


@pytest.mark.parametrize(
    ("rotations", "overrides", "level", "at", "expected"),
    [
        ((ABC, MANAGER_OFFICE), (), 2, oslo(2026, 2, 3, 10), (MONA,)),
        ((ABC, MANAGER_OFFICE), (), 1, oslo(2026, 2, 3, 10), (BOB,)),
        # No manager after hours: the manager-level page goes to the on-call engineer.
        ((ABC, MANAGER_OFFICE), (), 2, oslo(2026, 2, 3, 20), (BOB,)),
        ((ABC,), (), 2, oslo(2026, 2, 3, 10), (BOB,)),
        ((ABC,), (), 3, oslo(2026, 2, 3, 10), (BOB,)),  # the nearest lower level with someone
        ((ABC, MANAGER_OFFICE), (), 3, oslo(2026, 2, 3, 10), (MONA,)),
        ((ABC,), (LEVEL_TWO,), 2, oslo(2026, 2, 24, 22), (MONA,)),
        ((MANAGER_OFFICE,), (), 1, oslo(2026, 2, 3, 10), ()),  # never upwards
        ((), (), 2, oslo(2026, 2, 3, 10), ()),
        ((ABC, MANAGER_OFFICE), (), 2, oslo(2026, 1, 5, 7), ()),  # before anyone starts
        # Someone on both levels is paged once.
        (
            (ABC,),
            (Override(2, oslo(2026, 2, 2), oslo(2026, 2, 9), BOB),),
            2,
            oslo(2026, 2, 3),
            (BOB,),
        ),
    ],
)
def test_recipients_fall_back_to_a_lower_level(
    rotations: tuple[Rotation, ...],
    overrides: tuple[Override, ...],
    level: int,
    at: datetime,
    expected: tuple[Person, ...],
) -> None:
    assert recipients(roster(*rotations, overrides=overrides), level, at) == expected


# ------------------------------------------------------------------ coverage gaps


def test_an_office_only_manager_leaves_evenings_weekends_and_holidays_uncovered() -> None:
    gaps = coverage_gaps(roster(MANAGER_OFFICE), 2, oslo(2026, 5, 11), oslo(2026, 5, 18))
    assert gaps == [
        (oslo(2026, 5, 11), oslo(2026, 5, 11, 8)),
        (oslo(2026, 5, 11, 16), oslo(2026, 5, 12, 8)),
        (oslo(2026, 5, 12, 16), oslo(2026, 5, 13, 8)),
        (oslo(2026, 5, 13, 16), oslo(2026, 5, 15, 8)),  # through Kristi himmelfartsdag
        (oslo(2026, 5, 15, 16), oslo(2026, 5, 18)),
    ]
    assert all(a.tzinfo == OSLO and b.tzinfo == OSLO for a, b in gaps)


def test_overrides_fill_gaps_only_in_their_shift() -> None:
    saturday = Override(2, oslo(2026, 5, 16, 10), oslo(2026, 5, 16, 14), MONA)
    office_saturday = Override(2, oslo(2026, 5, 17, 10), oslo(2026, 5, 17, 14), MONA, "office")
    evenings = Override(2, oslo(2026, 5, 11, 16), oslo(2026, 5, 13, 8), DAVE, "after-hours")
    gaps = coverage_gaps(
        roster(MANAGER_OFFICE, overrides=(saturday, office_saturday, evenings)),
        2,
        oslo(2026, 5, 11),
        oslo(2026, 5, 18),
    )
    assert gaps == [
        (oslo(2026, 5, 11), oslo(2026, 5, 11, 8)),
        (oslo(2026, 5, 13, 16), oslo(2026, 5, 15, 8)),
        (oslo(2026, 5, 15, 16), oslo(2026, 5, 16, 10)),
        (oslo(2026, 5, 16, 14), oslo(2026, 5, 18)),  # Sunday's "office" override is idle
    ]


def test_coverage_starts_when_the_rotation_starts_and_ignores_other_levels() -> None:
    late_start = Rotation(1, "always", (ALICE, BOB), oslo(2026, 3, 4, 8), OSLO)
    gaps = coverage_gaps(
        roster(late_start, MANAGER_OFFICE), 1, oslo(2026, 3, 1, 12), oslo(2026, 3, 20)
    )
    assert gaps == [(oslo(2026, 3, 1, 12), oslo(2026, 3, 4, 8))]
    assert coverage_gaps(roster(ABC), 1, oslo(2026, 3, 1), oslo(2026, 4, 1)) == []
    assert coverage_gaps(roster(), 1, oslo(2026, 3, 1), oslo(2026, 3, 2)) == [
        (oslo(2026, 3, 1), oslo(2026, 3, 2))
    ]
    assert coverage_gaps(roster(), 1, oslo(2026, 3, 2), oslo(2026, 3, 1)) == []


def test_adjacent_uncovered_pieces_are_one_gap() -> None:
    # An override ending where the office opens: no coverage on either side, one gap.
    idle = Override(2, oslo(2026, 5, 16), oslo(2026, 5, 16, 1), MONA, "office")
    gaps = coverage_gaps(
        roster(MANAGER_OFFICE, overrides=(idle,)), 2, oslo(2026, 5, 15, 12), oslo(2026, 5, 18, 12)
    )
    assert gaps == [(oslo(2026, 5, 15, 16), oslo(2026, 5, 18, 8))]


# ------------------------------------------------------------------ references


def resolve_wall(wall: datetime) -> datetime:
    """The first instant the Oslo wall clock reads ``wall`` (naive) or later.

    Tries the two offsets Oslo uses, earliest instant first; if neither reading is
    ``wall`` the time was skipped, and the minutes are stepped to where the clocks land.
    """
    for offset in (2 * HOUR, HOUR):
        candidate = (wall - offset).replace(tzinfo=UTC)
        if candidate.astimezone(OSLO).replace(tzinfo=None) == wall:
            return candidate
    candidate = (wall - 2 * HOUR).replace(second=0, microsecond=0, tzinfo=UTC)
    while candidate.astimezone(OSLO).replace(tzinfo=None) < wall:
        candidate += timedelta(minutes=1)
    return candidate


def reference_handovers(rotation: Rotation) -> Iterator[datetime]:
    """Handover instants (in UTC), walked week by week from the first one."""
    wall = rotation.first_handover.astimezone(OSLO).replace(tzinfo=None)
    yield rotation.first_handover.astimezone(UTC)
    week = 1
    while True:
        yield resolve_wall(wall + timedelta(weeks=week))
        week += 1


def reference_member(rotation: Rotation, at: datetime) -> Person | None:
    at = at.astimezone(UTC)  # compare instants: same-zone datetimes compare wall clocks
    handovers = 0
    for instant in reference_handovers(rotation):
        if instant > at:
            break
        handovers += 1
    if handovers == 0:
        return None
    return rotation.members[(handovers - 1) % len(rotation.members)]


def reference_shift(calendar: Calendar, at: datetime) -> str:
    local = at.astimezone(OSLO)
    second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    windows = calendar.windows_on(local.date())
    return "office" if any(w.start <= second < w.end for w in windows) else "after-hours"


def reference_on_call(roster_: Roster, level: int, at: datetime) -> Person | None:
    at = at.astimezone(UTC)
    shift = reference_shift(roster_.office_hours, at)
    covering = [
        (o.starts.astimezone(UTC), index, o.person)
        for index, o in enumerate(roster_.overrides)
        if o.level == level
        and o.starts.astimezone(UTC) <= at < o.ends.astimezone(UTC)
        and o.shift in (None, "always", shift)
    ]
    if covering:
        return max(covering, key=lambda c: (c[0], c[1]))[2]
    for wanted in (shift, "always"):
        for rotation in roster_.rotations:
            if rotation.level == level and rotation.shift == wanted:
                member = reference_member(rotation, at)
                if member is not None:
                    return member
    return None


def office_boundaries(calendar: Calendar, start: datetime, end: datetime) -> set[datetime]:
    day = start.astimezone(OSLO).date() - timedelta(days=1)
    result = set()
    while day <= end.astimezone(OSLO).date() + timedelta(days=1):
        for window in calendar.windows_on(day):
            for second in (window.start, window.end):
                local = datetime.combine(day, time(second // 3600, second % 3600 // 60), OSLO)
                result.add(local.astimezone(UTC))
        day += timedelta(days=1)
    return result


# ------------------------------------------------------------------ strategies

CLOCK_CHANGES = [
    date(2025, 3, 30),
    date(2025, 10, 26),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 28),
    date(2027, 10, 31),
    date(2028, 3, 26),
    date(2028, 10, 29),
]
SPECIAL_TIMES = [
    time(2, 0),
    time(2, 30),
    time(2, 59, 59, 999_999),
    time(3, 0),
    time(1, 59),
    time(8),
]


@st.composite
def local_walls(draw: st.DrawFn, first: date, last: date) -> datetime:
    """A naive Oslo wall time, often a Sunday night near the clock changes."""
    day = draw(
        st.one_of(
            st.dates(first, last),
            # A few weeks before a clock change, so the walk crosses one early.
            st.builds(
                lambda change, weeks: max(first, change - timedelta(weeks=weeks)),
                st.sampled_from([d for d in CLOCK_CHANGES if first <= d <= last] or [first]),
                st.integers(0, 3),
            ),
        )
    )
    if draw(st.booleans()):
        day += timedelta(days=(6 - day.weekday()))  # the Sunday of that week
    moment = draw(
        st.one_of(
            st.sampled_from(SPECIAL_TIMES),
            st.times(),
            st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
        )
    )
    return datetime.combine(day, moment)


def exists_in_oslo(wall: datetime) -> bool:
    aware = wall.replace(tzinfo=OSLO)
    return aware.astimezone(UTC).astimezone(OSLO).replace(tzinfo=None) == wall


@st.composite
def rotations(
    draw: st.DrawFn,
    level: int = 1,
    shift: str = "always",
    first: date = date(2025, 1, 1),
    last: date = date(2028, 12, 31),
) -> Rotation:
    wall = draw(local_walls(first, last).filter(exists_in_oslo))
    # Distinct members, so that a turn given to the wrong week shows as the wrong person.
    members = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5, unique=True))
    return Rotation(
        level, shift, tuple(members), wall.replace(tzinfo=OSLO, fold=draw(st.integers(0, 1))), OSLO
    )


OFFSETS = [
    -HOUR,
    -30 * timedelta(minutes=1),
    -US,
    timedelta(0),
    US,
    30 * timedelta(minutes=1),
    HOUR,
]


@PROPERTY
@given(rotation=rotations(), data=st.data())
def test_rotation_member_matches_walking_the_handovers(
    rotation: Rotation, data: st.DataObject
) -> None:
    handovers = list(islice(reference_handovers(rotation), 201))
    at = data.draw(
        st.one_of(
            st.datetimes(datetime(2024, 12, 1), datetime(2030, 6, 1), timezones=st.just(UTC)),
            st.builds(
                lambda week, offset: handovers[week] + offset,
                st.one_of(st.integers(0, 5), st.integers(0, 200)),
                st.sampled_from(OFFSETS),
            ),
        ),
        label="at",
    )
    assert rotation_member(rotation, at) == reference_member(rotation, at)


@st.composite
def night_rotations_before_a_clock_change(draw: st.DrawFn) -> Rotation:
    """Weekly handovers on the night of a clock change, or in the hours around it."""
    change = draw(st.sampled_from(CLOCK_CHANGES))
    day = change - timedelta(weeks=draw(st.integers(0, 3)), days=draw(st.sampled_from([0, 0, 1])))
    moment = draw(
        st.one_of(
            st.sampled_from(SPECIAL_TIMES),
            st.times(time(0), time(4, 59, 59, 999_999)),
        )
    )
    wall = datetime.combine(day, moment)
    if not exists_in_oslo(wall):
        wall += timedelta(weeks=-1)  # start a week earlier; the gap is met on the way
    members = draw(st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=5, unique=True))
    fold = draw(st.integers(0, 1))
    return Rotation(1, "always", tuple(members), wall.replace(tzinfo=OSLO, fold=fold), OSLO)


NEAR = [*OFFSETS, -2 * HOUR, 2 * HOUR, HOUR + US, -HOUR - US, HOUR - US, -HOUR + US]


@PROPERTY
@given(rotation=night_rotations_before_a_clock_change())
def test_rotation_member_matches_the_walk_on_every_edge_near_a_clock_change(
    rotation: Rotation,
) -> None:
    for handover in islice(reference_handovers(rotation), 6):
        for offset in NEAR:
            at = handover + offset
            assert rotation_member(rotation, at) == reference_member(rotation, at), at


@st.composite
def coverage_cases(draw: st.DrawFn) -> tuple[Roster, datetime, datetime]:
    """A random level-1 roster around a window of up to three weeks in spring 2026
    (Easter, May holidays and the clock change), with noise on level 2."""
    start = draw(
        st.datetimes(datetime(2026, 3, 20), datetime(2026, 5, 30), timezones=st.just(OSLO))
    )
    start = start.astimezone(UTC)  # a real instant (even if drawn in a gap), and real-time sums
    end = start + draw(st.timedeltas(timedelta(hours=1), timedelta(days=21)))
    first, last = (start - timedelta(days=10)).date(), (end + timedelta(days=2)).date()
    shifts = draw(st.lists(st.sampled_from(["office", "after-hours", "always"]), unique=True))
    rotation_list = [draw(rotations(1, shift, first, last)) for shift in shifts]
    overrides: list[Override] = []
    for _ in range(draw(st.integers(0, 5))):
        fresh = st.datetimes(
            (start - timedelta(days=3)).replace(tzinfo=None),
            (end + timedelta(days=1)).replace(tzinfo=None),
            timezones=st.just(UTC),
        )
        # Sometimes the same start as an earlier override, so ties are decided often.
        earlier = [o.starts for o in overrides]
        begins = draw(st.one_of(fresh, st.sampled_from(earlier)) if earlier else fresh)
        length = draw(st.timedeltas(timedelta(minutes=1), timedelta(days=5)))
        overrides.append(
            Override(
                draw(st.sampled_from([1, 1, 2])),
                begins,
                begins + length,
                draw(st.sampled_from(PEOPLE)),
                draw(st.sampled_from([None, "office", "after-hours", "always"])),
            )
        )
    return Roster(tuple(rotation_list), tuple(overrides), OFFICE_HOURS), start, end


@PROPERTY
@given(case=coverage_cases(), data=st.data())
def test_coverage_gaps_agree_with_sampling_at_every_boundary(
    case: tuple[Roster, datetime, datetime], data: st.DataObject
) -> None:
    roster_, start, end = case
    gaps = [
        (a.astimezone(UTC), b.astimezone(UTC)) for a, b in coverage_gaps(roster_, 1, start, end)
    ]

    # Shape: sorted, non-empty, inside [start, end), and never touching (merged).
    for gap_start, gap_end in gaps:
        assert start <= gap_start < gap_end <= end
    for (_, earlier_end), (later_start, _) in pairwise(gaps):
        assert earlier_end < later_start

    boundaries = {start, end} | office_boundaries(roster_.office_hours, start, end)
    for override in roster_.overrides:
        boundaries |= {override.starts.astimezone(UTC), override.ends.astimezone(UTC)}
    for rotation in roster_.rotations:
        boundaries.add(rotation.first_handover.astimezone(UTC))
    assert {instant for gap in gaps for instant in gap} <= boundaries

    samples = {b + d for b in boundaries for d in (-US, timedelta(0), US)}
    samples |= set(
        data.draw(
            st.lists(
                st.datetimes(
                    start.astimezone(UTC).replace(tzinfo=None),
                    end.astimezone(UTC).replace(tzinfo=None),
                    timezones=st.just(UTC),
                ),
                max_size=5,
            ),
            label="extra samples",
        )
    )
    for at in sorted(s for s in samples if start <= s < end):
        expected = reference_on_call(roster_, 1, at)
        in_gap = any(a <= at < b for a, b in gaps)
        assert in_gap == (expected is None), at
        assert on_call(roster_, 1, at) == expected, at
