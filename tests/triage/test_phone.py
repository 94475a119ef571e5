"""Phone numbers: one E.164 spelling per number, clear refusals, and masks that leak nothing.

The property tests spell the same number many ways (spaces, dashes, parentheses, ``+47``,
``0047``, no country code) and demand one answer; they feed the output back in and demand
it unchanged; and they check that a mask shows the country code and at most the last two
national digits, for every number ``phonenumbers`` has an example of.
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.phone import InvalidPhone, mask_phone, normalise_phone

PROPERTY = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("91234567", "NO", "+4791234567"),
        ("912 34 567", "NO", "+4791234567"),
        ("  912 34 567 ", "NO", "+4791234567"),
        ("912-34-567", "NO", "+4791234567"),
        ("+47 912 34 567", "NO", "+4791234567"),
        ("+4791234567", "NO", "+4791234567"),
        ("0047 912 34 567", "NO", "+4791234567"),
        ("(+47) 912-34-567", "NO", "+4791234567"),
        ("(0047) 91 23 45 67", "NO", "+4791234567"),
        ("22 88 19 19", "NO", "+4722881919"),  # a landline, as the support desk has
        ("+46 8 123 456 78", "NO", "+46812345678"),  # a Swedish colleague, from Norway
        ("08-123 456 78", "SE", "+46812345678"),  # the same, typed in Sweden
        ("+1 650 253 0000", "NO", "+16502530000"),
        ("+39 06 1234 5678", "NO", "+390612345678"),  # Italy keeps its leading zero
        ("+4791234567", "SE", "+4791234567"),  # an international number ignores the region
        ("91234567", "no", "+4791234567"),
    ],
)
def test_accepted_spellings(text: str, region: str, expected: str) -> None:
    assert normalise_phone(text, region) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^phone '': empty$"),
        ("   ", r"^phone '   ': empty$"),
        ("abc", r"^phone 'abc': contains letters$"),
        ("1-800-FLOWERS", r"contains letters"),  # phonenumbers would read it as digits
        ("+47 912 34 567 ext 12", r"contains letters"),
        ("912 34 567 #12", r"^phone '912 34 567 #12': has an extension"),
        ("12", r"^phone '12': not a valid number for region NO \(too short\)$"),
        ("912345678", r"^phone '912345678': not a valid number for region NO \(too long\)$"),
        ("+4799", r"^phone '\+4799': too short$"),
        ("0047 99", r"^phone '0047 99': too short$"),
        ("+47 1234567890123456789", r"too long"),
        ("+47 0000 0000", r"^phone '\+47 0000 0000': not a valid number for \+47$"),
        ("+999 1234 5678", r"unknown country code"),
        ("++", r"not a phone number"),
        ("+47", r"not a phone number"),
        ("---", r"not a phone number"),
    ],
)
def test_rejected_inputs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidPhone, match=message):
        normalise_phone(text)


def test_invalid_phone_is_a_value_error_and_an_unknown_region_is_not_a_phone_problem() -> None:
    assert issubclass(InvalidPhone, ValueError)
    with pytest.raises(ValueError, match="unknown phone region 'XX'") as caught:
        normalise_phone("91234567", "XX")
    assert not isinstance(caught.value, InvalidPhone)


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+4791234567", "+47******67"),
        ("+4722881919", "+47******19"),
        ("+16502530000", "+1********00"),
        ("+46812345678", "+46*******78"),
        ("+390612345678", "+39********78"),
        ("+35312345678", "+353******78"),  # a three-digit country code
        ("+4712", "+47**"),  # too short to show anything of the number itself
    ],
)
def test_mask_keeps_country_code_and_last_two_digits(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


@pytest.mark.parametrize("text", ["91234567", "+47 912 34 567", "004791234567", "", "+", "+999123"])
def test_mask_refuses_what_is_not_e164_without_echoing_the_digits(text: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        mask_phone(text)
    assert not re.search(r"\d", str(caught.value).replace("E.164", ""))


# ------------------------------------------------------------------ properties

_SEPARATOR = st.sampled_from(["", " ", "-", ".", "  "])
_PREFIX = st.sampled_from(["", "+47", "+47 ", "0047", "0047 ", "(+47) ", "(0047)", " +47-"])
_NORWEGIAN = st.from_regex(r"[2-9][0-9]{7}", fullmatch=True)


def _spell(digits: str, prefix: str, separators: list[str]) -> str:
    """``digits`` with a prefix and a separator drawn for each gap between digits."""
    out = prefix
    for index, digit in enumerate(digits):
        out += digit + (separators[index % len(separators)] if index < len(digits) - 1 else "")
    return out


@PROPERTY
@given(
    digits=_NORWEGIAN,
    spellings=st.lists(
        st.tuples(_PREFIX, st.lists(_SEPARATOR, min_size=1, max_size=7)), min_size=2, max_size=4
    ),
)
def test_every_spelling_of_a_norwegian_number_gives_one_answer(
    digits: str, spellings: list[tuple[str, list[str]]]
) -> None:
    answers = set()
    for prefix, separators in spellings:
        try:
            answers.add(normalise_phone(_spell(digits, prefix, separators)))
        except InvalidPhone:
            answers.add("refused")
    assert len(answers) == 1
    (answer,) = answers
    if answer != "refused":
        assert answer == "+47" + digits
        assert normalise_phone(answer) == answer


_REGIONS = sorted(
    region
    for region in phonenumbers.SUPPORTED_REGIONS
    if phonenumbers.example_number(region) is not None
)


@PROPERTY
@given(
    region=st.sampled_from(_REGIONS),
    style=st.sampled_from(
        [phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
    ),
    read_in=st.sampled_from(["NO", "SE", "US", "GB", "DE"]),
)
def test_normalise_is_idempotent_on_its_output_in_any_default_region(
    region: str, style: int, read_in: str
) -> None:
    example = phonenumbers.example_number(region)
    assert example is not None  # _REGIONS keeps only regions that have one
    written = phonenumbers.format_number(example, style)
    e164 = normalise_phone(written, region)
    assert e164 == phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert re.fullmatch(r"\+[1-9]\d{1,14}", e164)
    assert normalise_phone(e164) == e164
    assert normalise_phone(e164, read_in) == e164


@PROPERTY
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_normalise_refuses_anything_with_invalid_phone_only(text: str) -> None:
    try:
        e164 = normalise_phone(text)
    except InvalidPhone:
        return
    assert re.fullmatch(r"\+[1-9]\d{1,14}", e164)
    assert normalise_phone(e164) == e164


def _country_code_digits(e164: str) -> str:
    return str(phonenumbers.parse(e164, None).country_code)


@PROPERTY
@given(region=st.sampled_from(_REGIONS), tail=st.from_regex(r"[0-9]{0,4}", fullmatch=True))
def test_mask_shows_at_most_the_last_two_national_digits(region: str, tail: str) -> None:
    example = phonenumbers.example_number(region)
    assert example is not None  # _REGIONS keeps only regions that have one
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    # Also numbers of other lengths than the example's: the mask must not depend on validity.
    e164 = (e164 + tail)[:16]
    country = _country_code_digits(e164)
    national = e164[1 + len(country) :]
    masked = mask_phone(e164)
    assert masked.startswith("+" + country)
    rest = masked[1 + len(country) :]
    shown = re.sub(r"\*", "", rest)
    assert len(rest) == len(national)
    assert len(shown) <= 2
    assert national.endswith(shown)
    assert rest == "*" * (len(national) - len(shown)) + shown
