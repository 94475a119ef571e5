"""The phrase rules: which words are evidence of which kind (see ``kinds``).

Rules match the folded text (``normalise``), and are written in plain bokmål: ``å``,
``æ`` and ``ø`` in a pattern are folded by :func:`~triage.classify.normalise.fold_pattern`
to accept the ascii fallbacks too. Words a pattern must not see in its own form are already
gone: hyphens before inflections are joined ("pc-er" → ``pcer``) and apostrophes dropped
("can't" → ``cant``).

Two phases, because a phrase can change what the words inside it mean:

* :data:`MASKING_RULES` run first, in order, and blank out what they match. "ikke lenger
  nede" is a resolved fault, so its "nede" must not count as an outage; "everyone else is
  fine" says the problem is one user's, so its "everyone" must not count as company-wide.
* :data:`DETECTION_RULES` then run on what is left, each independently.

The negation problem is handled by listing the fault phrases that *contain* "ikke" ("får
ikke logget inn", "fungerer ikke") as faults, and the phrases that negate a fault ("ikke
lenger nede", "fungerer igjen") as resolved, with a guard that rejects a "resolved" match
preceded by a negation ("har *ikke* kommet tilbake").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from triage.classify.kinds import Kind
from triage.classify.normalise import fold_pattern
from triage.classify.wordlist import word_set

Guard = Callable[[str, re.Match[str]], bool]

_NEGATION = word_set(
    """ikke ikkje not no never aldri ingen nothing ingenting isnt arent doesnt dont wont
    hasnt havent cant cannot didnt wasnt still fortsatt fremdeles enda"""
)
_RESTORE = word_set("igjen tilbake again back restore restored gjenopprette")
_CHECKING = word_set("check see know tell ask find wondering sjekke sjekk se vite finne lurer")
_WORD = re.compile(r"\w+")


def _words_before(text: str, start: int, count: int) -> list[str]:
    return _WORD.findall(text[max(0, start - 40) : start])[-count:]


def not_negated(text: str, m: re.Match[str]) -> bool:
    """Reject a "resolved"/"works" phrase that a negation turns around.

    "har ikke kommet tilbake", "not working again", "virker nå ikke": a negation inside
    the match, among the three words before it, or right after it.
    """
    if any(w in _NEGATION for w in _WORD.findall(m.group())):
        return False
    if any(w in _NEGATION for w in _words_before(text, m.start(), 3)):
        return False
    after = _WORD.findall(text[m.end() : m.end() + 12])[:1]
    return not (after and after[0] in ("ikke", "not", "nt"))


def after_own_words(text: str, m: re.Match[str]) -> bool:
    """Drop a quoted earlier message only below the sender's own words.

    "Takk, det virker nå" above a quoted "nettet er nede for alle" is a resolution; a
    bare forward ("se under") is all quote, so the quote is the report and is kept.
    """
    return len(_WORD.findall(text[: m.start()])) >= 4


def not_restoring(text: str, m: re.Match[str]) -> bool:
    """'Gi oss tilgang igjen' / 'give us access back' restores what broke: not onboarding."""
    around = _WORD.findall(text[max(0, m.start() - 30) : m.end() + 30])
    return not any(w in _RESTORE for w in around)


def not_after_checking(text: str, m: re.Match[str]) -> bool:
    """'Check if the server is down' reports a suspicion, not a hypothetical."""
    return not any(w in _CHECKING for w in _words_before(text, m.start(), 2))


@dataclass(frozen=True)
class Rule:
    """A pattern that is evidence of one or more kinds."""

    name: str
    kinds: tuple[Kind, ...]
    pattern: re.Pattern[str]
    guard: Guard | None = None


def rule(
    name: str, kinds: Kind | tuple[Kind, ...], pattern: str, guard: Guard | None = None
) -> Rule:
    """Compile a rule written in plain Norwegian/English (verbose regex, folded letters)."""
    kind_tuple = kinds if isinstance(kinds, tuple) else (kinds,)
    return Rule(name, kind_tuple, re.compile(fold_pattern(pattern), re.VERBOSE), guard)


# Shared fragments -------------------------------------------------------------------------
GAP1 = r"(?:\w+\s+)?"
GAP2 = r"(?:\w+\s+){0,2}?"
GAP3 = r"(?:\w+\s+){0,3}?"
NO_DEVICE = (
    r"(?:pc\w*|maskin\w*|datamaskin\w*|laptop\w*|mac\w*|bærbar\w*|mobil\w*|telefon\w*|"
    r"iphone\w*|skjerm\w*|bruker\w*|konto\w*|epost\w*|mail\w*|outlook|innboks\w*|"
    r"passord\w*|tastatur\w*|mus|musa|musen|headset\w*|hodetelefon\w*|kalender\w*|"
    r"profil\w*|nettbrett\w*|printer\w*|skriver\w*|dock\w*|lader\w*|vpn\w*|teams|"
    r"klient\w*|internett|nett|nettet|wifi\w*|linje\w*|kabel\w*|kontorplass\w*)"
)
EN_DEVICE = (
    r"(?:pc|laptop|computer|machine|mac|macbook|desktop|account|mailbox|inbox|email|mail|"
    r"outlook|phone|mobile|iphone|screen|monitor|monitors|keyboard|mouse|headset|password|"
    r"pin|profile|calendar|teams|vpn|dock|docking|charger|printer|internet|wifi|connection|"
    r"network|cable|desk|files?|user|login|headphones|webcam|camera|tablet|ipad)"
)
#: A word that may stand between "ingen"/"none" and its verb in a subject phrase ("ingen i
#: Bergen-kontoret har", "none of the six workstations in the lab can"), but not a word that
#: starts a new clause ("ingen feil, men jeg får ..."), whose verb then belongs to someone else.
NO_SUBJECT_WORD = (
    r"(?:(?!(?:men|jeg|vi|du|han|hun|dere|man|det|den|fordi|hvis|når|ikke|så|da|at)\b)"
    r"(?:[^\W_]+\.?|[#]+)\s+)"
)
EN_SUBJECT_WORD = (
    r"(?:(?!(?:but|i|we|you|he|she|it|they|because|if|when|so|that|else|not|problem\w*|"
    r"issue\w*|error\w*)\b)(?:[^\W_]+\.?|[#]+)\s+)"
)
#: "andre" as "the others", not the ordinal "second" ("andre etasje", "andre skift").
OTHERS = r"andre(?!\s+(?:etasje\w*|etg\w*|etage\w*|plan|gang|skift\w*|linje\w*|kvartal\w*|uke\w*))"
#: What "ingen ... har" / "nobody ... has" lacks when it reports an outage.
NO_RESOURCE = (
    r"(?:nett|nettet|nettverk\w*|internett\w*|internet|nettilgang\w*|tilgang\w*|kontakt|"
    r"forbindelse\w*|strøm\w*|summetone|ringetone|telefon\w*|wifi\w*|dekning|epost\w*|"
    r"mail\w*|linje\w*)"
)
PEOPLE_EN = (
    r"(?:users|staff|employees|colleagues|people|pcs|computers|machines|laptops|desktops|"
    r"workstations|phones|devices|clients|terminals|members|workers|offices|sites|branches|"
    r"tills|agents|nurses|desks|us)"
)

# Phase 1: masking rules, in order ------------------------------------------------------------
MASKING_RULES: tuple[Rule, ...] = (
    rule(
        "boilerplate.quoted-reply",
        Kind.BOILERPLATE,
        r"""(?:^|\n)\s*(?:-{2,}\s*(?:original\s+message|opprinnelig\s+melding)\s*-{2,}|
        on\s[^\n]{0,80}wrote:|den\s[^\n]{0,80}skrev:|
        (?:from|fra):\s[^\n]*\n\s*(?:sent|sendt|dato|date):)[\s\S]*|(?:^|\n)\s*>[^\n]*""",
        after_own_words,
    ),
    rule(
        "boilerplate.signature",
        Kind.BOILERPLATE,
        r"""\b(?:sent|sendt)\s+(?:from|fra)\s+(?:my|min|mi)\s+\w+(?:\s+\w+)?|
        \bget\s+outlook\s+for\s+\w+|\bsent\s+from\s+(?:outlook|mail|yahoo|gmail)\b[^\n]*|
        (?:this|the)\s+(?:e\s*mail|email|message)\b[^\n]{0,60}(?:confidential|
        intended\s+recipient)[^\n]*|
        \bif\s+you\s+(?:are|have)\s+(?:not|received)\b[^\n]{0,80}(?:intended|in\s+error)[^\n]*|
        \bdenne\s+(?:e\s*posten|eposten|meldingen)\b[^\n]{0,80}(?:konfidensiell|
        taushetsbelagt|fortrolig)[^\n]*|
        \bhvis\s+du\s+ikke\s+er\s+(?:rett|riktig)\w*\s+mottaker[^\n]*""",
    ),
    rule(
        "absence",
        Kind.ABSENCE,
        r"""\b(?:(?:is|are|was|were|been|went|go|goes|gone)\s+)?(?:down|out|off)\s+with\s+
        (?:the\s+|a\s+|an\s+)?(?:flu|influenza|cold|colds|covid\w*|corona|fever|stomach\s+bug|
        norovirus|sickness|illness|migraine|something|a\s+bug|the\s+lurgy)\b|
        \b(?:(?:is|are|was|were)\s+)?(?:out|off|home)\s+(?:sick|ill)\b|
        \b(?:er|var|ligger)\s+(?:nede|ute|ute\s+av\s+drift|slått\s+ut)\s+(?:med|av)\s+
        (?:influensa|omgangssyke|feber|forkjølelse|korona|covid\w*|sykdom|noe\s+virus)\b""",
    ),
    rule(
        "peripheral.scan-to",
        Kind.ASSET_PERIPHERAL,
        r"""\b(?:skann\w*|scan|scanning|scans)\s+(?:til|to)\s+(?:e\s*post\w*|epost\w*|e\s*mail|
        email|mail|mappe\w*|folder|onedrive|sharepoint)\b""",
    ),
    rule(
        "resolved.no.back-up",
        Kind.RESOLVED,
        rf"""\b(?:er|kom|kommet|ble|blitt|har\s+kommet|har\s+blitt)\s+{GAP2}
        (?:oppe|tilbake|på\s+plass|på\s+nett|online|normal\w*|i\s+orden|ok)(?:\s+igjen)?\b""",
        not_negated,
    ),
    rule(
        "resolved.no.works-again",
        Kind.RESOLVED,
        rf"""\b(?:fungerer|virker|funker|går)\s+{GAP2}
        (?:igjen|nå|fint|normalt|som\s+normalt|bra|ok|som\s+det\s+skal)\b""",
        not_negated,
    ),
    rule(
        "resolved.no.up-again",
        Kind.RESOLVED,
        r"""\b(?:oppe\s+igjen|oppe\s+og\s+går|på\s+nett\s+igjen|tilbake\s+(?:igjen|nå)|
        i\s+orden\s+igjen|har\s+nett\s+igjen|nett\s+igjen)\b""",
        not_negated,
    ),
    rule(
        "resolved.no.no-longer-down",
        Kind.RESOLVED,
        r"""\bikke\s+lenger\s+(?:nede|borte|et\s+problem|noe\s+problem|problem\w*|feil)\b|
        \bikke\s+(?:nede|borte)(?:\s+lenger)?\b|\bikke\s+(?:noe\s+|et\s+)?problem\s+lenger\b""",
    ),
    rule(
        "resolved.no.solved",
        Kind.RESOLVED,
        r"""\b(?:har|er|ble|blitt)\s+(?:[^\W\d_]+\s+)?(?:løst|fikset|ordnet|reparert|rettet)\b|
        \b(?:løst|løste|ordnet|fikset)\s+seg\b""",
        not_negated,
    ),
    rule(
        "resolved.no.close",
        Kind.RESOLVED,
        r"""\b(?:kan\s+lukkes|lukke\s+saken|lukk\s+saken|glem\s+det|se\s+bort\s+fra|
        beklager\s+bryderiet|falsk\s+alarm|var\s+visst\s+bare|var\s+bare\s+(?:kabelen|en\s+løs)|
        min\s+feil)\b""",
    ),
    rule(
        "resolved.en.back",
        Kind.RESOLVED,
        rf"""\b(?:is|are|s|its|was|came|come|comes|has\s+come|have\s+come|got|went)\s+{GAP1}
        (?:back(?:\s+(?:up|online|on|to\s+normal))?|up\s+again|online\s+again|fine\s+now|
        ok\s+now|okay\s+now|working\s+(?:again|now|fine)|resolved|fixed|sorted)\b""",
        not_negated,
    ),
    rule(
        "resolved.en.works-again",
        Kind.RESOLVED,
        rf"\b(?:works|working|work)\s+{GAP1}(?:again|now|fine\s+now|normally\s+again)\b",
        not_negated,
    ),
    rule(
        "resolved.en.no-longer-down",
        Kind.RESOLVED,
        r"""\bno\s+longer\s+(?:down|an\s+issue|a\s+problem|broken|offline|out)\b|
        \bnot\s+down\s+any\s*more\b|\bisnt\s+down\b""",
    ),
    rule(
        "resolved.en.close",
        Kind.RESOLVED,
        r"""\b(?:back\s+online|back\s+to\s+normal|up\s+and\s+running|all\s+good\s+now|
        (?:resolved|sorted|fixed)\s+itself|problem\s+solved|issue\s+resolved|false\s+alarm|
        never\s*mind|ignore\s+(?:this|my|the)|please\s+close|you\s+can\s+close|
        can\s+be\s+closed|close\s+the\s+(?:ticket|case)|my\s+bad|
        it\s+was\s+(?:just\s+)?my\s+(?:cable|fault|mistake)|
        (?:everything\s+)?has\s+been\s+fine\s+since)\b""",
        not_negated,
    ),
    rule(
        "not-urgent",
        Kind.NOT_URGENT,
        r"""\b(?:ikke|ingen|not|no)\s+(?:så\s+|noe\s+|veldig\s+|særlig\s+|that\s+|very\s+|an?\s+|
        big\s+|super\s+)?(?:kritisk\w*|akutt|viktig|presserende|krise|hast|haster|urgent|
        critical|emergency|rush|hurry|stress|big\s+deal|important|priority)\b|
        \bhaster\s+ikke\b|\blav\s+prio\w*|\blow\s+prio\w*|\bnår\s+(?:dere|du)\s+(?:har|får)\s+tid\b|
        \bwhen\s+you\s+(?:have|get)\s+(?:the\s+)?(?:time|a\s+chance|a\s+minute|a\s+moment)\b|
        \bwhenever\s+(?:you\s+can|convenient)\b|\b(?:kan|can)\s+(?:godt\s+)?(?:vente|wait)\b|
        \b(?:ikke|not)\s+(?:blokkerende|blocking)\b""",
    ),
    rule(
        "not-now.no.hypothetical",
        Kind.NOT_NOW,
        rf"""\b(?:hvis|dersom|i\s+tilfelle|skulle)\s+{GAP3}(?:går|gikk|blir|er|skulle|faller)\s+
        {GAP1}(?:ned|nede|ut|borte)\b""",
    ),
    rule(
        "not-now.no.future",
        Kind.NOT_NOW,
        rf"""\b(?:skal|vil|kommer\s+til\s+å|planlegger\s+(?:at|å))\s+{GAP3}
        (?:være|bli|gå)\s+{GAP1}(?:nede|ned|utilgjengelig\w*|avslått|stengt|frakoblet)\b""",
    ),
    rule(
        "not-now.en.hypothetical",
        Kind.NOT_NOW,
        rf"""\b(?:if|in\s+case|what\s+if|whenever)\s+{GAP3}(?:goes|go|went|is|are|was|gets|get)\s+
        {GAP1}(?:down|offline|out|unavailable)\b""",
        not_after_checking,
    ),
    rule(
        "not-now.en.future",
        Kind.NOT_NOW,
        rf"""\b(?:will|is\s+going\s+to|are\s+going\s+to|going\s+to|gonna|planned\s+to|
        scheduled\s+to)\s+{GAP3}(?:be|go)\s+{GAP1}(?:down|offline|unavailable|out|disconnected)\b""",
    ),
    rule(
        "not-now.prevention",
        Kind.NOT_NOW,
        r"""\bhvordan\s+(?:du|dere|man|bedriften|firmaet|vi)\s+(?:kan\s+)?(?:unngå|unngår|
        forhindre|forhindrer|forebygge|forebygger|sikre|sikrer|beskytte|beskytter)\b|
        \bslik\s+(?:unngår|forhindrer|sikrer|beskytter)\b|
        \b(?:beskytte|sikre)\s+(?:deg|dere|seg|bedriften|firmaet)\s+mot\b|
        \bhva\s+(?:du|dere|man)\s+(?:gjør|bør\s+gjøre)\s+(?:når|hvis|dersom)\b|
        \bhow\s+to\s+(?:avoid|prevent|protect|prepare|survive)\b|
        \bhow\s+(?:you|your\s+\w+|companies|businesses|firms)\s+can\s+(?:avoid|prevent)\b|
        \bprotect\s+(?:yourself|your\s+(?:business|company|office|firm))\b|
        \bbe\s+prepared\s+for\b|\bwhat\s+to\s+do\s+(?:when|if)\b""",
    ),
    rule(
        "not-now.test",
        Kind.NOT_NOW,
        r"""\b(?:dette\s+er\s+(?:bare\s+)?en\s+test|bare\s+en\s+test|
        this\s+is\s+(?:just\s+|only\s+)?a\s+test|test\s*(?:melding|mail|epost|message|ticket|sak)|
        ingen\s+handling\s+(?:nødvendig|kreves)|no\s+action\s+(?:needed|required))\b""",
    ),
    rule(
        "past",
        Kind.PAST,
        rf"\b(?:var|was)\s+{GAP2}(?:nede|borte|down|out|offline|utilgjengelig\w*|unavailable|unreachable)\b",
    ),
    rule(
        "scope.reporter",
        Kind.REPORTER,
        r"""\b(?:(?:a|one|en|ei)\s+)?(?:user|the\s+user|bruker|brukeren|innringer|caller)\s+
        (?:calls|called|reports|reported|says|said|ringer|ringte|melder|meldte|sier|sa)\b""",
    ),
    rule(
        "scope.others-too",
        Kind.SCOPE_MULTI,
        rf"""\b(?:\w*kolleg\w*|de\s+andre|{OTHERS}|alle\s+andre|naboen|sidemannen|resten)\s+{GAP2}
        (?:har\s+(?:samme|det\s+samme)|også|heller\s+ikke|opplever\s+det\s+samme)\b|
        \b(?:colleagues?|others|the\s+rest|everyone\s+else|my\s+colleague)\s+{GAP2}
        (?:too|as\s+well|also|either|the\s+same)\b|
        \b(?:ingen|nobody|no\s+one|noone)\s+(?:andre|else)\s+{GAP3}(?:heller|either)\b|
        \b(?:ikke|not)\s+(?:bare|kun|just|only)\s+(?:meg|jeg|min|mitt|me|my|mine|hos\s+meg|
        for\s+meg|for\s+me|one)\b|
        \b(?:samme|same)\s+(?:problem\w*|feil\w*|issue\w*|error\w*|trouble)\b|
        \b(?:både\s+)?(?:jeg|meg)\s+og\s+(?:min\s+|mine\s+|en\s+)?(?:\w*kolleg\w*|sjefen|
        naboen|sidemannen|resten|[^\W\d_]+\s+(?:min|mi|mitt))\b|
        \b(?:both\s+)?(?:me|i)\s+and\s+(?:my\s+|a\s+)?(?:colleague|coworker|boss|manager|
        neighbour|[^\W\d_]+)\b|\b(?:my\s+)?(?:colleague|coworker|boss|manager)\s+and\s+(?:i|me)\b|
        \b(?:\w*kolleg\w*|sjefen|naboen|sidemannen)\s+(?:min\s+|mi\s+)?og\s+(?:jeg|meg)\b|
        \b(?:de|alle|dem|folk|ansatte|brukere|brukerne)\s+som\s+(?:jobber|sitter|er|bruker)\b|
        \b(?:those|everyone|people|staff|users|colleagues)\s+(?:who|that)\s+(?:work|are|sit|use)\b""",
    ),
    rule(
        "scope.others-fine.no",
        Kind.SCOPE_SINGLE,
        rf"""\b(?:alle\s+andre|de\s+andre|resten|\w*kolleg\w*|andre\s+brukere|{OTHERS}|sidemannen|
        naboen)\s+(?:(?:mine|hennes|hans|sine)\s+)?{GAP1}
        (?:har\s+(?:ingen|ikke)|fungerer|virker|funker|kan\b(?!\s+ikke)|får\s+(?:det\s+)?til|
        får\s+logget|er\s+(?:ok|fine|upåvirket)|har\s+nett|går\s+(?:fint|bra|ok)|ringer\s+fint|
        merker\s+ingenting|printer|skriver\s+ut|logger\s+på)|
        \b(?:fungerer|virker|funker|går\s+fint)\s+(?:fint\s+)?(?:for|hos)\s+(?:de\s+andre|
        alle\s+andre|resten|andre|\w*kolleg\w*)\b|
        \bingen\s+andre\s+(?:har|opplever|melder|merker)\b|
        \b(?:andre|resten|alt\s+annet)\s+{GAP2}(?:fint|normalt|ok)\b""",
    ),
    rule(
        "scope.others-fine.en",
        Kind.SCOPE_SINGLE,
        rf"""\b(?:everyone|everybody|anyone)\s+else\b(?!\s+{GAP2}(?:too|as\s+well|also|either|
        having|has|have|affected|with)\b)|
        \b(?:others|colleagues|my\s+colleagues|the\s+others|other\s+users|coworkers|
        the\s+rest(?:\s+of\s+(?:the\s+)?\w+)?)\s+{GAP1}(?:are|is|seem|seems|can|work|works|have|has)\s+
        {GAP1}(?:fine|ok|okay|working|unaffected|print|connect|log|no\s+(?:problem|issue)s?)\b|
        \b(?:works|working|is\s+fine|fine)\s+for\s+(?:\w+\s+and\s+)?(?:others|everyone\s+else|
        the\s+others|my\s+colleagues|colleagues|the\s+rest)\b|
        \b(?:others|the\s+rest|everything\s+else)\s+{GAP2}(?:fine|ok|okay|normally)\b|
        \bno\s+other\s+(?:users?|people|staff|machines?|pcs?|computers?)\b|
        \bnot\s+blocking\s+anyone\b|\b(?:nobody|no\s+one|noone)\s+else\b""",
    ),
)

# Phase 2: detection rules ----------------------------------------------------------------------
_FAULT_RULES: tuple[Rule, ...] = (
    rule(
        "fault.no.down",
        (Kind.FAULT_STRONG, Kind.OUTAGE),
        r"""(?<!der\ )(?<!her\ )\bnede\b(?!\s+(?:i|på|ved|hos)\s+(?:kjeller\w*|\d\w*|første|
        andre|tredje|etasje\w*|etg\w*|gang\w*|resepsjon\w*|lager\w*|hall\w*|kantin\w*|
        mottak\w*|byen|sentrum)\b)|
        \b(?:gått|gikk|går)\s+(?:helt\s+)?ned\b|\b(?:gått|gikk|går)\s+i\s+stå\b""",
    ),
    rule(
        "fault.no.outage",
        (Kind.FAULT_STRONG, Kind.OUTAGE),
        r"""\b\w*(?:brudd|utfall|bortfall|driftsstans|nedetid)\b
        (?!\s+på\s+(?:avtale\w*|sla|kontrakt\w*|taushetsplikt\w*))|\bstans\b""",
    ),
    rule(
        "fault.no.does-not-work",
        Kind.FAULT_STRONG,
        rf"""\b(?:fungerer|fungere|fungerte|virker|virket|funker|funket|funka)\s+{GAP2}ikke\b|
        \bikke\s+{GAP1}(?:fungerer|fungere|virker|funker|fungerende)\b|
        \bingenting\s+(?:fungerer|virker|funker|går|laster|skjer)\b|
        \bgår\s+{GAP1}ikke\b(?!\s+an\s+å\s+(?:få|bestille|kjøpe))|
        \b(?:har|hadde)\s+{GAP1}ikke\s+(?:svart|fungert|virket|funket|reagert|startet)\b|
        \b(?:sluttet|slutta|slutter|stoppet|stoppa)\s+(?:helt\s+)?å\s+(?:fungere|virke|funke|
        svare|ringe|gå|sende|varsle|koble)\b""",
    ),
    rule(
        "fault.no.cannot",
        Kind.FAULT_STRONG,
        rf"""\b(?:får|kan|klarer|greier|kommer)\s+{GAP2}ikke\s+(?:(?:å|til\s+å)\s+)?{GAP1}
        (?:logget?|logga|logge|innlogget|koblet?|kobla|koble|kontakt|tilgang|inn|på|opp|gjennom|
        ringt|ringe|ringer|sendt|sende|mottatt|motta|åpnet|åpne|åpna|jobbet|jobba|jobbe|
        skrevet|skrive|printet|printe|startet|starte|lastet|laste|nådd|nå|nett\w*|
        internett\w*|tatt|brukt|bruke|fram|frem)\b|
        \bikke\s+(?:får|kan|klarer|greier|kommer)\s+(?:(?:å|til\s+å)\s+)?{GAP1}
        (?:logget?|logga|logge|innlogget|koblet?|kobla|koble|kontakt|tilgang|inn|på|opp|
        gjennom|ringt|ringe|sendt|sende|mottatt|motta|åpnet|åpne|jobbet|jobba|jobbe|nådd|nå|
        nett\w*|internett\w*|brukt|bruke)\b|
        \bikke\s+mulig\s+å\s+(?:logge|koble|ringe|jobbe|sende|nå|åpne|bruke|komme)\b|
        \b(?:når|nådde)\s+{GAP1}ikke\s+(?:fram|frem|ut|gjennom|inn)\b|
        \bikke\s+(?:når|nådde|kommer)\s+(?:fram|frem|ut|gjennom|inn)\b""",
    ),
    rule(
        "fault.no.without",
        Kind.FAULT_STRONG,
        rf"""\b(?:ingen|ikke|uten|mistet|mista|mister|miste|tapt|mangler|manglet|mangla)\s+{GAP1}
        (?:tilgang\w*|kontakt|forbindelse\w*|nett|nettet|nettverk\w*|internett\w*|internet|
        nettilgang\w*|dekning|summetone|ringetone|linje\w*|signal\w*|strøm\w*|wifi\w*|
        trådløst|epost\w*|mail\w*|telefon\w*|tjeneste\w*|trafikk|respons|teams|outlook|
        vpn\w*|\w*server\w*|\w*system\w*|sentralbord\w*|fellesdisk\w*|samtaler|anrop)\b""",
    ),
    rule(
        "fault.no.no-access-inverted",
        (Kind.FAULT_STRONG, Kind.SCOPE_COMPANY),
        rf"\bingen\s+av\s+{GAP3}(?:tilgang\w*|nett\w*|internett\w*|kontakt|forbindelse\w*)\b",
    ),
    rule(
        "fault.no.not-responding",
        Kind.FAULT_STRONG,
        rf"""\b(?:svarer|responderer|reagerer|starter|booter|kobler|synkroniserer|synker)\s+{GAP1}
        ikke\b|\bikke\s+(?:svarer|starter|synkroniserer|kobler)\b""",
    ),
    rule(
        "fault.no.dead",
        Kind.FAULT_STRONG,
        r"""\b(?:ubrukelig\w*|umulig\s+å\s+\w+|død|dødt|døde|krasj\w*|kræsj\w*|kollaps\w*|blåskjerm\w*|
        blå\s+skjerm|borte|forsvunnet|forsvant|faller\s+ut|falt\s+ut|detter\s+ut|datt\s+ut|
        låst\s+ute|stengt\s+ute|sperret\s+ute)\b|
        \bstår\s+(?:helt\s+)?stille\b|
        \b(?:firmaet|bedriften|kontoret|selskapet|alt|alle|vi|produksjonen)\s+står\b
        (?!\s+(?:og|i|på|det|at|som)\b)""",
    ),
    rule(
        "fault.en.down",
        (Kind.FAULT_STRONG, Kind.OUTAGE),
        r"""(?<!shut\ )(?<!slow\ )(?<!turn\ )(?<!calm\ )(?<!sit\ )(?<!back\ )(?<!write\ )
        (?<!wind\ )\bdown\b(?!\s*(?:stairs|load|the\s+(?:hall|corridor|road|street|line)|to\b|
        under))""",
    ),
    rule(
        "fault.en.outage",
        (Kind.FAULT_STRONG, Kind.OUTAGE),
        r"""\b(?:outages?|offline|off\s+line|unreachable|inaccessible|unavailable|
        out\s+of\s+(?:service|order))\b""",
    ),
    rule(
        "fault.no.unavailable",
        (Kind.FAULT_STRONG, Kind.OUTAGE),
        r"""\b(?:utilgjengelig\w*|ikke\s+tilgjengelig\w*|ute\s+av\s+(?:drift|funksjon)|
        frakoblet)\b""",
    ),
    rule(
        "fault.en.broken",
        Kind.FAULT_STRONG,
        r"""\b(?:unusable|unresponsive|not\s+responding|not\s+reachable|not\s+accessible|
        not\s+available|no\s+service|crash\w*|dead|broken|gone|blue\s*screen|bsod|
        (?:hasnt|has\s+not|havent|have\s+not)\s+(?:worked|responded|answered)|
        locked\s+out|nothing\s+(?:works|loads|is\s+working|working|loading)|
        (?:is|are|went|goes)\s+out|(?:hasnt|has\s+not|havent|have\s+not)\s+come\s+back)\b""",
    ),
    rule(
        "fault.en.not-working",
        Kind.FAULT_STRONG,
        rf"""\b(?:not|isnt|arent|wasnt|doesnt|dont|didnt|wont|cant|cannot|never|stopped|stops|
        quit)\s+{GAP1}(?:working|work|works|functioning|function|loading|load|starting|start|
        booting|boot|turning\s+on|turn\s+on|ringing|ring|connecting|connect|forwarding|
        arriving|delivering|responding|routing|going\s+through|coming\s+through|
        getting\s+through)\b""",
    ),
    rule(
        "fault.en.cannot",
        Kind.FAULT_STRONG,
        rf"""\b(?:cant|cannot|can\s+not|couldnt|could\s+not|unable\s+to|not\s+able\s+to|wont|
        wouldnt|impossible\s+to|fails?\s+to|failing\s+to|failed\s+to)\s+{GAP1}
        (?:log|login|logon|sign|connect|access|reach|open|send|receive|get|call|make|print|
        load|start|boot|work|use|ring|dial|browse|see|authenticate|join|sync|download|upload|
        save|scan|show|display)\w*\b""",
    ),
    rule(
        "fault.login-failing",
        Kind.FAULT_STRONG,
        rf"""\b(?:sign\s*ins?|logins?|logons?|pålogging\w*|innlogging\w*|authenticat\w*|
        autentisering\w*|mfa|sso|single\s+sign\s+on)\s+{GAP3}(?:fail\w*|feiler|feilet|broken|
        virker\s+ikke|fungerer\s+ikke)\b|
        \b(?:network|nettverks?)\s*(?:cable|kabel\w*)?\s+(?:is\s+|er\s+)?(?:unplugged|frakoblet)\b""",
    ),
    rule(
        "fault.en.no-access",
        Kind.FAULT_STRONG,
        rf"""\b(?:no|lost|lose|losing|without|zero)\s+{GAP1}(?:access|connection|connectivity|
        network|internet|signal|dial\s*tone|service|wifi|wi\s+fi|phones?|email|mail|e\s+mail|
        power|response|logon\s+servers?|traffic|calls|incoming\s+calls)\b|
        \b(?:missing|lacking|lacks|lack)\s+{GAP1}(?:access|connection|connectivity|network|
        internet|signal|dial\s*tone|wifi|power)\b""",
    ),
    rule(
        "fault.weak",
        Kind.FAULT_WEAK,
        r"""\b(?:error\w*|failure|failed|failing|fails|problem\w*|issue\w*|trouble\w*|feil\w*|
        trøbbel|krøll|henger|hengt\s+seg|frosset|fryser|fryst|opptatt\w*|brutt|
        disconnect\w*|drop\w*|timeout|tim(?:ing|es)\s+out|flaky|stuck|hang\w*|frozen|
        freez\w*|missing|cut\s+off|kuttet|ustabil\w*|unstable|spotty)\b""",
    ),
    rule(
        "fault.degraded",
        Kind.FAULT_DEGRADED,
        r"""\b(?:slow\w*|sluggish|laggy|lagging|lag|choppy|stutter\w*|treg\w*|treig\w*|seint|
        hakk\w*|dårlig\w*|svak\w*|weak|poor)\b""",
    ),
)

_SCOPE_RULES: tuple[Rule, ...] = (
    rule(
        "scope.no.whole",
        Kind.SCOPE_COMPANY,
        r"""\bhele\s+(?:[\w.]+\s+)?\w*(?:bedrift|firma|selskap|kontor|organisasjon|huset|bygg|
        bygning|virksomhet|konsern|etasje|etg|staben|kommune|skole|sykehjem|klinikk|butikk|
        lager|avdeling|team|gjeng|filial|anlegg|administrasjon|senter|personal|fabrikk|
        verksted|sykehus|barnehage|nettverk|nettet|systemet)\w*\b""",
    ),
    rule(
        "scope.no.all",
        Kind.SCOPE_COMPANY,
        r"""\b(?:for|hos|gjelder|rammer|berører|påvirker|treffer)\s+alle\b(?!\s+(?:filer\w*|mine|
        dine|epost\w*|mailer|dokument\w*|mapper\w*|bilder|innstilling\w*|saker|ting)\b)|
        \balle\s+(?:sammen|mann|her|vi|oss|som|våre|ansatt\w*|bruker\w*|\w*kolleg\w*|
        medarbeider\w*|pc\w*|maskin\w*|datamaskin\w*|klient\w*|arbeidsstasjon\w*|telefon\w*|
        mobil\w*|avdeling\w*|kontor\w*|lokasjon\w*|pleier\w*|selger\w*|
        i\s+(?:firma\w*|bedrift\w*|selskap\w*|huset|bygg\w*|org\w*)|
        på\s+(?:kontor\w*|huset|jobb\w*|lager\w*|avdeling\w*|bygg\w*)|
        er|har|får|kan|mister|mistet|sliter|opplever|merker|melder|ser|sitter|står|fikk|ble|
        blir|kommer|klarer)\b|\b(?:vi|dere)\s+alle\b|\bsamtlige\b""",
    ),
    rule(
        "scope.no.nobody-can",
        (Kind.SCOPE_COMPANY, Kind.FAULT_STRONG),
        r"""\bingen\s+(?:av\s+(?:oss|dem|de\s+[^\W\d_]+|[^\W\d_]+(?:ene|ne|a))\s+)?
        (?:(?:her|andre|vi|hos\s+oss|på\s+[\w.]+|i\s+[\w.]+|
        [^\W\d_]+(?:ene|erne|ere|ansatte))\s+){0,2}
        (?:får|kan|kommer|klarer|greier|fikk|når|rekker|jobber)\b""",
    ),
    rule(
        "scope.no.nobody-anywhere",
        (Kind.SCOPE_COMPANY, Kind.FAULT_STRONG),
        rf"""\bingen\s+(?!andre\b){NO_SUBJECT_WORD}{{0,8}}?
        (?:(?:får|fikk|kan|kunne|klarer|greier|rekker)\s+(?:seg\s+|å\s+|til\s+å\s+)?
        (?:logget?|logga|logge|innlogget|koblet?|kobla|koble|kontakt|tilgang|jobbet|jobba|
        jobbe|ringt|ringe|sendt|sende|mottatt|motta|åpnet|åpna|åpne|skrevet|skrive|printet|
        printe|startet|starte|lastet|laste|gjort|brukt|bruke|nådd|nå|komme|kommet|nett\w*|
        internett\w*)|
        (?:kommer|kom|når|nådde)\s+(?:seg\s+)?(?:inn|på|gjennom|ut|fram|frem)|
        (?:starter|booter|virker|fungerer|funker|kobler\s+seg)|
        (?:mangler|manglet|har\s+(?:noe\s+|fått\s+|lenger\s+)?){NO_RESOURCE})\b""",
    ),
    rule(
        "scope.no.all-of-a-kind-down",
        Kind.SCOPE_COMPANY,
        r"""\balle\s+(?:våre\s+|de\s+)?(?!(?:filer|filene|dokument\w*|mapp\w*|bilde\w*|epost\w*|
        mail\w*|meldinger\w*|innstilling\w*|ikon\w*|snarvei\w*|data|fanene|vinduer\w*)\b)
        [^\W\d_]+\s+(?:er|var|ble|har\s+vært|står|ligger)\s+(?:helt\s+)?(?:nede|borte|død|døde|
        utilgjengelig\w*|frakoblet|offline|ute\s+av\s+drift)\b""",
    ),
    rule(
        "scope.no.none-of-us",
        Kind.SCOPE_COMPANY,
        rf"""\bingen\s+av\s+(?:oss|dem|de\s+ansatte|brukerne|pcene|maskinene)\b|
        \bikke\s+{GAP2}for\s+noen\b|\bikke\s+noen\s+av\s+oss\b|\bingen\s+(?:her\s+)?har\b|
        \bkontoret\s+(?:vårt\s+)?(?:er|har|står|ligger|mistet|mista|mangler)\b""",
    ),
    rule(
        "scope.en.whole",
        Kind.SCOPE_COMPANY,
        r"""\b(?:whole|entire|complete|full)\s+(?:\w+\s+)?(?:company|office|organi[sz]ation|org|
        building|firm|site|staff|team|department|dept|floor|business|branch|practice|clinic|
        school|shop|store|warehouse|workforce|network|place|house|group|plant|hq|
        headquarters)\b|
        \b(?:company|org|office|site|building|organi[sz]ation)\s*wide\b|
        \bthe\s+(?:\w+\s+)?office\s+(?:is|has|lost|cant|cannot|have)\b""",
    ),
    rule(
        "scope.en.everyone",
        Kind.SCOPE_COMPANY,
        rf"""\b(?:everyone|everybody|every\s+(?:single\s+)?(?:user|one|pc|computer|machine|desk|
        laptop|workstation|employee|person|phone|device|member))\b|
        \ball\s+(?:of\s+)?(?:the\s+|our\s+|my\s+)?(?:\d+\s+)?(?:\w+\s+)?{PEOPLE_EN}\b|
        \b(?:for|to|affects|affecting|affected|hits|hitting|impacts|impacting|across)\s+all\b
        (?!\s+(?:your|my|the\s+(?:time|help|info\w*)|this|that|those|these|his|her|their|its|day|
        week|night|morning|files|emails|mails|documents|messages)\b)|
        \b(?:we|were)\s+all\b|
        \b(?:not|nt|cant|cannot)\s+{GAP3}for\s+anyone\b""",
    ),
    rule(
        "scope.en.nobody-can",
        (Kind.SCOPE_COMPANY, Kind.FAULT_STRONG),
        r"""\b(?:nobody|noone|no\s+one|none\s+of\s+(?:us|them|the\s+[^\W\d_]+|
        our\s+(?:[^\W\d_]+\s+)?[^\W\d_]+|[^\W\d_]+))\s+(?:(?:here|in\s+the\s+\w+|at\s+\w+|in\s+\w+)\s+)?
        (?:can|could|gets?|got|(?:is|are|was|were)\s+(?:able|working|connecting|online|
        responding|booting|starting|getting))\b|
        \b(?:nobody|no\s+one|noone|none\s+of\s+\w+(?:\s+\w+)?)\s+(?:\w+\s+)?(?:has|have|had|gets?|got)\s+
        (?:any\s+)?(?:access|connection|connectivity|internet|network|email|mail|phones?|signal|
        wifi|power|dial\s*tone)\b""",
    ),
    rule(
        "scope.en.nobody-anywhere",
        (Kind.SCOPE_COMPANY, Kind.FAULT_STRONG),
        rf"""\b(?:nobody|noone|no\s+one|none(?:\s+of)?|no\s+{PEOPLE_EN})\s+{EN_SUBJECT_WORD}{{0,7}}?
        (?:(?:can|could|(?:is|are|was|were)\s+able\s+to)\s+(?:log|login|logon|sign|connect|
        access|reach|open|send|receive|get\s+(?:on|in|online|through|into|to|any)|call|
        make\s+calls|print|load|start|boot|work|use|ring|dial|browse|authenticate|join|
        sync|download|upload|save)\w*|
        (?:is|are|was|were)\s+(?:working|connecting|online|responding|booting|starting|
        reachable|getting\s+(?:on|in|online|through))|
        (?:gets?|got|has|have|had)\s+(?:any\s+)?(?:access|connection|connectivity|internet|
        network|email|mail|phones?|signal|wifi|power|dial\s*tone|through|online))\b""",
    ),
    rule(
        "scope.en.all-of-a-kind-down",
        Kind.SCOPE_COMPANY,
        r"""\ball\s+(?:of\s+)?(?:the\s+|our\s+)?(?!(?:files|documents|folders|emails|mails|
        messages|settings|icons|shortcuts|tabs|windows|pictures|photos)\b)[^\W\d_]+\s+
        (?:are|were|went|have\s+gone|seem|seem\s+to\s+be)\s+(?:completely\s+)?(?:down|dead|
        offline|unreachable|unavailable|out)\b""",
    ),
    rule(
        "scope.callers-cannot-reach-us",
        (Kind.SCOPE_COMPANY, Kind.ASSET_CORE, Kind.FAULT_STRONG),
        r"""\b(?:kundene|kunder|innringere|innringerne|de\s+som\s+ringer|folk\s+som\s+ringer|
        alle\s+som\s+ringer|pasienter|pasientene|pårørende|publikum)\b[^.!?\n]{0,60}?
        (?:kommer\s+ikke\s+gjennom|ikke\s+kommer\s+gjennom|får\s+ikke\s+(?:tak\s+i\s+oss|ringt|
        kontakt\s+med\s+oss)|ikke\s+får\s+(?:tak\s+i\s+oss|ringt|kontakt\s+med\s+oss)|
        (?:får|hører|møter)\s+(?:bare\s+)?opptatt\w*|ringer\s+ut\b|bare\s+ringer\s+ut)|
        \b(?:customers|callers|clients|patients|people\s+calling|anyone\s+calling|
        everyone\s+calling|the\s+public)\b[^.!?\n]{0,60}?
        (?:(?:cant|cannot|can\s+not|unable\s+to|not\s+able\s+to|arent\s+able\s+to)\s+
        (?:get\s+through|reach\s+us|call\s+(?:us|in)|get\s+hold\s+of\s+us)
        (?!\s+(?:to|on|via)\s+(?:our|the)\s+(?:web\w*|site|online|portal|shop|app)\b)|
        not\s+getting\s+through|(?:get|getting|hear|hearing)\s+(?:a\s+|the\s+)?(?:busy|engaged)\s+
        (?:tone|signal)|(?:just\s+)?rings?\s+out|ringing\s+out)""",
    ),
    rule(
        "scope.en.nobody",
        Kind.SCOPE_COMPANY,
        r"\b(?:nobody|noone|no\s+one|none\s+of\s+us)\b",
    ),
    rule(
        "scope.no.several",
        Kind.SCOPE_MULTI,
        r"""\bflere\b(?!\s+(?:ganger|gang|dager|uker|timer|minutter|måneder|år|filer|epost\w*|
        mailer|meldinger|feil\w*|forsøk|spørsmål|saker|lisenser|ting|detaljer|kroner|kr|
        varsler)\b)|
        (?<!hvor\ )\bmange\b(?!\s+(?:takk|hilsen|ganger|gang|dager|timer|filer|epost\w*|mailer|meldinger|
        feil\w*|forsøk|spørsmål|ting)\b)|
        \b(?:noen|flere|mange|de\s+fleste|halvparten)\s+av\s+(?:oss|dem|de\s+\w+|[^\W\d_]+ene|
        våre\s+\w+)\b|
        \b(?:de\s+fleste|flesteparten|mesteparten|halvparten|majoriteten)\b|
        \bhalve\s+(?:[^\W\d_]+\s+)?(?:kontor\w*|firma\w*|bedrift\w*|selskap\w*|avdeling\w*|staben|
        gjengen|huset|bygg\w*)\b|\bbegge\b|
        \b(?:de\s+ansatte|ansatte\s+(?:får|kan|har|mister|er|opplever)|brukerne|kollegaene|
        kollegene|pcene|maskinene|datamaskinene|laptopene|klientene|arbeidsstasjonene|
        telefonene|mobilene|kassene)\b""",
    ),
    rule(
        "scope.en.several",
        Kind.SCOPE_MULTI,
        rf"""\b(?:several|multiple|(?<!how\ )many|various)\b(?!\s+(?:times|days|hours|minutes|weeks|months|
        emails|mails|files|errors|attempts|tries|messages|things|thanks|reasons|questions|
        ways)\b)|
        \b(?:some|several|many|most|a\s+few|a\s+couple|half)\s+of\s+(?:us|them|the\s+\w+|
        our\s+\w+)\b|
        \bhalf\s+(?:of\s+)?the\s+(?:office|company|team|staff|users|building|floor|
        department)\b|
        \b(?:the|our)\s+{GAP1}(?:users|staff|employees|pcs|computers|machines|laptops|
        workstations|phones|tills|devices)\b|
        \b(?:users|staff|employees|people|colleagues)\s+(?:are|cant|cannot|can\s+not|have|
        report|reported|keep|get|getting|lost|unable)\b""",
    ),
    rule(
        "scope.no.mine",
        Kind.SCOPE_SINGLE,
        rf"""\b(?:min|mitt|mine|sin|sitt|sine|hans|hennes)\s+(?:egen\s+|egne\s+|nye\s+|gamle\s+|
        private?\s+|bærbare\s+|jobb\s+)?{NO_DEVICE}\b|
        \b{NO_DEVICE}\s+(?:min|mitt|mine|sin|sitt|sine|hans|hennes)\b""",
    ),
    rule(
        "scope.en.mine",
        Kind.SCOPE_SINGLE,
        rf"""\b(?:my|his|her)\s+(?:own\s+|new\s+|old\s+|work\s+|home\s+|private\s+|second\s+|
        personal\s+|desk\s+)?{EN_DEVICE}\b|
        \btheir\s+(?:pc|laptop|computer|machine|mobile|account|mailbox)\b""",
    ),
    rule(
        "scope.only-me",
        Kind.SCOPE_SINGLE,
        r"""\b(?:bare|kun|only|just)\s+(?:for\s+|hos\s+|på\s+)?(?:meg|jeg|henne|ham|han|hun|me|
        her|him|mine|min|hans|hennes|my|his|this\s+(?:one|pc|laptop|user|machine)|
        denne\s+(?:ene|pcen|maskinen)|that\s+(?:one|area|pc|user))\b""",
    ),
    rule(
        "scope.home",
        Kind.SCOPE_HOME,
        r"""\b(?:hjemme\w*|privat\s+(?:pc|maskin)\w*|at\s+home|from\s+home|
        private\s+(?:pc|laptop|computer)|home\s+(?:internet|network|wifi|office|pc|router|
        connection))\b""",
    ),
    rule(
        "scope.first-person",
        Kind.SCOPE_FIRST_PERSON,
        rf"""\bjeg\s+{GAP1}(?:får|kan|kommer|klarer|har|ser|fikk)\s+{GAP1}ikke\b|
        \bjeg\s+har\s+(?:ingen|mistet|problem\w*)\b|\b(?:hos|for)\s+meg\b|
        \bi\s+(?:cant|cannot|can\s+not|couldnt|could\s+not|am\s+unable|m\s+unable|have\s+no|
        have\s+lost|lost|dont\s+have|keep\s+getting|am\s+getting|m\s+getting)\b|
        \bim\s+(?:unable|getting|having|locked|not\s+able)\b|\b(?:for|to)\s+me\b|
        \bon\s+my\s+(?:end|side)\b""",
    ),
    rule(
        "scope.we",
        Kind.SCOPE_WE,
        r"\b(?:vi|oss|we|us|our|ours|vår|vårt|våre)\b",
    ),
)

_ASSET_RULES: tuple[Rule, ...] = (
    rule(
        "asset.core",
        Kind.ASSET_CORE,
        r"""\b(?:nett|nettet|nettverk\w*|internett\w*|nettilgang\w*|lan|kablet\s+nett|
        trådløst(?:\s+nett)?|wifi\w*|wi\s+fi|wlan|switch\w*|svitsj\w*|ruter\w*|router\w*|
        brannmur\w*|firewall\w*|fiber\w*|fibre|linja|linje\w*|telefonlinj\w*|bredbånd\w*|
        \w*server\w*|
        domene\w*|domain(?:\s+controller)?|active\s+directory|fellesområde\w*|fellesdisk\w*|
        fellesmapp\w*|felles\s+disk\w*|nettverksdisk\w*|nettverksstasjon\w*|citrix|rds|
        remote\s+desktop|vps|vpn\w*|fjerntilgang\w*|dns|dhcp|telefoni\w*|telefonsentral\w*|
        sentralbord\w*|hovednummer\w*|mbn|mobilt\s+bedriftsnett|bedriftsnett\w*|unifon|
        ip\s+telefon\w*|telefonene|telefonsystem\w*|telefonkø\w*|summetone|strøm\w*|
        network\w*|internet|wireless|wired|broadband|connection|connectivity|
        shared\s+(?:drive|folder)s?|file\s*shares?|phone\s+system|phones|telephony|
        switchboard|main\s+number|pbx|call\s+queue|power|intranet\w*|
        (?:phone|telephone|incoming|inbound)\s+lines?|anrop\w*|innkommende\s+samtal\w*|
        (?:incoming|inbound|outbound)\s+calls|
        trygghetsalarm\w*|velferdsteknologi\w*|pasientvarsling\w*|pasientsignal\w*|
        sykesignal\w*|alarmsystem\w*|alarmsentral\w*|alarmmottak\w*|mottakssentral\w*|
        responssenter\w*|(?:care|social|resident|patient|nurse|welfare|safety|personal)\s+
        alarms?|alarm\s+(?:system|centre|center|platform|receiver|receiving)s?|
        nurse\s+call\w*|telecare|adgangskontroll\w*|adgangssystem\w*|dørsystem\w*|
        låssystem\w*|access\s+control|door\s+access|badge\s+system)\b""",
    ),
    rule(
        "asset.service",
        Kind.ASSET_SERVICE,
        r"""\b(?:e\s+post\w*|epost\w*|e\s+mail\w*|email\w*|mail|mailen|exchange|outlook|teams|
        microsoft\s+365|m365|office\s*365|o365|sharepoint|onedrive|fagsystem\w*|
        \w+system(?:et|ene|er)?|systemet|erp|visma|tripletex|crm|salesforce|mfa|tofaktor\w*|
        innlogging\w*|pålogging\w*|login|logon|sign\s*in)\b""",
    ),
    rule(
        "asset.peripheral",
        Kind.ASSET_PERIPHERAL,
        r"""\b(?:skriver(?:en|ne|e)|printer\w*|utskrift\w*|skrive\s+ut|skrevet\s+ut|print|
        printing|toner|skanner\w*|scanner\w*|projektor\w*|prosjektor\w*|projector\w*|
        storskjerm\w*|tv|tven|(?<!blå\ )(?<!svart\ )skjerm\w*|monitor\w*|
        (?<!blue\ )(?<!black\ )(?<!login\ )(?<!logon\ )screen\w*|tastatur\w*|keyboard\w*|mus|
        musa|musen|mouse|headset\w*|hodetelefon\w*|kamera\w*|webcam\w*|dock\w*|dokking\w*|
        lader\w*|charger\w*|kaffemaskin\w*|høyttaler\w*|speaker\w*|batteri\w*|battery|
        adgangskort\w*|etikett\w*|kopimaskin\w*|multifunksjons\w*|skanning\w*|
        copier\w*|photocopier\w*|mfp)\b""",
    ),
)

_CONTEXT_RULES: tuple[Rule, ...] = (
    rule(
        "request.no",
        Kind.REQUEST,
        r"""\b(?:bestill\w*|innkjøp\w*|kjøpe|tilbud\w*|pristilbud|pris\s+på|faktura\w*|
        kreditnota\w*|lisens\w*|ny\s+(?:bruker|ansatt|medarbeider|pc|laptop|mobil|telefon|
        skjerm)|nye\s+(?:brukere|ansatte|pcer|maskiner|laptoper|lisenser|\w*vikarer)|nyansatt\w*|
        opprett\w*|tilbakestill\w*|nullstill\w*|glemt\s+(?:\w+\s+)?passord\w*|
        bytte\s+passord|endre\s+passord|deaktiver\w*|slett\w*\s+bruker\w*|
        (?:slutter|sluttet)(?!\s+å\s)|flytt\w*|installer\w*|oppsett|sette\s+opp|sett\s+opp|
        oppgrader\w*|trenger\s+(?:\w+\s+)?tilgang|gi\s+\w+\s+tilgang|få\s+tilgang|
        ønsker\s+tilgang|be\s+om\s+tilgang|signatur\w*|autosvar\w*|fravær\w*|
        distribusjonsliste\w*|portere|hvordan|lurer\s+på|spørsmål\w*|mulig\s+å\s+få|
        kan\s+(?:jeg|vi|dere)\s+få|vil\s+gjerne|ønsker\s+å|ønsker\s+oss|opplæring|kurs|
        reiseregning|mal\s+for|malen)\b""",
    ),
    rule(
        "request.en",
        Kind.REQUEST,
        r"""\b(?:order\w*|purchas\w*|buy|quote|pricing|price|invoice\w*|billing|billed|
        credit\s+note|licen[cs]\w*|subscription\w*|new\s+(?:user|employee|hire|hires|starter|
        joiner|laptop|pc|computer|phone|monitor|account|number|staff)|onboard\w*|offboard\w*|
        create\s+(?:a\s+)?(?:new\s+)?(?:user|account|mailbox|calendar|shared)|set\s*up|setup|
        reset\s+(?:my\s+)?password|password\s+reset|forgot(?:ten)?\s+(?:my\s+)?password|
        password\s+(?:has\s+)?expired|change\s+passwords?|unlock\s+(?:my\s+)?account|
        install\w*|upgrade\w*|move\s+(?:my\s+)?desk|moving|relocat\w*|need\s+access|
        request\w*\s+access|grant\s+\w+\s+access|give\s+\w+\s+access|access\s+request|
        get\s+access|add\s+\w+\s+to|distribution\s+list|signature|out\s+of\s+office|
        how\s+(?:do|can|to|should|long)|is\s+it\s+possible|is\s+there\s+a\s+way|can\s+i\s+get|
        could\s+(?:you|i|we)|would\s+like|wondering|question|opening\s+hours|training)\b""",
    ),
    rule(
        "bulletin",
        Kind.BULLETIN,
        r"""\b(?:nyhetsbrev\w*|newsletter\w*|webinar\w*|unsubscribe\w*|avmeld\w*|
        meld\s+deg\s+(?:av|på)|påmelding\w*|kampanje\w*|les\s+(?:mer|om\s+(?:våre|vår|vårt))|
        read\s+more|learn\s+more|sign\s+up\s+(?:now|here|today)|register\s+(?:now|here|today)|
        \d+\s+tips|(?:fem|fire|tre|ti|five|four|three|ten|top)\s+tips|i\s+denne\s+utgaven|
        in\s+this\s+issue|this\s+week\s*:)""",
    ),
    rule(
        "provisioning",
        Kind.PROVISIONING,
        r"""\b(?:gi|gir|tildele|tildel|legge\s+til|legg\s+til|åpne\s+for)\s+(?:\w+\s+){0,2}?
        (?:tilgang\w*|rettighet\w*|lisens\w*)\b|
        \b(?:grant|give|assign|provision)\s+(?:\w+\s+){0,2}?(?:access|permissions?|rights|
        licen[cs]es?)\b|\b(?:grant|give)\s+(?:it|them|us|her|him|me)\b(?!\s+(?:a\s+)?(?:call|ring))|
        \b(?:ikke|aldri)\s+(?:fått|blitt\s+(?:gitt|tildelt))\s+(?:\w+\s+)?(?:tilgang|lisens|
        bruker|konto)\w*|\b(?:not|never)\s+(?:been\s+)?(?:given|granted|assigned)\b""",
        not_restoring,
    ),
    rule("question", Kind.QUESTION, r"\?"),
    rule(
        "planned",
        Kind.PLANNED,
        r"""\b(?:planlagt\w*|vedlikehold\w*|servicevindu\w*|som\s+varslet|varslet\s+nedetid|
        planned|scheduled|maintenance|heads\s*up|advance\s+notice|upcoming)\b""",
    ),
    rule(
        "workaround",
        Kind.WORKAROUND,
        r"""\b(?:i\s+mellomtiden|in\s+the\s+meantime|meanwhile|workaround|
        midlertidig\s+løsning|bruker\s+(?:den|en|et)\s+(?:andre|annen|annet)|
        use\s+(?:the\s+)?(?:other|another|one\s+on)|can\s+use\s+(?:the|another)|
        kan\s+bruke\s+(?:den|en|et)|går\s+an\s+å\s+jobbe|we\s+can\s+(?:still\s+)?work|
        can\s+still\s+work|still\s+usable|still\s+works|men\s+det\s+går|
        men\s+(?:det\s+)?fungerer|but\s+(?:it\s+)?works|works\s+though|i\s+stedet)\b""",
    ),
    rule(
        "info",
        Kind.INFO,
        r"""\b(?:til\s+info\w*|til\s+orientering|bare\s+så\s+dere\s+vet|
        for\s+your\s+information|fyi|for\s+the\s+record|for\s+our\s+records|
        just\s+letting\s+you\s+know|just\s+so\s+you\s+know)\b""",
    ),
    rule(
        "intermittent",
        Kind.INTERMITTENT,
        r"""\b(?:av\s+og\s+til|innimellom|iblant|periodevis|sporadisk\w*|noen\s+ganger|
        sometimes|occasionally|now\s+and\s+then|from\s+time\s+to\s+time|intermittent\w*|
        on\s+and\s+off|once\s+in\s+a\s+while)\b""",
    ),
    rule(
        "still",
        Kind.STILL,
        r"""\b(?:fortsatt|fremdeles|ennå|still|again|nede\s+igjen|ned\s+igjen|igjen\s+nede)\b""",
    ),
    rule(
        "urgency",
        Kind.URGENCY,
        r"""\b(?:haster|hastesak|akutt|kritisk\w*|krise|urgent|asap|emergency|critical|
        immediately|straks|snarest|umiddelbart|nødsituasjon|prio\s*1|p1|sev\s*1)\b|!{2,}""",
    ),
)

#: The phrase rules the scorer was tuned on; the impact rules (``impact``) come on top.
BASE_DETECTION_RULES: tuple[Rule, ...] = _FAULT_RULES + _SCOPE_RULES + _ASSET_RULES + _CONTEXT_RULES
