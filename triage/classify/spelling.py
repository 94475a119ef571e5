"""Forgive one slip of the finger in the words that decide a ticket.

"nettverkt er nede for hele bedrften" must read like "nettverket ... bedriften". Only the
vocabulary below is corrected, only tokens of six letters or more, and only at edit
distance one (insert, delete, substitute, swap two neighbours): short words have too many
real neighbours ("staff"/"stuff", "ikke"/"ikka") to correct safely. A difference in the last
three letters is an inflection, not a slip ("brukeren" is not a misspelt "brukerne", and the
rules match stems anyway), so it is left alone; real words that sit one edit from a
vocabulary word elsewhere are listed in :data:`PROTECTED`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from triage.classify.protected import PROTECTED_WORDS
from triage.classify.wordlist import word_set

MIN_LENGTH = 6

#: The words the rules depend on, as they look after ``normalise``.
VOCABULARY: frozenset[str] = word_set(
    """
    nettverk nettverket nettverkene internett internettet nettilgang
    bedriften bedrifta firmaet selskapet kontoret kontorene organisasjonen virksomheten
    avdelingen bygningen samtlige ansatte brukere brukerne maskiner maskinene
    datamaskin datamaskiner datamaskinene kollegaene kollegene
    fungerer fungerte fungere tilgang tilgjengelig utilgjengelig forbindelse forbindelsen
    serveren servere serverne filserver filserveren terminalserver
    sentralbord sentralbordet telefoni telefonien telefonene hovednummer hovednummeret
    brannmur brannmuren ruteren switchen fellesområdet fellesdisk fellesdisken
    nedetid bortfall driftsstans eposten epostene outlook exchange sharepoint
    everyone everybody nobody network networks internet company office entire
    outage outages connect connection connectivity access cannot working
    offline unreachable unavailable inaccessible responding crashed several
    switchboard telephony computers machines laptops colleagues employees
    resolved maintenance vedlikehold planlagt kritisk password passord passordet
    licence license invoice faktura fakturaen bestille bestilling printer skriveren
    affected berørt påvirket fortsatt
    """
)

#: Real words one edit from a vocabulary word; never "corrected". Generated from the
#: Debian word lists (wamerican, wnorwegian) by :func:`collisions`, and checked by the
#: tests whenever those lists are installed.
PROTECTED: frozenset[str] = PROTECTED_WORDS


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for word in VOCABULARY:
        for key in {word, *_deletes(word)}:
            index.setdefault(key, []).append(word)
    return {key: tuple(sorted(words)) for key, words in index.items()}


_INDEX = _build_index()


def _within_one(a: str, b: str) -> bool:
    """Optimal-string-alignment distance <= 1, without building the full matrix."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@lru_cache(maxsize=8192)
def correct(token: str) -> str | None:
    """The vocabulary word ``token`` is a one-edit misspelling of, or None to keep it."""
    if len(token) < MIN_LENGTH or token in VOCABULARY or token in PROTECTED:
        return None
    candidates: set[str] = set()
    for key in {token, *_deletes(token)}:
        candidates.update(_INDEX.get(key, ()))
    matches = sorted(
        w
        for w in candidates
        if len(w) >= MIN_LENGTH and _within_one(token, w) and not _only_ending_differs(token, w)
    )
    return matches[0] if matches else None


def _only_ending_differs(token: str, word: str) -> bool:
    """True when the two words agree up to their last three letters (an inflection)."""
    shortest = min(len(token), len(word))
    first_difference = next((i for i in range(shortest) if token[i] != word[i]), shortest)
    return first_difference >= shortest - 2


def collisions(words: Iterable[str]) -> dict[str, str]:
    """Real ``words`` that :func:`correct` would turn into a vocabulary word.

    Used to generate :data:`PROTECTED` from a dictionary, and by the tests to check it.
    """
    found: dict[str, str] = {}
    for word in words:
        fixed = correct(word)
        if fixed is not None:
            found[word] = fixed
    return found
