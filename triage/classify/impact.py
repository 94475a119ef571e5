"""Evidence rules for the impacts and states the older phrase rules had no words for.

Written from the contract's definition and the writers' brief, not from any one set: an
attack that encrypts shared files, alarms that stop arriving, a hosted service answering
with server errors, monitoring alerts (a problem now vs a recovery), threshold warnings
(disk 85 % full, a certificate that expires) and whole areas (a floor, a ward, a shift).
They feed the statistical model as features and the reasons as quotes.
"""

from __future__ import annotations

from triage.classify.kinds import Kind
from triage.classify.rules import Rule, rule

IMPACT_RULES: tuple[Rule, ...] = (
    rule(
        "impact.encrypted",
        Kind.SECURITY,
        r"""\b(?:kryptert\w*|krypterer|krypteres|encrypt\w*|ransom\w*|løsepenge\w*|
        løsesum\w*|bitcoin|btc|lockbit|løsepengevirus|utpressing\w*|decrypt\w*|dekrypt\w*|
        readme[\w.]*|restore[\w.]*txt|how[\w.]*decrypt\w*|rare\s+(?:fil)?endelse\w*|
        odd\s+extensions?|strange\s+extensions?|(?:pay|betale)\s+(?:\w+\s+){0,3}?
        (?:bitcoin|btc|crypto|krypto\w*))\b""",
    ),
    rule(
        "impact.alarms-silent",
        Kind.ALARMS_SILENT,
        r"""\b(?:\w*alarm\w*|\w*signal\w*|\w*varsl\w*|nurse\s*call\w*|call\s+bells?|
        alerts?|snora)\b[^.!?\n]{0,60}?
        (?:kommer\s+ikke|ikke\s+(?:kommer|går|fram|frem)|går\s+ikke|kjem\s+ikke|
        når\s+ikke|uteblir|arrive\w*|not\s+(?:arriving|coming|showing|reaching|getting|going)|
        (?:arent|isnt|dont|doesnt|are\s+not|is\s+not)\s+(?:arriving|coming|showing|reaching|
        getting|going|ringing|being)|stopped|stoppet|stanset|forsvunnet|silent|stille|
        ingenting|nothing)|
        \b(?:ingen|no|not\s+a\s+single|ikke\s+en\s+eneste|ikke\s+fått\s+en\s+eneste)\s+
        (?:\w+\s+)?(?:\w*alarm\w*|\w*signal\w*|pasientvarsl\w*|varsler|nurse\s*calls?|
        alerts)\b""",
    ),
    rule(
        "impact.hosted",
        Kind.HOSTED,
        r"""\b(?:pindena|påmelding\w*|påmeldings\w*|registration\s+(?:system|portal|page|site)s?|
        sensio\w*|velferd\w*|trygghetsalarm\w*|pasientvarsl\w*|mobile\s*worker|mworker|
        kalender\s*push|calendar\s*push|tmpc|vps\s*access|vps\s*terminal\w*|terminalserver\w*|
        terminal\s+server\w*|dørsystem\w*|door\s+system\w*|adgangskontroll\w*|
        access\s+control|nurse\s*call\w*)\b""",
    ),
    rule(
        "impact.server-error",
        Kind.SERVER_ERROR,
        r"""\b(?:error|feil|http|status|feilkode|kode)?\s*(?:50[0-4])\b|\bbad\s+gateway\b|
        \bservice\s+unavailable\b|\bgateway\s+time\s*out\b|\b(?:hvit|blank|kvit|tom)\s+
        (?:side|sida|skjerm|page|screen)\b|\b(?:white|blank)\s+(?:page|screen)\b|
        \b(?:skjerm\w*|screens?)\s+(?:\w+\s+){0,2}?(?:svart\w*|black)\b""",
    ),
    rule(
        "impact.monitor-problem",
        Kind.MONITOR_PROBLEM,
        r"""\bproblem\s+(?:alert|started)\b|\bproblem:\s|\bis\s+down\b|\bstate:\s*(?:down|critical)\b|
        \bstatus:\s*down\b|\bunavailable\s+by\s+icmp\b|\bhost\s+(?:is\s+)?(?:down|unreachable)\b|
        \bmonitor\s+is\s+down\b|\bseverity:\s*(?:disaster|high)\b""",
    ),
    rule(
        "impact.monitor-recovery",
        Kind.MONITOR_RECOVERY,
        r"""\brecovery\b|\bresolved:|\bproblem\s+has\s+been\s+resolved\b|\bstate:\s*(?:ok|up)\b|
        \bstatus:\s*(?:up|ok)\b|\bis\s+(?:ok|up)\b|\bmonitor\s+is\s+up\b|\bwas:\s*down\b|
        \bduration\s+of\s+outage\b|\bproblem\s+duration\b""",
    ),
    rule(
        "impact.threshold",
        Kind.THRESHOLD_WARNING,
        r"""\b\d{2}\s*%\s*(?:full|fullt|brukt|used|capacity|kapasitet)|
        \b(?:disk|diskplass|lagringsplass|storage|disk\s+space|free\s+space|ledig\s+plass)\b
        [^.!?\n]{0,40}?\b(?:\d{1,2}\s*%|lav|low|full|nesten|almost|running\s+out)|
        \b(?:sertifikat\w*|certificate\w*|cert|ssl|tls)\b[^.!?\n]{0,50}?
        (?:utløper|går\s+ut|expire\w*|expiring)|\bthreshold\b|\bterskel\w*|
        \b(?:warning|advarsel|varsel)\s*:""",
    ),
    rule(
        "impact.area",
        Kind.AREA,
        r"""\b(?:hele|heile|whole|entire|all\s+of\s+(?:the\s+)?|all\s+the)\s+(?:\w+\s+)?
        (?:\d\.?\s*)?(?:etasje\w*|etg|floor|avd\w*|avdeling\w*|department|ward|post(?:en)?|
        sone\w*|zone|site|vakt\w*|shift|skift\w*|team\w*|fløy\w*|wing|bygg\w*|building|
        skole\w*|school|campus|kontor\w*|office|lager\w*|warehouse|sykehjem\w*|
        dagvakt\w*|nattevakt\w*|ledergruppa|staben|kommune\w*)\b|
        \b(?:all|alle)\s+(?:\w+\s+)?(?:kindergartens|barnehage\w*|schools|skoler|sites|
        lokasjon\w*|offices|kontorene|avdelinger\w*|wards)\b""",
    ),
)
