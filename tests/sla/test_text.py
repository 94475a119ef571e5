"""The core's sentences as ``sla.text.Text``: each *is* the English the CLI and the JSON
interfaces printed before (word for word), and keeps its template and values so the web
desk can write it in another language."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from config.catalog import load_catalog
from sla.claims import ClaimFrom, PromptClaim
from sla.explain import explain_deadline
from sla.penalty import FeeFormula, PenaltyRule, Stacking, period_penalty
from sla.periods import Period
from sla.severity import Severity
from sla.targets import BusinessDuration, EndOfNextWorkingDay, Immediately, NoTarget
from sla.text import Minutes, Template, Text

OSLO = ZoneInfo("Europe/Oslo")
CATALOG = load_catalog(None)


def test_targets_describe_themselves_as_before() -> None:
    assert NoTarget().describe() == "no response target (measured, never breached)"
    assert BusinessDuration(timedelta(minutes=60)).describe() == "60 business minutes"
    assert BusinessDuration(timedelta(seconds=30)).describe() == "0.5 business minutes"
    assert EndOfNextWorkingDay().describe() == "before the end of the next working day"
    assert (
        Immediately(timedelta(minutes=15)).describe()
        == "immediately (met within 15 minutes, any hour)"
    )
    described = BusinessDuration(timedelta(hours=4)).describe()
    assert isinstance(described, Text) and described.key == "target.business-duration"
    assert described.values == {"amount": Minutes(timedelta(hours=4))}


def test_explained_notes_are_the_same_english_and_carry_their_values() -> None:
    received = datetime(2026, 3, 13, 17, 0, tzinfo=OSLO)  # Friday evening
    notes = explain_deadline(CATALOG.get("nettsoft-mbn"), Severity.NON_CRITICAL, received).notes
    assert notes[0] == (
        "non-critical: 60 business minutes (004 §2.6: started troubleshooting within 60 "
        "minutes all working days (08-16))"
    )
    assert notes[1] == "clock: Mon-Fri 08:00-16:00; closed on NO public holidays (Europe/Oslo)"
    assert notes[2] == (
        "received Friday 2026-03-13 17:00 outside the calendar's open hours: the clock "
        "starts when the next window opens, Monday 2026-03-16 08:00"
    )
    assert isinstance(notes[2], Text) and notes[2].values["received"] == received
    [alternative] = [n for n in notes if n.startswith("alternative reading")]
    assert alternative.endswith(
        "): the deadline would be 2026-03-14T09:00:00+01:00 instead of the chosen reading "
        "'virkedag = Monday-Friday'"
    )
    assert "favours the customer, 004 §2.6" in alternative
    # catalog notes are the catalog's text as written, not core sentences
    assert any(type(n) is str for n in notes)


def test_penalty_notes_are_the_same_english() -> None:
    prompt = PromptClaim(10, True, ClaimFrom.BREACH, "§2", CATALOG.calendars["office-hours"])
    rule = PenaltyRule(Decimal(50), Stacking.ONCE_PER_PERIOD, 1, 12, "§2", prompt)
    fee = FeeFormula(Decimal("1000"), Decimal("12.50"), 3, 10)
    penalty = period_penalty(rule, fee, Period(2026, 1, 3), 10, 2, date(2026, 2, 3))
    assert list(penalty.notes) == [
        "fee 2026Q2: (1000 + 10 × 12.50) × 3 months = NOK 3375.00 excl. VAT",
        "reading: 2 missed guarantees in 2026Q1 do not stack; one 50 % deduction (§2)",
        "deduction applies to the invoice for 2026Q2 (next invoicing point)",
        "claim in writing by 2026-02-17: 10 working days after the breach (§2), counted from "
        "the first breach on 2026-02-03",
        "claim in writing without undue delay, no later than 2027-02-03 (12 months after the "
        "first breach on 2026-02-03; the outer limit)",
    ]
    assert all(isinstance(n, Text) for n in penalty.notes)


def test_a_text_is_plain_english_to_json_pickle_and_copies() -> None:
    text = NoTarget().describe()
    assert json.dumps({"notes": [text]}) == (
        '{"notes": ["no response target (measured, never breached)"]}'
    )
    for again in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text)):
        assert again == text and isinstance(again, Text) and again.key == "target.none"
    nested = BusinessDuration(timedelta(minutes=60)).describe()
    assert pickle.loads(pickle.dumps(nested)).values == nested.values


def test_a_template_takes_exactly_its_values_and_a_key_means_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sla.text.TEMPLATES", {})  # the desk's registry stays as shipped
    template = Template("test.greeting", "hello {name} at {when:%H:%M}")
    assert template.fields == {"name": "", "when": "%H:%M"}
    assert template(name="Kari", when=datetime(2026, 1, 1, 9, 5)) == "hello Kari at 09:05"
    with pytest.raises(ValueError, match="missing \\['when'\\]"):
        template(name="Kari")
    with pytest.raises(ValueError, match="unexpected \\['extra'\\]"):
        template(name="Kari", when=datetime(2026, 1, 1), extra=1)
    Template("test.greeting", "hello {name} at {when:%H:%M}")  # the same again is fine
    with pytest.raises(ValueError, match="defined twice"):
        Template("test.greeting", "goodbye {name}")
