"""Scenarios of issue 16, computed by hand from the seed clauses (quoted in each test):
prompt-claim dates, the conditions on planned maintenance, alternative readings, the
service's first day and the liability caps. All on the shipped catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from config.catalog import load_catalog
from sla.availability import AvailabilityTerms, Outage, month_availability
from sla.contract import Contract
from sla.severity import Severity
from sla.targets import Outcome

OSLO = ZoneInfo("Europe/Oslo")
CATALOG = load_catalog()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=OSLO)  # type: ignore[misc]


def availability(contract_id: str) -> AvailabilityTerms:
    terms = CATALOG.get(contract_id).terms_at_date(date(2026, 3, 1)).availability
    assert terms is not None
    return terms


# ------------------------------------------------------------------ prompt-claim dates


@pytest.mark.parametrize(
    ("first_breach", "promptly"),
    [
        (date(2026, 2, 3), date(2026, 2, 17)),  # Tue: 4-6, 9-13, 16, 17 Feb
        # Wed 1 Apr 2026: 2 (skjærtorsdag), 3 (langfredag) and 6 Apr (2. påskedag) are
        # holidays: 7-10, 13-17, 20 Apr
        (date(2026, 4, 1), date(2026, 4, 20)),
        # Wed 23 Dec: 24 (a working day by law), 28-31 Dec, 4-8 Jan (25 Dec, 1 Jan holidays)
        (date(2026, 12, 23), date(2027, 1, 8)),
    ],
)
def test_mbn_claim_promptly_is_ten_working_days_after_the_breach(
    first_breach: date, promptly: date
) -> None:
    """Nettsoft's general terms: "Om kunden ønsker å reklamere på tjenester utført av
    Nettsoft må dette gjøres skriftlig snarest mulig og senest innen 10 virkedager etter at
    arbeidet er utført." 24 and 31 December are working days by law."""
    rule = CATALOG.get("nettsoft-mbn").terms[-1].penalty
    assert rule is not None and rule.prompt_claim is not None
    assert rule.prompt_claim.due(first_breach) == promptly


def test_availability_credit_is_claimed_ten_working_days_after_the_month() -> None:
    """The same 10 working days for an availability credit, counted from the month's end
    (the month's uptime is known only then): 31 Mar 2026 → 1, 7-10, 13-17 Apr (Easter)."""
    prompt = availability("nettsoft-vps-access").prompt_claim
    assert prompt is not None
    assert prompt.due(date(2026, 3, 31)) == date(2026, 4, 17)


def test_pindena_claims_within_fourteen_days() -> None:
    """003 §14.1: "Det er 14 dager klagefrist på ... faktura/produkter ... etter at faktura
    er mottatt." Reading: counted from the end of the month the miss is measured in."""
    prompt = availability("pindena").prompt_claim
    assert prompt is not None
    assert prompt.due(date(2026, 3, 31)) == date(2026, 4, 14)


# ------------------------------------------------------------------ planned maintenance


def test_announced_maintenance_in_saturday_core_time_counts() -> None:
    """004 §3.6: "Vedlikeholdsvindu inntreffer kun utenfor kjernetid" and "Kjernetid er
    definert til 07:00 – 21:00 mandag til fredag, 09:00 – 18:00 lørdager". Announced 12 days
    ahead, no objection; Saturday 14 Mar 10-14 lies in core time, so it counts: March
    2026 D = 22 × 14 + 4 × 9 = 344 h, N = 4 h → 340/344 = 98.84 % → 10 %."""
    outage = Outage(
        at(2026, 3, 14, 10), at(2026, 3, 14, 14), 12, "planned-maintenance",
        announced_at=at(2026, 3, 2, 9),
    )  # fmt: skip
    result = month_availability(availability("nettsoft-vps-access"), 2026, 3, 40, [outage])
    assert (result.core_hours, result.downtime_hours) == (344, 4)
    assert result.reduction_pct == 10
    assert any("only outside core time" in note for note in result.notes)


def test_announced_maintenance_on_sunday_is_outside_core_time() -> None:
    """Sunday is not core time (§3.6 6.2): the same work on Sunday 15 Mar costs nothing."""
    outage = Outage(
        at(2026, 3, 15, 10), at(2026, 3, 15, 14), 12, "planned-maintenance",
        announced_at=at(2026, 3, 2, 9),
    )  # fmt: skip
    result = month_availability(availability("nettsoft-vps-access"), 2026, 3, 40, [outage])
    assert result.downtime_hours == 0 and result.reduction_pct == 0


@pytest.mark.parametrize(
    ("objected", "named"),
    [(at(2026, 3, 11, 10), True), (at(2026, 3, 13, 12), False)],
    ids=["objected-3-days-before", "objected-22-hours-before"],
)
def test_an_objection_counts_only_48_hours_before(objected: datetime, named: bool) -> None:
    """004 §3.6: "Eventuelle innsigelser må kommuniseres Nettsoft innen 48 timer før
    planlagt nedetid. Hvis Kunden ikke fremkommer med innsigelser, defineres dette som
    aksept." An objection 22 h before is too late and the maintenance stands accepted."""
    outage = Outage(
        at(2026, 3, 14, 10), at(2026, 3, 14, 14), 12, "planned-maintenance",
        announced_at=at(2026, 3, 2, 9), objected_at=objected,
    )  # fmt: skip
    result = month_availability(availability("nettsoft-vps-access"), 2026, 3, 40, [outage])
    assert any("the customer objected" in note for note in result.notes) is named


def test_maintenance_announced_four_days_ahead_fails_the_notice() -> None:
    """004 §3.6: "Planlagt vedlikeholdsvindu skal kommuniseres til Kunden senest 5 dager
    (ikke virkedager) før gjennomføring." Four days is too late: the note says so."""
    outage = Outage(
        at(2026, 3, 14, 10), at(2026, 3, 14, 14), 12, "planned-maintenance",
        announced_at=at(2026, 3, 10, 10),
    )  # fmt: skip
    result = month_availability(availability("nettsoft-vps-access"), 2026, 3, 40, [outage])
    [note] = [n for n in result.notes if "announced 4 days before the start" in n]
    assert "needs a notice of at least 5 days" in note


@pytest.mark.parametrize(
    ("accepted", "downtime"), [(at(2026, 3, 9, 12), 0), (None, 24)], ids=["accepted", "not"]
)
def test_pindena_maintenance_is_excluded_only_when_accepted(
    accepted: datetime | None, downtime: int
) -> None:
    """003 §18: "Dersom nedetid på forhånd er varslet, og er akseptert av kunde, vil dette
    heller ikke regnes inn i 'garantert oppetid'." March 2026 measured over every hour:
    31 × 24 − 1 (the hour skipped on 29 March) = 743 h; 24 h unaccepted → 719/743 =
    96.77 % < 98 %: missed (reported, no credit table)."""
    outage = Outage(
        at(2026, 3, 10, 0), at(2026, 3, 11, 0), 10, "planned-maintenance",
        announced_at=at(2026, 3, 9, 9), accepted_at=accepted,
    )  # fmt: skip
    result = month_availability(availability("pindena"), 2026, 3, 10, [outage])
    assert result.core_hours == 743
    assert result.downtime_hours == downtime
    assert result.guarantee_met is (downtime == 0)
    if accepted is None:
        assert any("no acceptance by the customer" in note for note in result.notes)


def test_calendar_push_needs_recorded_acceptance() -> None:
    """004 §3.12: "Gjennomføring av planlagt nedetid forutsetter aksept fra Kunde." The
    catalog reads that as a recorded acceptance; without it the note names the condition."""
    outage = Outage(
        at(2026, 3, 15, 10), at(2026, 3, 15, 14), 12, "planned-maintenance",
        announced_at=at(2026, 3, 2, 9),
    )  # fmt: skip
    result = month_availability(availability("nettsoft-calendar-push"), 2026, 3, 40, [outage])
    assert any("no acceptance by the customer recorded" in note for note in result.notes)


def test_environmental_conditions_are_excluded_under_3_12_only() -> None:
    """004 §3.12 3.4 "Unntatt tid": "Miljømessige forhold i Kundens lokaler (elektrisitet,
    temperatur, fuktighet og lignende)". §3.6 has no such exclusion, and an unknown cause
    word is refused with the list rather than counted silently."""
    outage = Outage(at(2026, 3, 10, 9), at(2026, 3, 10, 13), 12, "customer-environment")
    push = month_availability(availability("nettsoft-calendar-push"), 2026, 3, 40, [outage])
    assert push.downtime_hours == 0
    with pytest.raises(ValueError, match="unknown cause 'customer-environment'; known causes: "):
        month_availability(availability("nettsoft-vps-access"), 2026, 3, 40, [outage])


def test_measurement_starts_on_the_service_first_day() -> None:
    """004 §3.6: "Måling av tjenestenivå starter oppstartsdag 1." A service started on Mon
    16 Mar 2026 has 12 weekdays × 14 h + 2 Saturdays × 9 h = 186 h of core time in March;
    a 4 h outage then costs 182/186 = 97.85 % → 20 % (the full month would give 10 %)."""
    terms = replace(availability("nettsoft-vps-access"), service_start=date(2026, 3, 16))
    outage = Outage(at(2026, 3, 17, 9), at(2026, 3, 17, 13), 12)
    result = month_availability(terms, 2026, 3, 40, [outage])
    assert result.core_hours == 186
    assert result.uptime == Fraction(182, 186) * 100
    assert result.reduction_pct == 20


# ------------------------------------------------------------------ readings


def _check(contract: Contract, severity: Severity, received: datetime, responded: datetime):  # type: ignore[no-untyped-def]
    due = contract.deadline(severity, received).due
    return contract.check_readings(severity, received, due, responded, at(2026, 12, 1, 12))


def test_saturday_virkedag_makes_a_met_ticket_a_breach_for_the_customer() -> None:
    """004 §2.6: "innen 60 minutter alle virkedager (08-16)". Received Saturday 28 Mar 10:00,
    answered Monday 08:30: met on Monday–Friday (due Monday 09:00), a breach if Saturday is a
    virkedag (due Saturday 11:00)."""
    check = _check(
        CATALOG.get("nettsoft-mbn"),
        Severity.NON_CRITICAL,
        at(2026, 3, 28, 10),
        at(2026, 3, 30, 8, 30),
    )
    assert check.outcome is Outcome.MET
    assert check.breach_under and "Saturday is a virkedag" in check.breach_under[0]


def test_a_breach_on_both_readings_of_virkedag_is_solid() -> None:
    """Received Friday 27 Mar 15:30, answered Monday 08:45: due Monday 08:30 on Monday–Friday
    and Saturday 08:30 on Monday–Saturday: late on both, so the breach is solid."""
    check = _check(
        CATALOG.get("nettsoft-mbn"),
        Severity.CRITICAL,
        at(2026, 3, 27, 15, 30),
        at(2026, 3, 30, 8, 45),
    )
    assert check.outcome is Outcome.BREACHED and check.solid and check.status == "solid"


def test_pindena_breach_depends_on_its_responsibility() -> None:
    """003 §12: "Ved problemer som Pindena AS har ansvar for, skal Pindena AS respondere
    innen utgangen av neste arbeidsdag." Received Tue 10 Feb 10:00 → due Wed 16:00; answered
    Thu: a breach only if the problem is one Pindena is responsible for."""
    check = _check(
        CATALOG.get("pindena"), Severity.NON_CRITICAL, at(2026, 2, 10, 10), at(2026, 2, 12, 9)
    )
    assert check.status == "depends-on-reading"
    assert check.depends_on == ("the problem is one Pindena is responsible for",)


def test_tmpc_four_clock_hours_is_a_customer_alternative() -> None:
    """004 §3.13 3.6: non-critical faults "innen 4 timer" (without "innenfor kontortid",
    unlike §3.6). Received Friday 27 Mar 15:00 and answered Monday 08:30: met on the
    office-hours clock (due Monday 11:00), a breach on 4 clock hours (due Friday 19:00)."""
    check = _check(
        CATALOG.get("nettsoft-tmpc"),
        Severity.NON_CRITICAL,
        at(2026, 3, 27, 15),
        at(2026, 3, 30, 8, 30),
    )
    assert check.outcome is Outcome.MET
    assert check.breach_under and "4 clock hours" in check.breach_under[0]


# ------------------------------------------------------------------ liability caps


def test_liability_caps_are_catalog_data() -> None:
    """004 overarching §8.5 caps liability at the annual fee: MBN at 40 users is
    12 × (199 + 40 × 29) = 12 × 1359 = NOK 16,308. Mobile Worker §15: 12 monthly fees.
    Pindena: "Uansett omfang begrenses Pindena AS ansvar til kontraktsbeløpet" (amount not
    in the seed, so unknown)."""
    mbn = CATALOG.get("nettsoft-mbn").liability_cap
    assert mbn is not None and mbn.limit(Decimal(199) + 40 * Decimal(29)) == Decimal(16308)
    worker = CATALOG.get("mobile-worker").liability_cap
    assert worker is not None and worker.months == 12
    pindena = CATALOG.get("pindena").liability_cap
    assert pindena is not None and pindena.limit(None) is None
