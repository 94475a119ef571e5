"""The kinds of evidence a ticket can contain, and what each one means under the contract.

The classifier never decides from one phrase. It collects evidence of a few kinds (is
something broken, for whom, which service, is it over already) and the scorer weighs them.
Keeping the kinds in one place makes it possible to read the rule table and the weights
side by side, and every kind carries the sentence a reason shows to the user.
"""

from __future__ import annotations

from enum import StrEnum

NETTSOFT_CRITICAL = (
    "Nettsoft §2: critical faults prevent use of internal infrastructure and affect the "
    "whole company"
)
NETTSOFT_PCS = (
    "Nettsoft §2: critical when two or more machines cannot log on to the network and "
    "reach internal and external resources"
)
NETTSOFT_ONLY = (
    "Nettsoft §2: only faults that affect the whole company, or two or more PCs, are critical"
)


class Kind(StrEnum):
    """One kind of evidence; the value is the stable name used in rule ids and tests."""

    FAULT_STRONG = "fault"
    FAULT_WEAK = "fault-weak"
    FAULT_DEGRADED = "degraded"
    OUTAGE = "outage"
    SCOPE_COMPANY = "company"
    SCOPE_MULTI = "multi"
    SCOPE_WE = "we"
    SCOPE_SINGLE = "single"
    SCOPE_FIRST_PERSON = "first-person"
    SCOPE_HOME = "home"
    REPORTER = "reporter"
    BOILERPLATE = "boilerplate"
    ASSET_CORE = "core-infrastructure"
    ASSET_SERVICE = "core-service"
    ASSET_PERIPHERAL = "peripheral"
    RESOLVED = "resolved"
    STILL = "still"
    NOT_URGENT = "not-urgent"
    NOT_NOW = "not-now"
    BULLETIN = "bulletin"
    PROVISIONING = "provisioning"
    ABSENCE = "absence"
    PLANNED = "planned"
    PAST = "past"
    REQUEST = "request"
    QUESTION = "question"
    WORKAROUND = "workaround"
    INFO = "info"
    INTERMITTENT = "intermittent"
    URGENCY = "urgency"
    SHOUTING = "all-caps"
    AFTER_HOURS = "after-hours"
    SECURITY = "encrypted"
    ALARMS_SILENT = "alarms-silent"
    HOSTED = "hosted-service"
    SERVER_ERROR = "server-error"
    MONITOR_PROBLEM = "monitor-problem"
    MONITOR_RECOVERY = "monitor-recovery"
    THRESHOLD_WARNING = "threshold-warning"
    AREA = "area"


#: What each kind of evidence means, with the contract clause or reading behind it.
EXPLANATION: dict[Kind, str] = {
    Kind.FAULT_STRONG: (
        f"a fault that stops work is reported: down, no access, cannot log on ({NETTSOFT_CRITICAL})"
    ),
    Kind.FAULT_WEAK: (
        "an error or problem is reported, but not that work is stopped "
        f"({NETTSOFT_CRITICAL}; errors that leave things usable are not)"
    ),
    Kind.OUTAGE: (
        "a whole service is reported down ('nede', 'down', 'outage', 'brudd'), the words used "
        f"for a system, not for one user's client ({NETTSOFT_CRITICAL})"
    ),
    Kind.BOILERPLATE: (
        "signature, disclaimer or quoted earlier message; ignored, it is not the report "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.FAULT_DEGRADED: (
        "the service is slow or degraded but still usable "
        "(Nettsoft §2: critical faults *prevent* use of internal infrastructure)"
    ),
    Kind.SCOPE_COMPANY: f"the fault affects the whole company ({NETTSOFT_CRITICAL})",
    Kind.SCOPE_MULTI: f"two or more PCs or users are affected ({NETTSOFT_PCS})",
    Kind.SCOPE_WE: (
        "reported on behalf of the organisation ('we', 'our'), so likely more than one user "
        f"({NETTSOFT_PCS})"
    ),
    Kind.SCOPE_SINGLE: f"affects one user or one device ({NETTSOFT_ONLY})",
    Kind.SCOPE_FIRST_PERSON: (
        f"the reporter describes their own problem and names nobody else ({NETTSOFT_ONLY})"
    ),
    Kind.SCOPE_HOME: (
        "the problem is at the reporter's home, not the company's infrastructure "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.REPORTER: (
        "names who reported the ticket ('a user calls', 'innringer melder'); neutral, since "
        f"the reporter's own scope says nothing about the fault's ({NETTSOFT_CRITICAL})"
    ),
    Kind.ASSET_CORE: (
        "shared core infrastructure is named (network, internet, server, telephony, VPN); "
        "when it is down with no scope given it usually stops everyone "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.ASSET_SERVICE: (
        "a shared service is named (e-mail, Teams, Microsoft 365, a business system); it is "
        f"critical when it is down for everyone ({NETTSOFT_CRITICAL})"
    ),
    Kind.ASSET_PERIPHERAL: (
        "only a peripheral is affected (printer, screen, projector, mouse); that does not "
        f"stop use of the infrastructure ({NETTSOFT_CRITICAL})"
    ),
    Kind.RESOLVED: (
        "the fault is reported as resolved or working again; only a current fault can be "
        f"critical ({NETTSOFT_CRITICAL})"
    ),
    Kind.STILL: (
        "the fault is still there or has come back, so a 'resolved' remark is weakened "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.NOT_URGENT: (
        "the reporter says it is not urgent or not critical "
        f"({NETTSOFT_ONLY}; the reporter knows the impact)"
    ),
    Kind.NOT_NOW: (
        "the outage is hypothetical, a test or in the future, not a current fault "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.BULLETIN: (
        "a newsletter, advert or article (forwarded or not) about outages in general, not a "
        f"report of a current fault ({NETTSOFT_CRITICAL})"
    ),
    Kind.PROVISIONING: (
        "access, an account or a licence has not been set up yet and is asked for: an "
        f"onboarding request, not a fault of something that worked ({NETTSOFT_ONLY})"
    ),
    Kind.ABSENCE: (
        "people are ill or away ('down with flu', 'out sick', 'syke'); the words 'down' or "
        f"'out' there say nothing about the infrastructure ({NETTSOFT_CRITICAL})"
    ),
    Kind.PLANNED: (
        "planned maintenance is mentioned; announced downtime is not a fault "
        "(Nettsoft §3.6 6.3: planned maintenance is not counted)"
    ),
    Kind.PAST: (
        "the outage is described in the past tense; a fault that is over is not critical "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.REQUEST: (
        "a request, order, question or administrative task (new user, password reset, "
        f"licence, invoice), not a fault ({NETTSOFT_ONLY})"
    ),
    Kind.QUESTION: f"the ticket asks a question rather than reporting a fault ({NETTSOFT_ONLY})",
    Kind.WORKAROUND: (
        "a workaround is in use, so work is not stopped "
        "(Nettsoft §2: critical faults *prevent* use of internal infrastructure)"
    ),
    Kind.INFO: f"sent for information only, no action needed ({NETTSOFT_ONLY})",
    Kind.INTERMITTENT: (
        "the problem is intermittent, so the service is still usable most of the time "
        "(Nettsoft §2: critical faults *prevent* use of internal infrastructure)"
    ),
    Kind.URGENCY: (
        "the reporter calls it urgent; a weak signal only, the contract decides by impact "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.SHOUTING: (
        f"the message is written in capitals; a weak urgency signal only ({NETTSOFT_CRITICAL})"
    ),
    Kind.AFTER_HOURS: (
        "reported on the after-hours on-call phone, which is billed extra and used for faults "
        "that cannot wait; a weak signal that tips borderline cases "
        "(Nettsoft §2 'Melde feil': after office hours a separate on-call phone)"
    ),
    Kind.SECURITY: (
        "files are being encrypted or a ransom note is shown: an attack that stops use of "
        f"shared data ({NETTSOFT_CRITICAL})"
    ),
    Kind.ALARMS_SILENT: (
        "alarms (nurse-call, safety or welfare alarms) do not arrive: the service's purpose "
        f"fails for everyone who relies on it ({NETTSOFT_CRITICAL})"
    ),
    Kind.HOSTED: (
        "a hosted service is named (VPS-Access, terminal server, calendar push, TMPC, Pindena, "
        "Sensio Velferd, Mobile Worker); unusable for many users now is critical "
        f"({NETTSOFT_CRITICAL})"
    ),
    Kind.SERVER_ERROR: (
        "the service answers with a server error or a blank page (500, 502, 503), i.e. it is "
        f"unusable for whoever tries ({NETTSOFT_CRITICAL})"
    ),
    Kind.MONITOR_PROBLEM: (
        "a monitoring alert says a host or service is down or unreachable now "
        f"({NETTSOFT_CRITICAL}; a monitoring severity word alone decides nothing)"
    ),
    Kind.MONITOR_RECOVERY: (
        "a monitoring recovery (OK, UP, RESOLVED): the fault is over "
        f"({NETTSOFT_CRITICAL}; only a current fault can be critical)"
    ),
    Kind.THRESHOLD_WARNING: (
        "a warning that a threshold is near (disk space, certificate expiry, licence count), "
        f"not a fault that stops anything yet ({NETTSOFT_ONLY})"
    ),
    Kind.AREA: (
        "a whole area is named (a floor, a ward, a department, a site, a shift) "
        f"({NETTSOFT_CRITICAL}; the shared service of an office counts)"
    ),
}
