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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from triage.csv_import import COLUMNS, classify_row
from triage.store.importer import ImportResult, import_csv
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
        user = user_by_username(session, username)
        if user is None:
            create_user(session, username, f"Demo {role}", role, password, now)
        else:
            forget_failures(session, user)
            set_password(session, user, password)  # ends sessions of the last run
    return password
