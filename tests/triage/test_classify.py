"""The severity classifier: hard phrases in both languages, reasons, metrics, robustness.

The phrase tables are written here, apart from the labelled CSV sets, so they check
behaviour the sets may not contain. The metrics tests hold the classifier to the product
target on the development set and to a looser bar on the holdout set, which was written
before the rules were tuned and never used to tune them. The blind set was written by
someone who had not read the rules (it scored precision 0.968 / recall 0.871 when first
run); its misses were then generalised into the families in ``FAMILY_PHRASES``, so it is
held to the product target too, but is no longer blind.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.severity import Severity
from triage.classify import (
    DEFAULT_CONFIRM_BELOW,
    THRESHOLD,
    Classification,
    classify,
    dialect,
    spelling,
)
from triage.classify.normalise import MAX_CHARS, normalise
from triage.classify.numbers import find_counts

DATA = Path(__file__).resolve().parent.parent / "data"
DEV = DATA / "classification.csv"
HOLDOUT = DATA / "classification_holdout.csv"
BLIND = DATA / "classification_blind.csv"
COLUMNS = ["id", "channel", "after_hours", "lang", "subject", "body", "label"]

C = Severity.CRITICAL
N = Severity.NON_CRITICAL

# (text, expected) -- grouped by the hard case each line exercises.
PHRASES: list[tuple[str, Severity]] = [
    # company-wide scope with an outage, bokmål and English
    ("Nettverket er nede for hele bedriften", C),
    ("hele firmaet er uten internett", C),
    ("Exchange er nede for hele selskapet", C),
    ("internett er nede på hele kontoret", C),
    ("the network is down for the whole company", C),
    ("all users have lost internet", C),
    ("everyone in the office lost the network", C),
    ("email is down for everyone", C),
    ("Teams er nede for alle", C),
    ("telefonien er nede for alle, ingen kan ringe ut", C),
    ("MBN er nede for alle i firmaet", C),
    ("Hele salgsavdelingen har ikke tilgang til CRM", C),
    # nobody-can phrasing carries both the fault and the scope
    ("ingen får logget inn", C),
    ("ingen av oss kommer inn på serveren", C),
    ("nobody can log in", C),
    ("none of our staff can connect to the VPN", C),
    ("No-one has internet or access to the servers", C),
    # counts as digits, number words and quantifiers: two or more PCs
    ("to maskiner får ikke logget på nettverket", C),
    ("tre PC-er har mistet nettet", C),
    ("2 pcer kommer ikke på nett", C),
    ("three PCs cannot log on to the network", C),
    ("two laptops in the meeting room can't connect to the network", C),
    ("flere av oss får ikke logget inn", C),
    ("several users cannot reach the file server", C),
    ("halve kontoret har ikke nett", C),
    ("Kollegaen min og jeg får ikke tilgang til fellesdisken", C),
    ("det er ikke bare min PC, alle har mistet nettet", C),
    ("it's not just me, the whole team cannot reach the file server", C),
    # a shared core service down with no scope stated is likely critical
    ("serveren er nede", C),
    ("server down", C),
    ("internett er nede", C),
    ("sentralbordet svarer ikke", C),
    ("Our switchboard is down, calls to the main number ring out", C),
    ("brannmuren har gått ned og vi har ikke internett", C),
    ("e-post nede", C),
    # still down / down again is not a resolution
    ("nettet er nede igjen! ingen kommer seg på", C),
    ("Internett virker ikke igjen! Hele kontoret er uten nett", C),
    ("Serveren er ikke lenger nede, men e-posten fungerer fortsatt ikke for noen", C),
    ("Nettet fungerte fint i går, men i dag er det nede for alle", C),
    # ascii fallbacks and typos
    ("Ingen faar logget paa nettverket. Hele firmaet staar.", C),
    ("nettverkt er nede for hele bedrften", C),
    ("nettverket fungrer ikke for noen", C),
    # boilerplate must not hide the report
    ("Internet is down.\n\nSent from my iPhone", C),
    ("Serveren er nede!\n\nSendt fra min iPhone", C),
    # single user / single device
    ("min PC får ikke logget inn på nettverket", N),
    ("my laptop won't connect to wifi", N),
    ("one user cannot log on to his PC, others are fine", N),
    ("en bruker får ikke logget på", N),
    ("en av maskinene på lageret har mistet nettet", N),
    ("one of the PCs in the lab lost network", N),
    ("jeg får ikke logget inn, alle andre får det til", N),
    ("I can't get on the network from my desk. Everyone else seems fine.", N),
    ("Teams funker ikke på mobilen min", N),
    ("Jeg har mistet alle e-postene mine fra i går", N),
    ("all my files on the desktop are gone", N),
    ("my internet at home is down", N),
    # resolved and negated states; "ikke" in "får ikke" is a fault, not a negation
    ("nettverket er ikke lenger nede", N),
    ("the server is no longer down", N),
    ("internett er oppe igjen", N),
    ("nettet fungerer igjen for alle", N),
    ("internet works again, thanks!", N),
    ("never mind, the network is back up", N),
    ("thanks, it's working again\n\n> On Monday Kari wrote:\n> internet is down for everyone", N),
    ("internett var nede i går, men kom tilbake av seg selv", N),
    ("The internet was down for the whole office yesterday. It's working now.", N),
    # not urgent / not critical
    ("not urgent, but the meeting room screen doesn't work", N),
    ("Skriveren virker ikke. Ikke kritisk, vi bruker den andre.", N),
    ("haster ikke, men pc-en min bråker litt", N),
    ("Ingen hast, men kan dere se på VPN-klienten min?", N),
    # hypothetical, planned, test
    ("hva gjør vi hvis internett går ned?", N),
    ("What is the procedure if the server goes down?", N),
    ("the network will be down Sunday 10-12 for the switch replacement", N),
    ("Som varslet vil serveren være nede lørdag for oppgradering", N),
    ("This is just a test of the support address, no action needed", N),
    # requests, orders, questions, passwords, new users, licences, invoices
    ("kan dere tilbakestille passordet mitt?", N),
    ("password reset please, locked out of my account", N),
    ("Vi har en ny ansatt som starter mandag, kan dere opprette bruker?", N),
    ("Please create a new user account for Mark", N),
    ("Vi trenger to ekstra lisenser for Office 365", N),
    ("Fakturaen for februar er feil", N),
    ("invoice 10023 includes three users who have left", N),
    ("We'd like to order two new laptops", N),
    ("Kan vi bestille tre nye PC-er?", N),
    ("hvordan legger jeg til en delt postboks i outlook?", N),
    ("Alle ansatte må bytte passord neste uke", N),
    ("Kan alle få tilgang til den nye mappen?", N),
    # peripherals, slowness, intermittent faults
    ("skriveren virker ikke", N),
    ("printer on 3rd floor is offline", N),
    ("The printer for everyone is out of toner", N),
    ("nettet er litt tregt i dag", N),
    ("The internet is slow for all of us, but we can work", N),
    ("ikke kritisk, men wifi i kantina faller ut av og til", N),
    # capitals are a weak signal only
    ("THE PRINTER IS JAMMED AGAIN", N),
    ("HASTER!!! PC-EN MIN STARTER IKKE", N),
    ("HELE FIRMAET ER UTEN INTERNETT", C),
    # nothing there
    ("", N),
    ("hei", N),
    ("Everyone got a phishing email, nobody clicked it", N),
    ("Alle har fått en rar e-post, ingen har åpnet vedlegget", N),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES, ids=[p[0][:50] for p in PHRASES])
def test_phrase(text: str, expected: Severity) -> None:
    """The evidence rules' own judgement (the hand-set score) on each hard phrase; the model
    on top is held to the phrases as a whole (``test_model_agrees_with_most_phrases``)."""
    result = classify(text)
    assert (result.score >= THRESHOLD) is (expected is C), (result.score, result.rule_reasons)


# Families of misses found by the blind set, each written as new sentences (not the blind
# set's own) so that the rule for the family is tested, not the sentence: the variants and
# the traps that the wider rule must not catch.
FAMILY_PHRASES: dict[str, list[tuple[str, Severity]]] = {
    # "ingen"/"none" as the subject, with a place, a count or a relative clause between it
    # and the verb; a new clause ("men jeg ...") ends the subject
    "nobody-anywhere": [
        ("ingen på lageret har nett", C),
        ("Ingen i andre etasje får logget på", C),
        ("ingen av de som sitter i resepsjonen kommer inn på fagsystemet", C),
        ("ingen av PC-ene i 2. og 3. etasje får kontakt med serveren", C),
        ("ingen her på avdelingen har internett", C),
        ("ingen ute på byggeplassen får koblet til VPN", C),
        ("nobody at the Oslo branch has internet", C),
        ("none of the laptops on the second floor can connect", C),
        ("none of our people in Trondheim are able to log in", C),
        ("no PCs in the warehouse can reach the server", C),
        ("Ingen av maskinene på lageret booter", C),
        ("dei fleste på kontoret får ikkje logga på", C),
        ("ingen feil på skjermen, men jeg får ikke logget på", N),
        ("Ingen hast, jeg kan vente til i morgen med skriveren", N),
        ("none of this is urgent but my mouse is broken", N),
        ("ingen i HR har fått lønnsslipp denne måneden", N),
        ("Ingen av oss har fått svar fra leverandøren", N),
        ("nobody on the team got the invitation email", N),
        ("none of the new laptops have been delivered yet", N),
        ("Ingen på kontoret kan skrive ut", N),
        ("ingen av oss svarer på telefonen i lunsjen", N),
        ("de fleste har fått ny PC", N),
    ],
    # lacking something: "mangler", "står uten", "missing"
    "lacking": [
        ("vi mangler nett i hele bygget", C),
        ("resepsjonen og kontorene bak mangler internett", C),
        ("Hele lageret står uten nett", C),
        ("the whole floor is missing network access", C),
        ("Jeg mangler tilgang til en mappe", N),
        ("mangler lisens på Visio", N),
    ],
    # nynorsk, dialect and Swedish function words read as bokmål
    "dialect": [
        ("me på kontoret har ikkje nett, ingen kjem seg inn på noko", C),
        ("heile avdelinga er utan nett", C),
        ("nettet itte virker for nån av oss på kontoret", C),
        ("ingen av oss kjem inn på serveren", C),
        ("hela kontoret saknar internet", C),
        ("vi har inget nätverk på hela våningen", C),
        ("eg får ikkje logga inn på pc-en min", N),
        ("skrivaren verkar ikkje, men det hastar ikkje", N),
        ("min dator är långsam", N),
    ],
    # welfare alarms and door access are infrastructure; "sluttet å virke" is a fault
    "alarms-and-access": [
        ("trygghetsalarmene har sluttet å fungere i hele kommunen", C),
        ("pasientvarslingen på avdelingen har slutta å virke", C),
        ("the nurse call system has stopped working on all wards", C),
        ("social alarms are not arriving at the response centre", C),
        ("adgangskontrollen er nede, ingen kommer inn", C),
        ("Én trygghetsalarm har lavt batteri", N),
        ("kan dere legge inn ny bruker i adgangskontrollen?", N),
    ],
    # telephony lines, and callers from outside who cannot reach the company
    "callers-and-lines": [
        ("kundene kommer ikke gjennom på sentralbordet", C),
        ("de som ringer oss får bare opptattsignal", C),
        ("callers are getting a busy tone on our main number", C),
        ("customers say they cannot get through to us by phone", C),
        ("alle telefonlinjene er nede", C),
        ("all our phone lines are dead", C),
        ("en kunde sier hun ikke kom gjennom i går, men nå går det fint", N),
        ("kan vi få en ekstra linje til kundeservice?", N),
        ("kundene klager på at fakturaen er feil", N),
        ("kundene klager på lang ventetid i telefonkøen", N),
        ("customers cannot get through to our website, the web shop is down", N),
        ("alle skjermene i møterommet er døde", N),
        ("All the printers on floor 2 are offline", N),
        ("alle filene er borte fra skrivebordet mitt", N),
    ],
    # counts of "others": "jeg og to andre", "me and three others"
    "others-counted": [
        ("jeg og to andre får ikke logget på nettet", C),
        ("me and three others lost the network", C),
        ("I and one other can't print", N),
        ("vi er tre som ikke har fått ny telefon ennå", N),
    ],
    # newsletters, adverts and advice about outages in general
    "bulletins": [
        ("Nyhetsbrev: Slik unngår du at nettet går ned for hele bedriften", N),
        ("Webinar: what to do if your entire network goes down. Register now!", N),
        ("Les mer om hvordan dere kan sikre bedriften mot strømbrudd", N),
    ],
    # people ill or away: "down with flu", "out sick", "nede med omgangssyke"
    "absence": [
        ("half the office is out sick today, please postpone the training", N),
        ("hele avdelingen er nede med omgangssyke, kan vi flytte kurset?", N),
        ("half the team is down with covid so the upgrade can wait", N),
        ("hela teamet är sjuka idag", N),
    ],
    # access that was never set up is an onboarding request; access lost is a fault
    "provisioning": [
        ("ingen av de nye brukerne har tilgang til CRM ennå, kan dere gi dem tilgang?", N),
        ("nobody in the new team has access to the SharePoint site yet, could you grant it?", N),
        ("ingen har tilgang til serveren lenger, kan dere gi oss tilgang igjen?", C),
    ],
    # a copier or scan-to-e-mail is a peripheral, even when e-mail is named
    "peripheral-functions": [
        ("scan to email stopped working for everyone, we use USB for now", N),
        ("kopimaskinen virker ikke for noen", N),
    ],
}
FAMILY_CASES = [
    pytest.param(text, expected, id=f"{family}: {text[:45]}")
    for family, cases in FAMILY_PHRASES.items()
    for text, expected in cases
]


@pytest.mark.parametrize(("text", "expected"), FAMILY_CASES)
def test_family_phrase(text: str, expected: Severity) -> None:
    result = classify(text)
    assert (result.score >= THRESHOLD) is (expected is C), (result.score, result.rule_reasons)


def test_model_agrees_with_most_phrases() -> None:
    """The statistical model never trained on these phrases (they are short, the corpus is
    whole tickets); its own lean must still agree with nine in ten, and the desk's decision
    (critical when unsure) must miss no critical phrase but a few."""
    phrases = PHRASES + [p for family in FAMILY_PHRASES.values() for p in family]
    results = [(classify(text), expected) for text, expected in phrases]
    agree = sum(r.leaning is expected for r, expected in results)
    assert agree >= 0.9 * len(phrases), agree
    missed = [r for r, expected in results if expected is C and r.severity is N]
    assert len(missed) <= 0.03 * len(phrases), missed


# --- reasons -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), PHRASES[::7], ids=[p[0][:40] for p in PHRASES[::7]])
def test_reasons_lead_with_the_decision_and_cite_the_contract(
    text: str, expected: Severity
) -> None:
    result = classify(text)
    assert result.reasons
    assert result.reasons[0].startswith(f"{result.leaning} with confidence ")
    for reason in result.rule_reasons:
        assert reason.startswith(f"{expected}:") or reason.startswith("outweighed")
    for reason in result.reasons[1:]:
        assert re.match(r"(critical|non-critical|outweighed \((critical|non-critical)\)): ", reason)
        assert "Nettsoft §" in reason, reason


def test_reason_quotes_the_company_wide_phrase() -> None:
    result = classify("Nettverket er nede for hele bedriften")
    assert any(
        r.startswith("critical: 'hele bedriften'") and "whole company" in r for r in result.reasons
    ), result.reasons


def test_reason_quotes_the_user_s_own_spelling() -> None:
    result = classify("Ingen faar logget paa")
    assert result.severity is C
    assert any(r.startswith("critical: 'Ingen faar'") for r in result.reasons), result.reasons


def test_single_user_reason() -> None:
    result = classify("min PC får ikke logget inn")
    (reason,) = [r for r in result.reasons if r.startswith("non-critical: 'min PC'")]
    assert "one user" in reason
    assert "two or more PCs" in reason


def test_two_machines_reason_cites_the_pc_rule() -> None:
    result = classify("to maskiner får ikke logget på")
    assert any("'to maskiner'" in r and "two or more machines" in r for r in result.reasons)


def test_non_critical_without_evidence_still_gets_a_reason() -> None:
    result = classify("Hei, takk for sist!")
    assert result.severity is N
    assert result.reasons[0].startswith("non-critical with confidence")
    assert result.reasons[1].startswith("non-critical: no fault is reported")
    assert "Nettsoft §2" in result.reasons[1]


# --- channel, after hours, score -----------------------------------------------------------


def test_after_hours_tips_a_borderline_ticket_and_says_so() -> None:
    text = "e-posten virker ikke"
    office = classify(text, channel="phone")
    night = classify(text, channel="phone", after_hours=True)
    assert office.score < THRESHOLD <= night.score
    assert night.score == pytest.approx(office.score + 0.5)
    assert night.probability > office.probability
    assert any("after-hours on-call phone" in r for r in night.rule_reasons)
    assert not any("after-hours" in r for r in office.reasons)


def test_after_hours_is_reported_even_when_it_is_outweighed() -> None:
    result = classify("kan dere tilbakestille passordet mitt?", after_hours=True)
    assert result.severity is N
    assert any(
        r.startswith("outweighed (critical):") and "on-call" in r for r in result.rule_reasons
    )


def test_after_hours_does_not_make_a_request_critical() -> None:
    assert classify("Innringer har glemt passordet sitt", after_hours=True).severity is N


@pytest.mark.parametrize("channel", ["email", "chat", "phone", None])
def test_channel_does_not_change_the_decision(channel: str | None) -> None:
    assert classify("serveren er nede", channel=channel).score == classify("serveren er nede").score


def test_subject_is_read_with_the_body() -> None:
    assert classify("Hei, se emnefeltet.", subject="Internett nede for alle").severity is C


def test_severity_is_the_lean_or_critical_when_unsure() -> None:
    for text, _ in PHRASES:
        result = classify(text)
        assert (result.probability >= 0.5) == (result.leaning is C)
        assert (result.severity is C) == (result.leaning is C or result.needs_confirmation)
        assert result.needs_confirmation == (result.confidence < DEFAULT_CONFIRM_BELOW)


def test_classification_is_frozen() -> None:
    result = classify("server down")
    assert isinstance(result, Classification)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0.0  # type: ignore[misc]


# --- normalisation and counts --------------------------------------------------------------


def test_normalise_folds_spellings_and_keeps_the_way_back() -> None:
    raw = "Faar ikke logget paa. PC-er og e-post, can't"
    norm = normalise(raw)
    assert norm.text == "får ikke logget på. pcer og epost, cant"
    start = norm.text.index("pcer")
    assert norm.quote(start, start + 4) == "PC-er"


def test_normalise_keeps_norwegian_letters_apart_from_ascii() -> None:
    assert normalise("Vår server").text == "vår server"  # not "var" (was)
    assert normalise("Løst!").text == "løst!"  # not English "lost"


def test_normalise_bounds_the_input() -> None:
    assert len(normalise("x" * (MAX_CHARS * 3)).raw) == MAX_CHARS


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("to maskiner", 2),
        ("tre pcer", 3),
        ("2 pcer", 2),
        ("three pcs", 3),
        ("fem av oss", 5),
        ("a couple of users", 2),
        ("en bruker", 1),
        ("en av maskinene", 1),
        ("one of the pcs", 1),
        ("3 of 5 pcs", 3),
        ("åtte bærbare", 8),
        ("atte baerbare", 8),
        ("jeg og fire andre", 4),
        ("me and two others", 2),
    ],
)
def test_counts(text: str, value: int) -> None:
    assert [c.value for c in find_counts(text)] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "to his pc",
        "send it to users",
        "fire alarm",
        "to ganger",
        "how many users",
        "2 i andre etasje",
    ],
)
def test_words_that_only_look_like_counts(text: str) -> None:
    assert list(find_counts(text)) == []


WORD_LISTS = [Path("/usr/share/dict/american-english"), Path("/usr/share/dict/bokmaal")]


@pytest.mark.slow
@pytest.mark.skipif(
    not all(p.exists() for p in WORD_LISTS), reason="Debian wamerican/wnorwegian not installed"
)
def test_spelling_never_turns_a_real_word_into_another() -> None:
    """PROTECTED must cover every dictionary word one edit from the vocabulary."""
    words = {
        w
        for path in WORD_LISTS
        for w in path.read_text(encoding="utf-8", errors="ignore").lower().split()
        if w.isalpha() and len(w) >= spelling.MIN_LENGTH
    }
    assert spelling.collisions(sorted(words - spelling.PROTECTED)) == {}


def test_dialect_words_read_as_bokmal_and_quote_the_user_s_words() -> None:
    norm = normalise("Eg får ikkje logga på, heile kontoret er utan nett")
    assert norm.text == "jeg får ikke logga på, hele kontoret er uten nett"
    start = norm.text.index("ikke")
    assert norm.quote(start, start + 4) == "ikkje"
    assert normalise("hela kontoret har inget nätverk").text == "hele kontoret har ingen nettverk"


@pytest.mark.skipif(not WORD_LISTS[0].exists(), reason="Debian wamerican not installed")
def test_dialect_never_rewrites_an_english_word() -> None:
    english = set(WORD_LISTS[0].read_text(encoding="utf-8", errors="ignore").lower().split())
    assert sorted(set(dialect.DIALECT) & english) == []


def test_spelling_fixes_one_slip_in_a_long_word_only() -> None:
    assert spelling.correct("bedrften") == "bedriften"
    assert spelling.correct("fungrer") == "fungerer"
    assert spelling.correct("enable") is None  # a real word, protected
    assert spelling.correct("brukeren") is None  # an inflection, not a slip
    assert spelling.correct("staff") is None  # too short to correct safely


# --- the labelled sets ---------------------------------------------------------------------


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def metrics(rows: list[dict[str, str]]) -> tuple[float, float]:
    """(precision, recall) for the critical class."""
    tp = fp = fn = 0
    for row in rows:
        predicted = classify(
            row["body"], row["subject"], row["channel"], after_hours=row["after_hours"] == "1"
        ).severity
        actual = Severity.parse(row["label"])
        tp += predicted is C and actual is C
        fp += predicted is C and actual is N
        fn += predicted is N and actual is C
    return tp / (tp + fp), tp / (tp + fn)


@pytest.mark.parametrize(
    ("path", "minimum"), [(DEV, 200), (HOLDOUT, 80), (BLIND, 150)], ids=["dev", "holdout", "blind"]
)
def test_labelled_set_shape(path: Path, minimum: int) -> None:
    rows = load(path)
    assert len(rows) >= minimum
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == {"critical", "non-critical"}
    assert {r["channel"] for r in rows} == {"email", "chat", "phone"}
    assert {r["after_hours"] for r in rows} == {"0", "1"}
    assert {r["lang"] for r in rows} == {"no", "en"}
    assert sum(r["lang"] == "no" for r in rows) >= 0.4 * len(rows)
    share = sum(r["label"] == "critical" for r in rows) / len(rows)
    assert 0.33 <= share <= 0.42


def test_development_set_meets_the_product_target() -> None:
    precision, recall = metrics(load(DEV))
    assert recall >= 0.95
    assert precision >= 0.85


def test_holdout_set_generalises() -> None:
    precision, recall = metrics(load(HOLDOUT))
    assert recall >= 0.90
    assert precision >= 0.80


def test_blind_set_meets_the_product_target() -> None:
    precision, recall = metrics(load(BLIND))
    assert recall >= 0.95
    assert precision >= 0.85


# --- robustness ----------------------------------------------------------------------------


@given(
    text=st.text(),
    subject=st.text(max_size=200),
    channel=st.sampled_from(["email", "chat", "phone", None]),
    after_hours=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_never_raises_and_always_explains(
    text: str, subject: str, channel: str | None, after_hours: bool
) -> None:
    result = classify(text, subject, channel, after_hours=after_hours)
    assert isinstance(result.severity, Severity)
    assert result.reasons
    assert all(isinstance(r, str) and r for r in result.reasons)
    assert isinstance(result.score, float)


_WORDS = st.sampled_from(
    [
        "nede",
        "down",
        "ikke",
        "not",
        "får",
        "logget",
        "inn",
        "alle",
        "everyone",
        "hele",
        "bedriften",
        "to",
        "maskiner",
        "2",
        "pcer",
        "oppe",
        "igjen",
        "no",
        "longer",
        "server",
        "nett",
        "min",
        "my",
        "PC",
        "ingen",
        "nobody",
        "can't",
        "fungerer",
        "igjen",
        "?",
    ]
)


@given(st.lists(_WORDS, max_size=40).map(" ".join), st.booleans())
@settings(max_examples=300, deadline=None)
def test_never_raises_on_rule_vocabulary_soup(text: str, after_hours: bool) -> None:
    result = classify(text, after_hours=after_hours)
    assert result.reasons
    assert 0.0 <= result.confidence <= 1.0
    assert (result.severity is C) == (result.leaning is C or result.needs_confirmation)


@pytest.mark.parametrize(
    "text",
    [
        "\x00" * 1000,
        "\ud800\udfff surrogates",
        bytes(range(256)).decode("latin-1") * 100,
        "ingen " * 50_000,
        "a" * 1_000_000,
        "-" * 100_000,
        "nettverket er nede for alle " * 50_000,
    ],
    ids=["nul", "surrogates", "binary", "repeated-word", "one-letter", "hyphens", "huge"],
)
def test_junk_and_huge_input_is_bounded(text: str) -> None:
    start = time.perf_counter()
    result = classify(text, subject=text[:500])
    assert result.reasons
    assert time.perf_counter() - start < 2.0
