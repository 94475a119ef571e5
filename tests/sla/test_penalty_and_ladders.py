"""MBN/BN penalties in Decimal money, claim limits, billing periods, escalation ladders.

Expected figures are worked out by hand from CONTRACTS.md §1: fee (199 + 29 × users) per
month, invoiced per quarter; one or more misses in a quarter → 50 % off the next quarter's
invoice, not stacking; claims no later than 12 months after the first breach.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from config.catalog import Catalog, load_catalog
from sla.escalation import escalation_schedule
from sla.penalty import FeeFormula, PenaltyRule, Stacking, money, period_penalty
from sla.periods import Period, add_months
from sla.severity import Severity

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    patch = pytest.MonkeyPatch()
    patch.delenv("TRIAGE_CATALOG", raising=False)
    try:
        return load_catalog()
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def mbn_terms(catalog: Catalog):
    return catalog.get("nettsoft-mbn").terms_at_date(date(2026, 1, 1))


def oslo(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def same_instant(first: datetime, second: datetime) -> bool:
    return first.astimezone(UTC) == second.astimezone(UTC)


# ------------------------------------------------------------------ MBN penalty


def test_mbn_example_40_users(mbn_terms) -> None:
    result = period_penalty(mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q1"), 40, 1)
    assert result.base == Decimal("4077.00")  # (199 + 40 × 29) × 3
    assert result.amount == Decimal("2038.50")
    assert str(result.amount) == "2038.50"
    assert result.deduction_pct == 50
    assert result.applies_to == Period(2026, 2, 3)
    assert result.applies_to.label == "2026Q2"


def test_bn_has_the_same_penalty(catalog: Catalog) -> None:
    terms = catalog.get("nettsoft-unifon-bn").terms_at_date(date(2026, 1, 1))
    result = period_penalty(terms.penalty, terms.fee, Period.quarter("2026Q3"), 10, 2)
    assert result.base == Decimal("1467.00")  # (199 + 290) × 3
    assert result.amount == Decimal("733.50")
    assert result.applies_to.label == "2026Q4"


def test_penalty_in_q4_applies_to_next_years_q1(mbn_terms) -> None:
    result = period_penalty(mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q4"), 40, 1)
    assert result.applies_to == Period(2027, 1, 3)
    assert result.applies_to.label == "2027Q1"


@pytest.mark.parametrize("breaches", [1, 2, 5, 40])
def test_misses_in_a_quarter_do_not_stack(mbn_terms, breaches: int) -> None:
    result = period_penalty(
        mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q2"), 40, breaches
    )
    assert result.amount == Decimal("2038.50")
    assert result.deduction_pct == 50


def test_several_misses_say_the_no_stacking_reading(mbn_terms) -> None:
    result = period_penalty(mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q2"), 40, 5)
    assert any("do not stack" in note for note in result.notes)


def test_no_breach_no_deduction(mbn_terms) -> None:
    result = period_penalty(
        mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q1"), 40, 0, date(2026, 2, 1)
    )
    assert result.amount == Decimal("0.00")
    assert str(result.amount) == "0.00"
    assert result.deduction_pct == 0
    assert result.claim_by is None


def test_zero_users_pays_the_company_fee_only(mbn_terms) -> None:
    result = period_penalty(mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q1"), 0, 1)
    assert result.base == Decimal("597.00")
    assert result.amount == Decimal("298.50")


def test_per_breach_stacking_is_capped_at_100_percent() -> None:
    rule = PenaltyRule(Decimal("30"), Stacking.PER_BREACH, 1, 12, "test")
    fee = FeeFormula(Decimal("100.00"), Decimal("0"), 3, 0)
    assert period_penalty(rule, fee, Period.quarter("2026Q1"), 0, 2).amount == Decimal("180.00")
    assert period_penalty(rule, fee, Period.quarter("2026Q1"), 0, 4).amount == Decimal("300.00")


def test_penalty_refuses_a_period_that_is_not_the_billing_period(mbn_terms) -> None:
    with pytest.raises(ValueError, match="3 months"):
        period_penalty(mbn_terms.penalty, mbn_terms.fee, Period.month("2026-03"), 40, 1)


def test_negative_breaches_are_refused(mbn_terms) -> None:
    with pytest.raises(ValueError, match="breaches"):
        period_penalty(mbn_terms.penalty, mbn_terms.fee, Period.quarter("2026Q1"), 40, -1)


# ------------------------------------------------------------------ money


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.005", "0.01"),  # half up, not down
        ("0.025", "0.03"),  # half up, not to even (banker's rounding would give 0.02)
        ("0.0049", "0.00"),
        ("2038.5", "2038.50"),
        ("343.005", "343.01"),
        ("1.994999", "1.99"),
    ],
)
def test_money_rounds_half_up_to_ore(amount: str, rounded: str) -> None:
    result = money(Decimal(amount))
    assert str(result) == rounded


def test_fee_with_odd_ore_rounds_the_deduction_half_up() -> None:
    # (199.00 + 29.67) × 3 = 686.01; 50 % = 343.005 → 343.01 (half-even would give 343.00)
    rule = PenaltyRule(Decimal("50"), Stacking.ONCE_PER_PERIOD, 1, 12, "test")
    fee = FeeFormula(Decimal("199.00"), Decimal("29.67"), 3, 1)
    result = period_penalty(rule, fee, Period.quarter("2026Q1"), 1, 1)
    assert result.base == Decimal("686.01")
    assert str(result.amount) == "343.01"


# ------------------------------------------------------------------ claim limit


@pytest.mark.parametrize(
    ("first_breach", "claim_by"),
    [
        (date(2026, 2, 3), date(2027, 2, 3)),
        (date(2026, 3, 31), date(2027, 3, 31)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2027, 12, 31), date(2028, 12, 31)),
    ],
)
def test_claim_by_is_12_months_after_the_first_breach(
    mbn_terms, first_breach: date, claim_by: date
) -> None:
    quarter = Period.containing(first_breach, 3)
    result = period_penalty(mbn_terms.penalty, mbn_terms.fee, quarter, 40, 3, first_breach)
    assert result.claim_by == claim_by
    assert any(claim_by.isoformat() in note for note in result.notes)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 1, 31), 13, date(2028, 2, 29)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# ------------------------------------------------------------------ periods


@pytest.mark.parametrize(
    ("text", "year", "index"),
    [("2026Q1", 2026, 1), ("2026q4", 2026, 4), ("2027-Q2", 2027, 2), (" 2026Q3 ", 2026, 3)],
)
def test_quarter_parsing(text: str, year: int, index: int) -> None:
    period = Period.quarter(text)
    assert (period.year, period.index, period.months) == (year, index, 3)


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "26Q1", "2026", "Q1 2026", "2026-03", ""])
def test_bad_quarter_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="quarter"):
        Period.quarter(text)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "2026/03", "March 2026", "2026Q1"]
)
def test_bad_month_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        Period.month(text)


def test_quarter_bounds_and_labels() -> None:
    q1 = Period.quarter("2026Q1")
    assert (q1.first_day, q1.last_day) == (date(2026, 1, 1), date(2026, 3, 31))
    q4 = Period.quarter("2028Q4")
    assert (q4.first_day, q4.last_day) == (date(2028, 10, 1), date(2028, 12, 31))
    feb = Period.month("2028-02")
    assert (feb.first_day, feb.last_day, feb.label) == (
        date(2028, 2, 1),
        date(2028, 2, 29),
        "2028-02",
    )
    assert Period.month("2026-12").next().label == "2027-01"
    assert Period.containing(date(2026, 8, 15), 3).label == "2026Q3"


def test_period_constructor_refuses_out_of_range_index() -> None:
    with pytest.raises(ValueError):
        Period(2026, 5, 3)
    with pytest.raises(ValueError):
        Period(2026, 1, 4)


# ------------------------------------------------------------------ escalation ladders


def schedule(catalog: Catalog, contract_id: str, severity: Severity, received: str):
    contract = catalog.get(contract_id)
    when = oslo(received)
    ladder = contract.terms_at(when).ladder_for(severity)
    assert ladder is not None
    return escalation_schedule(ladder, contract.deadline(severity, when))


def as_table(points) -> list[tuple[str, int, str]]:
    return [(p.point.name, p.point.level, p.at.astimezone(OSLO).isoformat()) for p in points]


def test_standard_ladder_on_mbn_monday_0900(catalog: Catalog) -> None:
    points = schedule(catalog, "nettsoft-mbn", Severity.NON_CRITICAL, "2026-03-16T09:00:00+01:00")
    assert as_table(points) == [
        ("half-budget", 1, "2026-03-16T09:30:00+01:00"),
        ("late", 1, "2026-03-16T09:48:00+01:00"),
        ("due", 1, "2026-03-16T10:00:00+01:00"),
        ("overdue", 2, "2026-03-16T10:30:00+01:00"),
    ]


def test_standard_ladder_spends_the_budget_on_office_hours_friday_1545(catalog: Catalog) -> None:
    # 60 minutes from Friday 15:45: 15 min on Friday, then Monday from 08:00
    points = schedule(catalog, "nettsoft-mbn", Severity.NON_CRITICAL, "2026-03-13T15:45:00+01:00")
    assert as_table(points) == [
        ("half-budget", 1, "2026-03-16T08:15:00+01:00"),
        ("late", 1, "2026-03-16T08:33:00+01:00"),
        ("due", 1, "2026-03-16T08:45:00+01:00"),
        ("overdue", 2, "2026-03-16T09:15:00+01:00"),
    ]


def test_overdue_is_real_time_after_due_even_after_closing(catalog: Catalog) -> None:
    points = schedule(catalog, "nettsoft-mbn", Severity.CRITICAL, "2026-03-16T15:00:00+01:00")
    assert as_table(points)[-2:] == [
        ("due", 1, "2026-03-16T16:00:00+01:00"),
        ("overdue", 2, "2026-03-16T16:30:00+01:00"),
    ]


def test_standard_ladder_for_a_weekend_ticket_starts_at_monday_opening(catalog: Catalog) -> None:
    points = schedule(catalog, "nettsoft-mbn", Severity.NON_CRITICAL, "2026-03-14T10:00:00+01:00")
    assert as_table(points)[0] == ("half-budget", 1, "2026-03-16T08:30:00+01:00")


def test_standard_ladder_on_a_4h_budget_across_easter(catalog: Catalog) -> None:
    # MS365 Bruker, Wednesday 1 April 2026 14:00: 2 h on Wednesday, 2 h on Tuesday 7 April
    points = schedule(
        catalog, "nettsoft-ms365-bruker", Severity.NON_CRITICAL, "2026-04-01T14:00:00+02:00"
    )
    assert as_table(points) == [
        ("half-budget", 1, "2026-04-01T16:00:00+02:00"),  # 120 of 240 min: exactly at closing
        ("late", 1, "2026-04-07T09:12:00+02:00"),  # 192 min: 120 Wednesday + 72 Tuesday
        ("due", 1, "2026-04-07T10:00:00+02:00"),
        ("overdue", 2, "2026-04-07T10:30:00+02:00"),
    ]


def test_standard_ladder_on_pindena_uses_the_budget_to_end_of_next_day(catalog: Catalog) -> None:
    # Tuesday 10:00 → Wednesday 16:00: 6 h Tuesday + 8 h Wednesday = 14 h of budget
    points = schedule(catalog, "pindena", Severity.NON_CRITICAL, "2026-03-10T10:00:00+01:00")
    assert as_table(points) == [
        ("half-budget", 1, "2026-03-11T09:00:00+01:00"),  # 7 h: 6 Tuesday + 1 Wednesday
        ("late", 1, "2026-03-11T13:12:00+01:00"),  # 11.2 h = 6 h + 5 h 12 min
        ("due", 1, "2026-03-11T16:00:00+01:00"),
        ("overdue", 2, "2026-03-11T16:30:00+01:00"),
    ]


@pytest.mark.parametrize(
    "contract_id",
    ["nettsoft-vps-access", "nettsoft-vps-terminal", "nettsoft-calendar-push", "nettsoft-tmpc"],
)
def test_immediate_ladder_on_a_critical_hosted_ticket(catalog: Catalog, contract_id: str) -> None:
    points = schedule(catalog, contract_id, Severity.CRITICAL, "2026-03-15T03:00:00+01:00")
    assert as_table(points) == [
        ("received", 1, "2026-03-15T03:00:00+01:00"),
        ("due", 1, "2026-03-15T03:15:00+01:00"),
        ("overdue", 2, "2026-03-15T03:30:00+01:00"),
    ]


def test_immediate_ladder_across_the_spring_dst_jump(catalog: Catalog) -> None:
    points = schedule(
        catalog, "nettsoft-vps-access", Severity.CRITICAL, "2026-03-29T01:50:00+01:00"
    )
    assert as_table(points) == [
        ("received", 1, "2026-03-29T01:50:00+01:00"),
        ("due", 1, "2026-03-29T03:05:00+02:00"),
        ("overdue", 2, "2026-03-29T03:20:00+02:00"),
    ]


def test_non_critical_hosted_ticket_uses_the_standard_ladder(catalog: Catalog) -> None:
    points = schedule(
        catalog, "nettsoft-vps-access", Severity.NON_CRITICAL, "2026-03-16T09:00:00+01:00"
    )
    assert [p.point.name for p in points] == ["half-budget", "late", "due", "overdue"]
    assert same_instant(points[0].at, oslo("2026-03-16T11:00:00+01:00"))
    assert same_instant(points[2].at, oslo("2026-03-16T13:00:00+01:00"))


def test_no_target_contract_is_never_escalated(catalog: Catalog) -> None:
    contract = catalog.get("mobile-worker")
    when = oslo("2026-03-16T09:00:00+01:00")
    deadline = contract.deadline(Severity.CRITICAL, when)
    standard = catalog.ladders["standard"]
    assert escalation_schedule(standard, deadline) == []


def test_escalation_budget_fraction_keeps_microseconds(catalog: Catalog) -> None:
    points = schedule(
        catalog, "nettsoft-mbn", Severity.NON_CRITICAL, "2026-03-16T09:00:00.000001+01:00"
    )
    assert as_table(points)[0] == ("half-budget", 1, "2026-03-16T09:30:00.000001+01:00")
    assert points[2].at - points[0].at == timedelta(minutes=30)


def _repeating(text: str, every: str) -> str:
    """The shipped catalog whose immediate ladder repeats twice, ``every`` apart."""
    anchor = '{ name = "overdue", level = 2, after_due = "PT15M" },\n]\n'
    assert anchor in text
    return text.replace(anchor, anchor + f'repeat = {{ times = 2, every = "{every}" }}\n', 1)


def _shipped_text() -> str:
    from importlib import resources

    return resources.files("config").joinpath("catalog.toml").read_text(encoding="utf-8")


def test_a_ladder_repeats_as_the_catalog_says_when_nobody_acknowledges() -> None:
    from config.catalog import parse_catalog

    catalog = parse_catalog(_repeating(_shipped_text(), "PT15M"))
    # VPS-Terminal critical at 09:00: received, due 09:15, overdue 09:30; then twice more,
    # each round 15 minutes after the last rung of the one before (45-minute rounds)
    points = schedule(
        catalog, "nettsoft-vps-terminal", Severity.CRITICAL, "2026-03-16T09:00:00+01:00"
    )
    assert as_table(points) == [
        ("received", 1, "2026-03-16T09:00:00+01:00"),
        ("due", 1, "2026-03-16T09:15:00+01:00"),
        ("overdue", 2, "2026-03-16T09:30:00+01:00"),
        ("received_2", 1, "2026-03-16T09:45:00+01:00"),
        ("due_2", 1, "2026-03-16T10:00:00+01:00"),
        ("overdue_2", 2, "2026-03-16T10:15:00+01:00"),
        ("received_3", 1, "2026-03-16T10:30:00+01:00"),
        ("due_3", 1, "2026-03-16T10:45:00+01:00"),
        ("overdue_3", 2, "2026-03-16T11:00:00+01:00"),
    ]


def test_a_repeat_needs_a_positive_interval() -> None:
    from config.catalog import CatalogError, parse_catalog

    with pytest.raises(CatalogError, match=r"ladder 'immediate'.*positive interval"):
        parse_catalog(_repeating(_shipped_text(), "PT0M"))
