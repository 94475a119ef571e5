"""Managers' pages: breach reports (with charts and CSV), penalties and claim letters,
availability with the outage register, and the contract catalog.

Adapters only. The figures come from the domain every other interface uses:
``triage.report`` (``report_figures``, ``tally``, ``penalty_periods``: the same numbers
``triage report`` prints), ``triage.availability_register`` over
``sla.availability.month_availability`` (the same numbers ``triage sla uptime`` prints) and
the catalog. Times are read and written in Europe/Oslo; "now" is the app's clock.

The report page and its summary CSV have the database count and rank
(``triage.store.report_figures``: a quarter at a million tickets is ~100,000 of them)
and fetch whole tickets only for the breaches they list; ``tests/store`` holds that to
the figures ``tally`` and ``build_report`` give a ticket at a time. The penalties and
the claim letters fetch only the breaches of their contracts (``breach_facts``, held
to ``tally``'s breaches the same way); the ticket CSV streams every ticket of the
period (``report_facts(stream=True)``).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

import pygal
from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from pygal.style import Style
from sqlalchemy.orm import Session

from config.catalog import Catalog
from sla.contract import Contract, Terms
from sla.instants import parse_instant
from sla.local_time import OSLO
from sla.periods import Period
from sla.ranges import check_users
from sla.severity import Severity
from sla.targets import judge
from triage.availability_register import MonthFigures, RecordedOutage, month_figures
from triage.claim_notice import (
    CapLine,
    cap_lines,
    exclusive_remedy_nb,
    section_number,
    source_nb,
)
from triage.report import (
    REPORT_CSV_COLUMNS,
    PeriodPenalty,
    TicketFacts,
    assemble_report,
    day_bounds,
    penalty_periods,
    report_csv_rows,
)
from triage.report_period import (
    RESPONSE_BUCKETS,
    WEEKLY_UP_TO_DAYS,
    PeriodError,
    ReportPeriod,
    billing_period,
    chart_buckets,
    claim_lookback_start,
    report_period,
    response_distribution,
)
from triage.shown_text import neutralise
from triage.store import claim_notices
from triage.store import outages as register
from triage.store.fees import (
    FeeError,
    delete_fee_change,
    effective_catalog,
    fee_changes,
    record_fee_change,
    usable,
)
from triage.store.report_figures import ReportAggregate, aggregate_report, breach_facts
from triage.store.ticket_actions import MAX_ID
from triage.store.tickets import report_facts
from web.auth import role_required
from web.desk import desk
from web.formats import iso
from web.i18n import STACKING_WORDS, money, note, percent, severity_word, vendor_document
from web.i18n import number as local_number
from web.ui.blueprint import bp
from web.ui.ticket import POINT_LABELS

log = logging.getLogger(__name__)

PERCENTILES = (90,)
SUMMARY_COLUMNS = (
    "vendor",
    *REPORT_CSV_COLUMNS[:7],
    "p90_response_business_minutes",
    *REPORT_CSV_COLUMNS[7:],
)
TICKET_COLUMNS = (
    "id",
    "contract",
    "severity",
    "received",
    "due",
    "responded",
    "business_minutes",
    "outcome",
    "subject",
)
UNKNOWN_VENDOR = _l("(avtale ikke i katalogen)")
MAX_TEXT = 2000
MAX_USERS = 10_000_000
_WHOLE = re.compile(r"[0-9]{1,9}")
CHART_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#20303f", "#b00020", "#1b6e20", "#b36b00", "#5b6abf", "#7a7a7a", "#00838f"),
)


#: One colour per vendor in every chart, whatever else the chart shows: a vendor's
#: contracts are shades of it. Vendors not listed get the fallback grey.
VENDOR_COLOURS = {
    "Nettsoft": "#1f5f99",
    "Pindena": "#b35900",
    "Sensio": "#2e7d32",
}
FALLBACK_COLOUR = "#6b6b6b"


def _shade(colour: str, step: int) -> str:
    """``colour`` lightened by ``step`` (0 = itself), for a vendor's further contracts."""
    r, g_, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = min(0.6, 0.18 * step)
    return "#{:02x}{:02x}{:02x}".format(*(round(c + (255 - c) * mix) for c in (r, g_, b)))


def _style(colours: Sequence[str]) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        font_family="system-ui, sans-serif",
        colors=tuple(colours) or (FALLBACK_COLOUR,),
    )


def _catalog() -> Catalog:
    """The catalog with the managers' fee changes applied, once per request."""
    if "effective_catalog" not in g:
        app = desk()
        with app.sessions() as session:
            g.effective_catalog = effective_catalog(session, app.catalog)
    return cast(Catalog, g.effective_catalog)


# ------------------------------------------------------------------ shared helpers


def _now() -> datetime:
    return desk().clock()


BREACHES_SHOWN = 200  # the page lists the latest; tickets.csv has them all


def _today(now: datetime) -> date:
    return now.astimezone(OSLO).date()


def _breaches(
    session: Session, first: date, last: date, now: datetime, contract_ids: Iterable[str]
) -> dict[str, list[TicketFacts]]:
    """Per contract, the tickets received on the local days ``first``..``last`` that are
    breached at ``now``, by receipt: ``tally(report_facts(...))[c].breaches`` (what the
    penalties are computed from), selected by the database instead of tallying every
    ticket of the period (``tests/store/test_report_figures.py`` holds the two equal)."""
    found: dict[str, list[TicketFacts]] = {}
    start, end = day_bounds(first, last, OSLO)
    for facts in breach_facts(session, start, end, now, contracts=set(contract_ids)):
        found.setdefault(facts.contract_id, []).append(facts)
    return found


def _period(now: datetime) -> ReportPeriod:
    args = request.args
    return report_period(
        _today(now), args.get("month"), args.get("quarter"), args.get("from"), args.get("to")
    )


def _vendor(catalog: Catalog, contract_id: str) -> str:
    contract = catalog.contracts.get(contract_id)
    return contract.vendor if contract is not None else str(UNKNOWN_VENDOR)


def _minutes(value: float | None) -> str:
    return local_number(value, 1)


def _rate(value: float | None) -> str:
    return percent(None if value is None else value * 100, 1)


def _number(value: Any) -> str:
    """A figure as the locale writes it (``344``, ``98,84``), no trailing ``.0``."""
    return local_number(value, None)


def nok(amount: Decimal) -> str:
    """Money for the locale: ``2 038,50 kr`` (``NOK 2,038.50`` in English)."""
    return money(amount)


def _duration(value: timedelta) -> str:
    """5 d, 2 t 30 min, 15 min."""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} t" if hours else "",
        f"{minutes} min" if minutes else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"


#: What the managers' templates call to write a figure (each in the locale it is rendered in).
HELPERS: dict[str, Callable[..., str]] = {
    "minutes": _minutes,
    "rate": _rate,
    "number": _number,
    "nok": nok,
    "duration": _duration,
    "severity": severity_word,
}


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **HELPERS, **context), status


def _letter(template: str, **context: Any) -> Markup:
    """A letter's body in the vendor's language and figures (``vendor_document``)."""
    return vendor_document(template, **HELPERS, source_nb=source_nb, **context)


# ------------------------------------------------------------------ charts


def _svg(chart: pygal.Graph) -> Markup:
    """pygal's SVG, inline: no XML declaration, no scripts (pygal adds its config as a
    script even with ``js=[]``), no comments. Every text in it is escaped by the
    serialiser, so only pygal's own markup reaches the page."""
    root = chart.render_tree()
    for parent in root.iter():
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return Markup(ET.tostring(root, encoding="unicode"))


def _chart(
    kind: Callable[..., pygal.Graph],
    title: str,
    labels: Sequence[str],
    colours: Sequence[str] = (),
) -> pygal.Graph:
    chart = kind(
        disable_xml_declaration=True,
        js=[],
        title=title,
        width=900,
        height=320,
        style=_style(colours) if colours else CHART_STYLE,
        legend_at_bottom=True,
        x_label_rotation=30 if len(labels) > 8 else 0,
        print_values=False,
        show_y_guides=True,
        min_scale=1,
        max_scale=6,
    )
    chart.x_labels = list(labels)
    return chart


def _count_axis(chart: pygal.Graph, series: Sequence[Sequence[int]]) -> None:
    """Whole-number y labels up to the tallest stack: counts are never 0.2 of a ticket."""
    top = max((sum(column) for column in zip(*series, strict=True)), default=0)
    step = max(1, math.ceil(top / 8))
    chart.y_labels = list(range(0, top + step, step))


def _breach_chart(
    period: ReportPeriod, per_contract: Mapping[str, Sequence[int]], catalog: Catalog
) -> Markup:
    """Breaches per contract and week (month), as ``count_per_bucket`` counts them by the
    local date of receipt (``ReportAggregate.breaches_per_bucket``); each contract in a
    shade of its vendor's colour, contracts of one vendor side by side."""
    buckets = chart_buckets(period)
    title = _("Brudd per uke") if period.days <= WEEKLY_UP_TO_DAYS else _("Brudd per måned")
    order = sorted(per_contract, key=lambda c: (_vendor(catalog, c), c))
    colours, seen = [], {}
    for contract_id in order:
        vendor = _vendor(catalog, contract_id)
        seen[vendor] = seen.get(vendor, -1) + 1
        colours.append(_shade(VENDOR_COLOURS.get(vendor, FALLBACK_COLOUR), seen[vendor]))
    chart = _chart(pygal.StackedBar, title, [b.label for b in buckets], colours)
    series = []
    for contract_id in order:
        series.append(list(per_contract[contract_id]))
        chart.add(contract_id, series[-1])
    _count_axis(chart, series)
    return _svg(chart)


def _response_chart(per_contract: Mapping[str, Sequence[int]], catalog: Catalog) -> Markup:
    """Response times per vendor in ``response_distribution``'s buckets
    (``ReportAggregate.responses_per_bucket``, summed over each vendor's contracts)."""
    by_vendor: dict[str, list[int]] = {}
    for contract_id, counts in per_contract.items():
        total = by_vendor.setdefault(_vendor(catalog, contract_id), [0] * len(counts))
        for i, count in enumerate(counts):
            total[i] += count
    labels = [label for label, _count in response_distribution([])]
    vendors = sorted(by_vendor)
    chart = _chart(
        pygal.StackedBar,
        _("Responstid (forretningsminutter)"),
        labels,
        [VENDOR_COLOURS.get(v, FALLBACK_COLOUR) for v in vendors],
    )
    series = []
    for vendor in sorted(by_vendor):
        series.append(by_vendor[vendor])
        chart.add(vendor, series[-1])
    _count_axis(chart, series)
    return _svg(chart)


# ------------------------------------------------------------------ reports


@dataclass
class VendorGroup:
    vendor: str
    total: dict[str, Any]
    contracts: list[dict[str, Any]] = field(default_factory=list)


def _aggregate(
    session: Session, catalog: Catalog, period: ReportPeriod, now: datetime, page: bool = True
) -> ReportAggregate:
    """The period's figures per contract as the database aggregates them; for the
    ``page``, per vendor too and the charts' buckets."""
    buckets = chart_buckets(period) if page else []
    return aggregate_report(
        session,
        *day_bounds(period.first, period.last, OSLO),
        now,
        percentiles=PERCENTILES,
        group_of=(lambda contract_id: _vendor(catalog, contract_id)) if page else None,
        bucket_starts=[day_bounds(b.first, b.last, OSLO)[0] for b in buckets],
        response_bounds=RESPONSE_BUCKETS if page else (),
    )


def _groups(catalog: Catalog, aggregate: ReportAggregate) -> list[VendorGroup]:
    """Contracts by vendor, with the vendor's own figures (not sums of the contracts':
    the median of a vendor is over all its tickets)."""
    groups: dict[str, VendorGroup] = {}
    for contract_id, counts in aggregate.contracts.items():
        vendor = _vendor(catalog, contract_id)
        if vendor not in groups:
            groups[vendor] = VendorGroup(vendor, aggregate.groups[vendor].figures(PERCENTILES))
        contract = catalog.contracts.get(contract_id)
        groups[vendor].contracts.append(
            {
                "contract": contract_id,
                **counts.figures(PERCENTILES),
                "service": contract.service if contract is not None else "",
            }
        )
    return [groups[v] for v in sorted(groups)]


@bp.get("/reports")
@role_required("manager")
def reports() -> Any:
    app, now = desk(), _now()
    try:
        period = _period(now)
    except PeriodError as exc:
        return _render("reports/reports.html", 400, error=note(exc.args[0]), args=request.args)
    catalog = _catalog()
    with app.sessions() as session:
        aggregate = _aggregate(session, catalog, period, now)
        latest = (
            breach_facts(
                session, *day_bounds(period.first, period.last, OSLO), now, latest=BREACHES_SHOWN
            )
            if aggregate.breaches
            else []
        )
    return _render(
        "reports/reports.html",
        period=period,
        groups=_groups(catalog, aggregate),
        breach_count=aggregate.breaches,
        breaches=latest,  # newest first
        breaches_shown=BREACHES_SHOWN,
        breach_chart=_breach_chart(period, aggregate.breaches_per_bucket, catalog)
        if aggregate.breaches
        else None,
        response_chart=_response_chart(aggregate.responses_per_bucket, catalog)
        if aggregate.responses_per_bucket
        else None,
        args=request.args,
        query=dict(period.params),
        now=now,
    )


def _csv_cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with ``'``,
    and text loses direction tricks and control characters (``triage.shown_text``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = neutralise(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], name: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(row.get(k)) for k in columns})
    return _attachment(Response(out.getvalue(), mimetype="text/csv"), name)


def _attachment(response: Response, name: str) -> Response:
    """``response`` as a download named ``name``."""
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _csv_period() -> tuple[ReportPeriod, datetime]:
    now = _now()
    try:
        return _period(now), now
    except PeriodError as exc:
        abort(400, description=note(exc.args[0]))


@bp.get("/reports/summary.csv")
@role_required("manager")
def reports_summary_csv() -> Response:
    app = desk()
    period, now = _csv_period()
    catalog = _catalog()
    with app.sessions() as session:
        aggregate = _aggregate(session, catalog, period, now, page=False)
        breaches: dict[str, list[TicketFacts]] = {}
        for facts in breach_facts(session, *day_bounds(period.first, period.last, OSLO), now):
            breaches.setdefault(facts.contract_id, []).append(facts)
    result = assemble_report(
        period.first,
        period.last,
        {c: counts.figures(PERCENTILES) for c, counts in aggregate.contracts.items()},
        breaches,
        catalog.contracts,
    )
    rows = [{"vendor": _vendor(catalog, row["contract"]), **row} for row in report_csv_rows(result)]
    return _csv(rows, SUMMARY_COLUMNS, f"sammendrag-{period.first}-{period.last}.csv")


CSV_CHUNK = 64 * 1024  # characters of the ticket CSV per chunk sent


@bp.get("/reports/tickets.csv")
@role_required("manager")
def reports_tickets_csv() -> Response:
    """Every routed ticket of the period with its outcome, streamed: a period may hold
    most of a million tickets, so the rows are written as the database hands them over
    (``report_facts(stream=True)``: a server-side cursor), a chunk at a time. Memory
    stays flat and the download starts once the first rows are read; a failure half-way
    ends the download short (the status line has gone), and is logged."""
    app = desk()
    period, now = _csv_period()
    start, end = day_bounds(period.first, period.last, OSLO)

    def chunks() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(TICKET_COLUMNS)
        try:
            with app.sessions() as session:
                for f in report_facts(session, start, end, stream=True):
                    writer.writerow(_ticket_cells(f, now))
                    if out.tell() >= CSV_CHUNK:
                        yield out.getvalue()
                        out.seek(0)
                        out.truncate()
        except Exception:
            log.exception("ticket CSV %s..%s ended early", period.first, period.last)
            raise
        yield out.getvalue()

    # A plain generator, not ``stream_with_context``: it needs no request context (the
    # app's sessions, the period and "now" are taken here), and one held by a response
    # nobody reads to its end would stay pushed and leak into the next request.
    response = Response(chunks(), mimetype="text/csv")
    return _attachment(response, f"saker-{period.first}-{period.last}.csv")


def _ticket_cells(f: TicketFacts, now: datetime) -> list[Any]:
    """One row of the ticket CSV, in ``TICKET_COLUMNS`` order: ``_csv_cell`` of each value.

    Run for every ticket of the period (a quarter at a million tickets is ~150,000), so
    ``_csv_cell`` goes only where it can change something: the texts from the database
    (contract, severity, subject). The rest is the desk's own writing, unchanged by it:
    the id, ISO times (a digit first), the rounded minutes and the outcome's name."""
    minutes = f.response_seconds
    return [
        f.ticket_id,
        _csv_cell(f.contract_id),
        _csv_cell(f.severity),
        iso(f.received_at),
        "" if f.due_at is None else iso(f.due_at),
        "" if f.responded_at is None else iso(f.responded_at),
        "" if minutes is None else round(minutes / 60, 1),
        judge(f.due_at, f.responded_at, now).value,
        _csv_cell(f.subject),
    ]


# ------------------------------------------------------------------ penalties


def _penalty_contracts(catalog: Catalog) -> list[Contract]:
    return sorted(
        (c for c in catalog.contracts.values() if any(t.penalty for t in c.terms)),
        key=lambda c: (c.vendor, c.id),
    )


@bp.get("/penalties")
@role_required("manager")
def penalties() -> Any:
    app, now = desk(), _now()
    today = _today(now)
    contracts = _penalty_contracts(_catalog())
    limit = max(
        (t.penalty.claim_limit_months for c in contracts for t in c.terms if t.penalty),
        default=12,
    )
    first = claim_lookback_start(today, limit)
    with app.sessions() as session:
        breached = _breaches(session, first, today, now, [c.id for c in contracts])
    sections = []
    for contract in contracts:
        breaches = breached.get(contract.id, [])
        entries = [
            (entry, (entry.claim_promptly_by - today).days if entry.claim_promptly_by else None)
            for entry in reversed(penalty_periods(contract, breaches, now))
        ]
        # the catalog's notes, each shown in the reader's language (the ``note`` filter)
        notes = [
            n
            for n in (*contract.notes, *contract.terms[-1].notes)
            if n.about in ("penalty", "claim")
        ]
        sections.append(
            {
                "contract": contract,
                "entries": entries,
                "notes": notes,
                "caps": _caps(contract, [e for e, _ in entries], today.year),
            }
        )
    year = today.year
    claimed = {
        section["contract"].id: next(c for c in section["caps"] if c.year == year)
        for section in sections
    }
    caps = [
        (c, claimed.get(c.id) or cap_lines(c, {year: Decimal(0)})[0])
        for c in sorted(_catalog().contracts.values(), key=lambda c: (c.vendor, c.id))
        if c.liability_cap is not None
    ]
    return _render("reports/penalties.html", sections=sections, first=first, today=today, caps=caps)


def _caps(contract: Contract, entries: Sequence[PeriodPenalty], *years: int) -> list[CapLine]:
    """The total claimed per year (the year of the breaches' period) against the
    contract's liability cap; ``years`` are shown even with nothing claimed."""
    claimed: dict[int, Decimal] = dict.fromkeys(years, Decimal(0))
    for entry in entries:
        year = entry.period.first_day.year
        claimed[year] = claimed.get(year, Decimal(0)) + entry.penalty.amount
    return cap_lines(contract, claimed)


def _claim(contract: Contract, label: str, now: datetime) -> PeriodPenalty | None:
    months = {t.fee.billing_months for t in contract.terms if t.penalty and t.fee}
    for count in sorted(months):
        try:
            period = billing_period(label, count)
        except ValueError:
            continue
        with desk().sessions() as session:
            breaches = _breaches(session, period.first_day, period.last_day, now, [contract.id])
        for entry in penalty_periods(contract, breaches.get(contract.id, []), now):
            if entry.period == period:
                return entry
    return None


@bp.get("/penalties/<contract_id>/<period>/letter")
@role_required("manager")
def claim_letter(contract_id: str, period: str) -> Any:
    now = _now()
    contract = _catalog().contracts.get(contract_id)
    if contract is None:
        abort(404, description=_("ukjent avtale «%(contract)s»", contract=contract_id))
    entry = _claim(contract, period, now)
    if entry is None:
        abort(
            404,
            description=_(
                "ingen brudd med trekk for %(contract)s i %(period)s",
                contract=contract_id,
                period=period,
            ),
        )
    zone = contract.terms[0].calendar.zone
    terms = contract.terms_at_date(entry.breaches[0].received_at.astimezone(zone).date())
    breached = {f.severity for f in entry.breaches}
    rules = [(s, terms.response[s]) for s in Severity if s.value in breached] or [
        (s, terms.response[s]) for s in Severity
    ]

    settings = desk().settings
    promptly = entry.claim_promptly_by
    year = entry.period.first_day.year
    with desk().sessions() as session:
        notices = claim_notices.sent_for_tickets(
            session, [f.ticket_id for f in entry.breaches if f.ticket_id is not None]
        )
        year_breaches = _breaches(session, date(year, 1, 1), date(year, 12, 31), now, [contract.id])
    year_entries = penalty_periods(contract, year_breaches.get(contract.id, []), now)
    [cap] = [c for c in _caps(contract, year_entries, year) if c.year == year]
    letter = {
        "notices": notices,
        "cap": cap,
        "contract": contract,
        "entry": entry,
        "penalty": entry.penalty,
        "rules": rules,
        "customer": settings,
        "today": _today(now),
        "now": now,
        "promptly": promptly,
    }
    return _render(
        "reports/letter.html",
        letter_body=_letter("reports/_letter_body.html", **letter),
        checks=dict(zip(entry.breaches, entry.readings, strict=True)),
        days_left=(promptly - _today(now)).days if promptly else None,
        **letter,
    )


# ------------------------------------------------------------------ availability


def _availability_contracts(catalog: Catalog) -> list[Contract]:
    return sorted(
        (c for c in catalog.contracts.values() if any(t.availability for t in c.terms)),
        key=lambda c: (c.vendor, c.id),
    )


def _users(contracts: Sequence[Contract], errors: list[str]) -> dict[str, int | None]:
    """``?users-<contract>=N``: the service's user count; a bad value is reported and
    treated as not given."""
    users: dict[str, int | None] = {}
    for contract in contracts:
        text = request.args.get(f"users-{contract.id}", "").strip()
        users[contract.id] = None
        if not text:
            continue
        if _WHOLE.fullmatch(text) and 1 <= int(text) <= MAX_USERS:
            users[contract.id] = int(text)
        else:
            errors.append(
                _(
                    "Antall brukere for %(contract)s: %(text)s er ikke et positivt heltall.",
                    contract=contract.id,
                    text=repr(text),
                )
            )
    return users


def _availability_page(
    errors: Sequence[str] = (), form: Mapping[str, str] | None = None, status: int = 200
) -> Any:
    app, now = desk(), _now()
    problems = list(errors)
    contracts = _availability_contracts(_catalog())
    try:
        period = _period(now)
    except PeriodError as exc:
        problems.append(note(exc.args[0]))
        period = report_period(_today(now))
        status = 400
    users = _users(contracts, problems)
    if len(problems) > len(errors):
        status = 400
    start, end = day_bounds(period.first, period.last, OSLO)
    with app.sessions() as session:
        entries = register.outages_between(session, start, end, now=now)
    months: list[tuple[Contract, list[MonthFigures]]] = []
    remedies: dict[str, str | None] = {}
    for contract in contracts:
        figures = []
        for month in period.months():
            try:
                found = month_figures(contract, month, users[contract.id], entries, now)
            except ValueError as exc:  # no terms in force that month
                problems.append(f"{contract.id} {month.label}: {note(exc.args[0])}")
                continue
            if found is not None:
                figures.append(found)
        months.append((contract, figures))
        remedies[contract.id] = _remedy(contract.terms[-1])
    return _render(
        "reports/availability.html",
        status,
        period=period,
        months=months,
        remedies=remedies,
        entries=entries,
        contracts=contracts,
        users=users,
        errors=problems,
        form=form or {},
        args=request.args,
        extra_fields=[
            (
                f"users-{c.id}",
                _("Brukere %(service)s", service=c.short_name),
                request.args.get(f"users-{c.id}", ""),
            )
            for c in contracts
        ],
        query=dict(period.params),
        causes=sorted(
            {
                cause
                for c in contracts
                for t in c.terms
                if t.availability
                for cause in (*t.availability.excluded_causes, t.availability.planned_cause)
            }
        ),
    )


def _remedy(terms: Terms) -> str | None:
    """The exclusive-remedy clause for the page, in the reader's language (the letter has
    it in Norwegian: ``triage.claim_notice.exclusive_remedy_nb``)."""
    source = terms.availability.exclusive_remedy if terms.availability else None
    if not source:
        return None
    section = section_number(source)
    if section is None:
        return _(
            "Kreditten på månedsavgiften er eneste sanksjon for redusert tjenestenivå, jf. "
            "%(source)s.",
            source=source,
        )
    return _(
        "Kreditten på månedsavgiften er eneste sanksjon for redusert tjenestenivå, jf. "
        "overordnet avtale punkt %(section)s.",
        section=section,
    )


@bp.get("/availability")
@role_required("manager")
def availability() -> Any:
    return _availability_page()


@bp.get("/availability/<contract_id>/<month>/letter")
@role_required("manager")
def credit_letter(contract_id: str, month: str) -> Any:
    """The month's credit claim: the figures of the availability page, the credit tier,
    the exclusive-remedy clause (§8.5) and the notices of breach already sent that month."""
    app, now = desk(), _now()
    contract = next((c for c in _availability_contracts(_catalog()) if c.id == contract_id), None)
    if contract is None:
        abort(
            404,
            description=_(
                "ukjent avtale med tilgjengelighetsgaranti «%(contract)s»", contract=contract_id
            ),
        )
    try:
        period = billing_period(month, 1)
        year = period.first_day.year  # year 0 fails here, not in billing_period
    except ValueError:
        abort(400, description=_("måned «%(month)s»: skriv ÅÅÅÅ-MM", month=month))
    if not 1900 <= year <= 9998:  # the databases' and Python's date range
        abort(400, description=_("måned «%(month)s»: utenfor årene 1900-9998", month=month))
    errors: list[str] = []
    users = _users([contract], errors)[contract.id]  # ?users-<contract>=N, as the page
    if errors:
        abort(400, description=errors[0])
    start, end = day_bounds(period.first_day, period.last_day, OSLO)
    with app.sessions() as session:
        entries = register.outages_between(session, start, end)
        notices = claim_notices.sent_between(
            session, contract.id, period.first_day, period.last_day
        )
    try:
        figures = month_figures(contract, period, users, entries)
    except ValueError as exc:
        abort(404, description=f"{contract.id} {period.label}: {note(exc.args[0])}")
    if figures is None or figures.result is None:
        abort(
            404,
            description=_(
                "ingen tilgjengelighet å kreve for %(contract)s i %(period)s",
                contract=contract.id,
                period=period.label,
            ),
        )
    terms = contract.terms_at_date(period.first_day)
    guarantee = terms.availability
    assert guarantee is not None
    promptly = guarantee.prompt_claim.due(period.last_day) if guarantee.prompt_claim else None
    letter = {
        "contract": contract,
        "period": period,
        "result": figures.result,
        "guarantee": guarantee,
        "remedy": exclusive_remedy_nb(terms),
        "notices": notices,
        "customer": app.settings,
        "today": _today(now),
        "promptly": promptly,
    }
    return _render(
        "reports/credit_letter.html",
        letter_body=_letter("reports/_credit_letter_body.html", **letter),
        figures=figures,
        days_left=(promptly - _today(now)).days if promptly else None,
        **letter,
    )


@dataclass(frozen=True)
class _OutageForm:
    contract_id: str
    starts_at: datetime
    ends_at: datetime
    affected_users: int
    cause: str
    excluded: bool
    reason: str | None
    stamps: dict[str, datetime | None]


_STAMPS = (
    ("announced_at", _l("Varslet")),
    ("accepted_at", _l("Akseptert av kunden")),
    ("objected_at", _l("Kunden protesterte")),
)


def _outage_form(
    form: Mapping[str, str], contracts: Mapping[str, Contract]
) -> _OutageForm | list[str]:
    """The outage form, or the problems with it (in the reader's language, one per field)."""
    errors: list[str] = []
    contract_id = form.get("contract", "").strip()
    if contract_id not in contracts:
        errors.append(_("Avtale: velg en avtale med tilgjengelighetsgaranti."))
    times: dict[str, datetime] = {}
    for key, label in (("start", _("Start")), ("end", _("Slutt"))):
        text = form.get(key, "").strip()
        if not text:
            errors.append(_("%(field)s: mangler.", field=label))
            continue
        try:
            times[key] = parse_instant(text, OSLO)
        except ValueError as exc:
            errors.append(f"{label}: {exc}")
    if len(times) == 2 and times["end"] <= times["start"]:
        errors.append(_("Slutt: må være etter start."))
    affected_text = form.get("affected_users", "").strip()
    affected = int(affected_text) if _WHOLE.fullmatch(affected_text) else -1
    if not 1 <= affected <= MAX_USERS:
        errors.append(_("Berørte brukere: et helt tall fra 1."))
    cause = form.get("cause", "").strip()
    if len(cause) > MAX_TEXT:
        errors.append(_("Årsak: høyst %(n)s tegn.", n=MAX_TEXT))
    excluded = form.get("excluded") in ("on", "1", "true", "yes")
    reason = form.get("exclusion_reason", "").strip() or None
    if excluded and reason is None:
        errors.append(_("Begrunnelse: påkrevd når avbruddet unntas."))
    if reason is not None and len(reason) > MAX_TEXT:
        errors.append(_("Begrunnelse: høyst %(n)s tegn.", n=MAX_TEXT))
    stamps: dict[str, datetime | None] = {}
    for key, label in _STAMPS:
        text = form.get(key, "").strip()
        stamps[key] = None
        if text:
            try:
                stamps[key] = parse_instant(text, OSLO)
            except ValueError as exc:
                errors.append(f"{label}: {exc}")
    if errors:
        return errors
    return _OutageForm(
        contract_id, times["start"], times["end"], affected, cause, excluded, reason, stamps
    )


def _month_of(instant: datetime) -> str:
    return Period.containing(instant.astimezone(OSLO).date(), 1).label


@bp.post("/availability/outages")
@role_required("manager")
def record_outage() -> Any:
    app = desk()
    contracts = {c.id: c for c in _availability_contracts(_catalog())}
    parsed = _outage_form(request.form, contracts)
    if isinstance(parsed, list):
        return _availability_page(parsed, request.form.to_dict(), 400)
    with app.sessions() as session:
        register.add_outage(
            session,
            contract_id=parsed.contract_id,
            starts_at=parsed.starts_at,
            ends_at=parsed.ends_at,
            affected_users=parsed.affected_users,
            cause=parsed.cause,
            excluded=parsed.excluded,
            exclusion_reason=parsed.reason,
            recorded_by=current_user.username,
            now=_now(),
            **parsed.stamps,
        )
        session.commit()
    flash(_("Avbruddet er registrert."), "ok")
    return redirect(url_for("ui.availability", month=_month_of(parsed.starts_at)))


@bp.post("/availability/outages/<int:outage_id>/delete")
@role_required("manager")
def delete_outage(outage_id: int) -> Any:
    if not 0 < outage_id <= MAX_ID:  # beyond the database's range: no such entry, not a 500
        abort(404, description=_("avbrudd %(id)s finnes ikke", id=outage_id))
    with desk().sessions() as session:
        removed: RecordedOutage | None = register.delete_outage(session, outage_id)
        if removed is None:
            abort(404, description=_("avbrudd %(id)s finnes ikke", id=outage_id))
        session.commit()
    flash(_("Avbrudd %(id)s er slettet.", id=outage_id), "ok")
    return redirect(url_for("ui.availability", month=_month_of(removed.starts_at)))


# ------------------------------------------------------------------ catalog


#: What a catalog note is about (``sla.contract.Note.about``), as the catalog page labels it.
NOTE_TOPICS = {
    "response": _l("responstid"),
    "penalty": _l("trekk"),
    "availability": _l("tilgjengelighet"),
    "classification": _l("klassifisering"),
    "routing": _l("ruting"),
    "hand-off": _l("videresending"),
    "claim": _l("reklamasjon"),
    "general": _l("generelt"),
}


@bp.get("/catalog")
@role_required("manager")
def catalog(status: int = 200, fee_error: str | None = None) -> Any:
    """The catalog as the desk prices it: shipped terms plus the managers' fee changes,
    which show as terms versions of their own and are listed with who made them."""
    app = desk()
    with app.sessions() as session:
        changes = fee_changes(session)
        unusable = {c.id for c in changes if not usable(c)}
    contracts = sorted(_catalog().contracts.values(), key=lambda c: (c.vendor, c.id))
    return _render(
        "reports/catalog.html",
        status,
        contracts=contracts,
        origin=_catalog().origin,
        severities=Severity,
        stacking=STACKING_WORDS,
        points=POINT_LABELS,
        topics=NOTE_TOPICS,
        fee_changes=changes,
        unusable_fees=unusable,
        fee_contracts=[c for c in contracts if any(t.fee for t in c.terms)],
        fee_error=fee_error,
        form=request.form,
    )


@bp.post("/catalog/fees")
@role_required("manager")
def catalog_fee_change() -> Any:
    """Record a dated change of a contract's fee figures (active users, prices)."""
    app = desk()
    form = request.form
    try:
        valid_from = _fee_field("valid_from", lambda: date.fromisoformat(form["valid_from"]))
        users = _fee_field("active_users", lambda: _whole(form["active_users"]))
        base = _fee_field("base_monthly", lambda: _decimal_or_none(form.get("base_monthly", "")))
        per_user = _fee_field(
            "per_user_monthly", lambda: _decimal_or_none(form.get("per_user_monthly", ""))
        )
    except FeeError as exc:
        return catalog(422, note(exc.args[0]))
    with app.sessions() as session:
        try:
            record_fee_change(
                session,
                app.catalog,
                form.get("contract", ""),
                valid_from,
                users,
                current_user.name,
                app.clock(),
                base,
                per_user,
            )
        except FeeError as exc:
            return catalog(422, note(exc.args[0]))
    flash(_("Gebyrgrunnlaget er endret."), "ok")
    return redirect(url_for("ui.catalog"), 303)


@bp.post("/catalog/fees/<int:change_id>/delete")
@role_required("manager")
def catalog_fee_undo(change_id: int) -> Any:
    """Undo a fee change (a wrong figure, or one stored before the ranges were checked):
    the prices are those without it again."""
    with desk().sessions() as session:
        removed = delete_fee_change(session, change_id)
        if removed is None:
            abort(404, description=_("gebyrendring %(id)s finnes ikke", id=change_id))
        session.commit()
        log.info("fee change %d undone by user #%d", change_id, current_user.id)
    flash(
        _(
            "Gebyrendringen fra %(date)s for %(contract)s er angret.",
            date=removed.valid_from,
            contract=removed.contract_id,
        ),
        "ok",
    )
    return redirect(url_for("ui.catalog"), 303)


_T = TypeVar("_T")


def _fee_field(name: str, parse: Callable[[], _T]) -> _T:
    """One field of the fee form, or a ``FeeError`` naming it (in its form name, as the
    store's own checks do)."""
    try:
        return parse()
    except KeyError:
        raise FeeError(_("%(name)s: mangler", name=name)) from None
    except (ValueError, ArithmeticError) as exc:
        if str(exc).startswith(name):  # the range check's own sentence (sla/ranges.py)
            raise FeeError(exc.args[0]) from None
        raise FeeError(_("%(name)s: ugyldig verdi", name=name)) from None


def _whole(text: str) -> int:
    """A whole number within the range of users (a longer one is no count: 4xx, not a
    database overflow)."""
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        raise ValueError("not a whole number")
    return check_users("active_users", int(text))


def _decimal_or_none(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    if len(text) > 30:
        raise ValueError("too long")
    return Decimal(text)  # its range: FeeChange (sla/ranges.py), with the field's name
