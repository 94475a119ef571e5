"""Demo data for ``triage up --demo``: staff, a roster, and tickets that page within minutes.

Tickets go in through the CSV importer (the same path as ``triage import``), with times
relative to now, so whatever the hour a new user sees SMS in the outbox within a minute:
critical faults on the hosted services page on receipt at any hour ("immediately"), and
their "due" point follows 15 minutes later. Re-running updates the same demo tickets and
staff instead of adding more.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from sla.local_time import OSLO
from triage.csv_import import COLUMNS, classify_row
from triage.store.importer import ImportResult, import_csv
from triage.store.outages import add_outage, has_outage
from triage.store.roster import add_staff, has_rotation, set_rotation, staff_with_phone
from triage.store.users import (
    ROLES,
    create_user,
    forget_failures,
    set_password,
    user_by_username,
)

if TYPE_CHECKING:  # the row the roster's reads return
    from triage.store.models import Staff

# Numbers from the range Nkom reserves for fiction/tests are not available for mobiles, so
# these are plainly fake ones in the 4000 00xx block; they only ever reach the outbox.
STAFF = (
    ("Kari Nordmann", "+4740000001", "kari@example.org"),
    ("Ola Hansen", "+4740000002", "ola@example.org"),
    ("Mette Berg (leder)", "+4740000003", "mette@example.org"),
)

#: The demo agent is Kari on the roster (level 1) and the demo manager is Mette (level 2),
#: by e-mail: logged in as them, the ticket page offers "Kvitter"/"Start arbeid" for
#: what they were paged about.
DEMO_EMAILS = {"agent": "kari@example.org", "manager": "mette@example.org"}

# (external id, contract, minutes ago, severity, channel, subject)
TICKETS = (
    (
        "demo-1",
        "nettsoft-vps-terminal",
        1,
        "critical",
        "phone",
        "Terminalserveren svarer ikke, ingen får logget inn",
    ),
    (
        "demo-2",
        "nettsoft-vps-access",
        12,
        "critical",
        "email",
        "Adgangskontroll nede, dørene låser ikke opp",
    ),
    ("demo-3", "nettsoft-mbn", 25, "critical", "phone", "Telefoni nede i hele bedriften"),
    (
        "demo-4",
        "nettsoft-ms365-bruker",
        50,
        "non-critical",
        "email",
        "Får ikke synkronisert kalender på mobil",
    ),
    ("demo-5", "pindena", 90, "non-critical", "email", "Påmeldingsskjema viser feil pris"),
    ("demo-6", "nettsoft-server", 40, "critical", "chat", "Filserveren er utilgjengelig"),
    ("demo-7", "sensio-velferd", 5, "non-critical", "email", "Spørsmål om ny bruker i Sensio"),
)


def load_demo(sessions: sessionmaker[Session], catalog: Catalog, now: datetime) -> ImportResult:
    with sessions() as session:
        people = [_staff(session, name, phone, email, now) for name, phone, email in STAFF]
        monday = (now - timedelta(days=now.weekday() + 7)).replace(
            hour=7, minute=0, second=0, microsecond=0
        )
        if not has_rotation(session):
            set_rotation(session, 1, "always", monday, people[:2], now)
            set_rotation(session, 2, "always", monday, people[2:], now)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for external_id, contract, minutes, severity, channel, subject in TICKETS:
        received = (now - timedelta(minutes=minutes)).isoformat(timespec="seconds")
        writer.writerow([external_id, contract, received, "", severity, channel, subject, subject])
    return import_csv(sessions, catalog, out.getvalue().encode(), classify_row, now)


def _staff(session: Session, name: str, phone: str, email: str, now: datetime) -> Staff:
    existing = staff_with_phone(session, phone)
    return existing or add_staff(session, name, phone, now, email)


def demo_users(session: Session, now: datetime) -> str:
    """An agent, a manager and an admin with one fresh password, printed by ``triage up``
    (made once per data dir; a re-run sets the new password)."""
    password = secrets.token_urlsafe(12)  # 16 characters: the password rule wants 12
    for role in ROLES:
        username = f"demo-{role}"
        email = DEMO_EMAILS.get(role)
        user = user_by_username(session, username)
        if user is None:
            create_user(session, username, f"Demo {role}", role, password, now, email)
        else:
            user.email = email
            forget_failures(session, user)
            set_password(session, user, password)  # ends sessions of the last run
    return password


# ------------------------------------------------------------------ history

#: The shipped example year (``config/examples``): tickets and the hosted services' outages.
EXAMPLES = ("config", "examples")
HISTORY_FILE, OUTAGES_FILE = "tickets-year.csv", "outages.csv"


def _example(name: str) -> str:
    package, folder = EXAMPLES
    return resources.files(package).joinpath(folder, name).read_text(encoding="utf-8")


def _shift(rows: list[dict[str, str]], columns: tuple[str, ...], now: datetime) -> timedelta:
    """Whole weeks that move the example year to end in the week before ``now``: weekdays
    and times of day stay (office hours stay office hours)."""
    latest = max(datetime.fromisoformat(row[c]) for row in rows for c in columns if row[c])
    weeks = (now - timedelta(days=7) - latest).days // 7
    return timedelta(weeks=max(0, weeks))


def _history_start(now: datetime) -> date:
    """The first day of the previous quarter: the demo loads two quarters of history (the
    running one and the one before), so a quarter's report and its penalty have content."""
    today = now.astimezone(OSLO).date()
    month = (today.month - 1) // 3 * 3 + 1 - 3  # the previous quarter's first month
    return date(today.year - 1, month + 12, 1) if month < 1 else date(today.year, month, 1)


def load_history(sessions: sessionmaker[Session], catalog: Catalog, now: datetime) -> ImportResult:
    """The last two quarters of the example year, moved to end last week, through the CSV
    importer (so reports, penalties, claim letters and availability have content on the
    first start). Re-running updates the same tickets (``external_id``) instead of adding."""
    rows = list(csv.DictReader(io.StringIO(_example(HISTORY_FILE))))
    shift = _shift(rows, ("received_at", "responded_at"), now)
    first = _history_start(now)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        received = datetime.fromisoformat(row["received_at"]) + shift
        if received.astimezone(OSLO).date() < first or received >= now:
            continue
        responded = (
            datetime.fromisoformat(row["responded_at"]) + shift if row["responded_at"] else None
        )
        if responded is not None and responded > now:
            responded = None
        writer.writerow(
            {
                **row,
                "received_at": received.isoformat(),
                "responded_at": responded.isoformat() if responded else "",
            }
        )
    result = import_csv(sessions, catalog, out.getvalue().encode(), classify_row, now)
    _load_outages(sessions, catalog, now, shift, first)
    return result


def _load_outages(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    now: datetime,
    shift: timedelta,
    first: date,
) -> None:
    """The example outages in the same window into the outage register, once each."""
    with sessions() as session:
        for row in csv.DictReader(io.StringIO(_example(OUTAGES_FILE))):
            if row["contract"] not in catalog.contracts:
                continue
            starts = datetime.fromisoformat(row["starts_at"]) + shift
            ends = datetime.fromisoformat(row["ends_at"]) + shift
            if starts.astimezone(OSLO).date() < first or ends > now:
                continue
            if has_outage(session, row["contract"], starts):
                continue
            excluded = row["excluded"] == "yes"
            add_outage(
                session,
                contract_id=row["contract"],
                starts_at=starts,
                ends_at=ends,
                affected_users=int(row["affected_users"]),
                cause=row["cause"],
                excluded=excluded,
                exclusion_reason=row["exclusion_reason"] or None,
                recorded_by="demo",
                now=now,
            )
        session.commit()
