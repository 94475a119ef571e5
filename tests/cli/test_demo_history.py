"""``triage up --demo``'s history: the last two quarters of ``config/examples``, moved in
whole weeks to end last week, through the CSV importer, with the hosted services' outages
in the register, so every manager page has content on the first start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.catalog import load_catalog
from triage.store.escalations import FIRED
from triage.store.models import EscalationPoint, Outage, Ticket
from web.cli.demo import _history_start, load_history

NOW = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # a Sunday evening in Q4


def test_history_fills_two_quarters_without_paging_anyone(
    sessions: sessionmaker[Session],
) -> None:
    catalog = load_catalog()
    result = load_history(sessions, catalog, NOW)
    assert result.rejected == []
    assert result.imported > 200  # about half of the example year's ~590 tickets
    first = _history_start(NOW)
    assert first.isoformat() == "2026-07-01"  # Q3 and the running Q4
    with sessions() as session:
        received = session.execute(
            select(func.min(Ticket.received_at), func.max(Ticket.received_at))
        ).one()
        oldest, newest = (t.replace(tzinfo=t.tzinfo or UTC) for t in received)
        assert oldest.date() >= first - timedelta(days=1)
        assert NOW - timedelta(days=14) < newest < NOW
        contracts = set(session.scalars(select(Ticket.contract_id).distinct()))
        assert len(contracts) >= 10  # across the contracts
        breached = session.scalar(
            select(func.count()).where(
                Ticket.due_at.is_not(None),
                (Ticket.responded_at > Ticket.due_at) | Ticket.responded_at.is_(None),
                Ticket.due_at < NOW,
            )
        )
        assert breached and breached > 5  # penalties and claim letters have content
        assert session.scalar(select(func.count()).select_from(Outage)) > 3
        fired = session.scalar(select(func.count()).where(EscalationPoint.status == FIRED))
        assert fired == 0  # history is old news: nobody is paged for it
    again = load_history(sessions, catalog, NOW)
    assert (again.imported, again.rejected) == (0, [])  # re-running updates the same rows
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Outage)) == len(
            set(session.scalars(select(Outage.starts_at)))
        )  # no outage twice
