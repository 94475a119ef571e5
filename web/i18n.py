"""The desk's language: Flask-Babel with Norwegian bokmål as the default and English second.

The templates and views are written in Norwegian and every string a person reads goes
through gettext; ``web/translations/en`` carries the English. A logged-in person's choice
is stored on their user (``users.locale``, the switch in the page header); before login the
choice is kept in the session. The compiled ``.mo`` files are committed next to their
``.po`` (``tests/web/test_i18n.py`` fails when they drift apart), so a fresh clone needs no
build step.

Numbers, money and durations are formatted for the locale here (``60 min``,
``2 038,50 kr``, ``50,0 %``), never with ``str()`` of a Decimal. The fixed JSON interfaces
and the CLI do not use any of this: their output stays as DESIGN.md fixes it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

from babel.dates import format_date, get_day_names
from babel.numbers import format_currency, format_decimal
from flask import Flask, current_app, render_template, session
from flask_babel import Babel, force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from sla.calendar import WeekHours
from sla.severity import Severity
from sla.text import Hours, Instant, Listing, Minutes, Month, Phrase, Text, Truncated
from triage.claim_notice import source_nb
from web.formats import local

LOCALES = {"nb": "Norsk (bokmål)", "en": "English"}
DEFAULT_LOCALE = "nb"
#: The language of what the desk sends a vendor (claim letters, notices of breach): the
#: vendors are Norwegian and the contracts are, whatever language the reader works in.
VENDOR_LOCALE = "nb"
TRANSLATIONS = Path(__file__).parent / "translations"

#: Severity in one word, everywhere a person reads it (queue, ticket, reports, SMS page).
SEVERITY_WORDS = {"critical": _l("kritisk"), "non-critical": _l("ikke-kritisk")}
#: How a penalty rule's deductions add up (``sla.penalty.Stacking``), in words.
STACKING_WORDS = {
    "once-per-period": _l("ett trekk per periode"),
    "per-breach": _l("ett trekk per brutt garanti"),
}


def select_locale() -> str:
    """The logged-in person's choice, else this browser session's, else bokmål."""
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in LOCALES:
        return str(chosen)
    from_session = session.get("locale")
    return from_session if from_session in LOCALES else DEFAULT_LOCALE


def locale_code() -> str:
    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT_LOCALE


def severity_word(severity: str | None) -> str:
    return str(SEVERITY_WORDS.get(severity or "", severity or "–"))


def number(value: float | Decimal | Fraction | int | None, decimals: int | None = 0) -> str:
    """``1 234`` / ``1,234``; ``decimals`` fixed places (``50,0``), None: as many as the
    value has (up to three)."""
    if value is None:
        return "–"
    if isinstance(value, Fraction):  # the SLA core's exact hours (``sla.availability``)
        value = Decimal(value.numerator) / Decimal(value.denominator)
    if decimals is None:
        return format_decimal(value, locale=locale_code())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale_code())


def percent(value: float | Decimal | int | None, decimals: int = 1) -> str:
    """A percentage given as a number of percent (50 -> ``50,0 %``)."""
    return "–" if value is None else f"{number(value, decimals)}\u00a0%"


def money(value: Decimal | str | float | None, currency: str = "NOK") -> str:
    """``2 038,50 kr`` in bokmål, ``NOK 2,038.50`` in English."""
    if value is None or value == "":
        return "–"
    code = locale_code()
    # English CLDR glues the code to the figure ("NOK2,038.50"); a space reads better.
    pattern = None if code == "nb" else "¤\u00a0#,##0.00"
    try:
        return format_currency(Decimal(str(value)), currency, format=pattern, locale=code)
    except InvalidOperation:  # a stored figure that is no amount or beyond the context
        return f"{value} {currency}"


def minutes(value: float | int | None) -> str:
    """Business or wall-clock minutes as people say them: ``60 min``, ``2 t 5 min`` (hours
    from two hours up)."""
    if value is None:
        return "–"
    total = round(value)
    sign = "-" if total < 0 else ""
    if abs(total) < 120:
        return f"{sign}{abs(total)} min"
    hours, rest = divmod(abs(total), 60)
    if hours and rest:
        return _("%(sign)s%(h)s t %(m)s min", sign=sign, h=number(hours), m=rest)
    if hours:
        return _("%(sign)s%(h)s t", sign=sign, h=number(hours))
    return f"{sign}{rest} min"


_ISO = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")


def target(text: str | None) -> str:
    """A contract target as written in the catalog (``PT60M``, ``immediately+PT15M``,
    ``next-business-day-end``) in words."""
    if not text:
        return "–"
    if text.startswith("immediately"):
        grace = text.partition("+")[2]
        return _("straks (%(grace)s slingringsmonn)", grace=target(grace)) if grace else _("straks")
    match = _ISO.match(text)
    if match:
        days, hours, mins = (int(match.group(k) or 0) for k in "dhm")
        if days and not (hours or mins):
            return _("%(n)s d", n=days)
        return minutes(days * 1440 + hours * 60 + mins)
    if text == "end-of-next-working-day":
        return _("slutten av neste virkedag")
    return text


def ago(seconds: float) -> str:
    """How long ago a deadline passed, in its largest units: ``27 d``, ``3 t 5 min``."""
    s = int(abs(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    if days:
        return _("%(d)s d", d=days)
    if hours:
        return _("%(h)s t %(m)s min", h=hours, m=s // 60)
    return f"{s // 60} min"


def tier(band: Any) -> str:
    """A credit tier's band of uptime (``sla.availability.CreditTier``) in the reader's
    figures: ``[98; 99,5) %`` in bokmål, ``[98, 99.5) %`` in English; the band up to
    100 includes it (``]``)."""
    return core_text(band.describe())


def vendor_document(template: str, **context: Any) -> Markup:
    """A letter to a vendor, rendered in ``VENDOR_LOCALE`` whatever the reader's language:
    its words, money and figures are Norwegian (``2 038,50 kr``) also for a reader who
    works in English; the page around it (links, the internal notes) follows the reader."""
    with force_locale(VENDOR_LOCALE):
        return Markup(render_template(template, **context))


def _norwegian_notes() -> dict[str, str]:
    """The catalog's notes by their English text -> their Norwegian (``text_nb``): a
    result's notes arrive as text (the CLI prints them), the page shows them in bokmål."""
    desk = current_app.extensions.get("triage")
    catalog = getattr(desk, "catalog", None)
    if catalog is None:
        return {}
    cached = getattr(catalog, "_nb_notes", None)
    if cached is None:
        cached = {}
        for contract in catalog.contracts.values():
            for entry in (*contract.notes, *(n for t in contract.terms for n in t.notes)):
                if entry.text_nb:
                    cached[entry.text] = entry.text_nb
        object.__setattr__(catalog, "_nb_notes", cached)
    return cast(dict[str, str], cached)


#: The SLA core's sentences (``sla.text``) by their key, in bokmål; the en catalog carries
#: the English. ``tests/web/test_core_texts.py`` fails when a key the core registers is
#: missing here, so a new core sentence cannot reach a page in English unnoticed.
CORE_TEXTS = {
    "target.business-duration": _l("%(amount)s arbeidstid"),
    "target.end-of-next-working-day": _l("innen slutten av neste virkedag"),
    "target.immediately": _l("straks (innfridd innen %(grace)s, hele døgnet)"),
    "target.none": _l("ingen responstid (måles, men brytes aldri)"),
    "calendar.hours": _l("%(hours)s (%(zone)s)"),
    "calendar.hours-holidays": _l(
        "%(hours)s; stengt på offentlige helligdager i %(country)s (%(zone)s)"
    ),
    "calendar.never-open": _l("aldri åpen"),
    "calendar.closed-date": _l("stengt dag"),
    "explain.rule": _l("%(severity)s: %(target)s (%(source)s)"),
    "explain.clock": _l("klokke: %(calendar)s"),
    "explain.outside-hours": _l(
        "mottatt %(received)s utenfor kalenderens åpningstid: klokken starter når neste "
        "vindu åpner, %(starts)s"
    ),
    "explain.next-working-day": _l("neste virkedag etter %(received)s er %(due)s"),
    "explain.closed": _l("stengt %(day)s: %(reason)s"),
    "explain.dst": _l(
        "klokken ble stilt (sommertid) mellom mottak og frist; åpningstidene er "
        "veggklokketid, så en dag 08:00–16:00 er fortsatt 8 timer"
    ),
    "explain.alternative": _l(
        "alternativ lesing (%(text)s; til fordel for %(favours)s, %(source)s): %(where)s "
        "i stedet for den valgte lesingen «%(reading)s»"
    ),
    "explain.alternative.no-deadline": _l("da ville det ikke vært noen frist"),
    "explain.alternative.deadline": _l("da ville fristen vært %(due)s"),
    "explain.favours.customer": _l("kunden"),
    "explain.favours.vendor": _l("leverandøren"),
    "ticket.unrouted": _l("ikke rutet: ingen SLA-klokke går før en agent velger en avtale"),
    "ticket.contract-unknown": _l("avtalen %(contract)s finnes ikke i katalogen: ingen SLA-klokke"),
    "ticket.rule": _l("%(target)s (%(source)s)"),
    "ticket.pauses": _l(
        "%(count)s pause(r) stopper klokken; fristen flyttes med arbeidstiden som var pause"
    ),
    "handoff.no-support-email": _l(
        "%(vendor)s har ingen e-postadresse til support i katalogen; videresend på en annen måte"
    ),
    "handoff.lacks": _l("feilmeldingen mangler: %(missing)s"),
    "penalty.fee": _l(
        "avgift %(period)s: (%(base_monthly)s + %(users)s × %(per_user)s) × %(months)s "
        "måneder = %(currency)s %(base)s eks. mva."
    ),
    "penalty.no-breach": _l("ingen brutt garanti i perioden: ikke noe trekk"),
    "penalty.no-stacking": _l(
        "lesing: %(breaches)s brutte garantier i %(period)s legges ikke sammen; ett trekk "
        "på %(pct)s %% (%(source)s)"
    ),
    "penalty.one-breach": _l("1 brutt garanti i %(period)s: %(pct)s %% trekk (%(source)s)"),
    "penalty.stacked": _l("%(breaches)s × %(pct)s %% per brutt garanti, høyst 100 %% (%(source)s)"),
    "penalty.applies-to": _l(
        "trekket gjelder fakturaen for %(period)s (neste faktureringstidspunkt)"
    ),
    "penalty.claim-promptly": _l(
        "krev skriftlig innen %(by)s: %(rule)s, regnet fra første brudd %(first_breach)s"
    ),
    "penalty.claim-limit": _l(
        "krev skriftlig uten ugrunnet opphold, senest %(by)s (%(months)s måneder etter "
        "første brudd %(first_breach)s; den ytre fristen)"
    ),
    "claim.working-days-after-breach": _l("%(days)s virkedager etter bruddet (%(source)s)"),
    "claim.days-after-breach": _l("%(days)s dager etter bruddet (%(source)s)"),
    "claim.working-days-after-period": _l(
        "%(days)s virkedager etter at perioden er slutt (%(source)s)"
    ),
    "claim.days-after-period": _l("%(days)s dager etter at perioden er slutt (%(source)s)"),
    # sla.availability: the month's availability, outage by outage
    "availability.tier-band": _l("[%(low)s; %(high)s%(closing)s %%"),
    "availability.threshold": _l(
        "%(affected)s av %(users)s brukere berørt; nedetid teller fra %(min_users)s brukere"
    ),
    "availability.threshold-fewer": _l(
        "%(affected)s av %(users)s brukere berørt; med færre enn %(min_users)s brukere teller "
        "nedetid fra %(fraction)s av dem, altså %(need)s av %(users)s"
    ),
    "availability.service-start": _l(
        "målingen starter på tjenestens første dag, %(first)s: kjernetid før den er ikke "
        "del av D (%(source)s)"
    ),
    "availability.core-time": _l(
        "%(month)s: D = %(core)s kjernetid (%(calendar)s); bare nedetid i kjernetiden teller "
        "(%(source)s)"
    ),
    "availability.holidays": _l("offentlige helligdager er ikke kjernetid: %(days)s"),
    "availability.holiday": _l("%(day)s %(name)s"),
    "availability.no-core-time": _l(
        "%(month)s har ingen kjernetid, så ingenting kan brytes: oppetiden er 100 %%"
    ),
    "availability.uptime": _l(
        "N = %(downtime)s; oppetid = (D − N) / D × 100 = %(exact)s %% (vist som %(display)s %%)"
    ),
    "availability.guarantee-met": _l("garantert oppetid %(pct)s %% oppfylt"),
    "availability.guarantee-missed": _l("garantert oppetid %(pct)s %% ikke oppfylt"),
    "availability.overlap": _l(
        "%(note)s; %(overlap)s av det overlapper avbrudd som alt er regnet med, og regnes bare "
        "én gang"
    ),
    "availability.no-credit-table-met": _l(
        "vilkårene har ingen kreditt-tabell: et brudd ville blitt rapportert, ikke priset"
    ),
    "availability.no-credit-table-missed": _l(
        "vilkårene har ingen kreditt-tabell: bruddet rapporteres, men prises ikke"
    ),
    "availability.credit-tier": _l(
        "kreditt-trinn %(tier)s gjelder: %(reduction)s %% reduksjon av månedsavgiften for %(month)s"
    ),
    "availability.tier-reading": _l("lesing brukt for trinn %(tier)s: %(reading)s"),
    "availability.outage": _l(
        "avbrudd %(start)s – %(end)s (%(length)s, %(affected)s av %(users)s brukere)"
    ),
    "availability.outage-cause": _l(
        "avbrudd %(start)s – %(end)s (%(length)s, %(affected)s av %(users)s brukere, "
        "årsak %(cause)s)"
    ),
    "availability.outside-month": _l("%(head)s: teller ikke, det ligger utenfor %(month)s"),
    "availability.cause-excluded": _l(
        "%(head)s: teller ikke, årsaken «%(cause)s» er unntatt (%(source)s)"
    ),
    "availability.below-threshold": _l("%(head)s: teller ikke, %(reason)s (%(source)s)"),
    "availability.affected": _l("%(affected)s av %(users)s brukere berørt, %(need)s trengs"),
    "availability.clipped": _l("%(length)s utenfor %(month)s teller ikke"),
    "availability.outside-core": _l("%(length)s utenfor kjernetid teller ikke"),
    "availability.periodic": _l(
        "%(length)s kjernetid i faste vedlikeholdsvinduer (%(windows)s) teller ikke"
    ),
    "availability.counted": _l("%(head)s: teller, %(length)s kjernetid i %(month)s (%(reasons)s)"),
    "availability.none-counted": _l("%(head)s: ingen nedetid telt i %(month)s (%(reasons)s)"),
    "availability.display-crosses": _l(
        "visningen %(display)s %% runder over %(crossed)s; den eksakte oppetiden %(exact)s %% "
        "avgjør"
    ),
    "availability.crosses-guarantee": _l("garantien på %(pct)s %%"),
    "availability.crosses-tier": _l("grensen for trinn %(tier)s"),
    "availability.both": _l("%(first)s og %(second)s"),
    "availability.affected-range": _l(
        "berørte brukere %(affected)s må være mellom 0 og tjenestens %(users)s brukere"
    ),
    "availability.outage-error": _l("avbrudd %(number)s: %(error)s"),
    "planned.no-announcement": _l(
        "ingen registrert varsling (krever varsel minst %(need)s i forveien)"
    ),
    "planned.late-after": _l(
        "varslet %(given)s etter start; krever varsel minst %(need)s i forveien"
    ),
    "planned.late-before": _l(
        "varslet %(given)s før start; krever varsel minst %(need)s i forveien"
    ),
    "planned.objected": _l("kunden protesterte %(at)s"),
    "planned.objected-in-time": _l("kunden protesterte %(at)s, minst %(limit)s før start"),
    "planned.not-accepted": _l("ingen aksept fra kunden registrert før start (påkrevd)"),
    "planned.conditions-fail": _l(
        "planlagt vedlikehold der vilkårene ikke holder: %(failed)s, så det teller som et "
        "uplanlagt avbrudd (%(source)s)"
    ),
    "planned.conditions-fail-outside-core": _l(
        "planlagt vedlikehold der vilkårene ikke holder: %(failed)s, men ingenting av det "
        "ligger i kjernetid"
    ),
    "planned.announced": _l("planlagt vedlikehold varslet %(given)s i forveien"),
    "planned.announced-accepted": _l(
        "planlagt vedlikehold varslet %(given)s i forveien og akseptert"
    ),
    "planned.in-core": _l(
        "%(ahead)s, men %(length)s av det ligger i kjernetid; avtalen legger "
        "vedlikeholdsvinduer bare utenfor kjernetid, så det teller som et uplanlagt avbrudd "
        "(%(source)s)"
    ),
    "planned.outside-core": _l("%(ahead)s, utenfor kjernetid"),
    "planned.excluded": _l("%(ahead)s: unntatt (%(source)s)"),
    "planned.all-inside": _l(
        "%(ahead)s: alle %(length)s kjernetid ligger i vinduene for planlagt vedlikehold "
        "(%(windows)s) og er unntatt"
    ),
    "planned.part-inside": _l(
        "%(ahead)s: %(length)s kjernetid i vinduene for planlagt vedlikehold (%(windows)s) "
        "unntatt; delen utenfor vinduene teller"
    ),
    "planned.none-inside": _l(
        "%(ahead)s, men ingenting av kjernetiden ligger i vinduene for planlagt vedlikehold "
        "(%(windows)s), så det teller som et uplanlagt avbrudd (%(source)s)"
    ),
    # triage.availability_register: the outage register's part of the month
    "register.users-assumed": _l(
        "tjenestens antall brukere ble ikke oppgitt: regnet med %(users)s brukere (nedetid "
        "teller fra %(need)s berørte brukere når tjenesten har minst %(need)s); oppgi "
        "antallet for en tjeneste med færre brukere"
    ),
    "register.unknown-cause": _l(
        "avbrudd %(start)s: årsaken «%(cause)s» er ikke ett av avtalens årsaksord "
        "(%(known)s), så det teller som uplanlagt nedetid"
    ),
    "register.excluded": _l(
        "avbrudd %(start)s – %(end)s (%(affected)s brukere): teller ikke, unntatt i "
        "avbruddsregisteret: %(reason)s"
    ),
    "register.excluded-no-reason": _l(
        "avbrudd %(start)s – %(end)s (%(affected)s brukere): teller ikke, unntatt i "
        "avbruddsregisteret: ingen begrunnelse registrert"
    ),
    "register.live": _l("løpende: målt til %(now)s; avbrudd som pågår teller frem til da"),
    # triage.passwords and triage.store.users: why an account was not made or changed
    "password.too-short": _l("minst %(n)s tegn"),
    "password.too-long": _l("høyst %(n)s tegn"),
    "password.too-few-different": _l("for få forskjellige tegn"),
    "password.username": _l("kan ikke være eller inneholde brukernavnet"),
    "password.common": _l("er et vanlig passord"),
    "user.bad-username": _l("brukernavn: 1 til 100 bokstaver, sifre, «.», «-» eller «_»"),
    "user.bad-role": _l("rolle: må være en av %(roles)s"),
    "user.bad-password": _l("passord: %(problem)s"),
    "user.taken": _l("brukernavn: «%(username)s» er tatt"),
    "user.no-user": _l("ingen bruker %(id)s"),
    # triage.report_period: the period a report or the availability page is asked for
    "period.years": _l("perioden må ligge mellom år %(first)s og %(last)s"),
    "period.several": _l("velg én periode, ikke flere: %(given)s"),
    "period.month-form": _l("måned «%(month)s» er ikke på formen ÅÅÅÅ-MM (f.eks. 2026-03)"),
    "period.quarter-form": _l("kvartal «%(quarter)s» er ikke på formen ÅÅÅÅQn (f.eks. 2026Q1)"),
    "period.both-days": _l("egendefinert periode trenger både fra- og til-dato"),
    "period.to-before-from": _l("til-datoen er før fra-datoen"),
    "period.too-long": _l("perioden er lengre enn %(days)s dager"),
    "period.from-not-a-date": _l("fra-dato «%(text)s» er ikke en dato (ÅÅÅÅ-MM-DD)"),
    "period.to-not-a-date": _l("til-dato «%(text)s» er ikke en dato (ÅÅÅÅ-MM-DD)"),
    # sla.ranges, sla.contract, triage.fees and triage.store.fees: a refused fee change
    "range.not-finite": _l("%(name)s: %(value)s er ikke et endelig beløp"),
    "range.negative": _l("%(name)s: kan ikke være negativ"),
    "range.too-large": _l("%(name)s: høyst %(most)s per måned"),
    "range.too-precise": _l("%(name)s: høyst %(places)s desimaler"),
    "range.users": _l("%(name)s: et helt tall fra 0 til %(most)s"),
    "contract.no-terms": _l(
        "avtalen «%(contract)s» har ingen vilkår i kraft %(day)s (første gjelder fra %(first)s)"
    ),
    "fee.no-fee": _l("avtalen «%(contract)s» har ikke noe gebyr i kraft %(day)s"),
    "fee.unknown-contract": _l("contract: ukjent avtale «%(contract)s»"),
    "fee.duplicate": _l("valid_from: %(contract)s har allerede en gebyrendring fra %(day)s"),
}


def _weekday(day: date) -> str:
    return str(format_date(day, "EEEE", locale=locale_code()))


def _week_hours(hours: WeekHours) -> str:
    names = get_day_names("abbreviated", locale=locale_code())
    parts = []
    for first, last, windows in hours.groups:
        label = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(f"{label} {', '.join(windows)}")
    return "; ".join(parts)


def _decimal(value: Decimal) -> str:
    """A figure with the places it was written with (``99,5``, ``95,639534``)."""
    exponent = value.as_tuple().exponent
    return number(value, max(0, -exponent) if isinstance(exponent, int) else None)


def _hours(value: Hours) -> str:
    """``4 t``, ``2 t 30 min``, ``0,000278 t``, ``5 d 3 t`` (``4 h``... in English)."""
    days, hours, mins, exact = value.parts()
    if exact is not None:
        clock = _("%(sign)s%(h)s t", sign="", h=_decimal(exact))
    elif hours and mins:
        clock = _("%(h)s t %(m)s min", h=number(hours), m=mins)
    elif mins:
        clock = f"{mins} min"
    else:
        clock = _("%(sign)s%(h)s t", sign="", h=number(hours)) if hours or not days else ""
    if not days:
        return clock
    text = _("%(n)s d", n=number(days))
    return f"{text} {clock}" if clock else text


def _value(value: Any, spec: str) -> Any:
    """One value of a core sentence, written for the locale. ``spec`` is the English
    template's format for it: a weekday there (``%A``) is a weekday here too."""
    if isinstance(value, Text):
        return core_text(value)
    if isinstance(value, Severity):
        return severity_word(value.value)
    if isinstance(value, Minutes):
        return minutes(value.amount.total_seconds() / 60)
    if isinstance(value, Instant):
        return local(value.at)
    if isinstance(value, Hours):
        return _hours(value)
    if isinstance(value, Truncated):
        return _decimal(value.value) + ("…" if value.more else "")
    if isinstance(value, Month):
        return format_date(date(value.year, value.month, 1), "LLLL y", locale=locale_code())
    if isinstance(value, Listing):
        return value.separator.join(str(_value(item, "")) for item in value.items)
    if isinstance(value, Phrase):
        return note(value)
    if isinstance(value, WeekHours):
        return _week_hours(value)
    if isinstance(value, datetime):
        when = value.strftime("%d.%m.%Y %H:%M")
        return f"{_weekday(value.date())} {when}" if "%A" in spec else when
    if isinstance(value, date):
        when = value.strftime("%d.%m.%Y")
        return f"{_weekday(value)} {when}" if "%A" in spec else when
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    return value


def core_text(text: Text) -> str:
    """A sentence of the SLA core in the reader's language, its values formatted for the
    locale; a key without a translation (a test catches that) stays English."""
    msgid = CORE_TEXTS.get(text.key)
    if msgid is None:
        return str(text)
    fields = text.template.fields
    values = {name: _value(value, fields[name]) for name, value in text.values.items()}
    if "source" in values and locale_code() == "nb":  # the catalog cites its clauses in English
        values["source"] = source_nb(str(values["source"]))
    return str(msgid) % values if values else str(msgid)


def note(entry: Any) -> str:
    """A note in the reader's language: a sentence of the SLA core (``sla.text.Text``)
    through gettext, a catalog note in Norwegian where the catalog has one (``text_nb``),
    else the text as written. The one filter every page shows notes with."""
    if isinstance(entry, Text):
        return core_text(entry)
    if locale_code() != "nb":
        return str(entry if isinstance(entry, str) else entry.text)
    if isinstance(entry, str):
        return _norwegian_notes().get(entry, entry)
    return str(entry.text_nb or entry.text)


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Oslo")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(
        number=number,
        percent=percent,
        money=money,
        minutes=minutes,
        target=target,
        severity_word=severity_word,
        note=note,
        tier=tier,
    )

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"locales": LOCALES, "locale_code": locale_code}
