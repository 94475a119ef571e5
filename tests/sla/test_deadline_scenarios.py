"""Deadline scenarios on the shipped catalog, every expected instant worked out by hand.

The rules (shared/CONTRACTS.md): duration targets run in office hours, Monday-Friday
08:00-16:00 Europe/Oslo on working days (Norwegian public holidays closed; 24 and 31
December are working days); a ticket received outside a window starts its clock when the
next window opens. Pindena: end (16:00) of the first working day strictly after the local
date of receipt. "Immediately": due after the grace (15 minutes) of real time, any hour.

Calendar facts used below (checked against a wall calendar, not the code):
2026-03-10 Tue, 2026-03-13 Fri, 2026-03-14 Sat; summer time starts 2026-03-29 (Sun) and
ends 2026-10-25 (Sun); 2027 summer time starts 2027-03-28. Easter 2026: Apr 2, 3, 6;
Ascension 2026-05-14; Whit Monday 2026-05-25; Easter 2027: Mar 25, 26, 29; Ascension
2027-05-06; 17 May 2027 is also Whit Monday. 2026-05-01 Fri, 2026-05-17 Sun,
2027-05-01 Sat, 2027-05-17 Mon, 2026-12-24 Thu, 2026-12-31 Thu, 2027-01-01 Fri.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config.catalog import Catalog, load_catalog
from sla.explain import explain_deadline
from sla.instants import parse_instant
from sla.severity import Severity

OSLO = ZoneInfo("Europe/Oslo")
BOTH = (Severity.CRITICAL, Severity.NON_CRITICAL)


@pytest.fixture(scope="module")
def catalog(monkeypatch_module: pytest.MonkeyPatch) -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def monkeypatch_module():
    """The shipped catalog, whatever TRIAGE_CATALOG the environment running the tests has."""
    patch = pytest.MonkeyPatch()
    patch.delenv("TRIAGE_CATALOG", raising=False)
    yield patch
    patch.undo()


def received_at(text: str) -> datetime:
    """As the CLI reads it: no offset means Europe/Oslo wall-clock time."""
    return parse_instant(text, OSLO)


def assert_instant(actual: datetime | None, expected: str) -> None:
    """Same instant, printed in Europe/Oslo with the offset written in ``expected``."""
    assert actual is not None
    # Compared in UTC: Python never finds a time in the repeated autumn hour equal (==) to
    # the same instant in another zone (PEP 495), so == across zones would be unreliable.
    assert same_instant(actual, datetime.fromisoformat(expected)), (
        f"{actual.isoformat()} != {expected}"
    )
    assert actual.astimezone(OSLO).isoformat() == expected


def same_instant(first: datetime, second: datetime) -> bool:
    return first.astimezone(UTC) == second.astimezone(UTC)


# ------------------------------------------------------------------ duration targets
#
# One row per situation; the clock start is the same for every budget, the deadline is
# written for a 60-minute, a 2-hour and a 4-hour budget.
# (id, received, clock_starts, due with 60 min, due with 2 h, due with 4 h)

DURATION_SCENARIOS = [
    # --- ordinary days (Tue 2026-03-10, winter time +01:00)
    (
        "inside-window-tue-0900",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T11:00:00+01:00",
        "2026-03-10T13:00:00+01:00",
    ),
    (
        "before-opening-tue-0630",
        "2026-03-10T06:30:00+01:00",
        "2026-03-10T08:00:00+01:00",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T12:00:00+01:00",
    ),
    (
        "one-microsecond-before-opening",
        "2026-03-10T07:59:59.999999+01:00",
        "2026-03-10T08:00:00+01:00",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T12:00:00+01:00",
    ),
    (
        "exactly-at-opening-0800",
        "2026-03-10T08:00:00+01:00",
        "2026-03-10T08:00:00+01:00",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T12:00:00+01:00",
    ),
    (
        "tue-1200-4h-ends-exactly-at-closing",
        "2026-03-10T12:00:00+01:00",
        "2026-03-10T12:00:00+01:00",
        "2026-03-10T13:00:00+01:00",
        "2026-03-10T14:00:00+01:00",
        "2026-03-10T16:00:00+01:00",
    ),
    (
        "tue-1300-4h-spills-to-wed",
        "2026-03-10T13:00:00+01:00",
        "2026-03-10T13:00:00+01:00",
        "2026-03-10T14:00:00+01:00",
        "2026-03-10T15:00:00+01:00",
        "2026-03-11T09:00:00+01:00",
    ),
    (
        "tue-1400-2h-ends-exactly-at-closing",
        "2026-03-10T14:00:00+01:00",
        "2026-03-10T14:00:00+01:00",
        "2026-03-10T15:00:00+01:00",
        "2026-03-10T16:00:00+01:00",
        "2026-03-11T10:00:00+01:00",
    ),
    (
        "tue-1500-60m-ends-exactly-at-closing",
        "2026-03-10T15:00:00+01:00",
        "2026-03-10T15:00:00+01:00",
        "2026-03-10T16:00:00+01:00",
        "2026-03-11T09:00:00+01:00",
        "2026-03-11T11:00:00+01:00",
    ),
    (
        "spill-over-closing-tue-1530",
        "2026-03-10T15:30:00+01:00",
        "2026-03-10T15:30:00+01:00",
        "2026-03-11T08:30:00+01:00",
        "2026-03-11T09:30:00+01:00",
        "2026-03-11T11:30:00+01:00",
    ),
    (
        "exactly-at-closing-1600-next-day",
        "2026-03-10T16:00:00+01:00",
        "2026-03-11T08:00:00+01:00",
        "2026-03-11T09:00:00+01:00",
        "2026-03-11T10:00:00+01:00",
        "2026-03-11T12:00:00+01:00",
    ),
    (
        "evening-tue-2200",
        "2026-03-10T22:00:00+01:00",
        "2026-03-11T08:00:00+01:00",
        "2026-03-11T09:00:00+01:00",
        "2026-03-11T10:00:00+01:00",
        "2026-03-11T12:00:00+01:00",
    ),
    # --- weekends
    (
        "friday-1530-to-monday",
        "2026-03-13T15:30:00+01:00",
        "2026-03-13T15:30:00+01:00",
        "2026-03-16T08:30:00+01:00",
        "2026-03-16T09:30:00+01:00",
        "2026-03-16T11:30:00+01:00",
    ),
    (
        "friday-1700-to-monday",
        "2026-03-13T17:00:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-16T09:00:00+01:00",
        "2026-03-16T10:00:00+01:00",
        "2026-03-16T12:00:00+01:00",
    ),
    (
        "saturday-1000-to-monday",
        "2026-03-14T10:00:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-16T09:00:00+01:00",
        "2026-03-16T10:00:00+01:00",
        "2026-03-16T12:00:00+01:00",
    ),
    (
        "sunday-2359-to-monday",
        "2026-03-15T23:59:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-16T09:00:00+01:00",
        "2026-03-16T10:00:00+01:00",
        "2026-03-16T12:00:00+01:00",
    ),
    # --- Easter 2026 (Apr 2, 3, 6 closed), summer time +02:00
    (
        "wed-before-easter-2026-1530",
        "2026-04-01T15:30:00+02:00",
        "2026-04-01T15:30:00+02:00",
        "2026-04-07T08:30:00+02:00",
        "2026-04-07T09:30:00+02:00",
        "2026-04-07T11:30:00+02:00",
    ),
    (
        "maundy-thursday-2026",
        "2026-04-02T10:00:00+02:00",
        "2026-04-07T08:00:00+02:00",
        "2026-04-07T09:00:00+02:00",
        "2026-04-07T10:00:00+02:00",
        "2026-04-07T12:00:00+02:00",
    ),
    (
        "good-friday-2026",
        "2026-04-03T10:00:00+02:00",
        "2026-04-07T08:00:00+02:00",
        "2026-04-07T09:00:00+02:00",
        "2026-04-07T10:00:00+02:00",
        "2026-04-07T12:00:00+02:00",
    ),
    (
        "easter-monday-2026",
        "2026-04-06T10:00:00+02:00",
        "2026-04-07T08:00:00+02:00",
        "2026-04-07T09:00:00+02:00",
        "2026-04-07T10:00:00+02:00",
        "2026-04-07T12:00:00+02:00",
    ),
    # --- Ascension and Whit Monday 2026
    (
        "ascension-2026",
        "2026-05-14T10:00:00+02:00",
        "2026-05-15T08:00:00+02:00",
        "2026-05-15T09:00:00+02:00",
        "2026-05-15T10:00:00+02:00",
        "2026-05-15T12:00:00+02:00",
    ),
    (
        "wed-before-ascension-2026-1530",
        "2026-05-13T15:30:00+02:00",
        "2026-05-13T15:30:00+02:00",
        "2026-05-15T08:30:00+02:00",
        "2026-05-15T09:30:00+02:00",
        "2026-05-15T11:30:00+02:00",
    ),
    (
        "whit-monday-2026",
        "2026-05-25T10:00:00+02:00",
        "2026-05-26T08:00:00+02:00",
        "2026-05-26T09:00:00+02:00",
        "2026-05-26T10:00:00+02:00",
        "2026-05-26T12:00:00+02:00",
    ),
    (
        "friday-before-whit-monday-2026-1530",
        "2026-05-22T15:30:00+02:00",
        "2026-05-22T15:30:00+02:00",
        "2026-05-26T08:30:00+02:00",
        "2026-05-26T09:30:00+02:00",
        "2026-05-26T11:30:00+02:00",
    ),
    # --- 1 May and 17 May on weekdays and weekends
    (
        "may-1-friday-2026",
        "2026-05-01T10:00:00+02:00",
        "2026-05-04T08:00:00+02:00",
        "2026-05-04T09:00:00+02:00",
        "2026-05-04T10:00:00+02:00",
        "2026-05-04T12:00:00+02:00",
    ),
    (
        "thursday-before-may-1-2026-1530",
        "2026-04-30T15:30:00+02:00",
        "2026-04-30T15:30:00+02:00",
        "2026-05-04T08:30:00+02:00",
        "2026-05-04T09:30:00+02:00",
        "2026-05-04T11:30:00+02:00",
    ),
    (
        "may-17-sunday-2026",
        "2026-05-17T10:00:00+02:00",
        "2026-05-18T08:00:00+02:00",
        "2026-05-18T09:00:00+02:00",
        "2026-05-18T10:00:00+02:00",
        "2026-05-18T12:00:00+02:00",
    ),
    (
        "friday-before-may-17-sunday-2026-no-substitute-day",
        "2026-05-15T15:30:00+02:00",
        "2026-05-15T15:30:00+02:00",
        "2026-05-18T08:30:00+02:00",
        "2026-05-18T09:30:00+02:00",
        "2026-05-18T11:30:00+02:00",
    ),
    (
        "may-1-saturday-2027",
        "2027-05-01T10:00:00+02:00",
        "2027-05-03T08:00:00+02:00",
        "2027-05-03T09:00:00+02:00",
        "2027-05-03T10:00:00+02:00",
        "2027-05-03T12:00:00+02:00",
    ),
    (
        "friday-before-may-1-saturday-2027-1530-no-substitute-day",
        "2027-04-30T15:30:00+02:00",
        "2027-04-30T15:30:00+02:00",
        "2027-05-03T08:30:00+02:00",
        "2027-05-03T09:30:00+02:00",
        "2027-05-03T11:30:00+02:00",
    ),
    (
        "may-17-whit-monday-2027",
        "2027-05-17T10:00:00+02:00",
        "2027-05-18T08:00:00+02:00",
        "2027-05-18T09:00:00+02:00",
        "2027-05-18T10:00:00+02:00",
        "2027-05-18T12:00:00+02:00",
    ),
    (
        "friday-before-may-17-2027-1530",
        "2027-05-14T15:30:00+02:00",
        "2027-05-14T15:30:00+02:00",
        "2027-05-18T08:30:00+02:00",
        "2027-05-18T09:30:00+02:00",
        "2027-05-18T11:30:00+02:00",
    ),
    # --- Easter and Ascension 2027 (Mar 25, 26, 29 closed; summer time from Mar 28)
    (
        "wed-before-easter-2027-1530-across-dst",
        "2027-03-24T15:30:00+01:00",
        "2027-03-24T15:30:00+01:00",
        "2027-03-30T08:30:00+02:00",
        "2027-03-30T09:30:00+02:00",
        "2027-03-30T11:30:00+02:00",
    ),
    (
        "maundy-thursday-2027",
        "2027-03-25T10:00:00+01:00",
        "2027-03-30T08:00:00+02:00",
        "2027-03-30T09:00:00+02:00",
        "2027-03-30T10:00:00+02:00",
        "2027-03-30T12:00:00+02:00",
    ),
    (
        "good-friday-2027",
        "2027-03-26T10:00:00+01:00",
        "2027-03-30T08:00:00+02:00",
        "2027-03-30T09:00:00+02:00",
        "2027-03-30T10:00:00+02:00",
        "2027-03-30T12:00:00+02:00",
    ),
    (
        "easter-monday-2027",
        "2027-03-29T10:00:00+02:00",
        "2027-03-30T08:00:00+02:00",
        "2027-03-30T09:00:00+02:00",
        "2027-03-30T10:00:00+02:00",
        "2027-03-30T12:00:00+02:00",
    ),
    (
        "ascension-2027",
        "2027-05-06T10:00:00+02:00",
        "2027-05-07T08:00:00+02:00",
        "2027-05-07T09:00:00+02:00",
        "2027-05-07T10:00:00+02:00",
        "2027-05-07T12:00:00+02:00",
    ),
    # --- Christmas and New Year: 24 and 31 December are working days
    (
        "dec-23-2026-1530-to-christmas-eve",
        "2026-12-23T15:30:00+01:00",
        "2026-12-23T15:30:00+01:00",
        "2026-12-24T08:30:00+01:00",
        "2026-12-24T09:30:00+01:00",
        "2026-12-24T11:30:00+01:00",
    ),
    (
        "christmas-eve-2026-is-a-working-day",
        "2026-12-24T10:00:00+01:00",
        "2026-12-24T10:00:00+01:00",
        "2026-12-24T11:00:00+01:00",
        "2026-12-24T12:00:00+01:00",
        "2026-12-24T14:00:00+01:00",
    ),
    (
        "christmas-eve-2026-1530-to-dec-28",
        "2026-12-24T15:30:00+01:00",
        "2026-12-24T15:30:00+01:00",
        "2026-12-28T08:30:00+01:00",
        "2026-12-28T09:30:00+01:00",
        "2026-12-28T11:30:00+01:00",
    ),
    (
        "new-years-eve-2026-is-a-working-day",
        "2026-12-31T10:00:00+01:00",
        "2026-12-31T10:00:00+01:00",
        "2026-12-31T11:00:00+01:00",
        "2026-12-31T12:00:00+01:00",
        "2026-12-31T14:00:00+01:00",
    ),
    (
        "new-years-eve-2026-1530-to-jan-4",
        "2026-12-31T15:30:00+01:00",
        "2026-12-31T15:30:00+01:00",
        "2027-01-04T08:30:00+01:00",
        "2027-01-04T09:30:00+01:00",
        "2027-01-04T11:30:00+01:00",
    ),
    (
        "new-years-day-2027-friday",
        "2027-01-01T10:00:00+01:00",
        "2027-01-04T08:00:00+01:00",
        "2027-01-04T09:00:00+01:00",
        "2027-01-04T10:00:00+01:00",
        "2027-01-04T12:00:00+01:00",
    ),
    # --- daylight saving: spring 2026-03-29, autumn 2026-10-25
    (
        "friday-1530-before-spring-dst",
        "2026-03-27T15:30:00+01:00",
        "2026-03-27T15:30:00+01:00",
        "2026-03-30T08:30:00+02:00",
        "2026-03-30T09:30:00+02:00",
        "2026-03-30T11:30:00+02:00",
    ),
    (
        "spring-dst-sunday-0130-before-the-jump",
        "2026-03-29T01:30:00+01:00",
        "2026-03-30T08:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
        "2026-03-30T10:00:00+02:00",
        "2026-03-30T12:00:00+02:00",
    ),
    (
        "spring-dst-sunday-1000",
        "2026-03-29T10:00:00+02:00",
        "2026-03-30T08:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
        "2026-03-30T10:00:00+02:00",
        "2026-03-30T12:00:00+02:00",
    ),
    (
        "friday-1530-before-autumn-dst",
        "2026-10-23T15:30:00+02:00",
        "2026-10-23T15:30:00+02:00",
        "2026-10-26T08:30:00+01:00",
        "2026-10-26T09:30:00+01:00",
        "2026-10-26T11:30:00+01:00",
    ),
    (
        "autumn-dst-sunday-0230-first-occurrence",
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T08:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-26T10:00:00+01:00",
        "2026-10-26T12:00:00+01:00",
    ),
    (
        "autumn-dst-sunday-0230-second-occurrence",
        "2026-10-25T02:30:00+01:00",
        "2026-10-26T08:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-26T10:00:00+01:00",
        "2026-10-26T12:00:00+01:00",
    ),
    (
        "autumn-dst-sunday-local-without-offset",
        "2026-10-25T14:00:00",
        "2026-10-26T08:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-26T10:00:00+01:00",
        "2026-10-26T12:00:00+01:00",
    ),
    # --- how the timestamp is written
    (
        "utc-z-inside-window",
        "2026-03-10T08:00:00Z",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T11:00:00+01:00",
        "2026-03-10T13:00:00+01:00",
    ),
    (
        "utc-plus-0000-inside-window",
        "2026-03-10T08:00:00+00:00",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T11:00:00+01:00",
        "2026-03-10T13:00:00+01:00",
    ),
    (
        "utc-0730-is-0830-local-inside-window",
        "2026-03-10T07:30:00Z",
        "2026-03-10T08:30:00+01:00",
        "2026-03-10T09:30:00+01:00",
        "2026-03-10T10:30:00+01:00",
        "2026-03-10T12:30:00+01:00",
    ),
    (
        "utc-z-summer-is-opening-time",
        "2026-06-09T06:00:00Z",
        "2026-06-09T08:00:00+02:00",
        "2026-06-09T09:00:00+02:00",
        "2026-06-09T10:00:00+02:00",
        "2026-06-09T12:00:00+02:00",
    ),
    (
        "utc-thursday-night-is-friday-local",
        "2026-03-12T23:30:00Z",
        "2026-03-13T08:00:00+01:00",
        "2026-03-13T09:00:00+01:00",
        "2026-03-13T10:00:00+01:00",
        "2026-03-13T12:00:00+01:00",
    ),
    (
        "utc-friday-1430-is-1530-local",
        "2026-03-13T14:30:00+00:00",
        "2026-03-13T15:30:00+01:00",
        "2026-03-16T08:30:00+01:00",
        "2026-03-16T09:30:00+01:00",
        "2026-03-16T11:30:00+01:00",
    ),
    (
        "local-without-offset-winter",
        "2026-03-10T09:00:00",
        "2026-03-10T09:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T11:00:00+01:00",
        "2026-03-10T13:00:00+01:00",
    ),
    (
        "local-without-offset-summer-1530",
        "2026-06-09T15:30:00",
        "2026-06-09T15:30:00+02:00",
        "2026-06-10T08:30:00+02:00",
        "2026-06-10T09:30:00+02:00",
        "2026-06-10T11:30:00+02:00",
    ),
    (
        "foreign-offset-plus-0530",
        "2026-03-10T14:30:00+05:30",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T11:00:00+01:00",
        "2026-03-10T12:00:00+01:00",
        "2026-03-10T14:00:00+01:00",
    ),
    # --- microseconds are kept
    (
        "microseconds-inside-window",
        "2026-03-10T09:00:00.123456+01:00",
        "2026-03-10T09:00:00.123456+01:00",
        "2026-03-10T10:00:00.123456+01:00",
        "2026-03-10T11:00:00.123456+01:00",
        "2026-03-10T13:00:00.123456+01:00",
    ),
    (
        "microseconds-one-left-before-closing",
        "2026-03-10T15:59:59.999999+01:00",
        "2026-03-10T15:59:59.999999+01:00",
        "2026-03-11T08:59:59.999999+01:00",
        "2026-03-11T09:59:59.999999+01:00",
        "2026-03-11T11:59:59.999999+01:00",
    ),
    (
        "microseconds-across-weekend-and-dst",
        "2026-03-27T15:30:00.000001+01:00",
        "2026-03-27T15:30:00.000001+01:00",
        "2026-03-30T08:30:00.000001+02:00",
        "2026-03-30T09:30:00.000001+02:00",
        "2026-03-30T11:30:00.000001+02:00",
    ),
    (
        "microseconds-utc-half-second",
        "2026-06-09T07:15:30.5Z",
        "2026-06-09T09:15:30.500000+02:00",
        "2026-06-09T10:15:30.500000+02:00",
        "2026-06-09T11:15:30.500000+02:00",
        "2026-06-09T13:15:30.500000+02:00",
    ),
]

# Which contracts and severities have which budget (CONTRACTS.md §1, §2 "Response").
DURATION_CONTRACTS = [
    ("nettsoft-mbn", BOTH, 60),
    ("nettsoft-unifon-bn", BOTH, 60),
    ("nettsoft-server", BOTH, 60),
    ("nettsoft-ms365-bedrift", BOTH, 120),
    ("nettsoft-ms365-bruker", BOTH, 240),
    ("nettsoft-teams", BOTH, 240),
    ("nettsoft-vps-access", (Severity.NON_CRITICAL,), 240),
    ("nettsoft-vps-terminal", (Severity.NON_CRITICAL,), 240),
    ("nettsoft-calendar-push", (Severity.NON_CRITICAL,), 240),
    ("nettsoft-tmpc", (Severity.NON_CRITICAL,), 240),
]
_DUE_COLUMN = {60: 3, 120: 4, 240: 5}


def _duration_params() -> list:
    params = []
    for contract_id, severities, minutes in DURATION_CONTRACTS:
        for severity in severities:
            for row in DURATION_SCENARIOS:
                params.append(
                    pytest.param(
                        contract_id,
                        severity,
                        minutes,
                        row[1],
                        row[2],
                        row[_DUE_COLUMN[minutes]],
                        id=f"{contract_id}-{severity.value}-{row[0]}",
                    )
                )
    return params


@pytest.mark.parametrize(
    ("contract_id", "severity", "minutes", "received", "clock_starts", "due"),
    _duration_params(),
)
def test_duration_deadline(
    catalog: Catalog,
    contract_id: str,
    severity: Severity,
    minutes: int,
    received: str,
    clock_starts: str,
    due: str,
) -> None:
    deadline = catalog.get(contract_id).deadline(severity, received_at(received))
    assert_instant(deadline.clock_starts, clock_starts)
    assert_instant(deadline.due, due)
    assert deadline.budget == timedelta(minutes=minutes)


def test_scenario_table_ids_are_unique() -> None:
    ids = [row[0] for row in DURATION_SCENARIOS]
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------------ Pindena
# (id, received, clock_starts, due)

PINDENA_SCENARIOS = [
    (
        "tuesday-1000-to-wednesday-1600",
        "2026-03-10T10:00:00+01:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
    (
        "tuesday-0000-midnight",
        "2026-03-10T00:00:00+01:00",
        "2026-03-10T08:00:00+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
    (
        "tuesday-1600-at-closing",
        "2026-03-10T16:00:00+01:00",
        "2026-03-11T08:00:00+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
    (
        "tuesday-2359",
        "2026-03-10T23:59:00+01:00",
        "2026-03-11T08:00:00+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
    (
        "saturday-1000-to-monday-1600",
        "2026-03-14T10:00:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-16T16:00:00+01:00",
    ),
    (
        "sunday-2300-to-monday-1600",
        "2026-03-15T23:00:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-16T16:00:00+01:00",
    ),
    (
        "monday-0700-before-opening-to-tuesday-1600",
        "2026-03-16T07:00:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-17T16:00:00+01:00",
    ),
    (
        "friday-2359-to-monday-1600",
        "2026-03-13T23:59:00+01:00",
        "2026-03-16T08:00:00+01:00",
        "2026-03-16T16:00:00+01:00",
    ),
    (
        "friday-1000-to-monday-1600",
        "2026-03-13T10:00:00+01:00",
        "2026-03-13T10:00:00+01:00",
        "2026-03-16T16:00:00+01:00",
    ),
    (
        "day-before-easter-2026-to-tuesday-after",
        "2026-04-01T10:00:00+02:00",
        "2026-04-01T10:00:00+02:00",
        "2026-04-07T16:00:00+02:00",
    ),
    (
        "maundy-thursday-2027-to-tuesday-after-easter",
        "2027-03-25T10:00:00+01:00",
        "2027-03-30T08:00:00+02:00",
        "2027-03-30T16:00:00+02:00",
    ),
    (
        "friday-before-may-17-whit-monday-2027",
        "2027-05-14T10:00:00+02:00",
        "2027-05-14T10:00:00+02:00",
        "2027-05-18T16:00:00+02:00",
    ),
    (
        "dec-23-2026-to-christmas-eve",
        "2026-12-23T10:00:00+01:00",
        "2026-12-23T10:00:00+01:00",
        "2026-12-24T16:00:00+01:00",
    ),
    (
        "christmas-eve-2026-to-dec-28",
        "2026-12-24T10:00:00+01:00",
        "2026-12-24T10:00:00+01:00",
        "2026-12-28T16:00:00+01:00",
    ),
    (
        "new-years-eve-2026-to-jan-4",
        "2026-12-31T10:00:00+01:00",
        "2026-12-31T10:00:00+01:00",
        "2027-01-04T16:00:00+01:00",
    ),
    (
        "friday-before-spring-dst",
        "2026-03-27T10:00:00+01:00",
        "2026-03-27T10:00:00+01:00",
        "2026-03-30T16:00:00+02:00",
    ),
    (
        "friday-before-autumn-dst",
        "2026-10-23T10:00:00+02:00",
        "2026-10-23T10:00:00+02:00",
        "2026-10-26T16:00:00+01:00",
    ),
    (
        "utc-monday-night-is-tuesday-local",
        "2026-03-09T23:30:00Z",
        "2026-03-10T08:00:00+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
    (
        "local-without-offset",
        "2026-03-10T10:00:00",
        "2026-03-10T10:00:00+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
    (
        "microseconds-do-not-move-end-of-day",
        "2026-03-10T10:00:00.5+01:00",
        "2026-03-10T10:00:00.500000+01:00",
        "2026-03-11T16:00:00+01:00",
    ),
]


@pytest.mark.parametrize("severity", BOTH, ids=lambda s: s.value)
@pytest.mark.parametrize(
    ("received", "clock_starts", "due"),
    [pytest.param(*row[1:], id=row[0]) for row in PINDENA_SCENARIOS],
)
def test_pindena_end_of_next_working_day(
    catalog: Catalog, severity: Severity, received: str, clock_starts: str, due: str
) -> None:
    deadline = catalog.get("pindena").deadline(severity, received_at(received))
    assert_instant(deadline.clock_starts, clock_starts)
    assert_instant(deadline.due, due)


# ------------------------------------------------------------------ immediately
# Critical faults on the hosted services: due the grace (15 minutes) of real time after
# receipt, at any hour, holidays and DST nights included. (id, received, due)

IMMEDIATE_CONTRACTS = (
    "nettsoft-vps-access",
    "nettsoft-vps-terminal",
    "nettsoft-calendar-push",
    "nettsoft-tmpc",
)

IMMEDIATE_SCENARIOS = [
    ("tuesday-1000", "2026-03-10T10:00:00+01:00", "2026-03-10T10:15:00+01:00"),
    ("tuesday-2100-after-hours", "2026-03-10T21:00:00+01:00", "2026-03-10T21:15:00+01:00"),
    ("sunday-0300", "2026-03-15T03:00:00+01:00", "2026-03-15T03:15:00+01:00"),
    ("saturday-2350-across-midnight", "2026-03-14T23:50:00+01:00", "2026-03-15T00:05:00+01:00"),
    ("christmas-day", "2026-12-25T12:00:00+01:00", "2026-12-25T12:15:00+01:00"),
    ("spring-dst-night-0150", "2026-03-29T01:50:00+01:00", "2026-03-29T03:05:00+02:00"),
    ("autumn-dst-night-first-0250", "2026-10-25T02:50:00+02:00", "2026-10-25T02:05:00+01:00"),
    ("autumn-dst-night-second-0250", "2026-10-25T02:50:00+01:00", "2026-10-25T03:05:00+01:00"),
    ("utc-z-0200", "2026-03-10T02:00:00Z", "2026-03-10T03:15:00+01:00"),
    # an ambiguous local time without offset is its first occurrence (summer time)
    ("autumn-dst-local-0230-without-offset", "2026-10-25T02:30:00", "2026-10-25T02:45:00+02:00"),
    ("local-without-offset-summer", "2026-06-09T16:00:00", "2026-06-09T16:15:00+02:00"),
    (
        "microseconds",
        "2026-03-10T10:00:00.123456+01:00",
        "2026-03-10T10:15:00.123456+01:00",
    ),
]


@pytest.mark.parametrize("contract_id", IMMEDIATE_CONTRACTS)
@pytest.mark.parametrize(
    ("received", "due"), [pytest.param(*row[1:], id=row[0]) for row in IMMEDIATE_SCENARIOS]
)
def test_immediately_is_received_plus_grace(
    catalog: Catalog, contract_id: str, received: str, due: str
) -> None:
    when = received_at(received)
    deadline = catalog.get(contract_id).deadline(Severity.CRITICAL, when)
    assert same_instant(deadline.clock_starts, when)
    assert_instant(deadline.due, due)
    assert deadline.budget == timedelta(minutes=15)


# ------------------------------------------------------------------ no target


@pytest.mark.parametrize("contract_id", ["sensio-velferd", "mobile-worker", "nettsoft-network"])
@pytest.mark.parametrize("severity", BOTH, ids=lambda s: s.value)
@pytest.mark.parametrize(
    "received",
    ["2026-03-10T10:00:00+01:00", "2026-03-14T10:00:00+01:00", "2026-04-02T10:00:00+02:00"],
    ids=["tuesday", "saturday", "maundy-thursday"],
)
def test_no_target_contracts_have_no_deadline(
    catalog: Catalog, contract_id: str, severity: Severity, received: str
) -> None:
    deadline = catalog.get(contract_id).deadline(severity, received_at(received))
    assert deadline.due is None
    assert deadline.budget is None
    explained = explain_deadline(catalog.get(contract_id), severity, received_at(received))
    assert explained.target is None
    assert explained.deadline.due is None


# ------------------------------------------------------------------ explanations


def test_explain_names_each_closed_easter_day(catalog: Catalog) -> None:
    explained = explain_deadline(
        catalog.get("nettsoft-mbn"), Severity.NON_CRITICAL, received_at("2026-04-01T15:30+02:00")
    )
    assert_instant(explained.deadline.due, "2026-04-07T08:30:00+02:00")
    assert explained.target == "PT60M"
    closed = [n for n in explained.notes if n.startswith("closed on ")]
    assert [n.split(":")[0] for n in closed] == [
        "closed on Thursday 2026-04-02",
        "closed on Friday 2026-04-03",
        "closed on Monday 2026-04-06",
    ]


def test_explain_christmas_eve_is_not_a_closed_day(catalog: Catalog) -> None:
    explained = explain_deadline(
        catalog.get("nettsoft-mbn"), Severity.NON_CRITICAL, received_at("2026-12-24T15:30+01:00")
    )
    assert_instant(explained.deadline.due, "2026-12-28T08:30:00+01:00")
    closed = [n.split(":")[0] for n in explained.notes if n.startswith("closed on ")]
    assert closed == ["closed on Friday 2026-12-25"]  # the 26th is a Saturday


def test_explain_says_when_the_clock_starts_for_a_weekend_ticket(catalog: Catalog) -> None:
    explained = explain_deadline(
        catalog.get("nettsoft-mbn"), Severity.NON_CRITICAL, received_at("2026-03-14T10:00")
    )
    assert_instant(explained.deadline.clock_starts, "2026-03-16T08:00:00+01:00")
    assert_instant(explained.deadline.due, "2026-03-16T09:00:00+01:00")
    assert any("Monday 2026-03-16 08:00" in n for n in explained.notes)
    # the catalog's reading is shown where it decides the result
    assert any("starts the clock when the next window opens" in n for n in explained.notes)


def test_explain_mentions_the_clock_change(catalog: Catalog) -> None:
    across = explain_deadline(
        catalog.get("nettsoft-mbn"), Severity.NON_CRITICAL, received_at("2026-03-27T15:30")
    )
    same = explain_deadline(
        catalog.get("nettsoft-mbn"), Severity.NON_CRITICAL, received_at("2026-03-20T15:30")
    )
    assert any("daylight saving" in n for n in across.notes)
    assert not any("daylight saving" in n for n in same.notes)


def test_explain_pindena_names_the_next_working_day(catalog: Catalog) -> None:
    explained = explain_deadline(
        catalog.get("pindena"), Severity.NON_CRITICAL, received_at("2026-04-01T10:00")
    )
    assert explained.target == "end-of-next-working-day"
    assert_instant(explained.deadline.due, "2026-04-07T16:00:00+02:00")
    assert "next working day after 2026-04-01 is Tuesday 2026-04-07" in explained.notes


def test_explain_immediately_on_a_sunday_night(catalog: Catalog) -> None:
    explained = explain_deadline(
        catalog.get("nettsoft-vps-access"), Severity.CRITICAL, received_at("2026-03-15T03:00")
    )
    assert_instant(explained.deadline.clock_starts, "2026-03-15T03:00:00+01:00")
    assert_instant(explained.deadline.due, "2026-03-15T03:15:00+01:00")
    assert explained.target == "immediately+PT15M"
    # an immediate target is not on office hours: no "outside open hours" or holiday notes
    assert not any("outside the calendar's open hours" in n for n in explained.notes)


def test_explained_deadline_equals_contract_deadline(catalog: Catalog) -> None:
    contract = catalog.get("nettsoft-ms365-bruker")
    when = received_at("2026-05-13T15:30")
    explained = explain_deadline(contract, Severity.CRITICAL, when)
    direct = contract.deadline(Severity.CRITICAL, when)
    assert explained.deadline.due == direct.due
    assert_instant(direct.due, "2026-05-15T11:30:00+02:00")
