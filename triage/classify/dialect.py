"""Read nynorsk, dialect and Swedish function words as the bokmål the rules are written in.

Tickets come in bokmål, but also in nynorsk ("eg får ikkje logga på"), in dialect typed as
spoken ("itte", "nåkka") and from Swedish colleagues ("hela kontoret har inget nätverk").
The words that decide a ticket are few and closed-class: the negation, "whole", "all",
"nobody", a handful of verbs. Rather than write every rule three times, the normaliser maps
those tokens to their bokmål form before the rules run, the same way it fixes typing slips
(``spelling``); the reasons still quote the user's own words.

Only words with no everyday English or bokmål meaning of their own are listed: "me"
(nynorsk "vi") and "no" (nynorsk "nå") are English words too, so they stay as they are.
"""

from __future__ import annotations

#: Token (as folded by ``normalise``: lower case, æøå kept, Swedish ä/ö read as æ/ø) →
#: the bokmål word the rules know.
DIALECT: dict[str, str] = {
    # negation
    "ikkje": "ikke", "ikkj": "ikke", "inkje": "ikke", "itte": "ikke",
    "ittj": "ikke", "ikkeno": "ingenting", "inte": "ikke",
    "inga": "ingen", "inget": "ingen", "ingentin": "ingenting",
    "ingjen": "ingen", "ingan": "ingen",
    # pronouns and quantifiers
    "eg": "jeg", "æg": "jeg", "dykkar": "deres", "dei": "de",
    "heile": "hele", "heila": "hele", "hela": "hele", "heilt": "helt", "alla": "alle",
    "nokon": "noen", "nokre": "noen", "någon": "noen", "några": "noen", "noko": "noe",
    "nåkka": "noe", "nåkke": "noe", "nokka": "noe", "något": "noe",
    "samtliga": "samtlige", "berre": "bare", "bærre": "bare", "sjølv": "selv",
    # verbs
    "kjem": "kommer", "kjøm": "kommer", "kome": "komme", "fekk": "fikk", "verkar": "virker",
    "fungerar": "fungerer", "funkar": "funker",
    "mista": "mistet", "misst": "mistet", "mistat": "mistet", "manglar": "mangler",
    "saknar": "mangler", "saknas": "mangler", "ligg": "ligger",
    # states, places, nouns
    "utan": "uten", "nere": "nede", "ær": "er", "frå": "fra", "hjå": "hos",
    "nætverk": "nettverk", "nætverket": "nettverket", "nætet": "nettet", "dator": "pc",
    "datorn": "pcen", "datorer": "pcer", "datorerna": "pcene", "bråttom": "hast",
    "straumbrot": "strømbrudd", "straum": "strøm", "straumen": "strømmen",
}  # fmt: skip


def standard(token: str) -> str | None:
    """The bokmål form of a dialect ``token``, or None when it is already standard."""
    word = DIALECT.get(token)
    return None if word is None or word == token else word
