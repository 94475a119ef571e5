"""How many machines or people a ticket is about: "to maskiner", "2 pcer", "three PCs".

The contract's PC rule turns on a count ("two or more machines"), so counts are read
whether written as digits, number words (bokmål and English) or quantifiers ("flere",
"several", "et par", "both"). A count only counts when it is attached to something that
can be affected: a machine, a user, a phone, "of us". Norwegian "to" is also the English
preposition and "fire" an English noun, so Norwegian number words only combine with
Norwegian nouns that agree in number ("to maskiner", "en maskin") and English ones with
English nouns; digits combine with either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from triage.classify.normalise import LETTERS, fold_pattern

#: Stands for "two or more, number not given" (flere, several, both, a couple of ...).
SEVERAL = 2

NORWEGIAN_NUMBERS: dict[str, int] = {
    "en": 1, "ei": 1, "ett": 1, "ein": 1, "eneste": 1,
    "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "sju": 7, "syv": 7, "åtte": 8,
    "ni": 9, "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14,
    "femten": 15, "tjue": 20, "tretti": 30, "førti": 40, "femti": 50, "hundre": 100,
    "begge": SEVERAL, "par": SEVERAL, "flere": SEVERAL, "noen": SEVERAL, "mange": SEVERAL,
    "fleste": SEVERAL, "diverse": SEVERAL, "samtlige": SEVERAL,
}  # fmt: skip

ENGLISH_NUMBERS: dict[str, int] = {
    "one": 1, "a": 1, "an": 1, "single": 1,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
    "both": SEVERAL, "couple": SEVERAL, "few": SEVERAL, "several": SEVERAL,
    "multiple": SEVERAL, "many": SEVERAL, "some": SEVERAL, "most": SEVERAL,
    "various": SEVERAL, "handful": SEVERAL, "lot": SEVERAL, "number": SEVERAL,
}  # fmt: skip

_NO_SINGULAR = (
    r"pc|pcen|maskin|maskina|maskinen|datamaskin|datamaskinen|laptop|laptopen|bærbar|"
    r"bærbare|bruker|brukeren|ansatt|person|kollega|kollegaen|kollegen|medarbeider|"
    r"klient|klienten|arbeidsstasjon|terminal|kasse|kassa|telefon|telefonen|mobil|mobilen"
)
_NO_PLURAL = (
    r"pcer|pcene|maskiner|maskinene|datamaskiner|datamaskinene|laptoper|laptopene|"
    r"bærbare|brukere|brukerne|ansatte|personer|stk|stykk\w*|kolleger|kollegene|"
    r"kollegaer|kollegaene|medarbeidere|klienter|klientene|arbeidsstasjoner|"
    r"arbeidsstasjonene|terminaler|kasser|kassene|telefoner|telefonene|mobiler|mobilene|"
    r"oss|dem|folk|mann|pleiere|selgere|vikarer|skjermer|andre(?!\s+(?:etasje|etg|skift))"
)
_NO_UNITS = f"{_NO_SINGULAR}|{_NO_PLURAL}"
#: Number words typed without Norwegian letters.
_ASCII_SPELLINGS = {"atte": "åtte", "aatte": "åtte", "forti": "førti", "foerti": "førti"}
_EN_UNITS = (
    r"pc|pcs|computer|computers|machine|machines|laptop|laptops|desktop|desktops|user|"
    r"users|people|person|staff|employee|employees|colleague|colleagues|workstation|"
    r"workstations|terminal|terminals|till|tills|phone|phones|device|devices|us|them|"
    r"members|workers|agents|nurses|others"
)
_NUMBER_WORDS = "|".join(sorted({*NORWEGIAN_NUMBERS, *ENGLISH_NUMBERS}, key=len, reverse=True))
_COUNT = re.compile(
    rf"\b(?P<n>\d{{1,4}}|{fold_pattern(_NUMBER_WORDS)})\s+"
    r"(?P<of>(?:av|of)\s+(?:(?:de|dem|the|our|våre|vare|disse|these)\s+)?)?"
    rf"(?P<gap>(?:[{LETTERS}0-9]+\s+){{0,2}}?)"
    rf"(?P<unit>{fold_pattern(_NO_UNITS)}|{_EN_UNITS})\b"
)
_NO_SINGULAR_UNIT = re.compile(rf"(?:{fold_pattern(_NO_SINGULAR)})\Z")
_NO_PLURAL_UNIT = re.compile(rf"(?:{fold_pattern(_NO_PLURAL)})\Z")
_EN_UNIT = re.compile(rf"(?:{_EN_UNITS})\Z")


@dataclass(frozen=True)
class Count:
    """A count attached to machines or people, with its span in the folded text."""

    value: int
    start: int
    end: int


def _value(word: str, unit: str, *, partitive: bool = False) -> int | None:
    """The number ``word`` means in front of ``unit``, honouring the language pairing.

    Norwegian number agrees with the noun ("to maskiner", "en maskin"; "to his PC" is
    English), except in the partitive "en av maskinene", where the noun is always plural.
    """
    if word.isdigit():
        return int(word)
    word = _ASCII_SPELLINGS.get(word, word)
    if word in NORWEGIAN_NUMBERS:
        value = NORWEGIAN_NUMBERS[word]
        units = _NO_SINGULAR_UNIT if value == 1 and not partitive else _NO_PLURAL_UNIT
        return value if units.match(unit) else None
    if word in ENGLISH_NUMBERS and _EN_UNIT.match(unit):
        return ENGLISH_NUMBERS[word]
    return None


def find_counts(text: str) -> Iterator[Count]:
    """Every count of machines or people in folded ``text``.

    In "a couple of users" the quantifier in the gap wins over the article; in
    "en av de tre PC-ene" ("one of the three PCs") the word before "av"/"of" wins;
    "hvor mange"/"how many" asks for a count and gives none.
    """
    for m in _COUNT.finditer(text):
        if text[max(0, m.start() - 5) : m.start()].split()[-1:] in (["how"], ["hvor"]):
            continue  # "hvor mange brukere", "how many users": a question, not a count
        unit = m.group("unit")
        value = _value(m.group("n"), unit, partitive=bool(m.group("of")))
        if not m.group("of"):
            for word in m.group("gap").split():
                inner = _value(word, unit)
                if inner is not None:
                    value = inner
        if value is not None:
            yield Count(value=value, start=m.start(), end=m.end())
