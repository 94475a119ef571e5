"""Turn raw ticket text into one canonical form the rules can match, keeping the way back.

Users write "får", "faar" and "far" for the same word, "PC-er", "PC'er" and "pcer", and
"can't" or "cant". Rather than teach every rule every spelling, the text is folded once:
lower case, accents dropped (Swedish ä/ö read as æ/ø), the ascii fallback "aa" read as å,
intra-word apostrophes dropped, hyphens before an inflection ("PC-er") joined and other
hyphens ("Teams-telefoni") split, whitespace runs collapsed. Last, whole words are mapped:
nynorsk, dialect and Swedish function words to bokmål ("ikkje" → "ikke", ``dialect``) and
one-letter slips in the words that decide a ticket to the word itself (``spelling``).

æ, ø and å are kept, not folded to ascii: "vår" (our) must not become "var" (was), nor
"løst" (solved) the English "lost". Users without the letters type "a", "o", "ae" or "oe",
so a rule written with å, æ or ø accepts those too (:func:`fold_pattern`), while a rule
written in ascii does not match the Norwegian letter.

Each folded character remembers the index of the raw character it came from, so a reason
can quote the user's own words instead of the folded form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from triage.classify.dialect import standard
from triage.classify.spelling import correct

#: Only this much of a ticket is read: enough for any real report, and it bounds the work
#: on pasted logs or junk.
MAX_CHARS = 20_000

_SPECIAL = {
    "æ": "æ", "ø": "ø", "å": "å", "ä": "æ", "ö": "ø", "ß": "ss", "œ": "oe", "ð": "d",
    "þ": "th", "ł": "l", "đ": "d",
}  # fmt: skip
#: Letters of the folded text, for character classes in the rules.
LETTERS = "a-zæøå"
_APOSTROPHES = frozenset("'’`´ʼ")
_HYPHENS = frozenset("-‐‑")
_KEEP_PUNCTUATION = frozenset(".!?,:;/()'\"-\n")
#: Word endings after a hyphen that belong to the word before it ("PC-er", "PC-ene").
_SUFFIXES = frozenset(
    {"a", "ar", "e", "en", "ene", "er", "et", "es", "ens", "ers", "s", "ane", "ne", "n"}
)
_TOKEN = re.compile(rf"[{LETTERS}]+")


@dataclass(frozen=True)
class Normalised:
    """Folded text plus, for each folded character, the index of its raw character."""

    raw: str
    text: str
    origin: tuple[int, ...]

    def quote(self, start: int, end: int) -> str:
        """The raw text behind folded span [start, end), whitespace collapsed for display."""
        if start >= end or not self.origin:
            return ""
        first = self.origin[min(start, len(self.origin) - 1)]
        last = self.origin[min(end, len(self.origin)) - 1]
        return " ".join(self.raw[first : last + 1].split())


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """Fold one raw character: lower case, accents off (æøå kept), junk to a space.

    Why per character: it keeps the map back to the raw text trivially correct.
    """
    low = ch.lower()
    out: list[str] = []
    for c in low:
        if c in _SPECIAL:
            out.append(_SPECIAL[c])
            continue
        for d in unicodedata.normalize("NFKD", c):
            if unicodedata.combining(d):
                continue
            if d.isascii() and (d.isalnum() or d in _KEEP_PUNCTUATION):
                out.append(d)
            elif d in _APOSTROPHES:
                out.append("'")
            elif d in _HYPHENS:
                out.append("-")
            elif d == "\r":
                out.append("\n")
            elif d.isalnum():
                # Letters of other scripts carry no rule meaning but do separate words.
                out.append("#")
            else:
                out.append(" ")
    return "".join(out)


def _fold(raw: str) -> tuple[list[str], list[int]]:
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(raw):
        if "a" <= ch <= "z" or ch == " ":
            chars.append(ch)
            origin.append(i)
            continue
        for out in _fold_char(ch):
            chars.append(out)
            origin.append(i)
    return chars, origin


def _word_at(chars: list[str], start: int, step: int) -> str:
    """The run of letters starting at ``start`` going in direction ``step``."""
    letters: list[str] = []
    i = start
    while 0 <= i < len(chars) and chars[i].isalpha():
        letters.append(chars[i])
        i += step
    return "".join(letters if step > 0 else reversed(letters))


def _tidy(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """Join or split hyphens/apostrophes, fold "aa", collapse whitespace."""
    out: list[str] = []
    out_origin: list[int] = []
    n = len(chars)
    for i, ch in enumerate(chars):
        c = ch
        prev = out[-1] if out else " "
        nxt = chars[i + 1] if i + 1 < n else " "
        if c == "'" and prev.isalnum() and nxt.isalnum():
            continue  # can't -> cant, PC'er -> pcer, wifi'en -> wifien
        if c == "-" and prev.isalnum() and nxt.isalnum():
            after = _word_at(chars, i + 1, 1)
            before = _word_at(out, len(out) - 1, -1)
            if after in _SUFFIXES or len(before) == 1:
                continue  # PC-er -> pcer, e-post -> epost
            c = " "  # Teams-telefoni -> teams telefoni
        if c == "a" and prev == "a":
            out[-1] = "å"  # faar -> får, paa -> på: the ascii fallback for å
            continue
        if c in " \t":
            if prev in " \n":
                continue
            c = " "
        if c == "\n" and prev == " " and out:
            out[-1] = "\n"
            out_origin[-1] = origin[i]
            continue
        if c == "\n" and prev == "\n":
            continue
        out.append(c)
        out_origin.append(origin[i])
    return out, out_origin


def _correct_spelling(text: str, origin: list[int]) -> tuple[str, list[int]]:
    """Replace dialect words ("ikkje") by bokmål and near-misses ("bedrften") by the word."""
    pieces: list[str] = []
    new_origin: list[int] = []
    last = 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        fixed = standard(token) or correct(token)
        if fixed is None:
            continue
        start, end = m.span()
        pieces.append(text[last:start])
        new_origin.extend(origin[last:start])
        pieces.append(fixed)
        # Spread the corrected word over the raw span of the original token, its last
        # letter on the token's last letter so that a quote covers the whole raw word.
        span = origin[start:end]
        last_k = len(fixed) - 1
        new_origin.extend(
            span[-1] if k == last_k else span[min(k, len(span) - 1)] for k in range(len(fixed))
        )
        last = end
    if not pieces:
        return text, origin
    pieces.append(text[last:])
    new_origin.extend(origin[last:])
    return "".join(pieces), new_origin


def normalise(raw: str) -> Normalised:
    """Fold ``raw`` (at most :data:`MAX_CHARS` of it) into the canonical matching form."""
    raw = raw[:MAX_CHARS]
    chars, origin = _fold(raw)
    chars, origin = _tidy(chars, origin)
    text, final_origin = _correct_spelling("".join(chars).strip(" "), _shift(chars, origin))
    return Normalised(raw=raw, text=text, origin=tuple(final_origin))


def _shift(chars: list[str], origin: list[int]) -> list[int]:
    """Origins matching ``"".join(chars).strip(" ")``."""
    start = 0
    end = len(chars)
    while start < end and chars[start] == " ":
        start += 1
    while end > start and chars[end - 1] == " ":
        end -= 1
    return origin[start:end]


def fold_pattern(pattern: str) -> str:
    """Let a rule written with å, æ or ø also match the ascii ways users type them.

    "får" → ``f(?:å|a)r`` (the text already reads "faar" as "får"), "være" →
    ``v(?:æ|ae|a)re``, "død" → ``d(?:ø|oe|o)d``. Not for use inside character classes.
    """
    return pattern.replace("å", "(?:å|a)").replace("æ", "(?:æ|ae|a)").replace("ø", "(?:ø|oe|o)")
