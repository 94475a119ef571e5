"""The desk's zone is one constant (sla.local_time.OSLO); the shipped contracts agree."""

from __future__ import annotations

import re
from pathlib import Path

from config.catalog import load_catalog
from sla.local_time import OSLO

ROOT = Path(__file__).resolve().parents[2]


def test_every_calendar_of_the_shipped_catalog_is_in_the_desks_zone() -> None:
    """Times people type without an offset are the desk's zone; the shipped contracts'
    calendars count business hours in it too, so one wall clock means one thing."""
    zones = {calendar.timezone for calendar in load_catalog().calendars.values()}
    assert zones == {OSLO.key}


def test_the_zone_is_written_in_one_place() -> None:
    """A second ``ZoneInfo("Europe/Oslo")`` is a second place to change it."""
    literal = re.compile(r"ZoneInfo\(\s*[\"']Europe/Oslo[\"']\s*\)")
    places = [
        str(path.relative_to(ROOT))
        for package in ("sla", "triage", "config", "web", "workers")
        for path in sorted((ROOT / package).rglob("*.py"))
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert places == ["sla/local_time.py"]
