"""``triage import``: historic tickets from another system, by CSV (DESIGN.md).

Re-importing an ``external_id`` updates that ticket (and records what changed as an
event); a bad row is rejected with its line and the rest are imported. Each row commits
on its own savepoint so one database-level problem cannot take the others with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import Catalog
from sla.local_time import OSLO
from sla.severity import Severity
from triage.csv_import import Classifier, ImportRow, RowError, parse_csv
from triage.sla_state import derive_sla_state
from triage.store.escalations import plan_escalations
from triage.store.models import Ticket
from triage.store.tickets import add_event, apply_sla_state, by_external_id


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    rejected: list[dict[str, object]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"imported": self.imported, "updated": self.updated, "rejected": self.rejected}


def import_csv(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    data: bytes,
    classify: Classifier,
    now: datetime,
) -> ImportResult:
    result = ImportResult()
    with sessions() as session:
        for item in parse_csv(data, catalog.contracts, classify, OSLO):
            if isinstance(item, RowError):
                result.rejected.append({"line": item.line, "error": item.error})
                continue
            try:
                with session.begin_nested():
                    created = _store_row(session, catalog, item, now)
                session.commit()
            except (SQLAlchemyError, ValueError, ArithmeticError) as exc:
                session.rollback()
                result.rejected.append({"line": item.line, "error": _not_stored(exc)})
                continue
            if created:
                result.imported += 1
            else:
                result.updated += 1
    return result


def _not_stored(exc: Exception) -> str:
    """Why a parsed row could not be stored. The SLA engine's reasons ("no terms in force
    on 1999-03-10") are said; a database error is only named, its message quotes the row."""
    if isinstance(exc, ValueError):
        detail = " ".join(str(exc).split())[:300]
        return f"could not be stored: {detail or type(exc).__name__}"
    return f"could not be stored: {type(exc).__name__}"


def _store_row(session: Session, catalog: Catalog, row: ImportRow, now: datetime) -> bool:
    contract = catalog.get(row.contract_id)
    state = derive_sla_state(contract, Severity(row.severity), row.received_at, row.responded_at)
    ticket = by_external_id(session, row.external_id)
    created = ticket is None
    if ticket is None:
        ticket = Ticket(external_id=row.external_id, created_at=now, status="open")
        session.add(ticket)
    before = _snapshot(ticket) if not created else None
    ticket.channel = row.channel
    ticket.subject = row.subject
    ticket.body = row.body
    ticket.contract_id = row.contract_id
    ticket.severity = row.severity.value
    ticket.severity_reasons = list(row.severity_reasons)
    ticket.received_at = row.received_at
    ticket.responded_at = row.responded_at
    ticket.updated_at = now
    apply_sla_state(ticket, state)
    if created:
        add_event(
            session,
            ticket,
            "received",
            row.received_at,
            "import",
            channel=row.channel,
            line=row.line,
        )
        add_event(
            session,
            ticket,
            "classified",
            now,
            "import",
            severity=row.severity.value,
            reasons=list(row.severity_reasons),
        )
        add_event(session, ticket, "routed", now, "import", contract=row.contract_id)
        if row.responded_at is not None:
            add_event(session, ticket, "response_started", row.responded_at, "import")
    else:
        changes = {
            k: [v, _snapshot(ticket)[k]]
            for k, v in (before or {}).items()
            if _snapshot(ticket)[k] != v
        }
        add_event(session, ticket, "imported_update", now, "import", line=row.line, changes=changes)
    # a new ticket has no pauses, so the ladder is planned on the deadline just derived
    plan_escalations(session, catalog, ticket, now, state.deadline if created else None)
    return created


def _snapshot(ticket: Ticket) -> dict[str, str | None]:
    return {
        "contract": ticket.contract_id,
        "severity": ticket.severity,
        "received_at": ticket.received_at.isoformat() if ticket.received_at else None,
        "responded_at": ticket.responded_at.isoformat() if ticket.responded_at else None,
        "subject": ticket.subject,
    }
