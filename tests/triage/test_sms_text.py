"""Escalation SMS text: one segment always, the reply hint never cut, replies parsed
tolerantly but never guessed.

The GSM 03.38 table is written out here by code point, apart from the module's literal,
so a look-alike character (U+2206 for Δ, U+2126 for Ω) in either would show. Expected
messages are spelt out in full: a format change has to be made here on purpose.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    HELP_TEXT,
    Page,
    Reply,
    ack_confirmation,
    fit,
    grouped_message,
    page_message,
    parse_reply,
    septets,
    start_confirmation,
    to_gsm7,
    unknown_ticket_reply,
)

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
# Wednesday 18 November 2026, 08:48 in Oslo.
NOW = datetime(2026, 11, 18, 8, 48, tzinfo=OSLO)

# GSM 03.38 default alphabet by code, 0x00-0x7F; None is 0x1B, the escape.
GSM_TABLE: list[str | None] = [
    *["\u0040", "\u00a3", "\u0024", "\u00a5", "\u00e8", "\u00e9", "\u00f9", "\u00ec"],
    *["\u00f2", "\u00c7", "\u000a", "\u00d8", "\u00f8", "\u000d", "\u00c5", "\u00e5"],
    *["\u0394", "\u005f", "\u03a6", "\u0393", "\u039b", "\u03a9", "\u03a0", "\u03a8"],
    *["\u03a3", "\u0398", "\u039e", None, "\u00c6", "\u00e6", "\u00df", "\u00c9"],
    *[" ", "!", '"', "#", "\u00a4", *(chr(c) for c in range(0x25, 0x40))],
    *["\u00a1", *(chr(c) for c in range(0x41, 0x5B))],
    *["\u00c4", "\u00d6", "\u00d1", "\u00dc", "\u00a7", "\u00bf"],
    *(chr(c) for c in range(0x61, 0x7B)),
    *["\u00e4", "\u00f6", "\u00f1", "\u00fc", "\u00e0"],
]
EXTENSION_TABLE = ["\u000c", "^", "{", "}", "\\", "[", "~", "]", "|", "\u20ac"]


def page(
    ticket_id: int = 123,
    *,
    critical: bool = True,
    label: str = "MBN",
    due: datetime = datetime(2026, 11, 18, 9, 0, tzinfo=OSLO),
    subject: str = "Telefoni nede hele bedriften",
    point: str = "late",
) -> Page:
    return Page(ticket_id, critical, label, due, subject, point)


# --- the alphabet ------------------------------------------------------------------


def test_tables_are_gsm_03_38() -> None:
    assert len(GSM_TABLE) == 128
    assert frozenset(c for c in GSM_TABLE if c is not None) == GSM7_BASIC
    assert frozenset(EXTENSION_TABLE) == GSM7_EXTENDED
    assert not GSM7_BASIC & GSM7_EXTENDED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("Hei", 3),
        ("æøåÆØÅ", 6),
        ("é Ä Ö Ü ñ", 9),
        ("Ç", 1),
        ("\n\r", 2),
        ("€", 2),
        ("{}", 4),
        ("a[b]c", 7),
        ("^~|\\", 8),
        ("\f", 2),
        ("ΔΩΣ", 3),
        ("ç", None),
        ("ê", None),
        ("\t", None),
        ("😀", None),
        ("\u2206", None),  # INCREMENT, the look-alike of Δ
        ("ok 😀", None),
    ],
)
def test_septets(text: str, expected: int | None) -> None:
    assert septets(text) == expected


# --- transliteration ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("‘sitat’ ‚x‛ 5′", "'sitat' 'x' 5'"),
        ("“sitat” „x“ «y» 3″", '"sitat" "x" "y" 3"'),
        ("a–b—c−d‐e‑f", "a-b-c-d-e-f"),
        ("vent…", "vent..."),
        ("a\u00a0b\u2009c\u202fd\u3000e", "a b c d e"),
        ("• punkt", "* punkt"),
        ("`kode`", "'kode'"),
        ("  linje 1\r\n\r\n\tlinje 2  ", "linje 1 linje 2"),
        ("Får ikke logget på, Ærlig talt Øyvind", "Får ikke logget på, Ærlig talt Øyvind"),
        ("é Ä Ö Ü ñ ß à", "é Ä Ö Ü ñ ß à"),
        ("Ça ç", "Ça c"),
        ("fête Škoda čšž", "fete Skoda csz"),
        ("łódź Đuro Œuvre", "lodz Duro OEuvre"),
        ("e\u0301 A\u030a", "é Å"),  # decomposed input is recomposed to GSM letters
        ("Hei 😀👍🏽 der", "Hei der"),
        ("❤️ ok 🇳🇴", "ok"),
        ("a\x00b\x07c\u200bd", "abcd"),
        ("東京 Привет", "?? ??????"),
        ("€ [x] {y} ~ | ^ \\", "€ [x] {y} ~ | ^ \\"),
        ("ﬁl Ｆｕｌｌ ½ ²", "fil Full 1/2 2"),
        ("١٢٣", "123"),
        ("\u2126 \u212b", "Ω Å"),
        ("\f", ""),
    ],
)
def test_to_gsm7(text: str, expected: str) -> None:
    assert to_gsm7(text) == expected


@given(st.text())
def test_to_gsm7_is_encodable_single_spaced_and_idempotent(text: str) -> None:
    once = to_gsm7(text)
    assert septets(once) is not None
    assert once == once.strip()
    assert "  " not in once
    assert not set(once) & {"\n", "\r", "\f"}
    assert to_gsm7(once) == once


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå€[]{} .ABC", max_size=300))
def test_to_gsm7_keeps_gsm_text_apart_from_spacing(text: str) -> None:
    assert to_gsm7(text) == " ".join(text.split())


# --- fitting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("kort", 10, "kort"),
        ("kort", 4, "kort"),
        ("abcdefghij", 6, "abcd.."),
        ("hei på deg du", 10, "hei på.."),  # word boundary loses 2 characters
        ("a bcdefghijklmnopqrstuvwxyz", 20, "a bcdefghijklmnopq.."),  # boundary too far back
        ("ab €€€", 6, "ab.."),
        ("abc€€€", 7, "abc€.."),
        ("abc€€€", 6, "abc.."),  # € would split its escape across the limit
        ("hei ", 3, "hei"),  # trailing spaces go first
        ("hei du", 5, "hei.."),  # cut at a space: no space before the dots
        ("hei  du", 6, "hei.."),
        ("abc", 2, ".."),
        ("abc", 1, ""),
        ("abc", 0, ""),
        ("ord  ", 4, "ord"),
    ],
)
def test_fit(text: str, limit: int, expected: str) -> None:
    result = fit(text, limit)
    assert result == expected
    assert (septets(result) or 0) <= limit


def test_fit_refuses_text_that_is_not_gsm7() -> None:
    with pytest.raises(ValueError, match="to_gsm7"):
        fit("fête", 3)


@given(
    st.text(alphabet="ab €[]æ\n", max_size=200) | st.text().map(to_gsm7),
    st.integers(min_value=0, max_value=220),
)
def test_fit_property(text: str, limit: int) -> None:
    result = fit(text, limit)
    size = septets(result)
    assert size is not None
    assert size <= limit
    if (septets(text) or 0) <= limit:
        assert result == text
    elif (septets(text.rstrip()) or 0) <= limit:
        assert result == text.rstrip()
    elif limit >= 2:
        assert result.endswith("..")
        assert text.startswith(result[:-2])
        # a cut loses the dots, one escape and at most ~10 characters to a word boundary
        assert size >= limit - 1 - 2 * 11


# --- one ticket -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "critical", "expected"),
    [
        (
            datetime(2026, 11, 18, 9, 0, tzinfo=OSLO),
            True,
            'KRIT #123 MBN frist 09:00 (12 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            datetime(2026, 11, 18, 9, 0, tzinfo=OSLO),
            False,
            'SAK #123 MBN frist 09:00 (12 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            datetime(2026, 11, 18, 10, 53, 59, tzinfo=OSLO),
            True,
            'KRIT #123 MBN frist 10:53 (2 t 5 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            datetime(2026, 11, 18, 10, 48, tzinfo=OSLO),
            True,
            'KRIT #123 MBN frist 10:48 (2 t) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # tomorrow: weekday
            datetime(2026, 11, 19, 11, 0, tzinfo=OSLO),
            False,
            'SAK #123 MBN frist tor 11:00 (1 d 2 t) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # tomorrow but less than 24 h away: still the weekday, by local date
            datetime(2026, 11, 19, 0, 30, tzinfo=OSLO),
            False,
            'SAK #123 MBN frist tor 00:30 (15 t 42 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # six days ahead: weekday
            datetime(2026, 11, 24, 9, 0, tzinfo=OSLO),
            False,
            'SAK #123 MBN frist tir 09:00 (6 d) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # seven days ahead: date
            datetime(2026, 11, 25, 9, 0, tzinfo=OSLO),
            False,
            'SAK #123 MBN frist 25.11 09:00 (7 d) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            datetime(2026, 12, 3, 7, 5, tzinfo=OSLO),
            False,
            'SAK #123 MBN frist 03.12 07:05 (14 d 22 t) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # overdue
            datetime(2026, 11, 18, 8, 36, tzinfo=OSLO),
            True,
            'KRIT #123 MBN frist 08:36 (over 12 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            datetime(2026, 11, 18, 6, 42, 30, tzinfo=OSLO),
            True,
            'KRIT #123 MBN frist 06:42 (over 2 t 5 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # overdue since last Sunday
            datetime(2026, 11, 15, 8, 0, tzinfo=OSLO),
            True,
            'KRIT #123 MBN frist søn 08:00 (over 3 d) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # exactly due, and within a minute either side
            NOW,
            True,
            'KRIT #123 MBN frist 08:48 (nå) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            NOW + timedelta(seconds=59),
            True,
            'KRIT #123 MBN frist 08:48 (nå) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (
            NOW - timedelta(seconds=59),
            True,
            'KRIT #123 MBN frist 08:47 (nå) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
        (  # a deadline stored in UTC is shown in Oslo time
            datetime(2026, 11, 18, 8, 0, tzinfo=UTC),
            True,
            'KRIT #123 MBN frist 09:00 (12 min) "Telefoni nede hele bedriften" '
            "Svar ACK 123 eller START 123",
        ),
    ],
)
def test_page_message_formats(due: datetime, critical: bool, expected: str) -> None:
    assert page_message(page(due=due, critical=critical), NOW, OSLO) == expected


def test_over_form_has_days_without_hours_dropped_only_when_zero() -> None:
    due = NOW - timedelta(days=3, hours=1)
    assert "(over 3 d 1 t)" in page_message(page(due=due), NOW, OSLO)
    assert "(over 3 d)" in page_message(page(due=NOW - timedelta(days=3)), NOW, OSLO)


@pytest.mark.parametrize(
    ("days", "weekday"),
    [(1, "tir"), (2, "ons"), (3, "tor"), (4, "fre"), (5, "lør"), (6, "søn"), (-1, "søn")],
)
def test_weekday_abbreviations(days: int, weekday: str) -> None:
    monday = datetime(2026, 11, 16, 12, 0, tzinfo=OSLO)
    message = page_message(page(due=monday + timedelta(days=days)), monday, OSLO)
    assert f" frist {weekday} 12:00 (" in message


def test_clock_is_in_the_given_zone() -> None:
    due = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
    now = datetime(2026, 11, 18, 7, 48, tzinfo=UTC)
    assert " frist 09:00 (12 min) " in page_message(page(due=due), now, OSLO)
    assert " frist 08:00 (12 min) " in page_message(page(due=due), now, UTC)
    assert " frist 03:00 (12 min) " in page_message(page(due=due), now, NEW_YORK)


@pytest.mark.parametrize(
    ("now", "due", "timing"),
    [
        (  # spring forward: 02:00 CET -> 03:00 CEST on Sunday 29 March 2026
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            datetime(2026, 3, 29, 8, 0, tzinfo=UTC),
            "frist 10:00 (7 t 30 min)",
        ),
        (  # both in the same ZoneInfo: one real hour, though the wall clocks say two
            datetime(2026, 3, 29, 1, 30, tzinfo=OSLO),
            datetime(2026, 3, 29, 3, 30, tzinfo=OSLO),
            "frist 03:30 (1 t)",
        ),
        (  # across the change from the day before: 23 real hours
            datetime(2026, 3, 28, 12, 0, tzinfo=OSLO),
            datetime(2026, 3, 29, 12, 0, tzinfo=OSLO),
            "frist søn 12:00 (23 t)",
        ),
        (  # fall back: 03:00 CEST -> 02:00 CET on Sunday 25 October 2026
            datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 9, 0, tzinfo=UTC),
            "frist 10:00 (11 t)",
        ),
        (  # the repeated hour: 02:30 the second time is an hour after 02:30 the first
            datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=OSLO),
            datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=OSLO),
            "frist 02:30 (1 t)",
        ),
        (
            datetime(2026, 10, 24, 12, 0, tzinfo=OSLO),
            datetime(2026, 10, 25, 12, 0, tzinfo=OSLO),
            "frist søn 12:00 (1 d 1 t)",
        ),
    ],
)
def test_page_message_across_dst(now: datetime, due: datetime, timing: str) -> None:
    message = page_message(page(due=due), now, OSLO)
    assert message == f'KRIT #123 MBN {timing} "Telefoni nede hele bedriften" ' + (
        "Svar ACK 123 eller START 123"
    )


def test_subject_is_transliterated_and_quotes_kept_unambiguous() -> None:
    message = page_message(page(subject="Får “Outlook” ikke\n\topp 😀 – Åse"), NOW, OSLO)
    assert message == (
        "KRIT #123 MBN frist 09:00 (12 min) \"Får 'Outlook' ikke opp - Åse\" "
        "Svar ACK 123 eller START 123"
    )


def test_empty_subject_leaves_no_empty_quotes() -> None:
    for subject in ("", "   ", "😀"):
        assert page_message(page(subject=subject), NOW, OSLO) == (
            "KRIT #123 MBN frist 09:00 (12 min) Svar ACK 123 eller START 123"
        )


def test_long_subject_is_shortened_to_fill_exactly_one_segment() -> None:
    subject = "Hele bedriften mistet telefoni og internett etter strømbrudd " * 4
    message = page_message(page(subject=subject), NOW, OSLO)
    assert septets(message) in (159, 160)  # up to 10 characters may go to a word boundary
    assert message.startswith('KRIT #123 MBN frist 09:00 (12 min) "Hele bedriften mistet')
    assert message.endswith('.." Svar ACK 123 eller START 123')


def test_subject_without_spaces_fills_the_segment_to_the_last_septet() -> None:
    message = page_message(page(subject="x" * 200), NOW, OSLO)
    assert septets(message) == 160
    assert message.endswith('xx.." Svar ACK 123 eller START 123')


def test_subject_of_extension_characters_counts_double() -> None:
    message = page_message(page(subject="€" * 100), NOW, OSLO)
    assert septets(message) == 160
    assert len(message) < 120


def test_long_label_drops_start_before_the_label_is_shortened() -> None:
    ident = 10**12
    message = page_message(page(ident, label="L" * 75), NOW, OSLO)
    assert message.startswith(f"KRIT #{ident} {'L' * 75} frist 09:00 (12 min) ")
    assert message.endswith(f" Svar ACK {ident}")
    assert "START" not in message
    assert (septets(message) or 999) <= 160


def test_label_is_shortened_when_nothing_else_can_give() -> None:
    ident = 10**12
    message = page_message(page(ident, label="L" * 200), NOW, OSLO)
    assert message == f"KRIT #{ident} {'L' * 94}.. frist 09:00 (12 min) Svar ACK {ident}"
    assert septets(message) == 160


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="due"):
        page(due=datetime(2026, 11, 18, 9, 0))
    with pytest.raises(ValueError, match="now"):
        page_message(page(), datetime(2026, 11, 18, 8, 48), OSLO)


ZONES = st.sampled_from([UTC, OSLO, NEW_YORK, ZoneInfo("Asia/Kolkata")])
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30), timezones=ZONES
)
IDS = st.integers(min_value=1, max_value=10**12)
LABELS = st.text(max_size=20)
POINTS = st.sampled_from(["half-budget", "late", "due", "overdue", "received"])
PAGES = st.builds(Page, IDS, st.booleans(), LABELS, MOMENTS, st.text(), POINTS)


@given(PAGES, MOMENTS, ZONES)
@settings(deadline=None)
def test_page_message_always_fits_and_keeps_the_reply_hint(
    p: Page, now: datetime, zone: ZoneInfo
) -> None:
    message = page_message(p, now, zone)
    size = septets(message)
    assert size is not None
    assert size <= 160
    tag = "KRIT" if p.critical else "SAK"
    assert message.startswith(f"{tag} #{p.ticket_id} ")
    assert message.endswith(f" Svar ACK {p.ticket_id} eller START {p.ticket_id}")
    if p.ticket_id < 10**12:  # replies take at most 12 digits; 10**12 itself has 13
        assert parse_reply(f"ACK {p.ticket_id}") == Reply("ack", (p.ticket_id,))


@given(st.text(min_size=1).map(to_gsm7).filter(lambda s: len(s) > 0), IDS)
def test_subject_that_fits_is_shown_whole(subject: str, ident: int) -> None:
    message = page_message(page(ident, subject=subject), NOW, OSLO)
    quoted = subject.replace('"', "'")
    bare = f"KRIT #{ident} MBN frist 09:00 (12 min) Svar ACK {ident} eller START {ident}"
    if (septets(bare) or 0) + 3 + (septets(quoted) or 0) <= 160:
        assert f'"{quoted}"' in message
    else:
        assert '.."' in message


# --- many tickets -----------------------------------------------------------------


def test_grouped_message_lists_the_most_urgent_first() -> None:
    pages = [
        page(20, critical=False, label="MS365", due=datetime(2026, 11, 18, 10, 0, tzinfo=OSLO)),
        page(13, label="MBN", due=datetime(2026, 11, 18, 9, 2, tzinfo=OSLO)),
        page(12, label="MBN", due=datetime(2026, 11, 18, 9, 0, tzinfo=OSLO)),
        page(31, critical=False, label="Pindena", due=datetime(2026, 11, 20, 9, 0, tzinfo=OSLO)),
        page(40, critical=False, label="Pindena", due=datetime(2026, 12, 1, 9, 0, tzinfo=OSLO)),
    ]
    assert grouped_message(pages, NOW, OSLO) == (
        "5 saker: KRIT #12 MBN 09:00, #13 MBN 09:02, SAK #20 MS365 10:00, "
        "#31 Pindena fre 09:00, #40 Pindena 01.12 09:00. Svar ACK for alle, START n for en"
    )


def test_grouped_message_says_how_many_did_not_fit() -> None:
    pages = [
        page(1000 + i, label="Pindena", due=datetime(2026, 11, 18, 9, i, tzinfo=OSLO))
        for i in range(20)
    ]
    message = grouped_message(list(reversed(pages)), NOW, OSLO)
    assert message == (
        "20 saker: KRIT #1000 Pindena 09:00, #1001 Pindena 09:01, #1002 Pindena 09:02, "
        "#1003 Pindena 09:03 +16 til. Svar ACK for alle, START n for en"
    )


def test_grouped_ties_put_critical_first_then_lower_id() -> None:
    due = datetime(2026, 11, 18, 9, 0, tzinfo=OSLO)
    pages = [page(5, critical=False, due=due), page(9, due=due), page(7, due=due)]
    assert grouped_message(pages, NOW, OSLO).startswith(
        "3 saker: KRIT #7 MBN 09:00, #9 MBN 09:00, SAK #5 MBN 09:00."
    )


def test_grouped_urgency_is_by_instant_not_wall_clock() -> None:
    # The repeated hour on 25 October: the first 02:30 (00:30 UTC) comes before the
    # second 02:10 (01:10 UTC), though Python compares same-zone datetimes by wall clock.
    first = page(1, due=datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=OSLO))
    second = page(2, due=datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=OSLO))
    now = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 01:00 CEST the same night
    assert grouped_message([second, first], now, OSLO).startswith(
        "2 saker: KRIT #1 MBN 02:30, #2 MBN 02:10. "
    )


def test_grouped_single_page_is_the_page_message() -> None:
    p = page()
    assert grouped_message([p], NOW, OSLO) == page_message(p, NOW, OSLO)


def test_grouped_needs_pages() -> None:
    with pytest.raises(ValueError, match="at least one"):
        grouped_message([], NOW, OSLO)


def test_grouped_first_label_is_shortened_rather_than_list_nothing() -> None:
    pages = [page(10**12 - i, label="€" * 60) for i in range(3)]
    message = grouped_message(pages, NOW, OSLO)
    assert message.startswith(f"3 saker: KRIT #{10**12 - 2} €€€")
    assert ".. 09:00 +2 til. Svar ACK for alle, START n for en" in message
    assert (septets(message) or 999) <= 160


def _urgency_order(pages: list[Page]) -> list[int]:
    return [
        p.ticket_id
        for p in sorted(pages, key=lambda p: (p.due.astimezone(UTC), not p.critical, p.ticket_id))
    ]


@given(st.lists(PAGES, min_size=1, max_size=50), MOMENTS, ZONES)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_grouped_message_always_fits(pages: list[Page], now: datetime, zone: ZoneInfo) -> None:
    message = grouped_message(pages, now, zone)
    size = septets(message)
    assert size is not None
    assert size <= 160
    if len(pages) > 1:
        assert message.startswith(f"{len(pages)} saker: ")
        assert message.endswith(". Svar ACK for alle, START n for en")


HASHLESS_PAGES = st.builds(
    Page,
    IDS,
    st.booleans(),
    LABELS.filter(lambda s: "#" not in to_gsm7(s)),
    MOMENTS,
    st.text(),
    POINTS,
)


@given(st.lists(HASHLESS_PAGES, min_size=2, max_size=50), MOMENTS, ZONES)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_grouped_message_lists_an_urgent_prefix_and_counts_the_rest(
    pages: list[Page], now: datetime, zone: ZoneInfo
) -> None:
    message = grouped_message(pages, now, zone)
    listed = [int(i) for i in re.findall(r"#(\d+)", message)]
    expected = _urgency_order(pages)
    assert listed, message
    assert listed[0] == expected[0]
    assert listed == expected[: len(listed)]
    rest = len(pages) - len(listed)
    if rest:
        assert f" +{rest} til. Svar ACK" in message
    else:
        assert " til. " not in message


# --- replies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACK 123", Reply("ack", (123,))),
        ("ack #123", Reply("ack", (123,))),
        ("Ack123", Reply("ack", (123,))),
        ("  ACK 123.  ", Reply("ack", (123,))),
        ("ACK 12 13", Reply("ack", (12, 13))),
        ("ACK 12,13", Reply("ack", (12, 13))),
        ("ack #12, #13 og #14!", Reply("ack", (12, 13, 14))),
        ("ACK 12 12", Reply("ack", (12,))),
        ("ACK 000123", Reply("ack", (123,))),
        ("ACK", Reply("ack", ())),
        ("ack!", Reply("ack", ())),
        ("OK 123", Reply("ack", (123,))),
        ("ok", Reply("ack", ())),
        ("KVITTER 123", Reply("ack", (123,))),
        ("Kvitter", Reply("ack", ())),
        ("ＡＣＫ １２３", Reply("ack", (123,))),
        ("ACK 123 👍", Reply("ack", (123,))),
        ("START 123", Reply("start", (123,))),
        ("start #123", Reply("start", (123,))),
        ("Start123.", Reply("start", (123,))),
        ("HJELP", Reply("help", ())),
        ("help", Reply("help", ())),
        ("Hjelp?", Reply("help", ())),
        ("?", Reply("help", ())),
        (" ?? ", Reply("help", ())),
        ("START", Reply("unknown", ())),
        ("START 12 13", Reply("unknown", ())),
        ("ACK abc", Reply("unknown", ())),
        ("ACK 12 abc", Reply("unknown", ())),
        ("ACK 12-13", Reply("unknown", ())),
        ("ACK 0", Reply("unknown", ())),
        ("ACK 1234567890123", Reply("unknown", ())),
        ("ACK 123456789012", Reply("ack", (123456789012,))),
        ("ACK 12" + "!" * 160, Reply("unknown", ())),
        ("ACK " + "1 " * 78, Reply("ack", (1,))),
        ("okay 12", Reply("unknown", ())),
        ("acknowledge 12", Reply("unknown", ())),
        ("123", Reply("unknown", ())),
        ("", Reply("unknown", ())),
        ("   ", Reply("unknown", ())),
        ("Hei, hva skjer?", Reply("unknown", ())),
        ("STOPP", Reply("unknown", ())),
    ],
)
def test_parse_reply(text: str, expected: Reply) -> None:
    assert parse_reply(text) == expected


@given(st.text())
def test_parse_reply_never_raises(text: str) -> None:
    reply = parse_reply(text)
    assert reply.command in {"ack", "start", "help", "unknown"}
    assert all(1 <= i < 10**12 for i in reply.ticket_ids)
    if reply.command in ("help", "unknown"):
        assert reply.ticket_ids == ()
    if reply.command == "start":
        assert len(reply.ticket_ids) == 1


REPLY_IDS = st.integers(min_value=1, max_value=10**12 - 1)


@given(
    REPLY_IDS,
    st.sampled_from(["ACK {}", "ack #{}", "Ack{}", "OK {}", "kvitter {}", " ACK {}. "]),
)
def test_ack_round_trips(ident: int, template: str) -> None:
    assert parse_reply(template.format(ident)) == Reply("ack", (ident,))


@given(REPLY_IDS, st.sampled_from(["START {}", "start #{}", "Start{}", "START {}!"]))
def test_start_round_trips(ident: int, template: str) -> None:
    assert parse_reply(template.format(ident)) == Reply("start", (ident,))


@given(st.lists(REPLY_IDS, min_size=1, max_size=10, unique=True), st.sampled_from([" ", ", "]))
def test_ack_of_several_round_trips(idents: list[int], separator: str) -> None:
    text = "ACK " + separator.join(f"#{i}" for i in idents)
    assert parse_reply(text) == Reply("ack", tuple(idents))


# --- our replies ------------------------------------------------------------------


def test_help_text_fits_and_names_commands_that_parse() -> None:
    assert (septets(HELP_TEXT) or 999) <= 160
    for command, expected in (("ACK 12 13", "ack"), ("START n", None), ("HJELP", "help")):
        assert command in HELP_TEXT
        if expected:
            assert parse_reply(command).command == expected
    assert parse_reply("START 7") == Reply("start", (7,))


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([12], "Kvittert: #12"),
        ([12, 13], "Kvittert: #12, #13"),
        ([], "Ingen saker å kvittere."),
    ],
)
def test_ack_confirmation(ids: list[int], expected: str) -> None:
    assert ack_confirmation(ids) == expected


def test_ack_confirmation_counts_what_did_not_fit() -> None:
    ids = list(range(10**11, 10**11 + 30))
    message = ack_confirmation(ids)
    assert message.endswith(", #100000000008 +21")
    assert (septets(message) or 999) <= 160


@given(st.lists(st.integers(min_value=1, max_value=10**12), max_size=200))
def test_ack_confirmation_fits_and_accounts_for_every_id(ids: list[int]) -> None:
    message = ack_confirmation(ids)
    assert (septets(message) or 999) <= 160
    if ids:
        listed = [int(i) for i in re.findall(r"#(\d+)", message)]
        more = re.search(r" \+(\d+)$", message)
        assert listed == ids[: len(listed)]
        assert len(listed) + (int(more[1]) if more else 0) == len(ids)


@given(st.integers(min_value=1))
def test_single_ticket_replies_fit_for_any_id(ident: int) -> None:
    for message in (start_confirmation(ident), unknown_ticket_reply(ident)):
        assert (septets(message) or 999) <= 160
        if ident <= 10**12:
            assert f"#{ident}" in message


def test_single_ticket_replies() -> None:
    assert start_confirmation(123) == "Startet: #123 er registrert på deg."
    assert unknown_ticket_reply(123) == "Finner ingen åpen sak #123. Svar HJELP for bruk."
