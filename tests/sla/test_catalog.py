"""The contract catalog: the shipped file, TRIAGE_CATALOG, versioned terms, and rejections.

Broken catalogs are the shipped TOML with one line changed (``replace_once`` checks the
line is really there, so a test cannot pass because its edit silently did nothing), or a
few hand-written lines. Every rejection must name where (contract, calendar, ladder or
tier table) and what (the field), because a catalog that silently drops a term would
silently drop money.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.catalog import CatalogError, load_catalog, parse_catalog
from sla.calendar import Window
from sla.severity import Severity
from sla.targets import BusinessDuration, EndOfNextWorkingDay, Immediately, NoTarget

OSLO = ZoneInfo("Europe/Oslo")

CONTRACT_IDS = {
    "nettsoft-mbn",
    "nettsoft-unifon-bn",
    "nettsoft-server",
    "nettsoft-ms365-bedrift",
    "nettsoft-ms365-bruker",
    "nettsoft-teams",
    "nettsoft-network",
    "nettsoft-vps-access",
    "nettsoft-vps-terminal",
    "nettsoft-calendar-push",
    "nettsoft-tmpc",
    "pindena",
    "sensio-velferd",
    "mobile-worker",
}

SHIPPED = resources.files("config").joinpath("catalog.toml").read_text(encoding="utf-8")

MBN_TERMS_HEAD = '[[contracts.nettsoft-mbn.terms]]\nvalid_from = "2000-01-01"\n'
MBN_CRITICAL = 'response.critical = { target = "PT60M", source = "004 §2.6'
MBN_NON_CRITICAL_LINE = (
    'response.non-critical = { target = "PT60M", source = "004 §2.6: started troubleshooting '
    'within 60 minutes all working days (08-16)" }\n'
)
VPS_ACCESS_CRITICAL = (
    'response.critical = { target = "immediately", grace = "PT15M", ladder = "immediate", '
    'source = "004 §3.6 6.5'
)
OFFICE_MONDAY = 'hours = { mon = ["08:00-16:00"], tue'
OFFICE_TIMEZONE = 'timezone = "Europe/Oslo"\nholidays = "NO"          #'
TIER_95_96 = '{ from = "95", to = "96", reduction_pct = 40, reading'


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r} in the shipped catalog"
    return text.replace(old, new)


@pytest.fixture(autouse=True)
def _no_catalog_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIAGE_CATALOG", raising=False)


def tue(hour: int, minute: int = 0, day: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO)


# ------------------------------------------------------------------ the shipped catalog


def test_shipped_catalog_has_every_contract_of_contracts_md() -> None:
    catalog = load_catalog()
    assert set(catalog.contracts) >= CONTRACT_IDS
    assert catalog.origin == "shipped catalog"


@pytest.mark.parametrize("contract_id", sorted(CONTRACT_IDS))
def test_every_contract_has_a_rule_for_both_severities(contract_id: str) -> None:
    contract = load_catalog().get(contract_id)
    assert contract.terms
    for terms in contract.terms:
        assert set(terms.response) == {Severity.CRITICAL, Severity.NON_CRITICAL}
        assert all(rule.source for rule in terms.response.values())


EXPECTED_TARGETS = {
    # contract: (critical, non-critical) as in CONTRACTS.md
    "nettsoft-mbn": (BusinessDuration(timedelta(minutes=60)),) * 2,
    "nettsoft-unifon-bn": (BusinessDuration(timedelta(minutes=60)),) * 2,
    "nettsoft-server": (BusinessDuration(timedelta(hours=1)),) * 2,
    "nettsoft-ms365-bedrift": (BusinessDuration(timedelta(hours=2)),) * 2,
    "nettsoft-ms365-bruker": (BusinessDuration(timedelta(hours=4)),) * 2,
    "nettsoft-teams": (BusinessDuration(timedelta(hours=4)),) * 2,
    "nettsoft-network": (NoTarget(), NoTarget()),
    "nettsoft-vps-access": (
        Immediately(timedelta(minutes=15)),
        BusinessDuration(timedelta(hours=4)),
    ),
    "nettsoft-vps-terminal": (
        Immediately(timedelta(minutes=15)),
        BusinessDuration(timedelta(hours=4)),
    ),
    "nettsoft-calendar-push": (
        Immediately(timedelta(minutes=15)),
        BusinessDuration(timedelta(hours=4)),
    ),
    "nettsoft-tmpc": (Immediately(timedelta(minutes=15)), BusinessDuration(timedelta(hours=4))),
    "pindena": (EndOfNextWorkingDay(), EndOfNextWorkingDay()),
    "sensio-velferd": (NoTarget(), NoTarget()),
    "mobile-worker": (NoTarget(), NoTarget()),
}


@pytest.mark.parametrize("contract_id", sorted(EXPECTED_TARGETS))
def test_shipped_targets_are_the_ones_in_contracts_md(contract_id: str) -> None:
    terms = load_catalog().get(contract_id).terms_at(tue(10))
    critical, non_critical = EXPECTED_TARGETS[contract_id]
    assert terms.response[Severity.CRITICAL].target == critical
    assert terms.response[Severity.NON_CRITICAL].target == non_critical


def test_office_hours_calendar_is_weekdays_08_to_16_in_oslo_with_norwegian_holidays() -> None:
    calendar = load_catalog().calendars["office-hours"]
    assert calendar.timezone == "Europe/Oslo"
    assert calendar.holiday_country == "NO"
    assert calendar.week == ((Window(8 * 3600, 16 * 3600),),) * 5 + ((), ())


def test_penalty_terms_of_mbn_and_bn() -> None:
    for contract_id in ("nettsoft-mbn", "nettsoft-unifon-bn"):
        terms = load_catalog().get(contract_id).terms_at(tue(10))
        assert terms.fee is not None and terms.penalty is not None
        assert (str(terms.fee.base_monthly), str(terms.fee.per_user_monthly)) == ("199.00", "29.00")
        assert terms.fee.billing_months == 3
        assert terms.penalty.deduction_pct == 50
        assert terms.penalty.periods_later == 1
        assert terms.penalty.claim_limit_months == 12


# ------------------------------------------------------------------ TRIAGE_CATALOG

SMALL_CATALOG = """
catalog_version = 1

[calendars.office]
timezone = "Europe/Oslo"
holidays = "NO"
hours = { mon = ["08:00-16:00"], tue = ["08:00-16:00"], wed = ["08:00-16:00"], thu = ["08:00-16:00"], fri = ["08:00-16:00"] }

[contracts.acme]
vendor = "Acme"
service = "Widgets"
source = "test"

[[contracts.acme.terms]]
valid_from = "2000-01-01"
calendar = "office"
response.critical = { target = "PT45M", source = "test" }
response.non-critical = { target = "PT3H", source = "test" }
"""


def test_triage_catalog_replaces_the_shipped_catalog(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "own.toml"
    path.write_text(SMALL_CATALOG, encoding="utf-8")
    monkeypatch.setenv("TRIAGE_CATALOG", str(path))
    catalog = load_catalog()
    assert set(catalog.contracts) == {"acme"}  # replaced, not merged
    assert catalog.origin == str(path)
    deadline = catalog.get("acme").deadline(Severity.CRITICAL, tue(15, 30))
    assert deadline.due == tue(8, 15, day=11)  # 30 min Tuesday + 15 min Wednesday
    deadline = catalog.get("acme").deadline(Severity.NON_CRITICAL, tue(15, 30))
    assert deadline.due == tue(10, 30, day=11)


def test_triage_catalog_edit_of_shipped_copy_changes_mbn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(replace_once(SHIPPED, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "PT20M")))
    monkeypatch.setenv("TRIAGE_CATALOG", str(path))
    mbn = load_catalog().get("nettsoft-mbn")
    assert mbn.deadline(Severity.CRITICAL, tue(9)).due == tue(9, 20)
    assert mbn.deadline(Severity.NON_CRITICAL, tue(9)).due == tue(10)


def test_triage_catalog_that_does_not_exist_is_an_error_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv("TRIAGE_CATALOG", str(missing))
    with pytest.raises(CatalogError, match=r"nope\.toml"):
        load_catalog()


def test_unset_or_empty_triage_catalog_means_the_shipped_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_CATALOG", "")
    assert set(load_catalog().contracts) >= CONTRACT_IDS


# ------------------------------------------------------------------ versioned terms

MBN_FROM_JULY = """
[[contracts.nettsoft-mbn.terms]]
valid_from = "2026-07-01"
calendar = "office-hours"
ladder = "standard"
response.critical = { target = "PT30M", source = "amended agreement" }
response.non-critical = { target = "PT30M", source = "amended agreement" }
fee = { base_monthly = "199.00", per_user_monthly = "29.00", billing_months = 3, active_users = 40 }
penalty = { deduction_pct = "50", stacking = "once-per-period", periods_later = 1, claim_limit_months = 12, source = "amended" }
"""


@pytest.fixture
def versioned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    path = tmp_path / "versioned.toml"
    path.write_text(SHIPPED + MBN_FROM_JULY, encoding="utf-8")
    monkeypatch.setenv("TRIAGE_CATALOG", str(path))
    return load_catalog().get("nettsoft-mbn")


def test_june_ticket_is_judged_by_60_minutes(versioned) -> None:
    deadline = versioned.deadline(Severity.NON_CRITICAL, tue(9, day=30, month=6))
    assert deadline.due == tue(10, day=30, month=6)


def test_july_ticket_is_judged_by_30_minutes(versioned) -> None:
    deadline = versioned.deadline(Severity.NON_CRITICAL, tue(9, day=7, month=7))
    assert deadline.due == tue(9, 30, day=7, month=7)


def test_terms_follow_the_local_date_not_the_utc_date(versioned) -> None:
    # 2026-06-30 22:30 UTC is 2026-07-01 00:30 in Oslo: the July terms apply
    received = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    deadline = versioned.deadline(Severity.CRITICAL, received)
    assert deadline.clock_starts == tue(8, day=1, month=7)
    assert deadline.due == tue(8, 30, day=1, month=7)
    # and 21:30 UTC is still 30 June 23:30 in Oslo: the June terms
    received = datetime(2026, 6, 30, 21, 30, tzinfo=UTC)
    assert versioned.deadline(Severity.CRITICAL, received).due == tue(9, day=1, month=7)


def test_a_june_ticket_keeps_its_terms_when_the_deadline_falls_in_july(versioned) -> None:
    # Tuesday 30 June 15:30 with 60 minutes: 30 min on the 30th, 30 min on 1 July
    deadline = versioned.deadline(Severity.NON_CRITICAL, tue(15, 30, day=30, month=6))
    assert deadline.due == tue(8, 30, day=1, month=7)


def test_terms_must_be_in_ascending_order() -> None:
    text = (
        replace_once(
            SHIPPED,
            MBN_TERMS_HEAD,
            '[[contracts.nettsoft-mbn.terms]]\nvalid_from = "2030-01-01"\n',
        )
        + MBN_FROM_JULY
    )
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)
    message = str(caught.value)
    assert "nettsoft-mbn" in message
    assert "valid_from" in message


# ------------------------------------------------------------------ rejections

DURATION_TARGET = "terms[0].response.critical.target"

REJECTIONS = [
    pytest.param(
        lambda t: "bogus_setting = 1\n" + t,
        ["bogus_setting", "Unknown field"],
        id="unknown-key-at-top-level",
    ),
    pytest.param(
        lambda t: replace_once(
            t,
            'service = "Telenor Mobilt Bedriftsnett (MBN) support"\n',
            'service = "Telenor Mobilt Bedriftsnett (MBN) support"\ncolour = "red"\n',
        ),
        ["contract 'nettsoft-mbn'", "colour", "Unknown field"],
        id="unknown-key-in-contract",
    ),
    pytest.param(
        lambda t: replace_once(t, MBN_TERMS_HEAD, MBN_TERMS_HEAD + 'respnse_target = "PT30M"\n'),
        ["contract 'nettsoft-mbn'", "terms", "respnse_target", "Unknown field"],
        id="unknown-key-in-terms",
    ),
    pytest.param(
        lambda t: replace_once(
            t,
            VPS_ACCESS_CRITICAL,
            VPS_ACCESS_CRITICAL.replace('grace = "PT15M"', 'grace = "PT15M", gracee = "x"'),
        ),
        ["contract 'nettsoft-vps-access'", "response.critical", "gracee"],
        id="unknown-key-in-a-response-rule",
    ),
    pytest.param(
        lambda t: replace_once(
            t, OFFICE_MONDAY, OFFICE_MONDAY.replace('"08:00-16:00"', '"08:00-12:00", "11:30-16:00"')
        ),
        ["calendar 'office-hours'", "mon", "overlap"],
        id="overlapping-windows",
    ),
    pytest.param(
        lambda t: replace_once(
            t, OFFICE_MONDAY, OFFICE_MONDAY.replace('"08:00-16:00"', '"08:00-25:00"')
        ),
        ["calendar 'office-hours'", "mon", "08:00-25:00"],
        id="window-past-midnight",
    ),
    pytest.param(
        lambda t: replace_once(t, OFFICE_MONDAY, OFFICE_MONDAY.replace("mon =", "mnd =")),
        ["calendar 'office-hours'", "hours", "mnd"],
        id="unknown-weekday",
    ),
    pytest.param(
        lambda t: replace_once(t, TIER_95_96, TIER_95_96.replace('from = "95"', 'from = "95.5"')),
        ["credit tier table 'nettsoft-hosted'", "tiers", "uncovered", "95.5"],
        id="credit-tiers-with-a-gap",
    ),
    pytest.param(
        lambda t: replace_once(t, TIER_95_96, TIER_95_96.replace('from = "95"', 'from = "94"')),
        ["credit tier table 'nettsoft-hosted'", "tiers", "overlap"],
        id="overlapping-credit-tiers",
    ),
    pytest.param(
        lambda t: replace_once(t, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "-PT60M")),
        ["contract 'nettsoft-mbn'", DURATION_TARGET, "-PT60M"],
        id="negative-duration-target",
    ),
    pytest.param(
        lambda t: replace_once(
            t, VPS_ACCESS_CRITICAL, VPS_ACCESS_CRITICAL.replace("PT15M", "-PT15M")
        ),
        ["contract 'nettsoft-vps-access'", "response.critical.grace", "negative"],
        id="negative-grace",
    ),
    pytest.param(
        lambda t: replace_once(t, 'after_due = "PT30M"', 'after_due = "-PT30M"'),
        ["ladder 'standard'", "after_due", "negative"],
        id="negative-ladder-delay",
    ),
    pytest.param(
        lambda t: replace_once(t, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "PT0M")),
        ["contract 'nettsoft-mbn'", DURATION_TARGET, "positive"],
        id="zero-duration-target",
    ),
    pytest.param(
        lambda t: replace_once(
            t, VPS_ACCESS_CRITICAL, VPS_ACCESS_CRITICAL.replace("PT15M", "PT0S")
        ),
        ["contract 'nettsoft-vps-access'", "response.critical.grace", "positive"],
        id="zero-grace",
    ),
    pytest.param(
        lambda t: replace_once(t, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "P1M")),
        ["contract 'nettsoft-mbn'", DURATION_TARGET, "P1M"],
        id="month-duration-refused",
    ),
    pytest.param(
        lambda t: replace_once(t, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "asap")),
        ["contract 'nettsoft-mbn'", DURATION_TARGET, "asap"],
        id="unknown-target-kind",
    ),
    pytest.param(
        lambda t: replace_once(
            t, OFFICE_TIMEZONE, OFFICE_TIMEZONE.replace("Europe/Oslo", "Europe/Olso")
        ),
        ["calendar 'office-hours'", "time zone", "Europe/Olso"],
        id="unknown-time-zone",
    ),
    pytest.param(
        lambda t: replace_once(t, OFFICE_TIMEZONE, OFFICE_TIMEZONE.replace('"NO"', '"XX"')),
        ["calendar 'office-hours'", "holiday", "XX"],
        id="unknown-holiday-country",
    ),
    pytest.param(
        lambda t: replace_once(
            t,
            MBN_TERMS_HEAD + 'calendar = "office-hours"',
            MBN_TERMS_HEAD + 'calendar = "office-hourz"',
        ),
        ["contract 'nettsoft-mbn'", "terms[0].calendar", "office-hourz"],
        id="unknown-calendar-reference",
    ),
    pytest.param(
        lambda t: replace_once(
            t,
            MBN_TERMS_HEAD + 'calendar = "office-hours"\nladder = "standard"',
            MBN_TERMS_HEAD + 'calendar = "office-hours"\nladder = "standart"',
        ),
        ["contract 'nettsoft-mbn'", "terms[0].ladder", "standart"],
        id="unknown-ladder-reference",
    ),
    pytest.param(
        lambda t: replace_once(t, MBN_NON_CRITICAL_LINE, ""),
        ["contract 'nettsoft-mbn'", "terms[0].response", "non-critical"],
        id="missing-severity-rule",
    ),
    pytest.param(
        lambda t: replace_once(
            t, MBN_CRITICAL, MBN_CRITICAL.replace("response.critical", "response.urgent")
        ),
        ["contract 'nettsoft-mbn'", "response", "urgent"],
        id="unknown-severity-rule",
    ),
    pytest.param(
        lambda t: replace_once(
            t, VPS_ACCESS_CRITICAL, VPS_ACCESS_CRITICAL.replace('grace = "PT15M", ', "")
        ),
        ["contract 'nettsoft-vps-access'", "response.critical.grace", "immediately"],
        id="immediately-without-grace",
    ),
    pytest.param(
        lambda t: replace_once(
            t, MBN_CRITICAL, MBN_CRITICAL.replace('"PT60M",', '"PT60M", grace = "PT15M",')
        ),
        ["contract 'nettsoft-mbn'", "response.critical.grace"],
        id="grace-on-a-duration-target",
    ),
    # issue 15: money and counts have ranges and precision at every entry
    pytest.param(
        lambda t: t.replace('base_monthly = "199.00"', 'base_monthly = "1e999999"', 1),
        ["contract 'nettsoft-mbn'", "base_monthly", "1,000,000,000"],
        id="fee-beyond-range",
    ),
    pytest.param(
        lambda t: t.replace('per_user_monthly = "29.00"', 'per_user_monthly = "29.001"', 1),
        ["contract 'nettsoft-mbn'", "per_user_monthly", "2 decimals"],
        id="fee-below-an-ore",
    ),
    pytest.param(
        lambda t: t.replace("active_users = 40", "active_users = 100000000000", 1),
        ["contract 'nettsoft-mbn'", "active_users"],
        id="users-beyond-range",
    ),
    pytest.param(
        lambda t: t + "\n[contracts.broken\nvendor = 1\n",
        ["not valid TOML", "line"],
        id="invalid-toml",
    ),
]


@pytest.mark.parametrize(("mutate", "fragments"), REJECTIONS)
def test_broken_catalog_is_rejected_naming_where_and_what(mutate, fragments: list[str]) -> None:
    text = mutate(SHIPPED)
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "edited.toml")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_rejection_through_triage_catalog_is_a_catalog_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(replace_once(SHIPPED, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "PT0M")))
    monkeypatch.setenv("TRIAGE_CATALOG", str(path))
    with pytest.raises(CatalogError, match=r"nettsoft-mbn.*target"):
        load_catalog()


def test_bug_out_of_range_duration_is_a_catalog_error_not_a_crash() -> None:
    """KNOWN BUG (reported): ``parse_duration`` lets ``OverflowError`` from ``timedelta``
    escape, so a catalog with an absurd duration crashes the load (and the CLI prints a
    traceback) instead of a ``CatalogError`` naming the contract and field.
    Proposed fix: catch ``OverflowError`` in ``parse_duration`` and raise
    ``ValueError(f"duration {text!r} is too large")`` (or add it to ``_field``'s tuple)."""
    text = replace_once(SHIPPED, MBN_CRITICAL, MBN_CRITICAL.replace("PT60M", "P9999999999D"))
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "edited.toml")
    assert "nettsoft-mbn" in str(caught.value)
    assert DURATION_TARGET in str(caught.value)


def test_small_hand_written_catalog_without_both_severities_is_rejected() -> None:
    text = SMALL_CATALOG.replace(
        'response.non-critical = { target = "PT3H", source = "test" }\n', ""
    )
    with pytest.raises(CatalogError, match=r"contract 'acme'.*non-critical"):
        parse_catalog(text)


def test_missing_required_contract_field_is_named() -> None:
    text = SMALL_CATALOG.replace('vendor = "Acme"\n', "")
    with pytest.raises(CatalogError, match=r"contract 'acme'.*vendor"):
        parse_catalog(text)
