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
from decimal import Decimal
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
from sla.text import Instant, Minutes, Text
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
    return format_currency(Decimal(str(value)), currency, format=pattern, locale=code)


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
    closing = "]" if band.high_pct == 100 else ")"
    return _(
        "[%(low)s; %(high)s%(closing)s %%",
        low=number(band.low_pct, None),
        high=number(band.high_pct, None),
        closing=closing,
    )


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
    if isinstance(value, WeekHours):
        return _week_hours(value)
    if isinstance(value, datetime):
        when = value.strftime("%d.%m.%Y %H:%M")
        return f"{_weekday(value.date())} {when}" if "%A" in spec else when
    if isinstance(value, date):
        when = value.strftime("%d.%m.%Y")
        return f"{_weekday(value)} {when}" if "%A" in spec else when
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return number(value, max(0, -exponent) if isinstance(exponent, int) else None)
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
