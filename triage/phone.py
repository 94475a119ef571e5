"""Phone numbers of the people the desk pages, in one spelling, and masked for logs.

An escalation SMS that goes to a mistyped number fails silently at night, so numbers are
checked against the numbering plan (``phonenumbers``) when they enter the roster, not when
the page is due. E.164 (``+4791234567``) is the one spelling kept: the SMS gateway wants
it, and two spellings of one number then compare equal.

Logs must not carry personal data, yet whoever reads "SMS to ... failed" needs a hint of
which phone it was; the country code and the last two digits give that hint without
giving the number.
"""

from __future__ import annotations

import re

import phonenumbers

_COUNTRY_CODES: frozenset[int] = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_SHOWN_DIGITS = 2

# Why ``phonenumbers`` gave up on a text, in the words a person editing the roster reads.
_PARSE_PROBLEM = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}
_LENGTH_PROBLEM = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "wrong number of digits",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "wrong number of digits",
}
_INTERNATIONAL = (
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
)


class InvalidPhone(ValueError):
    """A text that cannot be used as an SMS recipient; the message says what is wrong."""


def normalise_phone(text: str, default_region: str = "NO") -> str:
    """The number ``text`` spells, in E.164, or ``InvalidPhone``.

    A number without a country code (``912 34 567``) is read in ``default_region``, because
    staff type their own numbers the way they say them. Letters are refused although
    ``phonenumbers`` would read "1-800-FLOWERS" as digits: in a staff roster a letter is
    a typo, not a vanity number. An extension is refused because an SMS cannot reach one.
    """
    region = default_region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {default_region!r}")
    if not text.strip():
        raise InvalidPhone(f"phone {text!r}: empty")
    if any(char.isalpha() for char in text):
        raise InvalidPhone(f"phone {text!r}: contains letters")
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException as exc:
        problem = _PARSE_PROBLEM.get(exc.error_type, "not a phone number")
        raise InvalidPhone(f"phone {text!r}: {problem}") from None
    if number.extension:
        raise InvalidPhone(f"phone {text!r}: has an extension, which an SMS cannot reach")
    if not phonenumbers.is_valid_number(number):
        reason = _LENGTH_PROBLEM.get(phonenumbers.is_possible_number_with_reason(number))
        if number.country_code_source in _INTERNATIONAL:
            where = f"+{number.country_code}"
            raise InvalidPhone(f"phone {text!r}: {reason or f'not a valid number for {where}'}")
        detail = f" ({reason})" if reason else ""
        raise InvalidPhone(f"phone {text!r}: not a valid number for region {region}{detail}")
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164


def mask_phone(e164: str) -> str:
    """``+4791234567`` as ``+47******67``.

    The number of stars shows the length, which is no secret of the person; a national
    number of two digits or fewer is starred whole, so the mask never gives a number away.
    Anything not in E.164 is refused rather than masked by guesswork: a guess could leave
    digits of a differently spelled number in the log.
    """
    if not _E164.match(e164):
        raise InvalidPhone(
            f"phone {_blank_digits(e164)!r}: not in E.164 form (a plus, the country code and the number, no spaces)"
        )
    digits = e164[1:]
    for length in (1, 2, 3):  # country codes are a prefix code: at most one length fits
        if int(digits[:length]) in _COUNTRY_CODES:
            country, national = digits[:length], digits[length:]
            break
    else:
        raise InvalidPhone(f"phone {_blank_digits(e164)!r}: unknown country code")
    shown = national[-_SHOWN_DIGITS:] if len(national) > _SHOWN_DIGITS else ""
    return f"+{country}{'*' * (len(national) - len(shown))}{shown}"


def _blank_digits(text: str) -> str:
    """The refused text for an error message that may itself be logged: digits starred."""
    return re.sub(r"\d", "*", text)


def mask_any(text: str) -> str:
    """A sender as it may appear in a log: masked if E.164, else every digit starred (a
    short code or an alphanumeric sender id is not refused, just hidden)."""
    try:
        return mask_phone(text)
    except InvalidPhone:
        return _blank_digits(text)
