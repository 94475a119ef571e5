"""Monthly availability, downtime and credit tiers (CONTRACTS.md §2 and §3)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.availability import (
    AvailabilityTerms,
    CreditTier,
    DowntimeThreshold,
    MonthAvailability,
    Outage,
    month_availability,
    validate_credit_tiers,
)
from sla.calendar import Calendar

OSLO = ZoneInfo("Europe/Oslo")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EXCLUDED = frozenset(
    {"customer-equipment", "customer-misuse", "third-party", "customer-delay", "force-majeure"}
)
READING_95_96 = (
    "the table leaves 95 % <= uptime < 96 % unstated; an unclear term is read against the "
    "party that wrote it (contra proferentem), so that band gets 40 %"
)
SOURCE = "004 §3.6 6.2-6.6"
PLANNED = "planned-maintenance"


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=OSLO)


def shipped_tiers() -> tuple[CreditTier, ...]:
    return (
        CreditTier(Decimal("99.5"), Decimal("100"), 0),
        CreditTier(Decimal("98"), Decimal("99.5"), 10),
        CreditTier(Decimal("97"), Decimal("98"), 20),
        CreditTier(Decimal("96"), Decimal("97"), 30),
        CreditTier(Decimal("95"), Decimal("96"), 40, reading=READING_95_96),
        CreditTier(Decimal("0"), Decimal("95"), 40),
    )


@lru_cache(maxsize=1)
def shipped_terms() -> AvailabilityTerms:
    """The shipped Nettsoft §3.6 terms (cached so hypothesis tests can reuse them)."""
    core = Calendar.from_hours(
        "nettsoft core time",
        "Europe/Oslo",
        {**{day: ["07:00-21:00"] for day in WEEKDAYS}, "sat": ["09:00-18:00"]},
        holiday_country="NO",
    )
    # Maintenance windows run on holidays too; on a holiday there is no core time anyway,
    # so giving them holiday_country="NO" would change no result.
    periodic = Calendar.from_hours(
        "nettsoft periodic maintenance",
        "Europe/Oslo",
        {day: ["01:00-06:00"] for day in (*WEEKDAYS, "sat", "sun")},
    )
    planned = Calendar.from_hours(
        "nettsoft planned maintenance",
        "Europe/Oslo",
        {
            **{day: ["00:00-06:00", "22:00-24:00"] for day in WEEKDAYS},
            "sat": ["00:00-24:00"],
            "sun": ["00:00-24:00"],
        },
    )
    return AvailabilityTerms(
        guarantee_pct=Decimal("99.5"),
        core_time=core,
        periodic_maintenance=periodic,
        planned_maintenance=planned,
        planned_notice=timedelta(days=5),
        threshold=DowntimeThreshold(min_users=5, fraction_when_fewer=Fraction(1, 2)),
        excluded_causes=EXCLUDED,
        credit_tiers=shipped_tiers(),
        source=SOURCE,
    )


@pytest.fixture(scope="module")
def terms() -> AvailabilityTerms:
    return shipped_terms()


@pytest.fixture(scope="module")
def pindena(terms: AvailabilityTerms) -> AvailabilityTerms:
    return AvailabilityTerms(
        guarantee_pct=Decimal("98"),
        core_time=terms.core_time,
        periodic_maintenance=None,
        planned_maintenance=None,
        planned_notice=timedelta(0),
        threshold=DowntimeThreshold(),
        excluded_causes=frozenset({"third-party", "integration", "custom-work", "user-error"}),
        credit_tiers=(),
        source="003 §18",
    )


def notes_with(result: MonthAvailability, text: str) -> list[str]:
    return [note for note in result.notes if text in note]


# --- the CONTRACTS.md worked example ------------------------------------------------------


def test_worked_example_march_2026(terms: AvailabilityTerms) -> None:
    outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 13), affected_users=12)
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.core_hours == 22 * 14 + 4 * 9 == 344
    assert result.downtime_hours == 4
    assert result.uptime == Fraction(340, 344) * 100
    assert result.uptime_pct_display() == Decimal("98.84")
    assert not result.guarantee_met
    assert result.reduction_pct == 10
    assert result.tier == CreditTier(Decimal("98"), Decimal("99.5"), 10)
    assert notes_with(result, "counted, 4 h of core time in March 2026")
    assert notes_with(result, "D = 344 h")
    assert notes_with(result, "98.84 %")
    assert not notes_with(result, "reading applied")


def test_worked_example_below_threshold_is_not_downtime(terms: AvailabilityTerms) -> None:
    outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 13), affected_users=3)
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 0
    assert result.uptime == 100
    assert result.uptime_pct_display() == Decimal("100.00")
    assert result.guarantee_met
    assert result.reduction_pct == 0
    assert notes_with(result, f"3 of 40 users affected; downtime counts from 5 users ({SOURCE})")


# --- credit tiers ---------------------------------------------------------------------------


def test_95_to_96_band_applies_the_reading(terms: AvailabilityTerms) -> None:
    # 15 core hours down: Monday 07:00-21:00 (14 h) and Tuesday 07:00-08:00 (1 h).
    outages = [
        Outage(at(2026, 3, 2, 7), at(2026, 3, 2, 21), 40),
        Outage(at(2026, 3, 3, 7), at(2026, 3, 3, 8), 40),
    ]
    result = month_availability(terms, 2026, 3, 40, outages)
    assert result.downtime_hours == 15
    assert Fraction(95) <= result.uptime < Fraction(96)
    assert result.uptime_pct_display() == Decimal("95.64")
    assert result.reduction_pct == 40
    assert result.tier is not None and result.tier.reading == READING_95_96
    assert notes_with(result, READING_95_96)


def test_below_95_has_no_reading(terms: AvailabilityTerms) -> None:
    outages = [Outage(at(2026, 3, d, 7), at(2026, 3, d, 21), 40) for d in (2, 3)]  # 28 h
    result = month_availability(terms, 2026, 3, 40, outages)
    assert result.uptime < 95
    assert result.reduction_pct == 40
    assert not notes_with(result, "reading applied")


def test_exactly_99_5_is_the_top_tier(terms: AvailabilityTerms) -> None:
    # 0.5 % of 344 h = 1.72 h = 1 h 43 min 12 s.
    outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 10, 43, second=12), 40)
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == Fraction(172, 100)
    assert result.uptime == Fraction(995, 10)
    assert result.guarantee_met
    assert result.reduction_pct == 0
    assert not notes_with(result, "rounds across")


def test_display_crossing_a_boundary_shows_the_exact_value(terms: AvailabilityTerms) -> None:
    # One second more than the exact 99.5 % budget: still displayed 99.50 %, but below it.
    outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 10, 43, second=13), 40)
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.uptime < Fraction(995, 10)
    assert result.uptime_pct_display() == Decimal("99.50")
    assert not result.guarantee_met
    assert result.reduction_pct == 10
    [note] = notes_with(result, "rounds across")
    assert "99.499919…" in note
    assert "guarantee" in note and "[98, 99.5)" in note


def test_display_rounds_half_up() -> None:
    def display(uptime: Fraction) -> Decimal:
        result = MonthAvailability(2026, 3, 1, Fraction(1), Fraction(0), uptime, True, 0, None, ())
        return result.uptime_pct_display()

    assert display(Fraction(98845, 1000)) == Decimal("98.85")
    assert display(Fraction(98844999, 1000000)) == Decimal("98.84")
    assert display(Fraction(99995, 1000)) == Decimal("100.00")
    assert display(Fraction(0)) == Decimal("0.00")


def test_validate_credit_tiers_sorts_and_accepts_the_shipped_table() -> None:
    ordered = validate_credit_tiers(shipped_tiers())
    assert [t.low_pct for t in ordered] == [0, 95, 96, 97, 98, Decimal("99.5")]
    assert validate_credit_tiers(()) == ()


def test_validate_credit_tiers_names_a_gap() -> None:
    without_reading = [t for t in shipped_tiers() if t.reading is None]
    with pytest.raises(ValueError, match="credit tiers leave 95–96 % uncovered"):
        validate_credit_tiers(without_reading)


def test_validate_credit_tiers_names_an_overlap() -> None:
    tiers = [
        CreditTier(Decimal("99.5"), Decimal("100"), 0),
        CreditTier(Decimal("98"), Decimal("99.5"), 10),
        CreditTier(Decimal("97"), Decimal("98.5"), 20),
        CreditTier(Decimal("0"), Decimal("97"), 40),
    ]
    with pytest.raises(ValueError, match=re.escape("credit tiers 97–98.5 % and 98–99.5 % overlap")):
        validate_credit_tiers(tiers)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([CreditTier(Decimal("0"), Decimal("101"), 0)], "0–101 % lies outside 0–100 %"),
        (
            [CreditTier(Decimal("-1"), Decimal("50"), 0), CreditTier(Decimal(50), Decimal(100), 0)],
            "-1–50 % lies outside 0–100 %",
        ),
        (
            [
                CreditTier(Decimal("0"), Decimal("50"), 0),
                CreditTier(Decimal("50"), Decimal("50"), 5),
                CreditTier(Decimal("50"), Decimal("100"), 0),
            ],
            "50–50 % has low >= high",
        ),
        ([CreditTier(Decimal("0"), Decimal("100"), -10)], "reduction of -10 %"),
        ([CreditTier(Decimal("10"), Decimal("100"), 0)], "leave 0–10 % uncovered"),
        ([CreditTier(Decimal("0"), Decimal("99"), 0)], "leave 99–100 % uncovered"),
    ],
)
def test_validate_credit_tiers_rejects_bad_bands(tiers: list[CreditTier], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_credit_tiers(tiers)


def test_terms_refuse_a_credit_table_with_a_gap(terms: AvailabilityTerms) -> None:
    gap = tuple(t for t in shipped_tiers() if t.reading is None)
    with pytest.raises(ValueError, match="95–96 % uncovered"):
        AvailabilityTerms(
            guarantee_pct=Decimal("99.5"),
            core_time=terms.core_time,
            periodic_maintenance=None,
            planned_maintenance=None,
            planned_notice=timedelta(days=5),
            threshold=DowntimeThreshold(),
            excluded_causes=frozenset(),
            credit_tiers=gap,
            source=SOURCE,
        )


def test_terms_store_tiers_sorted(terms: AvailabilityTerms) -> None:
    lows = [t.low_pct for t in terms.credit_tiers]
    assert lows == sorted(lows)


# --- core time: holidays, clipping, nights, DST ---------------------------------------------


def test_april_2026_with_easter(terms: AvailabilityTerms) -> None:
    # April 2026 starts on a Wednesday: 22 weekdays and 4 Saturdays (4, 11, 18, 25).
    # Easter: Skjærtorsdag Thu 2, Langfredag Fri 3, 2. påskedag Mon 6 are closed weekdays;
    # Easter Saturday (4th) is not a public holiday.  D = 19 × 14 + 4 × 9 = 266 + 36 = 302 h.
    holiday_outage = Outage(at(2026, 4, 3, 9), at(2026, 4, 3, 15), 40)  # Good Friday
    result = month_availability(terms, 2026, 4, 40, [holiday_outage])
    assert result.core_hours == 302
    assert result.downtime_hours == 0
    assert notes_with(result, "2026-04-03 Langfredag")
    assert notes_with(result, "6 h outside core time not counted")


def test_may_2027_with_17_may_on_a_monday(terms: AvailabilityTerms) -> None:
    # May 2027 starts on a Saturday: 21 weekdays, 5 Saturdays (1, 8, 15, 22, 29).
    # Closed: Sat 1 May (Arbeidernes dag), Thu 6 May (Kristi himmelfartsdag),
    # Mon 17 May (Grunnlovsdag and 2. pinsedag).  D = 19 × 14 + 4 × 9 = 266 + 36 = 302 h.
    outages = [
        Outage(at(2027, 5, 17, 8), at(2027, 5, 17, 20), 40),  # 17 May: not core time
        Outage(at(2027, 5, 18, 8), at(2027, 5, 18, 10), 40),  # Tuesday after: counts
    ]
    result = month_availability(terms, 2027, 5, 40, outages)
    assert result.core_hours == 302
    assert result.downtime_hours == 2
    assert notes_with(result, "2027-05-17")
    assert notes_with(result, "2027-05-01 Arbeidernes dag")


def test_outage_over_a_night_counts_only_core_parts(terms: AvailabilityTerms) -> None:
    # Tuesday 20:00 to Wednesday 08:00: 20-21 and 07-08 are core time.
    outage = Outage(at(2026, 3, 10, 20), at(2026, 3, 11, 8), 40)
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 2
    [note] = notes_with(result, "outage 2026-03-10 20:00")
    assert "counted, 2 h of core time" in note
    assert "10 h outside core time not counted" in note


def test_overlapping_outages_are_counted_once(terms: AvailabilityTerms) -> None:
    outages = [
        Outage(at(2026, 3, 10, 11), at(2026, 3, 10, 14), 20),
        Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 12), 40),
    ]
    result = month_availability(terms, 2026, 3, 40, outages)
    assert result.downtime_hours == 5
    assert notes_with(result, "1 h of it overlap outages counted already")


def test_outage_crossing_the_month_boundary(terms: AvailabilityTerms) -> None:
    # Tue 31 March 20:00 to Wed 1 April 09:00: March gets 20-21, April gets 07-09.
    outage = Outage(at(2026, 3, 31, 20), at(2026, 4, 1, 9), 40)
    march = month_availability(terms, 2026, 3, 40, [outage])
    april = month_availability(terms, 2026, 4, 40, [outage])
    assert march.downtime_hours == 1
    assert april.downtime_hours == 2
    assert notes_with(march, "9 h outside March 2026 not counted")
    assert notes_with(april, "4 h outside April 2026 not counted")
    may = month_availability(terms, 2026, 5, 40, [outage])
    assert may.downtime_hours == 0
    assert notes_with(may, "lies outside May 2026")


def test_outage_across_the_october_2026_dst_change(terms: AvailabilityTerms) -> None:
    # October 2026 starts on a Thursday: 22 weekdays, 5 Saturdays: D = 22 × 14 + 5 × 9 = 353 h,
    # although the month has 745 real hours (clocks go back on Sunday 25 October).
    # Sat 24 Oct 17:00 CEST to Mon 26 Oct 08:00 CET is 40 real hours (39 on the wall clock);
    # core time in it: Saturday 17-18 and Monday 07-08.
    outage = Outage(at(2026, 10, 24, 17), at(2026, 10, 26, 8), 40)
    result = month_availability(terms, 2026, 10, 40, [outage])
    assert result.core_hours == 353
    assert result.downtime_hours == 2
    [note] = notes_with(result, "outage 2026-10-24 17:00+02:00 – 2026-10-26 08:00+01:00")
    assert "(40 h, 40 of 40 users)" in note
    assert "38 h outside core time not counted" in note


def test_periodic_maintenance_is_never_counted(terms: AvailabilityTerms) -> None:
    # A core calendar that is open at night shows the periodic window being cut out.
    always = Calendar.from_hours("24/7", "Europe/Oslo", {d: ["00:00-24:00"] for d in WEEKDAYS})
    open_terms = AvailabilityTerms(
        guarantee_pct=Decimal("99.5"),
        core_time=always,
        periodic_maintenance=terms.periodic_maintenance,
        planned_maintenance=None,
        planned_notice=timedelta(days=5),
        threshold=DowntimeThreshold(),
        excluded_causes=frozenset(),
        credit_tiers=(),
        source=SOURCE,
    )
    outage = Outage(at(2026, 3, 10, 0), at(2026, 3, 10, 8), 40)
    result = month_availability(open_terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 3
    assert notes_with(result, "5 h of core time inside periodic maintenance windows")


# --- causes, planned maintenance and the user threshold ----------------------------------------


def test_excluded_cause_is_not_counted(terms: AvailabilityTerms) -> None:
    outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 13), 40, cause="third-party")
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 0
    assert result.reduction_pct == 0
    assert notes_with(result, "cause 'third-party' is excluded")


def test_planned_maintenance_announced_six_days_ahead_on_saturday_is_excluded(
    terms: AvailabilityTerms,
) -> None:
    start = at(2026, 3, 14, 10)  # Saturday: planned window all day
    outage = Outage(
        start, at(2026, 3, 14, 14), 40, "planned-maintenance", announced_at=start - timedelta(6)
    )
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 0
    [note] = notes_with(result, "planned maintenance announced 6 days ahead")
    assert "all 4 h of core time lie inside the planned-maintenance windows" in note


def test_planned_maintenance_with_exactly_the_notice_is_excluded(
    terms: AvailabilityTerms,
) -> None:
    start = at(2026, 3, 14, 10)
    outage = Outage(start, at(2026, 3, 14, 14), 40, "planned-maintenance", start - timedelta(5))
    assert month_availability(terms, 2026, 3, 40, [outage]).downtime_hours == 0


def test_planned_maintenance_announced_two_days_ahead_counts(terms: AvailabilityTerms) -> None:
    start = at(2026, 3, 14, 10)
    outage = Outage(
        start, at(2026, 3, 14, 14), 40, "planned-maintenance", announced_at=start - timedelta(2)
    )
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 4
    [note] = notes_with(result, "announced 2 days before the start")
    assert "needs a notice of at least 5 days" in note
    assert "counts like an unplanned outage" in note


def test_planned_maintenance_never_announced_counts(terms: AvailabilityTerms) -> None:
    outage = Outage(at(2026, 3, 14, 10), at(2026, 3, 14, 14), 40, "planned-maintenance")
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 4
    assert notes_with(result, "no recorded announcement")


def test_planned_maintenance_outside_the_planned_window_counts(terms: AvailabilityTerms) -> None:
    start = at(2026, 3, 10, 10)  # Tuesday 10:00: weekday window is 22:00-06:00 only
    outage = Outage(
        start, at(2026, 3, 10, 12), 40, "planned-maintenance", announced_at=start - timedelta(6)
    )
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 2
    assert notes_with(result, "none of its core time lies inside the planned-maintenance windows")


def test_planned_maintenance_partly_inside_the_window(terms: AvailabilityTerms) -> None:
    # Friday 20:00 to Saturday 10:00: Friday 20-21 is core time outside the weekday planned
    # window (22-06), so it counts; Saturday 09-10 is inside the weekend window.
    start = at(2026, 3, 13, 20)
    outage = Outage(start, at(2026, 3, 14, 10), 40, "planned-maintenance", start - timedelta(7))
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.downtime_hours == 1
    [note] = notes_with(result, "1 h of core time inside the planned-maintenance windows")
    assert "excluded; the part outside the windows counts" in note


@pytest.mark.parametrize(
    ("users", "affected", "counts"),
    [
        (40, 5, True),
        (40, 4, False),
        (5, 5, True),
        (4, 2, True),
        (4, 1, False),
        (3, 2, True),
        (3, 1, False),
        (1, 1, True),
        (1, 0, False),
    ],
)
def test_threshold(users: int, affected: int, counts: bool) -> None:
    assert DowntimeThreshold().counts(affected, users) is counts


def test_fewer_than_five_users(terms: AvailabilityTerms) -> None:
    def downtime(users: int, affected: int) -> MonthAvailability:
        outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 10), affected)
        return month_availability(terms, 2026, 3, users, [outage])

    assert downtime(4, 2).downtime_hours == 1
    assert downtime(3, 2).downtime_hours == 1
    one_of_four = downtime(4, 1)
    assert one_of_four.downtime_hours == 0
    assert notes_with(
        one_of_four,
        "1 of 4 users affected; with fewer than 5 users downtime counts from 1/2 of them, "
        "i.e. 2 of 4",
    )


# --- terms without a credit table (Pindena) ------------------------------------------------


def test_pindena_miss_is_reported_not_priced(pindena: AvailabilityTerms) -> None:
    outage = Outage(at(2026, 3, 10, 7), at(2026, 3, 10, 21), 40)  # 14 h of 344: 95.9 %
    result = month_availability(pindena, 2026, 3, 40, [outage])
    assert not result.guarantee_met
    assert result.reduction_pct is None and result.tier is None
    assert notes_with(result, "guaranteed availability 98 % missed")
    assert notes_with(result, "no credit table: the miss is reported, not priced")


def test_pindena_met(pindena: AvailabilityTerms) -> None:
    result = month_availability(pindena, 2026, 3, 40, [])
    assert result.guarantee_met and result.uptime == 100
    assert result.reduction_pct is None
    assert notes_with(result, "a miss would be reported, not priced")


# --- bad input --------------------------------------------------------------------------------


def test_bad_input(terms: AvailabilityTerms) -> None:
    ok = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 10), 5)
    with pytest.raises(ValueError, match="at least 1 user"):
        month_availability(terms, 2026, 3, 0, [])
    with pytest.raises(ValueError, match="month 13 is out of range"):
        month_availability(terms, 2026, 13, 40, [])
    with pytest.raises(ValueError, match="month 0 is out of range"):
        month_availability(terms, 2026, 0, 40, [])
    with pytest.raises(ValueError, match="outage 1: affected users 5 must be between 0 and"):
        month_availability(terms, 2026, 3, 4, [ok])
    with pytest.raises(ValueError, match="must not be negative"):
        Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 10), -1)
    with pytest.raises(ValueError, match="before it starts"):
        Outage(at(2026, 3, 10, 10), at(2026, 3, 10, 9), 5)
    with pytest.raises(ValueError, match="naive"):
        Outage(datetime(2026, 3, 10, 9), at(2026, 3, 10, 10), 5)
    with pytest.raises(ValueError, match="naive"):
        Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 10), 5, "x", datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="min_users"):
        DowntimeThreshold(min_users=0)
    with pytest.raises(ValueError, match="fraction"):
        DowntimeThreshold(fraction_when_fewer=Fraction(0))


def test_zero_length_outage_and_utc_input(terms: AvailabilityTerms) -> None:
    instant = datetime(2026, 3, 10, 8, tzinfo=UTC)  # 09:00 in Oslo
    outages = [
        Outage(instant, instant, 40),
        Outage(instant, instant + timedelta(hours=1), 40),
    ]
    result = month_availability(terms, 2026, 3, 40, outages)
    assert result.downtime_hours == 1
    assert notes_with(result, "outage 2026-03-10 09:00+01:00 – 2026-03-10 10:00+01:00")


# --- properties against a brute-force minute-stepping reference ------------------------------

MINUTE = 60


@lru_cache(maxsize=32)
def reference_month(year: int, month: int) -> tuple[int, int, frozenset[int], frozenset[int]]:
    """Epoch minutes bounding the local month, its core minutes and planned-window minutes,
    found by converting every minute to Oslo wall time (no timeline, no sla code)."""
    first = datetime(year, month, 1, tzinfo=OSLO)
    after = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=OSLO)
    start, end = int(first.timestamp()) // MINUTE, int(after.timestamp()) // MINUTE
    closed = set(holidays.country_holidays("NO", years=year))
    core: set[int] = set()
    planned: set[int] = set()
    for minute in range(start, end):
        local = datetime.fromtimestamp(minute * MINUTE, OSLO)
        weekday, hour = local.weekday(), local.hour
        periodic = 1 <= hour < 6
        if (
            local.date() not in closed
            and not periodic
            and ((weekday < 5 and 7 <= hour < 21) or (weekday == 5 and 9 <= hour < 18))
        ):
            core.add(minute)
        if weekday >= 5 or hour < 6 or hour >= 22:
            planned.add(minute)
    return start, end, frozenset(core), frozenset(planned)


def reference_downtime_minutes(year: int, month: int, users: int, outages: list[Outage]) -> int:
    start, end, core, planned = reference_month(year, month)
    need = 5 if users >= 5 else (users + 1) // 2
    down: set[int] = set()
    for outage in outages:
        if outage.cause in EXCLUDED or outage.affected_users < need:
            continue
        announced = outage.announced_at
        use_planned = (
            outage.cause == PLANNED
            and announced is not None
            and outage.start - announced >= timedelta(days=5)
        )
        first = max(start, int(outage.start.timestamp()) // MINUTE)
        last = min(end, int(outage.end.timestamp()) // MINUTE)
        for minute in range(first, last):
            if minute in core and not (use_planned and minute in planned):
                down.add(minute)
    return len(down)


# Times of day (minutes after local midnight) at and next to the calendars' edges.
EDGES = (0, 59, 60, 359, 360, 419, 420, 540, 1079, 1080, 1259, 1260, 1319, 1320)
DAY = 24 * 60


@st.composite
def month_and_outages(draw: st.DrawFn) -> tuple[int, int, int, list[Outage]]:
    """A month of 2026-2027 and up to six whole-minute outages in and around it."""
    year = draw(st.sampled_from([2026, 2027]))
    month = draw(st.integers(1, 12))
    users = draw(st.one_of(st.integers(1, 5), st.integers(1, 12)))
    start, end, _, _ = reference_month(year, month)
    days = (end - start) // DAY
    outages = []
    for _ in range(draw(st.integers(0, 6))):
        day = draw(st.integers(-2, days))
        minute_of_day = draw(st.one_of(st.sampled_from(EDGES), st.integers(0, DAY - 1)))
        begin = start + day * DAY + minute_of_day
        length = draw(st.one_of(st.integers(0, 6 * 60), st.integers(0, 3 * DAY)))
        cause = draw(st.sampled_from([None, "third-party", PLANNED, PLANNED]))
        notice = draw(st.sampled_from([None, 2 * DAY, 5 * DAY - 1, 5 * DAY, 6 * DAY]))
        begin_at = datetime.fromtimestamp(begin * MINUTE, OSLO)
        outages.append(
            Outage(
                begin_at,
                datetime.fromtimestamp((begin + length) * MINUTE, OSLO),
                draw(st.one_of(st.just(users), st.integers(0, users))),
                cause,
                None if notice is None else begin_at - timedelta(minutes=notice),
            )
        )
    return year, month, users, outages


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(month_and_outages())
def test_matches_minute_stepping_reference(case: tuple[int, int, int, list[Outage]]) -> None:
    year, month, users, outages = case
    result = month_availability(shipped_terms(), year, month, users, outages)
    _, _, core, _ = reference_month(year, month)
    assert result.core_hours == Fraction(len(core), 60)
    assert result.downtime_hours == Fraction(
        reference_downtime_minutes(year, month, users, outages), 60
    )
    assert 0 <= result.uptime <= 100
    assert result.uptime == (result.core_hours - result.downtime_hours) / result.core_hours * 100
    assert result.tier is not None and result.tier.contains(result.uptime)


@settings(max_examples=60, deadline=None)
@given(month_and_outages(), st.integers(0, 3 * 24 * 60), st.integers(0, 31 * 24 * 60))
def test_more_downtime_never_increases_uptime(
    case: tuple[int, int, int, list[Outage]], length: int, offset: int
) -> None:
    year, month, users, outages = case
    terms = shipped_terms()
    begin = datetime(year, month, 1, tzinfo=OSLO) + timedelta(minutes=offset)
    extra = Outage(begin, begin + timedelta(minutes=length), users)
    before = month_availability(terms, year, month, users, outages)
    after = month_availability(terms, year, month, users, [*outages, extra])
    assert after.downtime_hours >= before.downtime_hours
    assert after.uptime <= before.uptime
    assert before.reduction_pct is not None and after.reduction_pct is not None
    assert after.reduction_pct >= before.reduction_pct
    if outages:
        longer = [
            *outages[:-1],
            Outage(
                outages[-1].start,
                outages[-1].end + timedelta(minutes=length),
                outages[-1].affected_users,
                outages[-1].cause,
                outages[-1].announced_at,
            ),
        ]
        assert month_availability(terms, year, month, users, longer).uptime <= before.uptime


def test_reference_agrees_on_the_worked_example() -> None:
    # Guards the reference itself: it must see March 2026 as 344 core hours.
    _, _, core, _ = reference_month(2026, 3)
    assert len(core) == 344 * 60
    assert reference_month(2026, 4)[2] and len(reference_month(2026, 4)[2]) == 302 * 60
    assert date(2026, 4, 3) in holidays.country_holidays("NO", years=2026)
